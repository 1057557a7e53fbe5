"""Where the executor takes jobs from and where it reports them: the queue seam.

`UploadExecutor` knows nothing about SQLite: it claims jobs from a `JobSource`
and reports each result to a `JobSink`. `StoreQueue` is both over the local job
store (the window, ``upload``, ``watch``); a worker that feeds the executor from
another queue (SQS) provides its own pair: claim = receive + lease, done = ack
(delete the message), failed = to the dead-letter queue or back, released =
change the visibility so another worker takes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hma_gui.core.jobs.grouped_done import GroupedDone
from hma_gui.core.jobs.lifecycle import DoneMark
from hma_gui.core.jobs.records import Job
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.upload.multipart_state import MultipartJournal
from hma_gui.core.upload.upload_config import UploadResult


class JobSource(Protocol):
    """Hands out jobs to run. A claimed job belongs to this executor until reported."""

    def claim(self, limit: int) -> list[Job]:
        """Up to `limit` jobs, now running for this process; [] when there is none."""
        ...

    def unclaim(self, jobs: Sequence[Job]) -> None:
        """Claimed jobs that were never started go back, their attempt not counted."""
        ...


class JobSink(Protocol):
    """Receives the result of each started job."""

    def done(self, job: Job, result: UploadResult) -> None: ...

    def failed(self, job: Job, error: str, *, retryable: bool) -> None: ...

    def released(self, job: Job) -> None:
        """The upload was interrupted (cancel, shutdown): the job is to run again later."""
        ...

    def journal(self, job: Job) -> MultipartJournal | None:
        """Where the job's multipart upload is remembered (None: a new one each try)."""
        ...

    def look_first(self, job: Job) -> bool:
        """True when an earlier attempt may have written the job's key: the uploader
        asks S3 before sending, and the file's bytes there are not sent again."""
        ...

    def flush(self) -> None:
        """Reports handed over and not written yet are written now (the run ends)."""
        ...


class StoreQueue:
    """`JobSource` and `JobSink` over the durable job store, optionally one batch only."""

    def __init__(
        self, store: JobStore, batch_id: int | None = None, *, claim_bytes: int | None = None
    ) -> None:
        """`claim_bytes`: a claim takes jobs up to this many bytes of files (one at least)."""
        self.store = store
        self.batch_id = batch_id
        self.claim_bytes = claim_bytes
        self._done = GroupedDone(store.mark_done_many)  # a transaction per group, not per file

    def claim(self, limit: int) -> list[Job]:
        return self.store.claim(limit, self.batch_id, max_bytes=self.claim_bytes)

    def unclaim(self, jobs: Sequence[Job]) -> None:
        if jobs:
            self.store.unclaim([job.id for job in jobs])

    def done(self, job: Job, result: UploadResult) -> None:
        self._done.add(DoneMark(job.id, result.etag, result.md5, result.size, result.mtime_ns))

    def flush(self) -> None:
        self._done.flush()

    def failed(self, job: Job, error: str, *, retryable: bool) -> None:
        self.store.mark_failed(job.id, error, retryable=retryable)

    def released(self, job: Job) -> None:
        self.store.release([job.id])

    def journal(self, job: Job) -> MultipartJournal | None:
        return self.store.multipart.journal(job.id)

    def look_first(self, job: Job) -> bool:
        # Tried before: a process killed between its PUT and the job's done mark, a
        # failure whose request may have landed, an upload again. (A claim never
        # started gives its attempt back: `unclaim`.)
        return job.attempts > 1
