"""Enqueueing a file: one rule for every process that writes to the same job store.

Two processes may enqueue the same files at once (two ``upload``s, ``upload``
and ``watch``, the window and the CLI). Each enqueue runs in one ``BEGIN
IMMEDIATE`` transaction, so the rule below sees every other process's jobs as
they are, and two processes never both decide to upload a file. For a file
(source path, bucket, key) that already has a job, the latest one decides:

==============================  ============================================
the job is                      this enqueue
==============================  ============================================
done, same size and mtime, and  not queued again: `Enqueued.DONE_BEFORE`
the ctime over a second before  (``requeue_done`` queues it again: ``--again``)
its upload began
queued in a batch whose owner   left alone: `Enqueued.HELD` (that process
(or running in a process) is    uploads it; this one must neither move it nor
alive                           upload it)
queued or running for a dead    taken over into this batch: `Enqueued.ADOPTED`
process, or in a batch nobody
owns (schema 4 and before)
queued in this batch, in        moved into this batch: `Enqueued.REQUEUED`
another of this process's, or
failed
anything else                   a new job: `Enqueued.NEW`
==============================  ============================================

A rewrite in place that keeps the size and mtime (cp -p, rsync -t --inplace)
still moves the ctime: such a file counts as changed and is uploaded again.
A batch's owner is a process identity (``host:pid:start``); one on another
host cannot be asked, and counts as alive.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from hma_gui.core.files.change_clock import settled_before
from hma_gui.core.files.path_text import printable
from hma_gui.core.jobs.records import JobState, NewJob
from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store_db import decision_code
from hma_gui.core.processes import owner_is_alive
from hma_gui.core.sqlite_wal import in_chunks


class Enqueued(StrEnum):
    """What one enqueue did with one file."""

    NEW = "new"
    REQUEUED = "requeued"
    ADOPTED = "adopted"
    DONE_BEFORE = "done-before"
    HELD = "held"


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    job_id: int
    outcome: Enqueued
    owner: str | None = None  # HELD: the process that has it

    @property
    def created(self) -> bool:
        return self.outcome is Enqueued.NEW

    @property
    def queued_here(self) -> bool:
        """The file is (again) a job of the enqueuing batch."""
        return self.outcome in (Enqueued.NEW, Enqueued.REQUEUED, Enqueued.ADOPTED)


@dataclass
class Enqueue:
    """One enqueue transaction's rule (see the module): `cur` is inside ``BEGIN IMMEDIATE``."""

    cur: sqlite3.Cursor
    batch_id: int
    identity: str  # this process (`processes.process_identity`)
    rev: int
    now: float
    requeue_done: bool

    def __post_init__(self) -> None:
        self._alive: dict[str, bool] = {}
        self._batch_owner: dict[int, str | None] = {}
        self._known: set[str] | None = None  # sources that may have a job; None: any may

    def all(self, jobs: Iterable[NewJob]) -> list[EnqueueResult]:
        jobs = list(jobs)
        # One look for all the files' earlier jobs instead of one per file: a folder
        # uploaded for the first time asks the store a few times, not 2,000.
        self._known = self._sources_with_jobs(
            [j.source for j in jobs if j.state is JobState.QUEUED and j.bucket is not None]
        )
        return [self.one(job) for job in jobs]

    def _sources_with_jobs(self, sources: list[str]) -> set[str]:
        known: set[str] = set()
        for chunk, marks in in_chunks(sources):
            known.update(
                row[0]
                for row in self.cur.execute(
                    f"SELECT DISTINCT source FROM jobs WHERE source IN ({marks})",  # noqa: S608
                    chunk,
                )
            )
        return known

    def one(self, job: NewJob) -> EnqueueResult:
        if (
            job.state is JobState.QUEUED
            and job.bucket is not None
            and (self._known is None or job.source in self._known)
        ):
            row = self.cur.execute(
                "SELECT id, state, batch_id, owner, size, mtime_ns, started_at, finished_at"
                " FROM jobs WHERE source = ? AND bucket = ? AND key = ?"
                " AND state IN ('queued', 'running', 'failed', 'done') ORDER BY id DESC LIMIT 1",
                (job.source, job.bucket, job.key),
            ).fetchone()
            if row is not None:
                decided = self._existing(job, row)
                if decided is not None:
                    return decided
        if self._known is not None:
            self._known.add(job.source)  # the same file again in this call finds this job
        return EnqueueResult(self._insert(job), Enqueued.NEW)

    def _existing(self, job: NewJob, row: tuple[Any, ...]) -> EnqueueResult | None:
        job_id, state, batch_id, owner = int(row[0]), JobState(row[1]), int(row[2]), row[3]
        if state is JobState.DONE:
            if not self.requeue_done and _unchanged_since(job, row):
                return EnqueueResult(job_id, Enqueued.DONE_BEFORE)
            return None  # changed, or asked for again: a new job
        if state is JobState.FAILED:
            return self._requeue(job, job_id, Enqueued.REQUEUED)
        if state is JobState.RUNNING:
            runner = str(owner or "")
            if runner == self.identity or self._alive_owner(runner):
                return EnqueueResult(job_id, Enqueued.HELD, runner or None)
            return self._requeue(job, job_id, Enqueued.ADOPTED)
        # queued: whoever owns its batch runs it
        if batch_id == self.batch_id:
            return self._requeue(job, job_id, Enqueued.REQUEUED)
        holder = self._owner_of(batch_id)
        if holder == self.identity:
            return self._requeue(job, job_id, Enqueued.REQUEUED)
        if holder is not None and self._alive_owner(holder):
            return EnqueueResult(job_id, Enqueued.HELD, holder)
        return self._requeue(job, job_id, Enqueued.ADOPTED)

    def _owner_of(self, batch_id: int) -> str | None:
        if batch_id not in self._batch_owner:
            row = self.cur.execute("SELECT owner FROM batches WHERE id = ?", (batch_id,)).fetchone()
            self._batch_owner[batch_id] = None if row is None or row[0] is None else str(row[0])
        return self._batch_owner[batch_id]

    def _alive_owner(self, owner: str) -> bool:
        """Alive, or on another host (cannot be asked), or out on a shared queue (a
        worker runs it): either way not ours to take."""
        if not owner:
            return False
        if owner == SENT_OWNER:
            return True
        if owner not in self._alive:
            self._alive[owner] = owner_is_alive(owner) is not False
        return self._alive[owner]

    def _requeue(self, job: NewJob, job_id: int, outcome: Enqueued) -> EnqueueResult:
        self.cur.execute(
            "UPDATE jobs SET state = 'queued', batch_id = ?, size = ?, mtime_ns = ?,"
            " md5 = COALESCE(?, md5), error = NULL, decision = COALESCE(?, decision),"
            " expected_etag = ?, owner = NULL, started_at = NULL, finished_at = NULL, rev = ?,"
            " updated_at = ? WHERE id = ?",
            (
                self.batch_id, job.size, job.mtime_ns, job.md5, decision_code(job.decision),
                job.expected_etag, self.rev, self.now, job_id,
            ),
        )  # fmt: skip
        return EnqueueResult(job_id, outcome)

    def _insert(self, job: NewJob) -> int:
        finished = self.now if job.state.finished else None
        self.cur.execute(
            "INSERT INTO jobs(batch_id, source, root, size, mtime_ns, md5, scope, bucket, key,"
            " state, error, retryable, decision, rev, created_at, updated_at, finished_at,"
            " expected_etag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            (
                # a failed job's path may not be UTF-8 (SQLite text must be): escaped
                self.batch_id, printable(job.source), job.root and printable(job.root),
                job.size, job.mtime_ns, job.md5, job.scope, job.bucket, job.key, job.state.value,
                printable(job.error) if job.error else None, decision_code(job.decision),
                self.rev, self.now, self.now, finished, job.expected_etag,
            ),
        )  # fmt: skip
        return int(self.cur.lastrowid or 0)


def _unchanged_since(job: NewJob, row: tuple[Any, ...]) -> bool:
    """Same size and mtime as uploaded, and no change of the file since its upload read it.

    A rewrite that keeps size and mtime shows only in the ctime, and only when it falls
    in a later tick of the kernel's clock (`change_clock`). A ctime within a grain of the
    moment the upload began is "racily clean": the file may have changed in the same
    tick after it was read, so it is not trusted and the file gets a new job (whose S3
    check finds an identical object by its MD5 and skips it). Before, the ctime was
    compared with the upload's end: a change during the upload, or in the tick after
    it, was missed.
    """
    size, mtime_ns, started_at, finished_at = row[4], row[5], row[6], row[7]
    if job.size != size or job.mtime_ns is None or job.mtime_ns != mtime_ns:
        return False
    read_at = started_at if isinstance(started_at, float | int) else finished_at
    if not isinstance(read_at, float | int):
        return False
    try:
        ctime_ns = Path(job.source).stat().st_ctime_ns
    except OSError:
        return False  # gone or unreadable: the upload will say so
    return settled_before(ctime_ns, read_at)


@dataclass(frozen=True)
class EnqueueSummary:
    """The files an enqueue did not make this batch's: for a process's own summary."""

    done_before: int = 0  # uploaded before and unchanged since
    held: int = 0  # queued or running for another live process
    holders: tuple[str, ...] = ()  # those processes' identities

    @classmethod
    def of(cls, results: Iterable[EnqueueResult]) -> EnqueueSummary:
        done_before = held = 0
        holders: dict[str, None] = {}
        for result in results:
            if result.outcome is Enqueued.DONE_BEFORE:
                done_before += 1
            elif result.outcome is Enqueued.HELD:
                held += 1
                holders.setdefault(result.owner or "?")
        return cls(done_before, held, tuple(holders))

    def holder_names(self) -> str:
        """``process 1234``, or ``process 1234 on host`` for another host's."""
        return ", ".join(_process_name(owner) for owner in self.holders)


def _process_name(owner: str) -> str:
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if not pid:
        return owner
    return f"process {pid}" if host == socket.gethostname() else f"process {pid} on {host}"
