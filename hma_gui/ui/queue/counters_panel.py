"""The counters card: tiles (queued, uploading, uploaded, failed, skipped), bytes, rate, ETA,
an overall progress bar and the throughput chart, all from one `FeedSnapshot` per tick.

Tiles are keyed, so a later feature adds its own (`add_tile("duplicates", ...)`)
and sets it with `set_tile`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.rate_meter import RateMeter, format_bytes, format_duration
from hma_gui.ui import theme
from hma_gui.ui.queue.live_feed import FeedSnapshot
from hma_gui.ui.queue.throughput_chart import ThroughputChart


@dataclass(frozen=True)
class Figures:
    """What the card shows, computed from a snapshot (kept for tests and screenshots)."""

    queued: int
    running: int
    done: int
    failed: int
    skipped: int
    bytes_done: int
    bytes_total: int
    rate: float
    eta: float | None

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 0.0


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
        painter.setBrush(QColor("#e8edf4"))
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
        self.figures: Figures | None = None
        self.running = True  # the queue's mode: rate and ETA only while it runs

        self.title = QLabel("Queue")
        self.title.setProperty("role", "cardTitle")
        self.mode_label = QLabel("Stopped")
        self.mode_label.setProperty("role", "modePill")
        self.controls = QHBoxLayout()  # the window puts Start / Pause / Cancel here
        self.controls.setSpacing(6)
        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(self.title)
        header.addWidget(self.mode_label)
        header.addStretch()
        header.addLayout(self.controls)

        self.tiles: dict[str, CounterTile] = {}
        self._tile_row = QHBoxLayout()
        self._tile_row.setSpacing(8)
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
        left.addLayout(self._tile_row)
        left.addWidget(self.bar)
        left.addLayout(stats)
        left.addStretch()

        self.chart = ThroughputChart()
        body = QGridLayout()
        body.setHorizontalSpacing(16)
        body.addLayout(left, 0, 0)
        body.addWidget(self.chart, 0, 1)
        body.setColumnStretch(0, 3)
        body.setColumnStretch(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 14)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addLayout(body)

    def add_tile(self, key: str, label: str, color: str) -> CounterTile:
        tile = CounterTile(label, color)
        self.tiles[key] = tile
        self._tile_row.addWidget(tile)
        return tile

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
        self._meter.add(snapshot.moved_total, snapshot.at)
        rate = self._meter.rate()
        inflight = snapshot.inflight_bytes
        bytes_done = counters.bytes_done + inflight
        to_upload = counters.bytes_total - counters.bytes_failed
        remaining = max(0, to_upload - bytes_done)
        eta = self._meter.eta(remaining) if counters.pending else None
        figures = Figures(
            counters.queued, counters.running, counters.done, counters.failed, counters.skipped,
            bytes_done, to_upload, rate, eta,
        )  # fmt: skip
        self.figures = figures
        for key in ("queued", "running", "done", "failed", "skipped"):
            self.set_tile(key, getattr(counters, key))
        self.bar.set_fraction(figures.fraction)
        if counters.total == 0:
            self.bytes_label.setText("Nothing queued yet")
            self.percent_label.setText("")
        else:
            parts = [f"{format_bytes(bytes_done)} of {format_bytes(to_upload)}"]
            if counters.pending and self.running:
                parts.append(f"{format_bytes(rate)}/s")
                parts.append(f"ETA {format_duration(eta)}")
            elif counters.pending:
                parts.append(f"{counters.pending:,} waiting")
            if counters.waiting:
                parts.append(f"{counters.waiting:,} to decide")
            self.bytes_label.setText("  ·  ".join(parts))
            self.percent_label.setText(f"{figures.fraction * 100:.0f} %")
        self.chart.add_sample(snapshot.at, rate)
        return figures
