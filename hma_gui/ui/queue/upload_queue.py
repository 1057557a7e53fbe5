"""The upload queue: `process_job` run by workers on a `QThreadPool` sized by settings.

Each worker is a `QRunnable` that claims one job at a time from the durable
store and runs the core's `process_job` on it, until the queue is empty,
paused, cancelled, or there are more workers than the concurrency allows.

* **start / resume**: workers are started up to the concurrency;
* **pause**: no new job starts; uploads in flight finish;
* **cancel**: uploads in flight stop at the next part and go back to
  ``queued`` (the core's `Cancelled` → `release` path): nothing is lost;
* **concurrency** changes while running: more workers start at once; extra
  ones leave after their current job.

A `RunGuard` judges the run: bad credentials stop it (every request would fail
alike), a dead endpoint pauses it with the reason, so that the rest of the
queue is not burnt through as failures.
"""

from __future__ import annotations

import logging
import threading
from enum import Enum

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from hma_gui.core.errors import DiskFullError
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.progress import ByteProgress, CancelToken
from hma_gui.core.upload.runner import RunGuard, process_job
from hma_gui.core.upload.uploader import Uploader
from hma_gui.ui.tasks import lower_thread_priority

logger = logging.getLogger(__name__)


class QueueMode(Enum):
    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"


class _Run:
    """What the workers of one run share: its cancel token and its guard."""

    def __init__(self) -> None:
        self.cancel = CancelToken()
        self.guard = RunGuard(self.cancel)


class UploadQueue(QObject):
    mode_changed = Signal(object)  # QueueMode
    halted = Signal(str)  # the queue paused or stopped by itself; the reason for a banner
    idle = Signal()  # the last worker left

    _worker_left = Signal()  # from worker threads, delivered on the main thread

    def __init__(self, store: JobStore, progress: ByteProgress, pool: QThreadPool) -> None:
        super().__init__()
        self._store = store
        self._progress = progress
        self._pool = pool
        self._lock = threading.Lock()
        self._mode = QueueMode.STOPPED
        self._target = pool.maxThreadCount()
        self._live = 0
        self._kick = 0
        self._run = _Run()
        self._cancelling = False
        self._halt_reason: str | None = None
        self._uploader: Uploader | None = None
        self._retired: list[Uploader] = []
        self.started_jobs = 0  # claimed by this queue since it was built
        self._worker_left.connect(self._on_worker_left, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------- state

    @property
    def mode(self) -> QueueMode:
        return self._mode

    @property
    def concurrency(self) -> int:
        return self._target

    @property
    def active_workers(self) -> int:
        with self._lock:
            return self._live

    @property
    def has_uploader(self) -> bool:
        return self._uploader is not None

    def _set_mode(self, mode: QueueMode) -> None:
        with self._lock:
            changed = mode is not self._mode
            self._mode = mode
        if changed:
            self.mode_changed.emit(mode)

    # ------------------------------------------------------------- controls

    def start(self) -> None:
        """Run (or resume) the queue: jobs start up to the concurrency."""
        self._run.guard.reset()
        self._set_mode(QueueMode.RUNNING)
        self.kick()

    def resume(self) -> None:
        self.start()

    def pause(self) -> None:
        """No new job starts; uploads in flight finish."""
        if self._mode is QueueMode.RUNNING:
            self._set_mode(QueueMode.PAUSED)

    def cancel(self) -> None:
        """Stop now: uploads in flight go back to queued, the queue stops."""
        self._set_mode(QueueMode.STOPPED)
        if self.active_workers:
            self._cancelling = True
            self._run.cancel.cancel("cancelled by the user")

    def set_concurrency(self, count: int) -> None:
        count = max(1, count)
        self._pool.setMaxThreadCount(count)
        with self._lock:
            self._target = count
        self.kick()

    def set_uploader(self, uploader: Uploader) -> None:
        """Jobs claimed from now on use `uploader`; the old one closes once idle."""
        old, self._uploader = self._uploader, uploader
        if old is not None and old is not uploader:
            self._retired.append(old)
            self._close_retired()
        self.kick()

    def kick(self) -> None:
        """There may be new work: start workers up to the concurrency."""
        if self._mode is not QueueMode.RUNNING or self._uploader is None or self._cancelling:
            return
        with self._lock:
            self._kick += 1
            wanted = self._target - self._live
            if wanted <= 0:
                return
            self._live += wanted
        run = self._run
        for _ in range(wanted):
            self._pool.start(_Worker(self, run))

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel, wait for the workers to finish or release their jobs, close uploaders."""
        self._set_mode(QueueMode.STOPPED)
        self._run.cancel.cancel("the app is closing")
        finished = self._pool.waitForDone(timeout_ms)
        if not finished:
            logger.warning("uploads still running after %d ms; they resume next start", timeout_ms)
        for uploader in [*self._retired, self._uploader]:
            if uploader is not None and finished:
                uploader.close()
        self._retired.clear()
        return finished

    # ------------------------------------------------------------- workers

    def _work(self, run: _Run) -> None:
        """One worker: claim, upload, repeat. Runs on the upload pool."""
        while True:
            with self._lock:
                if (
                    self._mode is not QueueMode.RUNNING
                    or run.cancel.cancelled
                    or self._live > self._target
                    or self._uploader is None
                ):
                    break
                seen_kick = self._kick
                uploader = self._uploader
            reason = run.guard.fail_fast_reason()
            if reason:
                self._halt(QueueMode.PAUSED, reason)
                break
            jobs = self._store.claim(1)
            if not jobs:
                with self._lock:
                    if self._kick != seen_kick:  # work arrived while we looked: look again
                        continue
                break
            with self._lock:
                paused = self._mode is not QueueMode.RUNNING or run.cancel.cancelled
                if not paused:
                    self.started_jobs += 1
            if paused:  # paused while claiming: the job waits in the queue
                self._store.release([jobs[0].id])
                break
            try:
                process_job(
                    jobs[0],
                    store=self._store,
                    uploader=uploader,
                    progress=self._progress,
                    cancel=run.cancel,
                    guard=run.guard,
                )
            except DiskFullError as exc:  # every job would fail alike; resumable on restart
                run.guard.stop(str(exc))
                break
            except Exception:  # the store failed under process_job: keep the job resumable
                logger.exception("worker error on %s", jobs[0].source)
                self._store.release([jobs[0].id])
                break
        with self._lock:
            self._live -= 1
        self._worker_left.emit()

    def _halt(self, mode: QueueMode, reason: str) -> None:
        with self._lock:
            if self._mode is QueueMode.RUNNING:
                self._mode = mode
                self._halt_reason = reason

    @Slot()
    def _on_worker_left(self) -> None:
        if self._halt_reason is not None:  # a worker paused the run (dead endpoint)
            reason, self._halt_reason = self._halt_reason, None
            logger.warning("uploads paused: %s", reason)
            self.mode_changed.emit(self._mode)
            short = reason.split(": ", 1)[0]  # "cannot reach <endpoint>"; the rest is in the log
            self.halted.emit(
                f"Uploads paused: {short}. The queue is kept; press Resume when it is back."
            )
        if self.active_workers:
            return
        run = self._run
        stop_reason = run.guard.stop_reason
        restart = False
        if run.cancel.cancelled or self._cancelling:
            self._run = _Run()  # a fresh token for the next start
            self._cancelling = False
            if stop_reason:
                self._set_mode(QueueMode.STOPPED)
                logger.error("uploads stopped: %s", stop_reason)
                self.halted.emit(f"Uploads stopped: {stop_reason}")
            restart = self._mode is QueueMode.RUNNING  # started again while winding down
        self._close_retired()
        self.idle.emit()
        if restart:
            self.kick()

    def _close_retired(self) -> None:
        if self.active_workers:
            return
        for uploader in self._retired:
            uploader.close()
        self._retired.clear()


class _Worker(QRunnable):
    def __init__(self, queue: UploadQueue, run: _Run) -> None:
        super().__init__()
        self._queue = queue
        self._run = run

    def run(self) -> None:
        lower_thread_priority()
        self._queue._work(self._run)
