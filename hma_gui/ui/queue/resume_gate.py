"""Resume after the queue paused itself on a dead endpoint: probe first, then release.

The queue pauses itself when uploads cannot reach the endpoint (`RunGuard`).
Resume used to release it at once, and every press failed a few more files
before the guard paused it again. The gate asks the endpoint once
(`probe_endpoint`, on a pool); only when it answers is the queue started, and
the files that failed on the way down are queued again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, Signal

from hma_gui.core.config.settings import Settings
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.s3.probe import probe_endpoint
from hma_gui.ui.queue.upload_queue import QueueMode, UploadQueue
from hma_gui.ui.tasks import run_task

logger = logging.getLogger(__name__)

Probe = Callable[[Settings], str | None]


class ResumeGate(QObject):
    checking = Signal(str)  # the endpoint asked
    still_down = Signal(str)  # why it did not answer: the queue stays paused
    released = Signal(int)  # it answered: the queue runs; failed files queued again

    def __init__(
        self,
        queue: UploadQueue,
        store: JobStore,
        pool: QThreadPool,
        settings: Callable[[], Settings],
        probe: Probe = probe_endpoint,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._queue = queue
        self._store = store
        self._pool = pool
        self._settings = settings
        self._probe = probe
        self.halted = False  # the queue paused itself; the next resume probes first
        self.busy = False
        queue.halted.connect(self._on_halted)

    def _on_halted(self, _reason: str) -> None:
        self.halted = self._queue.mode is QueueMode.PAUSED

    def release(self, start: Callable[[], None]) -> None:
        """`start` the queue now, or once the endpoint answers (after a halt)."""
        if not self.halted:
            start()
            return
        if self.busy:
            return
        self.busy = True
        settings = self._settings()
        self.checking.emit(settings.effective_endpoint() or "S3")
        store, probe = self._store, self._probe

        def check() -> tuple[str | None, int]:
            error = probe(settings)
            return error, 0 if error else store.retry_failed(only_retryable=True)

        def done(result: tuple[str | None, int]) -> None:
            self.busy = False
            error, again = result
            if error:
                logger.warning("still unreachable: %s", error)
                self.still_down.emit(error)
                return
            self.halted = False
            start()
            self.released.emit(again)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.still_down.emit(str(exc))

        run_task(self._pool, check, done, failed)
