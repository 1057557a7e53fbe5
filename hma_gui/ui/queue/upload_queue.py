"""The window's upload queue: a thin Qt adapter over the core's `UploadExecutor`.

The executor (pause, resume, cancel, concurrency, fail-fast on a dead endpoint)
is the one ``upload`` and ``watch`` use; it runs its own worker threads, at a
lower priority so that the window's thread gets the CPU first. This adapter only
turns its events, called on worker threads, into signals delivered on the main
thread, and words the banner text. With a shared queue set (`forward_to`), the
executor's claims are sent there instead (`ForwardingStoreQueue`): every job
that becomes runnable in the window, whatever made it so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from hma_gui.core.jobs.store import JobStore
from hma_gui.core.progress import ByteProgress
from hma_gui.core.queue.store_forwarding import Forward, ForwardingStoreQueue
from hma_gui.core.upload.executor import QueueMode, UploadExecutor
from hma_gui.core.upload.job_run import JobOutcome
from hma_gui.core.upload.job_source import StoreQueue
from hma_gui.core.upload.uploader import Uploader
from hma_gui.ui.tasks import lower_thread_priority

__all__ = ["QueueMode", "UploadQueue"]

logger = logging.getLogger(__name__)


class UploadQueue(QObject):
    mode_changed = Signal(object)  # QueueMode
    halted = Signal(str)  # the queue paused or stopped by itself; the reason for a banner
    idle = Signal()  # the last worker left

    # from worker threads, delivered on the main thread
    _mode_event = Signal(object, object)  # QueueMode, reason or None
    _idle_event = Signal()

    def __init__(
        self,
        store: JobStore,
        progress: ByteProgress,
        concurrency: int,
        *,
        forward_to: Callable[[], Forward | None] | None = None,
    ) -> None:
        """`forward_to`: while it names a shared queue, claimed jobs go there instead."""
        super().__init__()
        queue = StoreQueue(store) if forward_to is None else ForwardingStoreQueue(store, forward_to)
        self.executor = UploadExecutor(
            queue,
            queue,
            concurrency=concurrency,
            progress=progress,
            listener=self,
            thread_setup=lower_thread_priority,
        )
        self.source = queue
        # Auto connections: queued from a worker thread, direct from the main thread
        # (a click on Pause updates the controls at once).
        self._mode_event.connect(self._relay_mode)
        self._idle_event.connect(self.idle)

    # ------------------------------------------------------------- ExecutorListener

    def on_outcome(self, outcome: JobOutcome) -> None:
        return None  # the table and the counters read the job store on a timer

    def on_mode(self, mode: QueueMode, reason: str | None) -> None:
        self._mode_event.emit(mode, reason)

    def on_idle(self) -> None:
        self._idle_event.emit()

    @Slot(object, object)
    def _relay_mode(self, mode: QueueMode, reason: str | None) -> None:
        self.mode_changed.emit(mode)
        if reason is None:
            return
        if mode is QueueMode.PAUSED:
            short = reason.split(": ", 1)[0]  # "cannot reach <endpoint>"; the rest is in the log
            self.halted.emit(
                f"Uploads paused: {short}. The queue is kept; press Resume when it is back."
            )
        else:
            self.halted.emit(f"Uploads stopped: {reason}")

    # ------------------------------------------------------------- state and controls

    @property
    def mode(self) -> QueueMode:
        return self.executor.mode

    @property
    def concurrency(self) -> int:
        return self.executor.concurrency

    @property
    def active_workers(self) -> int:
        return self.executor.active_workers

    @property
    def has_uploader(self) -> bool:
        return self.executor.has_uploader

    @property
    def started_jobs(self) -> int:
        return self.executor.started_jobs

    def start(self) -> None:
        self.executor.start()

    def resume(self) -> None:
        self.executor.resume()

    def pause(self) -> None:
        self.executor.pause()

    def cancel(self) -> None:
        self.executor.cancel()

    def set_concurrency(self, count: int) -> None:
        self.executor.set_concurrency(count)

    @property
    def bwlimit(self) -> int:
        return self.executor.bwlimit

    def set_bwlimit(self, rate: int) -> None:
        self.executor.set_bwlimit(rate)

    def set_uploader(self, uploader: Uploader) -> None:
        self.executor.set_uploader(uploader)

    def kick(self) -> None:
        """There may be new work: start workers up to the concurrency."""
        self.executor.wake()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        return self.executor.shutdown(timeout_ms / 1000)
