"""The queue's buttons: Start, Pause/Resume, Stop, the Parallel and Limit spin boxes.

They sit in the counters card and follow the queue's mode and the latest
counters: Start only when stopped, Pause turns into Resume, both Pause and
Stop only while there is something to pause or stop. Stop (WinSCP's word)
stops: files stay queued; Clear queue… (the jobs table) removes them.
Banners that a start answers (resume offer, halt) are cleared by `start`;
after a halt, `start` probes the endpoint first (`ResumeGate`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QPoint, QRect, QSize
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyleOptionSpinBox,
    QWidget,
)

from hma_gui.core.errors import ConfigError
from hma_gui.core.jobs.records import Counters
from hma_gui.ui import icons, theme
from hma_gui.ui.queue.counters_panel import CountersPanel
from hma_gui.ui.queue.resume_gate import ResumeGate
from hma_gui.ui.queue.upload_queue import QueueMode, UploadQueue
from hma_gui.ui.shell.banner import Banner

_MODE_TEXT = {
    QueueMode.RUNNING: ("Running", "running"),
    QueueMode.PAUSED: ("Paused", "paused"),
    QueueMode.STOPPED: ("Stopped", "stopped"),
}

MiB = 1024 * 1024
logger = logging.getLogger(__name__)

# Banners that starting the queue answers.
_STARTED_TOPICS = ("resume", "halted")


class _SpinBox(QSpinBox):
    """As wide as `sample` (or the special value's text) needs, not as its maximum
    (100000 MiB/s) plus the room the style sheet's padding and buttons are counted with
    twice: the queue card's header wraps less (two lines at 512 points, not three)."""

    def __init__(self, sample: str) -> None:
        super().__init__()
        self._sample = sample

    def _narrower(self, hint: QSize) -> QSize:
        option = QStyleOptionSpinBox()
        self.initStyleOption(option)
        option.rect = QRect(QPoint(0, 0), hint)
        field = QStyle.SubControl.SC_SpinBoxEditField  # where the line edit goes
        edit = self.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, option, field, self)
        metrics = self.fontMetrics()
        need = max(metrics.horizontalAdvance(t) for t in (self._sample, self.specialValueText()))
        spare = edit.width() - need - 8  # the cursor and some air
        return QSize(hint.width() - max(0, spare), hint.height())

    def sizeHint(self) -> QSize:
        return self._narrower(super().sizeHint())

    def minimumSizeHint(self) -> QSize:
        return self._narrower(super().minimumSizeHint())


def _labelled(label: QLabel, box: QSpinBox) -> QWidget:
    """The label and its spin box on one line, kept together when the row wraps."""
    pair = QWidget()
    layout = QHBoxLayout(pair)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    layout.addWidget(label)
    layout.addWidget(box)
    return pair


class QueueControls(QObject):
    def __init__(
        self,
        queue: UploadQueue,
        counters: CountersPanel,
        banner: Banner,
        parent: QObject,
        gate: ResumeGate | None = None,
    ) -> None:
        super().__init__(parent)
        self.queue = queue
        self.gate = gate  # after a halt, Start/Resume probe the endpoint first
        self.panel = counters
        self.banner = banner
        self.counters: Counters | None = None
        self._remember: Callable[[dict[str, Any]], object] | None = None

        self.start_button = QPushButton(icons.icon("play", "#ffffff"), "Start")
        self.start_button.setProperty("role", "primary")
        self.start_button.setToolTip("Start uploading the queue (Ctrl+Return)")
        self.pause_button = QPushButton(icons.icon("pause", theme.TEXT_SECONDARY), "Pause")
        self.pause_button.setToolTip("No new upload starts; running ones finish (Ctrl+P)")
        self.cancel_button = QPushButton(icons.icon("stop", theme.DANGER), "Stop")
        self.cancel_button.setToolTip(
            "Stop now: running uploads go back to the queue; every file stays queued for "
            "Start (Ctrl+.). To empty the queue: Clear queue…"
        )
        self.concurrency = _SpinBox("64")
        self.concurrency.setRange(1, 64)
        self.concurrency.setValue(queue.concurrency)
        self.concurrency.setToolTip("Parallel uploads now (the default is in Settings)")
        label = QLabel("Parallel")
        label.setProperty("role", "muted")
        self.bwlimit = _SpinBox("9999 MiB/s")
        self.bwlimit.setRange(0, 100_000)
        self.bwlimit.setSuffix(" MiB/s")
        self.bwlimit.setSpecialValueText("No limit")
        self.bwlimit.setValue(queue.bwlimit // MiB)
        self.bwlimit.setToolTip(
            "Bandwidth for all uploads together, changed at once for those running too "
            "(0: no limit; HMA_BWLIMIT sets the default)"
        )
        limit_label = QLabel("Limit")
        limit_label.setProperty("role", "muted")
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.VLine)
        separator.setProperty("role", "separator")

        controls = counters.controls  # a row that wraps: the card may be 512 points wide
        for widget in (self.start_button, self.pause_button, self.cancel_button, separator):
            controls.addWidget(widget)
        controls.addWidget(_labelled(label, self.concurrency))  # a label stays with its box
        controls.addWidget(_labelled(limit_label, self.bwlimit))

        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(queue.cancel)
        self.concurrency.valueChanged.connect(queue.set_concurrency)
        self.concurrency.valueChanged.connect(self._save_concurrency)
        self.bwlimit.valueChanged.connect(lambda mib: queue.set_bwlimit(mib * MiB))
        queue.mode_changed.connect(self.show_mode)
        self.show_mode(queue.mode)

    def remember_with(self, save: Callable[[dict[str, Any]], object]) -> None:
        """Save a changed *Parallel* value with `save` (`Session.update_settings`): the
        next start uses it, and Settings shows it as the default."""
        self._remember = save

    def _save_concurrency(self, count: int) -> None:
        if self._remember is None:
            return
        try:
            self._remember({"concurrency": count})
        except ConfigError as exc:  # a read-only settings file: this run still uses it
            logger.warning("cannot remember %d parallel uploads: %s", count, exc)

    def start(self) -> None:
        for topic in _STARTED_TOPICS:
            self.banner.clear(topic)
        if self.gate is not None:
            self.gate.release(self.queue.start)
        else:
            self.queue.start()

    def toggle_pause(self) -> None:
        if self.queue.mode is QueueMode.RUNNING:
            self.queue.pause()
        else:
            self.start()

    def set_default_concurrency(self, count: int) -> None:
        """Show a new default from Settings without re-sending it to the queue."""
        self.concurrency.blockSignals(True)
        self.concurrency.setValue(count)
        self.concurrency.blockSignals(False)

    def show_bwlimit(self, rate: int) -> None:
        """Show the limit the uploader started with, without re-sending it to the queue."""
        self.bwlimit.blockSignals(True)
        self.bwlimit.setValue(rate // MiB)
        self.bwlimit.blockSignals(False)

    def show_counters(self, counters: Counters) -> None:
        self.counters = counters
        self.show_mode(self.queue.mode)

    def show_mode(self, mode: QueueMode) -> None:
        text, state = _MODE_TEXT[mode]
        counters = self.counters
        if mode is QueueMode.RUNNING and not (counters and counters.pending):
            text = "Ready"  # running, with nothing to do: the next drop starts at once
        self.panel.set_mode(text, state)
        paused = mode is QueueMode.PAUSED
        label = "Resume" if paused else "Pause"
        if self.pause_button.text() != label:
            self.pause_button.setText(label)
            self.pause_button.setIcon(
                icons.icon("play" if paused else "pause", theme.TEXT_SECONDARY)
            )
        pending = counters.pending if counters else 0
        self.start_button.setEnabled(mode is QueueMode.STOPPED)
        running = bool(counters and counters.running)
        self.pause_button.setEnabled(paused or (mode is QueueMode.RUNNING and pending > 0))
        self.cancel_button.setEnabled(running or (mode is not QueueMode.STOPPED and pending > 0))
        self.start_button.setToolTip(
            f"Start uploading {pending:,} queued files (Ctrl+Return)"
            if pending
            else "Start (Ctrl+Return)"
        )
