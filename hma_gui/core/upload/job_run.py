"""Running one upload job (`process_job`) and judging a run of them (`RunGuard`).

`UploadExecutor`'s workers call `process_job` for each claimed job. A run's
`RunGuard` stops it at the first authentication error (every other request would
fail alike) and tells the executor to pause once the endpoint has been
unreachable several times in a row, instead of spending minutes of retries per
file on a dead endpoint.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from hma_gui.core.errors import AuthError, Cancelled, HmaError, SourceFileError, UploadError
from hma_gui.core.jobs.records import Job, JobState
from hma_gui.core.progress import ByteProgress, CancelToken
from hma_gui.core.s3.client import is_connection_error
from hma_gui.core.upload.conditions import Expected
from hma_gui.core.upload.job_source import JobSink
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
    sink: JobSink,
    uploader: Uploader,
    progress: ByteProgress,
    cancel: CancelToken,
    guard: RunGuard | None = None,
) -> JobOutcome:
    """Upload one claimed (running) job and report the result to `sink`."""
    if job.bucket is None or job.key is None:
        sink.failed(job, job.error or "no S3 target", retryable=False)
        return JobOutcome(job, JobState.FAILED, job.error)
    bytes_sink = progress.sink(job.id, job.size)
    error: HmaError | None = None
    try:
        for attempt in range(1, CHANGED_FILE_TRIES + 1):
            try:
                result = uploader.upload(
                    job.source,
                    job.bucket,
                    job.key,
                    progress=bytes_sink,
                    cancel=cancel,
                    expected=Expected.from_stored(job.expected_etag),
                    journal=sink.journal(job),
                    earlier_attempt=sink.look_first(job),
                )
                break
            except SourceFileError as exc:
                if not exc.retryable or attempt == CHANGED_FILE_TRIES:
                    raise
                bytes_sink(-job.size)  # start the bar again
                cancel.wait(0.5)
    except Cancelled:
        sink.released(job)
        return JobOutcome(job, JobState.QUEUED, "cancelled")
    except (SourceFileError, UploadError) as exc:
        error = exc
        retryable = getattr(exc, "retryable", False)
        sink.failed(job, str(exc), retryable=retryable)
        logger.warning("failed: %s -> s3://%s/%s: %s", job.source, job.bucket, job.key, exc)
        return JobOutcome(job, JobState.FAILED, str(exc))
    except Exception as exc:
        logger.exception("unexpected error uploading %s", job.source)
        sink.failed(job, f"unexpected error: {exc}", retryable=False)
        return JobOutcome(job, JobState.FAILED, str(exc))
    finally:
        progress.finish(job.id)
        if guard is not None:
            guard.record(error)
    sink.done(job, result)
    # Successes are in the job store and the ledger; the log keeps problems and run
    # summaries (a line per file cost 4 % of the CPU of a 2,000-file upload).
    logger.debug("uploaded %s -> s3://%s/%s", job.source, job.bucket, job.key)
    return JobOutcome(job, JobState.DONE, etag=result.etag)
