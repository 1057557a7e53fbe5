"""The writes of a job's run: a job moves ``queued → running → done | failed | skipped``.

``failed`` and ``running`` jobs go back to ``queued`` on retry, resume or
crash recovery (`recover_orphans`: a killed process's running jobs). A file
the duplicate check questioned is ``waiting`` instead: neither pending nor
finished until its decision queues or skips it (`DecisionWrites`). Each write
is one transaction that takes a new revision (`StoreDb.next_rev`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from hma_gui.core.files.path_text import printable
from hma_gui.core.jobs.enqueue import Enqueue, EnqueueResult
from hma_gui.core.jobs.records import JOB_COLUMNS, Job, JobState, NewJob
from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store_db import StoreDb, record_done_many
from hma_gui.core.processes import owner_is_alive


class DoneMark(NamedTuple):
    """A finished upload to record (`JobLifecycle.mark_done_many`)."""

    job_id: int
    etag: str
    md5: str | None
    size: int | None = None
    mtime_ns: int | None = None


class JobLifecycle:
    """Batches, enqueue, claim, finish, release, retry, recovery, removal of one store's jobs.

    `identity` is this process's (`processes.process_identity`): the owner of
    the jobs it claims, so another process can tell whether they are orphans.
    """

    def __init__(self, db: StoreDb, identity: str) -> None:
        self._write = db.write
        self._next_rev = db.next_rev
        self._read = db.read
        self.identity = identity

    # ------------------------------------------------------------- batches

    def new_batch(self, label: str = "") -> int:
        with self._write() as cur:
            cur.execute(
                "INSERT INTO batches(created_at, label, owner) VALUES (?, ?, ?)",
                (time.time(), label, self.identity),
            )
            return int(cur.lastrowid or 0)

    # ------------------------------------------------------------- enqueue

    def enqueue(self, jobs: Iterable[NewJob], batch_id: int = 0) -> list[tuple[int, bool]]:
        """Add jobs in one transaction; return ``(job id, created)`` for each.

        The rule of `enqueue.Enqueue`, with a done file queued again (the window's
        drops: its duplicate check decides about those): a job for the same source
        and target that is still queued or running is not duplicated, and is moved
        into `batch_id` only if no live process runs it.
        """
        results = self.enqueue_files(jobs, batch_id, requeue_done=True)
        return [(result.job_id, result.created) for result in results]

    def enqueue_files(
        self, jobs: Iterable[NewJob], batch_id: int, *, requeue_done: bool
    ) -> list[EnqueueResult]:
        """Add jobs in one transaction by the rule of `enqueue.Enqueue`: what became of each.

        Without `requeue_done`, a file uploaded before and unchanged since is not
        queued again (`Enqueued.DONE_BEFORE`).
        """
        with self._write() as cur:
            rev = self._next_rev(cur)
            rule = Enqueue(cur, batch_id, self.identity, rev, time.time(), requeue_done)
            return rule.all(jobs)

    # ------------------------------------------------------------- run

    def claim(
        self, limit: int = 1, batch_id: int | None = None, *, max_bytes: int | None = None
    ) -> list[Job]:
        """Atomically move up to `limit` queued jobs to running for this process.

        With `max_bytes`, the claim stops before the job that would take its files'
        sizes past it (one job at least): many small files per transaction, large
        ones one at a time, so no large file waits claimed behind another.
        """
        now = time.time()
        where = "state = 'queued'" + (" AND batch_id = ?" if batch_id is not None else "")
        params: list[object] = [batch_id] if batch_id is not None else []
        with self._write() as cur:
            ids = _within_budget(
                cur.execute(
                    f"SELECT id, size FROM jobs WHERE {where} ORDER BY id LIMIT ?",  # noqa: S608
                    [*params, limit],
                ).fetchall(),
                max_bytes,
            )
            if not ids:
                return []
            rev = self._next_rev(cur)
            marks = ",".join("?" * len(ids))
            rows = cur.execute(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, owner = ?,"  # noqa: S608 - placeholders only
                " error = NULL, rev = ?, updated_at = ?, started_at = ?"
                f" WHERE id IN ({marks}) RETURNING {JOB_COLUMNS}",
                [self.identity, rev, now, now, *ids],
            ).fetchall()
        return sorted((Job.from_row(r) for r in rows), key=lambda j: j.id)

    def mark_done(
        self, job_id: int, *, etag: str, md5: str | None, size: int | None = None,
        mtime_ns: int | None = None,
    ) -> None:  # fmt: skip
        """Record a finished upload, and add it to the ledger of uploaded files."""
        self.mark_done_many([DoneMark(job_id, etag, md5, size, mtime_ns)])

    def mark_done_many(self, marks: Sequence[DoneMark]) -> None:
        """`mark_done` for several jobs in one transaction (`grouped_done.GroupedDone`)."""
        if not marks:
            return
        now = time.time()
        with self._write() as cur:
            record_done_many(cur, marks, self._next_rev(cur), now)

    def mark_failed(self, job_id: int, error: str, *, retryable: bool) -> None:
        self._finish(job_id, JobState.FAILED, error, retryable)

    def mark_skipped(self, job_id: int, reason: str) -> None:
        self._finish(job_id, JobState.SKIPPED, reason, False)

    def _finish(self, job_id: int, state: JobState, error: str, retryable: bool) -> None:
        now = time.time()
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET state = ?, error = ?, retryable = ?, owner = NULL, rev = ?,"
                " updated_at = ?, finished_at = ? WHERE id = ?",
                (state.value, printable(error), int(retryable), rev, now, now, job_id),
            )

    def release(self, job_ids: Iterable[int]) -> int:
        """Running → queued (a cancel or pause mid-upload): the job stays resumable."""
        return self._requeue_where("state = 'running'", list(job_ids))

    def unclaim(self, job_ids: Iterable[int]) -> int:
        """Running → queued for jobs claimed but never started: their attempt is not counted."""
        ids = list(job_ids)
        if not ids:
            return 0
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), owner = NULL,"  # noqa: S608 - placeholders only
                " rev = ?, updated_at = ?, started_at = NULL WHERE state = 'running' AND owner = ?"
                f" AND id IN ({','.join('?' * len(ids))})",
                [rev, time.time(), self.identity, *ids],
            )
            return cur.rowcount

    def retry(self, job_ids: Iterable[int]) -> int:
        """Failed (or skipped) → queued, for the given jobs."""
        return self._requeue_where("state IN ('failed', 'skipped')", list(job_ids))

    def upload_again(self, job_ids: Iterable[int]) -> int:
        """Uploaded → queued (their objects are gone, e.g. with a sandbox that stopped)."""
        return self._requeue_where("state = 'done'", list(job_ids))

    def retry_failed(self, *, only_retryable: bool = False, batch_id: int | None = None) -> int:
        where = "state = 'failed' AND bucket IS NOT NULL"
        params: list[object] = []
        if only_retryable:
            where += " AND retryable = 1"
        if batch_id is not None:
            where += " AND batch_id = ?"
            params.append(batch_id)
        return self._requeue_where(where, None, params)

    def _requeue_where(
        self, where: str, job_ids: list[int] | None, params: Sequence[object] = ()
    ) -> int:
        now = time.time()
        args: list[object] = []
        if job_ids is not None:
            if not job_ids:
                return 0
            where += f" AND id IN ({','.join('?' * len(job_ids))})"
        with self._write() as cur:
            rev = self._next_rev(cur)
            args = [rev, now, *params, *(job_ids or [])]
            cur.execute(
                "UPDATE jobs SET state = 'queued', owner = NULL, rev = ?, updated_at = ?,"  # noqa: S608 - fixed clauses, values bound
                f" finished_at = NULL WHERE {where}",
                args,
            )
            return cur.rowcount

    def recover_orphans(self) -> int:
        """Jobs left running by a process that is gone go back to queued.

        Jobs sent to a shared queue (owner `SENT_OWNER`) run there: they stay.
        """
        rows = self._read(
            "SELECT id, owner FROM jobs WHERE state = 'running' AND owner IS NOT ?", (SENT_OWNER,)
        )
        dead = [
            int(job_id)
            for job_id, owner in rows
            if owner != self.identity and owner_is_alive(str(owner or "")) is False
        ]
        return self.release(dead)

    def adopt(self, folders: Sequence[str], batch_id: int) -> list[int]:
        """Queued jobs of files below `folders` join `batch_id` (a watcher starting up).

        A watcher runs the jobs of its own batch: without this, what a stopped or
        killed predecessor had queued would wait for a manual ``resume``. Jobs of a
        batch whose owner is alive (an ``upload`` running now) stay with it. Call
        `recover_orphans` first, so that jobs a dead process was running count too.
        """
        ids: list[int] = []
        alive: dict[str, bool] = {}

        def taken(owner: str | None) -> bool:
            if owner is None or owner == self.identity:
                return False
            if owner not in alive:
                alive[owner] = owner_is_alive(owner) is not False
            return alive[owner]

        with self._write() as cur:
            rev = self._next_rev(cur)
            for folder in folders:
                prefix = folder.rstrip("/\\") + os.sep
                rows = cur.execute(
                    "SELECT jobs.id, batches.owner FROM jobs"
                    " LEFT JOIN batches ON batches.id = jobs.batch_id"
                    " WHERE jobs.state = 'queued' AND jobs.batch_id != ?"
                    " AND substr(jobs.source, 1, length(?)) = ?",
                    (batch_id, prefix, prefix),
                ).fetchall()
                for job_id, owner in rows:
                    if not taken(owner):
                        cur.execute(
                            "UPDATE jobs SET batch_id = ?, rev = ?, updated_at = ? WHERE id = ?",
                            (batch_id, rev, time.time(), job_id),
                        )
                        ids.append(int(job_id))
        return ids

    # ------------------------------------------------------------- removal

    def remove(self, job_ids: Iterable[int]) -> int:
        """Delete jobs that are not running."""
        ids = list(job_ids)
        if not ids:
            return 0
        with self._write() as cur:
            self._next_rev(cur)
            cur.execute(
                f"DELETE FROM jobs WHERE state != 'running' AND id IN ({','.join('?' * len(ids))})",  # noqa: S608
                ids,
            )
            return cur.rowcount

    def clear_finished(self) -> int:
        """Delete done and skipped jobs (the ledger of uploaded files keeps them).

        Waiting jobs are not finished: they stay until their decision is made.
        """
        with self._write() as cur:
            self._next_rev(cur)
            cur.execute("DELETE FROM jobs WHERE state IN ('done', 'skipped')")
            return cur.rowcount

    def note_unchanged(self, bucket: str, key: str, mtime_ns: int) -> None:
        """The file was touched but its content is what was uploaded: remember the new mtime."""
        with self._write() as cur:
            cur.execute(
                "UPDATE uploaded SET mtime_ns = ? WHERE bucket = ? AND key = ?",
                (mtime_ns, bucket, key),
            )


def _within_budget(rows: list[tuple[int, int]], max_bytes: int | None) -> list[int]:
    """The ids of `rows` (id, size) up to `max_bytes` in all; the first one always."""
    if max_bytes is None:
        return [row[0] for row in rows]
    ids: list[int] = []
    total = 0
    for job_id, size in rows:
        total += size
        if ids and total > max_bytes:
            break
        ids.append(job_id)
    return ids
