"""Running upload jobs: one job (`process_job`) and a thread-pool runner for the CLI.

The GUI runs `process_job` from its own `QThreadPool`; the CLI and the
watcher use `UploadRunner`. Both share a `RunGuard`, which stops a run at the
first authentication error (every other request would fail alike) and fails
fast once the endpoint has been unreachable several times in a row, instead of
spending minutes of retries per file on a dead endpoint.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hma_gui.core.errors import (
    AuthError,
    Cancelled,
    DiskFullError,
    HmaError,
    SourceFileError,
    UploadError,
)
from hma_gui.core.jobs.store import Counters, Job, JobState, JobStore
from hma_gui.core.progress import ByteProgress, CancelToken
from hma_gui.core.s3.client import is_connection_error
from hma_gui.core.upload.uploader import Uploader

logger = logging.getLogger(__name__)

UNREACHABLE_LIMIT = 3  # consecutive "cannot connect" failures before failing fast
CHANGED_FILE_TRIES = 2


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job: Job
    state: JobState
    error: str | None = None
    etag: str | None = None


class RunGuard:
    """Shared judgement of a run: stop on bad credentials, fail fast on a dead endpoint."""

    def __init__(self, cancel: CancelToken, unreachable_limit: int = UNREACHABLE_LIMIT) -> None:
        self._cancel = cancel
        self._limit = unreachable_limit
        self._lock = threading.Lock()
        self._unreachable = 0
        self._unreachable_reason: str | None = None
        self.stop_reason: str | None = None

    def fail_fast_reason(self) -> str | None:
        with self._lock:
            if self._unreachable >= self._limit:
                return self._unreachable_reason
            return None

    def record(self, error: HmaError | None) -> None:
        with self._lock:
            if error is None:
                self._unreachable = 0
                return
            if isinstance(error, AuthError):
                self.stop_reason = str(error)
                self._cancel.cancel(str(error))
            elif isinstance(error, UploadError) and is_connection_error(error):
                self._unreachable += 1
                self._unreachable_reason = str(error)

    def stop(self, reason: str) -> None:
        """Stop the run for a reason every job would meet alike (a full disk)."""
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
        self._cancel.cancel(reason)

    def reset(self) -> None:
        with self._lock:
            self._unreachable = 0
            self.stop_reason = None


def process_job(
    job: Job,
    *,
    store: JobStore,
    uploader: Uploader,
    progress: ByteProgress,
    cancel: CancelToken,
    guard: RunGuard | None = None,
) -> JobOutcome:
    """Upload one claimed (running) job and record the result in the store."""
    if job.bucket is None or job.key is None:
        store.mark_failed(job.id, job.error or "no S3 target", retryable=False)
        return JobOutcome(job, JobState.FAILED, job.error)
    fast_fail = guard.fail_fast_reason() if guard else None
    if fast_fail:
        message = f"{fast_fail} (not attempted)"
        store.mark_failed(job.id, message, retryable=True)
        return JobOutcome(job, JobState.FAILED, message)
    sink = progress.sink(job.id, job.size)
    error: HmaError | None = None
    try:
        for attempt in range(1, CHANGED_FILE_TRIES + 1):
            try:
                result = uploader.upload(
                    Path(job.source), job.bucket, job.key, progress=sink, cancel=cancel
                )
                break
            except SourceFileError as exc:
                if not exc.retryable or attempt == CHANGED_FILE_TRIES:
                    raise
                sink(-job.size)  # start the bar again
                cancel.wait(0.5)
    except Cancelled:
        store.release([job.id])
        return JobOutcome(job, JobState.QUEUED, "cancelled")
    except (SourceFileError, UploadError) as exc:
        error = exc
        retryable = getattr(exc, "retryable", False)
        store.mark_failed(job.id, str(exc), retryable=retryable)
        logger.warning("failed: %s -> s3://%s/%s: %s", job.source, job.bucket, job.key, exc)
        return JobOutcome(job, JobState.FAILED, str(exc))
    except Exception as exc:
        logger.exception("unexpected error uploading %s", job.source)
        store.mark_failed(job.id, f"unexpected error: {exc}", retryable=False)
        return JobOutcome(job, JobState.FAILED, str(exc))
    finally:
        progress.finish(job.id)
        if guard is not None:
            guard.record(error)
    store.mark_done(
        job.id, etag=result.etag, md5=result.md5, size=result.size, mtime_ns=result.mtime_ns
    )
    # Successes are in the job store and the ledger; the log keeps problems and run
    # summaries (a line per file cost 4 % of the CPU of a 2,000-file upload).
    logger.debug("uploaded %s -> s3://%s/%s", job.source, job.bucket, job.key)
    return JobOutcome(job, JobState.DONE, etag=result.etag)


@dataclass(frozen=True)
class RunReport:
    counters: Counters
    seconds: float
    stop_reason: str | None
    cancelled: bool


class UploadRunner:
    """Drains queued jobs (of one batch, or all) with `concurrency` threads.

    Jobs are claimed from the store `claim_batch` at a time (one transaction for
    several jobs) into a small shared buffer the workers take from. A claimed job
    waits there for milliseconds at most; jobs still there when the run stops
    (cancel, Ctrl-C, a fatal error) are handed back with `JobStore.unclaim`, and
    after a crash `recover_orphans` finds them like any other running job.
    """

    def __init__(
        self,
        store: JobStore,
        uploader: Uploader,
        *,
        concurrency: int,
        batch_id: int | None = None,
        progress: ByteProgress | None = None,
        cancel: CancelToken | None = None,
        on_outcome: Callable[[JobOutcome], None] | None = None,
        keep_running: bool = False,
        claim_batch: int | None = None,
    ) -> None:
        self.store = store
        self.uploader = uploader
        self.concurrency = max(1, concurrency)
        self.batch_id = batch_id
        self.progress = progress or ByteProgress()
        self.cancel = cancel or CancelToken()
        self.guard = RunGuard(self.cancel)
        self._on_outcome = on_outcome
        self.claim_batch = max(1, claim_batch or self.concurrency)
        self._claimed: collections.deque[Job] = collections.deque()
        self._claim_lock = threading.Lock()
        self._keep_running = keep_running  # a watcher's runner waits for work until cancelled
        self._work_arrived = threading.Event()
        self._active = 0
        self._active_lock = threading.Lock()
        self._all_done = threading.Event()

    def wake(self) -> None:
        """New jobs were queued: idle workers of a `keep_running` runner look at once."""
        self._work_arrived.set()

    def run(self) -> RunReport:
        started = time.monotonic()
        threads = [
            threading.Thread(target=self._work, name=f"upload-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        self._active = len(threads)
        self._all_done.clear()
        for thread in threads:
            thread.start()
        # Wait on our own event, not Thread.join: a KeyboardInterrupt that lands inside
        # join() can make CPython believe a running thread has stopped.
        try:
            while not self._all_done.wait(0.2):
                pass
        except KeyboardInterrupt:
            self.cancel.cancel("interrupted")
            while not self._all_done.wait(0.2):
                pass  # each worker puts its job back in the queue
            raise
        finally:
            try:
                self._unclaim_waiting()
            except DiskFullError:  # they stay "running": `resume` takes them back
                logger.warning("could not hand claimed jobs back: the disk is full")
        report = RunReport(
            counters=self.store.counters(self.batch_id),
            seconds=time.monotonic() - started,
            stop_reason=self.guard.stop_reason,
            cancelled=self.cancel.cancelled,
        )
        counters = report.counters
        logger.info(
            "upload run finished in %.1f s: %d uploaded, %d failed, %d skipped, %d not started%s",
            report.seconds,
            counters.done,
            counters.failed,
            counters.skipped,
            counters.pending,
            f" ({report.stop_reason})" if report.stop_reason else "",
        )
        return report

    def _next_job(self) -> Job | None:
        with self._claim_lock:
            if self.cancel.cancelled:
                return None  # what is waiting is handed back by `run`
            if not self._claimed:
                self._claimed.extend(self.store.claim(self.claim_batch, self.batch_id))
            return self._claimed.popleft() if self._claimed else None

    def _unclaim_waiting(self) -> None:
        with self._claim_lock:
            waiting = [job.id for job in self._claimed]
            self._claimed.clear()
        if waiting:
            self.store.unclaim(waiting)

    def _work(self) -> None:
        try:
            self._drain()
        except DiskFullError as exc:  # the job store cannot write: every job would fail alike
            logger.error("%s", exc)
            self.guard.stop(str(exc))
        finally:
            with self._active_lock:
                self._active -= 1
                if self._active == 0:
                    self._all_done.set()

    def _drain(self) -> None:
        while not self.cancel.cancelled:
            job = self._next_job()
            if job is None:
                if not self._keep_running or self.cancel.cancelled:
                    return
                self._work_arrived.wait(0.5)
                self._work_arrived.clear()
                continue
            outcome = process_job(
                job,
                store=self.store,
                uploader=self.uploader,
                progress=self.progress,
                cancel=self.cancel,
                guard=self.guard,
            )
            if self._on_outcome is not None:
                try:
                    self._on_outcome(outcome)
                except Exception:  # a reporting bug must not stop uploads
                    logger.exception("outcome callback failed")
