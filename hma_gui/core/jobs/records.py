"""The job store's records: job states, decisions, jobs, new jobs, the upload ledger, counters.

States and decisions are stored as their enum values (codes); the words people
read are derived from them where they are shown (``ui/theme.py``, the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = "waiting"  # held at its planned key until someone decides about a duplicate
    NEEDS_SCOPE = "needs-scope"  # outside every scope folder: held until a person picks one

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.SKIPPED)


class Decision(StrEnum):
    """What was decided about a file the duplicate check questioned."""

    UPLOAD = "upload"
    SKIP = "skip"
    OVERWRITE = "overwrite"
    KEEP_BOTH = "keep-both"


PENDING = (JobState.QUEUED, JobState.RUNNING)
# `Job.expected_etag` of a write that needs the key free (HTTP's ``If-None-Match: *``).
EXPECT_ABSENT = "*"
SENT_OWNER = "shared-queue"  # `Job.owner` of a job a shared queue's worker runs
START = (-1, -1)  # a `changed_page` cursor before every job

JOB_COLUMNS = (
    "id, batch_id, source, root, size, mtime_ns, md5, scope, bucket, key, state, attempts,"
    " error, retryable, etag, decision, owner, rev, created_at, updated_at, started_at,"
    " finished_at, expected_etag"
)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    batch_id: int
    source: str
    root: str | None
    size: int
    mtime_ns: int | None
    md5: str | None
    scope: str | None
    bucket: str | None
    key: str | None
    state: JobState
    attempts: int
    error: str | None
    retryable: bool
    etag: str | None
    decision: Decision | None
    owner: str | None
    rev: int
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    # The write's precondition as stored (`upload.conditions.Expected.from_stored`).
    expected_etag: str | None = None

    @property
    def uri(self) -> str | None:
        return f"s3://{self.bucket}/{self.key}" if self.bucket and self.key else None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Job:
        values = list(row)
        values[10] = JobState(values[10])
        values[13] = bool(values[13])
        values[15] = Decision(values[15]) if values[15] is not None else None
        return cls(*values)


@dataclass(frozen=True, slots=True)
class NewJob:
    """What discovery and planning hand to `JobStore.enqueue`."""

    source: str
    size: int
    mtime_ns: int | None = None
    root: str | None = None
    scope: str | None = None
    bucket: str | None = None
    key: str | None = None
    md5: str | None = None
    state: JobState = JobState.QUEUED
    error: str | None = None
    decision: Decision | None = None
    expected_etag: str | None = None  # see `Job.expected_etag`


@dataclass(frozen=True, slots=True)
class UploadedRecord:
    """A row of the ledger of uploaded files (kept when jobs are cleared)."""

    bucket: str
    key: str
    source: str
    size: int
    mtime_ns: int | None
    md5: str | None
    etag: str | None
    uploaded_at: float  # when the row was written
    read_at: float | None = None  # when that upload began (None: written before schema 7)

    @property
    def upload_began(self) -> float:
        """When the upload began, as best known: a change of the file is judged by it."""
        return self.uploaded_at if self.read_at is None else self.read_at


@dataclass(frozen=True, slots=True)
class Counters:
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    waiting: int = 0  # held for a duplicate decision: neither pending nor finished
    sent: int = 0  # of `running`: handed to a shared queue, a worker elsewhere runs them
    needs_scope: int = 0  # held for a scope: neither pending nor finished
    # Bytes of every job that is, was or may be uploaded (not skipped, not needs-scope:
    # such a file has no target yet).
    bytes_total: int = 0
    bytes_done: int = 0  # bytes of finished uploads (add in-flight bytes from ByteProgress)
    bytes_failed: int = 0
    bytes_sent: int = 0  # of the running jobs' bytes: those of the jobs out on a shared queue

    @property
    def total(self) -> int:
        finished = self.done + self.failed + self.skipped
        return self.queued + self.running + finished + self.waiting + self.needs_scope

    @property
    def uploading(self) -> int:
        """Running here: `running` less the jobs a shared queue's workers run."""
        return self.running - self.sent

    @property
    def pending(self) -> int:
        return self.queued + self.running

    @property
    def processed(self) -> int:
        return self.done
