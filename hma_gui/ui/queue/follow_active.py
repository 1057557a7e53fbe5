"""Keeps the running uploads in view in the jobs table.

The table lists jobs in the order they were queued, so after a few hundred
finished files the ones uploading now are below the fold. When the rows
change and no running row is visible, the view scrolls the first running one
to the top, unless the user is busy with the table: a row is selected, or
they scrolled it themselves in the last `PAUSE_SECONDS` (reading something).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QAbstractItemView, QAbstractSlider, QTableView

from hma_gui.core.jobs.store import JobState
from hma_gui.ui.queue.job_model import JobFilterProxy, JobTableModel

PAUSE_SECONDS = 15.0  # after the user scrolls, the view stays where they put it this long
DELAY_MS = 300  # rows change many times a second: look at most this often


class ActiveFollower(QObject):
    def __init__(
        self,
        view: QTableView,
        model: JobTableModel,
        proxy: JobFilterProxy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.model = model
        self.proxy = proxy
        self.enabled = True
        self._clock = clock
        self._user_scrolled_at: float | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.follow)
        for signal in (
            proxy.dataChanged,
            proxy.rowsInserted,
            proxy.modelReset,
            proxy.layoutChanged,
        ):
            signal.connect(self._schedule)
        view.verticalScrollBar().actionTriggered.connect(self._user_scrolled)

    def _schedule(self, *_args: object) -> None:
        if self.enabled and not self._timer.isActive():
            self._timer.start()

    def _user_scrolled(self, action: int) -> None:
        if action != QAbstractSlider.SliderAction.SliderNoAction.value:
            self._user_scrolled_at = self._clock()

    def _user_busy(self) -> bool:
        selection = self.view.selectionModel()
        if selection is not None and selection.hasSelection():
            return True
        scrolled = self._user_scrolled_at
        return scrolled is not None and self._clock() - scrolled < PAUSE_SECONDS

    def follow(self) -> None:
        """Scroll the first running row to the top when no running row is in view."""
        if not self.enabled or not self.view.isVisible() or self._user_busy():
            return
        jobs = self.model.jobs
        if not jobs:
            return
        viewport = self.view.viewport()
        first = self.view.rowAt(0)
        last = self.view.rowAt(viewport.height() - 1)
        first = 0 if first < 0 else first
        last = len(jobs) - 1 if last < 0 else last
        running = JobState.RUNNING
        if any(jobs[row].state is running for row in range(first, min(last, len(jobs) - 1) + 1)):
            return
        target = next((row for row, job in enumerate(jobs) if job.state is running), None)
        if target is not None:
            self.view.scrollTo(
                self.proxy.index(target, 0), QAbstractItemView.ScrollHint.PositionAtTop
            )
