"""The counters card: tiles (queued, uploading, uploaded, failed, skipped), bytes, rate, ETA,
an overall progress bar and the throughput chart, all from one `FeedSnapshot` per tick.

The tiles count the whole store (the table's rows); the bar, the byte and file
figures, the rates and the ETA cover the current run only (`RunWindow`): the
work in front of the user, not the uploads of last week.

Tiles are keyed, so a later feature adds its own (`add_tile("duplicates", ...)`)
and sets it with `set_tile`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.jobs.records import Counters
from hma_gui.core.jobs.run_window import RunFigures, RunWindow
from hma_gui.core.rate_meter import RateMeter, format_bytes, format_duration
from hma_gui.ui import theme
from hma_gui.ui.queue.live_feed import FeedSnapshot
from hma_gui.ui.queue.throughput_chart import ThroughputChart
from hma_gui.ui.shell.fit_screen import FlowLayout
from hma_gui.ui.shell.folds import fold_button


@dataclass(frozen=True)
class Figures:
    """What the card shows, computed from a snapshot (kept for tests and screenshots)."""

    queued: int
    running: int  # uploading here (the jobs sent to a shared queue are not)
    done: int
    failed: int
    skipped: int
    bytes_done: int  # of the current run, as the rest below
    bytes_total: int
    rate: float  # bytes per second
    eta: float | None
    files_done: int = 0
    files_total: int = 0
    file_rate: float = 0.0  # files per second
    fraction: float = 0.0
    percent: int = 0


class CounterTile(QFrame):
    def __init__(self, label: str, color: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "tile")
        self.value = QLabel("0")
        self.value.setProperty("role", "tileValue")
        self.label = QLabel(label)
        self.label.setProperty("role", "tileLabel")
        dot = QLabel()
        dot.setFixedSize(8, 8)
        dot.setStyleSheet(f"background: {color}; border-radius: 4px;")
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(dot, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.label)
        top.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.value)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_value(self, text: str) -> None:
        if self.value.text() != text:
            self.value.setText(text)


class SlimBar(QWidget):
    """The overall progress bar, painted on the next paint event.

    Not a `QProgressBar`: its `setValue` repaints synchronously, and under load
    that made the five-times-a-second update the slowest thing on the main thread.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fraction = 0.0
        self.setFixedHeight(8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_fraction(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        if abs(fraction - self.fraction) >= 0.0005:
            self.fraction = fraction
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        rect = QRectF(self.rect())
        radius = rect.height() / 2
        painter.setBrush(QColor(theme.TRACK))
        painter.drawRoundedRect(rect, radius, radius)
        if self.fraction > 0:
            filled = QRectF(
                rect.left(),
                rect.top(),
                max(rect.height(), rect.width() * self.fraction),
                rect.height(),
            )
            gradient = QLinearGradient(filled.topLeft(), filled.topRight())
            gradient.setColorAt(0, QColor("#3b82f6"))
            gradient.setColorAt(1, QColor(theme.ACCENT))
            painter.setBrush(gradient)
            painter.drawRoundedRect(filled, radius, radius)
        painter.end()


class CountersPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("countersCard")
        self.setProperty("role", "card")
        self._meter = RateMeter(window_seconds=5.0)
        self._file_meter = RateMeter(window_seconds=5.0)
        self._run = RunWindow()
        self.figures: Figures | None = None
        self.running = True  # the queue's mode: rate and ETA only while it runs

        self.title = QLabel("Queue")
        self.title.setProperty("role", "cardTitle")
        self.mode_label = QLabel("Stopped")
        self.mode_label.setProperty("role", "modePill")
        # the window puts Start / Pause / Stop / Parallel / Limit here: a row that wraps
        # (right-aligned) when the card is narrow (512 points: 1024 px at 200 %)
        controls = QWidget()
        self.controls = FlowLayout(controls, align_right=True)
        self.controls.setContentsMargins(0, 0, 0, 0)
        header = self._header = QHBoxLayout()
        header.setSpacing(10)
        centred = Qt.AlignmentFlag.AlignVCenter  # not stretched when the controls wrap
        header.addWidget(self.title, 0, centred)
        header.addWidget(self.mode_label, 0, centred)
        header.addWidget(controls, 1)
        self.fold_button = fold_button("Fold the queue card to its header (View menu)")
        header.addWidget(self.fold_button)
        self.folded = False

        self.chart = ThroughputChart()
        self.tiles: dict[str, CounterTile] = {}
        self._tile_grid = QGridLayout()  # as many tiles a line as the width holds
        self._tile_grid.setSpacing(8)
        self._tile_columns = 0
        for key, state_label, color in (
            ("queued", "Queued", theme.NEUTRAL),
            ("running", "Uploading", theme.ACCENT),
            ("done", "Uploaded", theme.SUCCESS),
            ("failed", "Failed", theme.DANGER),
            ("skipped", "Skipped", theme.WARNING),
        ):
            self.add_tile(key, state_label, color)

        self.bar = SlimBar()
        self.bytes_label = QLabel("Nothing queued yet")
        self.bytes_label.setProperty("role", "muted")
        self.percent_label = QLabel("")
        self.percent_label.setProperty("role", "percent")
        stats = QHBoxLayout()
        stats.addWidget(self.bytes_label, 1)
        stats.addWidget(self.percent_label)

        left = QVBoxLayout()
        left.setSpacing(10)
        left.addLayout(self._tile_grid)
        left.addWidget(self.bar)
        left.addLayout(stats)
        left.addStretch()

        body = self._body = QGridLayout()
        body.setHorizontalSpacing(16)
        body.addLayout(left, 0, 0)
        body.addWidget(self.chart, 0, 1)
        body.setColumnStretch(0, 3)
        body.setColumnStretch(1, 2)

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 14)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addLayout(body)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)  # see below

    def minimumSizeHint(self) -> QSize:
        """As narrow as the header or one tile: narrower, the tiles go onto more lines."""
        hint = super().minimumSizeHint()
        narrow = max(self._header.minimumSize().width(), self._tile_width()) + 36
        return QSize(min(hint.width(), narrow), hint.height())

    def add_tile(self, key: str, label: str, color: str) -> CounterTile:
        tile = CounterTile(label, color)
        tile.setVisible(not self.folded)
        self.tiles[key] = tile
        self._reflow(force=True)
        return tile

    def set_folded(self, folded: bool, tiny: bool = False) -> None:
        """Folded: the header, the bar and the figures; `tiny`: the header only."""
        self.folded = folded
        for tile in self.tiles.values():
            tile.setVisible(not folded)
        self.chart.setVisible(not folded and self._chart_fits())
        for widget in (self.bar, self.bytes_label, self.percent_label):
            widget.setVisible(not tiny)
        self._body.setContentsMargins(0, 0, 0, 0)
        self._layout.setContentsMargins(*((14, 6, 14, 6) if folded else (18, 12, 18, 14)))
        self._layout.setSpacing(6 if folded else 10)

    def _tile_width(self) -> int:
        return max((t.minimumSizeHint().width() for t in self.tiles.values()), default=0)

    def _chart_fits(self) -> bool:
        """The chart beside the tiles only when the card holds them all on one line too."""
        inner = self.width() - 36 - 16 - self.chart.minimumWidth()
        spacing = self._tile_grid.spacing()
        widths = [tile.minimumSizeHint().width() + spacing for tile in self.tiles.values()]
        return inner >= sum(widths) - spacing

    def _reflow(self, force: bool = False) -> None:
        """Lay the tiles out on as many lines as the width needs: no label is cut."""
        chart = not self.folded and self._chart_fits()
        if self.chart.isHidden() == chart:
            self.chart.setVisible(chart)
        spacing = self._tile_grid.spacing()
        columns = (self.width() - 36 + spacing) // max(1, self._tile_width() + spacing)
        columns = len(self.tiles) if chart else min(max(1, columns), max(1, len(self.tiles)))
        if columns == self._tile_columns and not force:
            return
        self._tile_columns = columns
        for tile in self.tiles.values():
            self._tile_grid.removeWidget(tile)
        for index, tile in enumerate(self.tiles.values()):
            self._tile_grid.addWidget(tile, index // columns, index % columns)
        for column in range(self._tile_grid.columnCount()):
            self._tile_grid.setColumnStretch(column, 1 if column < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()
        # Narrow, the title goes: the mode pill and the buttons say what the card is,
        # and the buttons keep a line more (two lines instead of three at 512 points).
        margins = self._layout.contentsMargins()
        parts = (self.title, self.mode_label, self.controls, self.fold_button)
        need = sum(part.sizeHint().width() for part in parts) + 3 * self._header.spacing()
        fits = self.width() - margins.left() - margins.right() >= need
        if self.title.isHidden() == fits:
            self.title.setVisible(fits)

    def set_tile(self, key: str, value: int) -> None:
        self.tiles[key].set_value(f"{value:,}")

    def set_mode(self, text: str, state: str) -> None:
        self.running = state == "running"
        if self.mode_label.text() == text and self.mode_label.property("state") == state:
            return
        self.mode_label.setText(text)
        self.mode_label.setProperty("state", state)
        self.mode_label.style().unpolish(self.mode_label)
        self.mode_label.style().polish(self.mode_label)

    def show_snapshot(self, snapshot: FeedSnapshot) -> Figures:
        counters = snapshot.counters
        run = self._run.observe(counters, snapshot.inflight_bytes)
        self._meter.add(snapshot.moved_total, snapshot.at)
        self._file_meter.add(counters.done + counters.failed + counters.skipped, snapshot.at)
        rate, file_rate = self._meter.rate(), self._file_meter.rate()
        eta = self._eta(run, counters) if counters.pending else None
        idle_full = not run.files_total and counters.total > 0  # nothing left: all done
        figures = Figures(
            counters.queued, counters.uploading, counters.done, counters.failed, counters.skipped,
            run.bytes_done, run.bytes_total, rate, eta, run.files_done, run.files_total,
            file_rate, 1.0 if idle_full else run.fraction, 100 if idle_full else run.percent,
        )  # fmt: skip
        self.figures = figures
        for key in ("queued", "done", "failed", "skipped"):
            self.set_tile(key, getattr(counters, key))
        self.set_tile("running", counters.uploading)  # here; a shared queue's workers run:
        if counters.sent and "sent" not in self.tiles:  # the Sent tile, from the first one on
            self.add_tile("sent", theme.SENT_LABEL, theme.SENT)
        if "sent" in self.tiles:
            self.set_tile("sent", counters.sent)
        self.bar.set_fraction(figures.fraction)
        self.bytes_label.setText(self._describe(figures, counters))
        self.percent_label.setText(f"{figures.percent} %" if counters.total else "")
        self.chart.add_sample(snapshot.at, rate, file_rate)
        return figures

    def _eta(self, run: RunFigures, counters: Counters) -> float | None:
        """When this window will have uploaded what is left here, at its own pace. The
        jobs out on a shared queue are a worker fleet's, whose pace it does not see: not
        counted (no ETA when only they are left)."""
        files_left = run.files_left - counters.sent
        if files_left <= 0:
            return None
        bytes_left = max(0, run.bytes_left - counters.bytes_sent)
        if bytes_left:
            return self._meter.eta(bytes_left)
        rate = self._file_meter.rate()  # zero-byte files: by files
        return files_left / rate if rate > 0 else None

    def _describe(self, figures: Figures, counters: Counters) -> str:
        total, pending = counters.total, counters.pending
        if total == 0:
            return "Nothing queued yet"
        to_decide = [f"{counters.waiting:,} to decide"] if counters.waiting else []
        if not figures.files_total:
            return "  ·  ".join([f"Nothing waiting · {total:,} in the list", *to_decide])
        parts = [
            f"{format_bytes(figures.bytes_done)} of {format_bytes(figures.bytes_total)}",
            f"{figures.files_done:,} of {figures.files_total:,} files",
        ]
        if pending and self.running:
            parts.append(f"{format_bytes(figures.rate)}/s")
            parts.append(f"{figures.file_rate:,.1f} files/s")
            parts.append(f"ETA {format_duration(figures.eta)}")
        elif pending - counters.sent:
            parts.append(f"{pending - counters.sent:,} waiting")  # for this window
        if counters.sent:
            parts.append(f"{counters.sent:,} on the shared queue")
        return "  ·  ".join([*parts, *to_decide])
