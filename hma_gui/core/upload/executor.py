"""The upload executor: one for the window, ``upload``, ``resume``, ``watch`` and workers.

Worker threads claim jobs from a `JobSource`, upload each with `process_job` and
report it to a `JobSink` (`StoreQueue` for the local job store; a queue worker
brings its own pair). Workers start on demand up to the concurrency and leave
when there is no work, so an idle executor holds no thread; `wake()` says that
new work may have arrived.

* **start / resume**: workers start up to the concurrency;
* **pause**: no new job starts; uploads in flight finish;
* **cancel**: uploads in flight stop at the next part and are released (back
  to ``queued`` in the store): nothing is lost;
* **concurrency** can change while running: more workers start at once; extra
  ones leave after their current job;
* **a dead endpoint pauses** the executor with the reason (the rest of the queue
  is not burnt through as failures); **bad credentials stop** it.

Events (`ExecutorListener`) are called on worker threads; the window's Qt
adapter relays them to the main thread as queued signals.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from hma_gui.core.errors import DiskFullError
from hma_gui.core.jobs.records import Job
from hma_gui.core.progress import ByteProgress, CancelToken
from hma_gui.core.upload.job_run import JobOutcome, RunGuard, process_job
from hma_gui.core.upload.job_source import JobSink, JobSource
from hma_gui.core.upload.uploader import Uploader

logger = logging.getLogger(__name__)


class QueueMode(Enum):
    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"


class ExecutorListener(Protocol):
    """What an executor tells its owner; every call may come from a worker thread."""

    def on_outcome(self, outcome: JobOutcome) -> None: ...

    def on_mode(self, mode: QueueMode, reason: str | None) -> None:
        """`reason` is set when the executor paused or stopped by itself."""
        ...

    def on_idle(self) -> None:
        """The last worker left."""
        ...


class _Run:
    """What the workers of one run share: its cancel token and its guard."""

    def __init__(self) -> None:
        self.cancel = CancelToken()
        self.guard = RunGuard(self.cancel)


class UploadExecutor:
    def __init__(
        self,
        source: JobSource,
        sink: JobSink,
        uploader: Uploader | None = None,
        *,
        concurrency: int,
        progress: ByteProgress | None = None,
        listener: ExecutorListener | None = None,
        claim_batch: int = 1,
        thread_setup: Callable[[], None] | None = None,
    ) -> None:
        self._source = source
        self._sink = sink
        self._uploader = uploader
        self.progress = progress or ByteProgress()
        self._listener = listener
        self._claim_batch = max(1, claim_batch)
        self._thread_setup = thread_setup  # e.g. the window lowers its workers' priority
        self._lock = threading.Lock()
        self._mode = QueueMode.STOPPED
        self._target = max(1, concurrency)
        self._live = 0
        self._kick = 0  # bumped by every wake: a worker that found nothing looks again
        self._run = _Run()
        self._cancelling = False
        self._claimed: collections.deque[Job] = collections.deque()
        self._retired: list[Uploader] = []
        self._bwlimit: int | None = None  # bytes/s set at run time; None: the uploader's
        self._idle = threading.Event()
        self._idle.set()
        self.started_jobs = 0  # jobs started by this executor since it was built
        self.stop_reason: str | None = None  # why it stopped by itself (bad credentials)
        self.pause_reason: str | None = None  # why it paused by itself (dead endpoint)

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

    @property
    def cancel_token(self) -> CancelToken:
        """The token of the current run (a cancel replaces it once the workers have left)."""
        return self._run.cancel

    def _set_mode(self, mode: QueueMode, reason: str | None = None) -> None:
        with self._lock:
            changed = mode is not self._mode
            self._mode = mode
        if changed:
            self._notify_mode(mode, reason)

    def _notify_mode(self, mode: QueueMode, reason: str | None) -> None:
        if self._listener is not None:
            self._listener.on_mode(mode, reason)

    # ------------------------------------------------------------- controls

    def start(self) -> None:
        """Run (or resume) the queue: jobs start up to the concurrency."""
        self._run.guard.reset()
        self.stop_reason = self.pause_reason = None
        self._set_mode(QueueMode.RUNNING)
        self.wake()

    def resume(self) -> None:
        self.start()

    def pause(self) -> None:
        """No new job starts; uploads in flight finish."""
        if self._mode is QueueMode.RUNNING:
            self._set_mode(QueueMode.PAUSED)

    def cancel(self, reason: str = "cancelled by the user") -> None:
        """Stop now: uploads in flight are released, the queue stops."""
        self._set_mode(QueueMode.STOPPED)
        with self._lock:
            live = self._live
            if live:
                self._cancelling = True
        if live:
            self._run.cancel.cancel(reason)

    def set_concurrency(self, count: int) -> None:
        with self._lock:
            self._target = max(1, count)
        self.wake()

    @property
    def bwlimit(self) -> int:
        """Bytes per second for all uploads (0: unlimited)."""
        if self._bwlimit is not None:
            return self._bwlimit
        return self._uploader.bwlimit if self._uploader is not None else 0

    def set_bwlimit(self, rate: int) -> None:
        """A new limit for every upload, those in flight included; kept across new uploaders."""
        self._bwlimit = max(0, rate)
        if self._uploader is not None:
            self._uploader.set_bwlimit(self._bwlimit)

    def set_uploader(self, uploader: Uploader) -> None:
        """Jobs started from now on use `uploader`; the old one closes once idle."""
        if self._bwlimit is not None:
            uploader.set_bwlimit(self._bwlimit)
        with self._lock:
            old, self._uploader = self._uploader, uploader
            if old is not None and old is not uploader:
                self._retired.append(old)
        self._close_retired()
        self.wake()

    def wake(self) -> None:
        """There may be new work: start workers up to the concurrency."""
        with self._lock:
            self._kick += 1
            if self._mode is not QueueMode.RUNNING or self._uploader is None or self._cancelling:
                return
            wanted = self._target - self._live
            if wanted <= 0:
                return
            self._live += wanted
            self._idle.clear()
            run = self._run
        for n in range(wanted):
            threading.Thread(
                target=self._work, args=(run,), name=f"upload-{n}", daemon=True
            ).start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no worker runs; False if `timeout` passed first."""
        return self._idle.wait(timeout)

    def run_until_idle(self) -> None:
        """Start and return once the queue has no more work (or stopped, or paused).

        Ctrl-C cancels: each worker releases its job before the interrupt goes on.
        Waits on an event, not `Thread.join`: a KeyboardInterrupt that lands inside
        join() can make CPython believe a running thread has stopped.
        """
        self.start()
        try:
            while not self._idle.wait(0.2):
                pass
        except KeyboardInterrupt:
            self.cancel("interrupted")
            while not self._idle.wait(0.2):
                pass
            raise

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Cancel, wait for the workers to release their jobs, close the uploaders."""
        self.cancel("the app is closing")
        finished = self._idle.wait(timeout)
        if not finished:
            logger.warning("uploads still running after %.0f s; they resume next start", timeout)
            return False
        with self._lock:
            uploaders = [*self._retired, self._uploader]
            self._retired.clear()
        for uploader in uploaders:
            if uploader is not None:
                uploader.close()
        return True

    # ------------------------------------------------------------- workers

    def _work(self, run: _Run) -> None:
        if self._thread_setup is not None:
            self._thread_setup()
        counted_out = False
        try:
            counted_out = self._drain(run)
        except DiskFullError as exc:  # the job store cannot write: every job would fail alike
            logger.error("%s", exc)
            run.guard.stop(str(exc))
        except Exception:  # the store failed under a job: stop this worker, keep the rest
            logger.exception("upload worker failed")
        finally:
            self._worker_left(counted_out)

    def _drain(self, run: _Run) -> bool:
        """Claim, upload, repeat; True if the worker already counted itself out."""
        while True:
            with self._lock:
                if self._live > self._target:  # the concurrency went down: leave now
                    self._live -= 1  # in the same lock, so that not all of them leave
                    return True
                if (
                    self._mode is not QueueMode.RUNNING
                    or run.cancel.cancelled
                    or self._uploader is None
                ):
                    return False
                seen_kick = self._kick
                uploader = self._uploader
            reason = run.guard.fail_fast_reason()
            if reason:
                self._halt(reason)
                return False
            job = self._next_job()
            if job is None:
                with self._lock:
                    if self._kick != seen_kick:  # work arrived while we looked: look again
                        continue
                return False
            with self._lock:
                stopped = self._mode is not QueueMode.RUNNING or run.cancel.cancelled
                if not stopped:
                    self.started_jobs += 1
            if stopped:  # paused while claiming: the job waits in the queue
                self._source.unclaim([job])
                return False
            outcome = process_job(
                job,
                sink=self._sink,
                uploader=uploader,
                progress=self.progress,
                cancel=run.cancel,
                guard=run.guard,
            )
            if self._listener is not None:
                try:
                    self._listener.on_outcome(outcome)
                except Exception:  # a reporting bug must not stop uploads
                    logger.exception("outcome listener failed")

    def _next_job(self) -> Job | None:
        """The next claimed job; claims `claim_batch` at a time (one store transaction).

        Workers that find nothing claimed claim at the same time; one may take
        every queued job while the others' claims come back empty. Those take
        their job from what the first one claimed, instead of leaving: a claim as
        large as the queue must not leave one worker to upload it alone.
        """
        with self._lock:
            if self._claimed:
                return self._claimed.popleft()
        jobs = self._source.claim(self._claim_batch)
        with self._lock:
            self._claimed.extend(jobs)
            return self._claimed.popleft() if self._claimed else None

    def _halt(self, reason: str) -> None:
        """A dead endpoint: pause with the reason (once), keep the queue."""
        with self._lock:
            if self._mode is not QueueMode.RUNNING:
                return
            self._mode = QueueMode.PAUSED
            self.pause_reason = reason
        logger.warning("uploads paused: %s", reason)
        self._notify_mode(QueueMode.PAUSED, reason)

    def _worker_left(self, counted_out: bool) -> None:
        with self._lock:
            if not counted_out:
                self._live -= 1
            if self._live:
                return
            waiting = list(self._claimed)
            self._claimed.clear()
            restart = False
            stopped_by_guard = None
            if self._run.cancel.cancelled or self._cancelling:
                stopped_by_guard = self._run.guard.stop_reason
                self._run = _Run()  # a fresh token for the next start
                self._cancelling = False
                restart = self._mode is QueueMode.RUNNING and stopped_by_guard is None
        if waiting:  # claimed, never started: back to the queue as they were
            try:
                self._source.unclaim(waiting)
            except DiskFullError:  # they stay "running": `resume` takes them back
                logger.warning("could not hand claimed jobs back: the disk is full")
        try:
            self._sink.flush()  # every finished job recorded before the run is idle
        except DiskFullError:  # they stay "running": `resume` finds them uploaded
            logger.warning("could not record finished uploads: the disk is full")
        except Exception:  # the same, for any store failure; the run still ends
            logger.exception("could not record finished uploads")
        if stopped_by_guard:
            self.stop_reason = stopped_by_guard
            logger.error("uploads stopped: %s", stopped_by_guard)
            with self._lock:
                self._mode = QueueMode.STOPPED
            self._notify_mode(QueueMode.STOPPED, stopped_by_guard)
        self._close_retired()
        if restart:  # started again while winding down
            self.wake()
        with self._lock:
            if self._live == 0:
                self._idle.set()
        if self._listener is not None:
            self._listener.on_idle()

    def _close_retired(self) -> None:
        with self._lock:
            if self._live:
                return
            retired, self._retired = self._retired, []
        for uploader in retired:
            uploader.close()
