"""The durable job store: the upload queue's memory (SQLite in WAL mode).

One row per job. A job moves ``queued → running → done | failed | skipped``;
a file outside every scope folder waits as ``needs-scope`` until a scope is
chosen for it (`set_targets`);
``failed`` and ``running`` jobs go back to ``queued`` on retry, resume or
crash recovery. A file the duplicate check questioned can instead be
``waiting`` (for a person's decision): it is neither pending nor finished
until the decision queues or skips it (`redecide`). Every write is one short
transaction, so a killed process loses at most the job it was running, and
that job is found again at start-up (`recover_orphans`).

Counters are queries: triggers keep a ``counts`` table per (batch, state) up to
date, so reading them costs the same with 10 or 100,000 jobs. Every write also
bumps a revision number stored on the rows it touched, so a view can fetch
only what changed since it last looked (`changed_since`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from hma_gui.core import app_dirs
from hma_gui.core.jobs.multipart_ledger import MultipartLedger
from hma_gui.core.jobs.queries import JobQueries
from hma_gui.core.jobs.records import (
    JOB_COLUMNS,
    PENDING,
    START,
    Counters,
    Decision,
    Job,
    JobState,
    NewJob,
    UploadedRecord,
)
from hma_gui.core.jobs.schema import SCHEMA_VERSION, migrate
from hma_gui.core.processes import owner_is_alive, process_identity
from hma_gui.core.sqlite_wal import connect_wal, write_transaction

__all__ = [
    "PENDING",
    "START",
    "Counters",
    "Decision",
    "Job",
    "JobState",
    "JobStore",
    "NewJob",
    "UploadedRecord",
    "owner_is_alive",
    "process_identity",
]


def default_store_path(sandboxed: bool) -> Path:
    """The job store of the window and the CLI; the sandbox keeps its own."""
    folder = app_dirs.data_dir() / "sandbox" if sandboxed else app_dirs.data_dir()
    return app_dirs.ensure_dir(folder) / "jobs.db"


class JobStore(JobQueries):
    """Thread-safe access to ``jobs.db``. Share one instance across threads.

    The writes (transitions) are here; the reads are `JobQueries`'.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = connect_wal(path, timeout=30)
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self._write() as cur:
            migrate(cur)
        self.identity = process_identity()
        self.multipart = MultipartLedger(self._write, self._read)

    # ------------------------------------------------------------- plumbing

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> AbstractContextManager[sqlite3.Cursor]:
        return write_transaction(self._conn, self._lock)

    @staticmethod
    def _next_rev(cur: sqlite3.Cursor) -> int:
        row = cur.execute(
            "UPDATE meta SET value = value + 1 WHERE name = 'rev' RETURNING value"
        ).fetchone()
        return int(row[0])

    @property
    def schema_version(self) -> int:
        return SCHEMA_VERSION

    # ------------------------------------------------------------- batches

    def new_batch(self, label: str = "") -> int:
        with self._write() as cur:
            cur.execute(
                "INSERT INTO batches(created_at, label) VALUES (?, ?)", (time.time(), label)
            )
            return int(cur.lastrowid or 0)

    # ------------------------------------------------------------- enqueue

    def enqueue(self, jobs: Iterable[NewJob], batch_id: int = 0) -> list[tuple[int, bool]]:
        """Add jobs in one transaction; return ``(job id, created)`` for each.

        A job for the same source and target that is still queued or running is
        not duplicated: its id comes back with ``created=False`` (a queued one
        moves into `batch_id`). A failed one for the same target is queued again.
        """
        now = time.time()
        result: list[tuple[int, bool]] = []
        with self._write() as cur:
            rev = self._next_rev(cur)
            for job in jobs:
                result.append(self._enqueue_one(cur, job, batch_id, rev, now))
        return result

    def _enqueue_one(
        self, cur: sqlite3.Cursor, job: NewJob, batch_id: int, rev: int, now: float
    ) -> tuple[int, bool]:
        if job.state is JobState.QUEUED and job.bucket is not None:
            existing = cur.execute(
                "SELECT id, state FROM jobs WHERE source = ? AND bucket = ? AND key = ?"
                " AND state IN ('queued', 'running', 'failed') ORDER BY id DESC LIMIT 1",
                (job.source, job.bucket, job.key),
            ).fetchone()
            if existing is not None:
                job_id, state = int(existing[0]), JobState(existing[1])
                if state is not JobState.RUNNING:
                    cur.execute(
                        "UPDATE jobs SET state = 'queued', batch_id = ?, size = ?, mtime_ns = ?,"
                        " md5 = COALESCE(?, md5), error = NULL, decision = COALESCE(?, decision),"
                        " expected_etag = ?, rev = ?, updated_at = ? WHERE id = ?",
                        (
                            batch_id, job.size, job.mtime_ns, job.md5, _code(job.decision),
                            job.expected_etag, rev, now, job_id,
                        ),
                    )  # fmt: skip
                return job_id, False
        finished = now if job.state.finished else None
        cur.execute(
            "INSERT INTO jobs(batch_id, source, root, size, mtime_ns, md5, scope, bucket, key,"
            " state, error, retryable, decision, rev, created_at, updated_at, finished_at,"
            " expected_etag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            (
                batch_id, job.source, job.root, job.size, job.mtime_ns, job.md5, job.scope,
                job.bucket, job.key, job.state.value, job.error, _code(job.decision), rev, now, now,
                finished, job.expected_etag,
            ),
        )  # fmt: skip
        return int(cur.lastrowid or 0), True

    # ------------------------------------------------------------- run

    def claim(self, limit: int = 1, batch_id: int | None = None) -> list[Job]:
        """Atomically move up to `limit` queued jobs to running for this process."""
        now = time.time()
        where = "state = 'queued'" + (" AND batch_id = ?" if batch_id is not None else "")
        params: list[object] = [batch_id] if batch_id is not None else []
        with self._write() as cur:
            ids = [
                row[0]
                for row in cur.execute(
                    f"SELECT id FROM jobs WHERE {where} ORDER BY id LIMIT ?",  # noqa: S608
                    [*params, limit],
                ).fetchall()
            ]
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
        now = time.time()
        with self._write() as cur:
            rev = self._next_rev(cur)
            row = cur.execute(
                "UPDATE jobs SET state = 'done', etag = ?, md5 = COALESCE(?, md5),"
                " size = COALESCE(?, size), mtime_ns = COALESCE(?, mtime_ns), error = NULL,"
                " owner = NULL, rev = ?, updated_at = ?, finished_at = ? WHERE id = ?"
                " RETURNING source, bucket, key, size, mtime_ns, md5",
                (etag, md5, size, mtime_ns, rev, now, now, job_id),
            ).fetchone()
            if row is not None:
                cur.execute(
                    "INSERT INTO uploaded(bucket, key, source, size, mtime_ns, md5, etag,"
                    " uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(bucket, key) DO UPDATE SET source = excluded.source,"
                    " size = excluded.size, mtime_ns = excluded.mtime_ns, md5 = excluded.md5,"
                    " etag = excluded.etag, uploaded_at = excluded.uploaded_at",
                    (row[1], row[2], row[0], row[3], row[4], row[5], etag, now),
                )

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
                (state.value, error, int(retryable), rev, now, now, job_id),
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
        """Jobs left running by a process that is gone go back to queued."""
        rows = self._read("SELECT id, owner FROM jobs WHERE state = 'running'")
        dead = [
            int(job_id)
            for job_id, owner in rows
            if owner != self.identity and owner_is_alive(str(owner or "")) is False
        ]
        return self.release(dead)

    def adopt(self, folders: Sequence[str], batch_id: int) -> list[int]:
        """Queued jobs of files below `folders` join `batch_id` (a watcher starting up).

        A watcher runs the jobs of its own batch: without this, what a stopped or
        killed predecessor had queued would wait for a manual ``resume``. Call
        `recover_orphans` first, so that jobs a dead process was running count too.
        """
        ids: list[int] = []
        with self._write() as cur:
            rev = self._next_rev(cur)
            for folder in folders:
                prefix = folder.rstrip("/\\") + os.sep
                rows = cur.execute(
                    "UPDATE jobs SET batch_id = ?, rev = ?, updated_at = ?"
                    " WHERE state = 'queued' AND batch_id != ?"
                    " AND substr(source, 1, length(?)) = ? RETURNING id",
                    (batch_id, rev, time.time(), batch_id, prefix, prefix),
                ).fetchall()
                ids.extend(int(row[0]) for row in rows)
        return ids

    def retarget(self, job_id: int, *, key: str, decision: Decision | None) -> None:
        """Change where a queued job goes (duplicate review: keep both)."""
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET key = ?, decision = ?, rev = ?, updated_at = ? WHERE id = ?",
                (key, _code(decision), rev, time.time(), job_id),
            )

    def redecide(
        self,
        job_id: int,
        *,
        key: str,
        decision: Decision | None,
        state: JobState,
        error: str | None,
        expected_etag: str | None = None,
    ) -> bool:
        """A duplicate decision on a queued, skipped or waiting job: its target, state, reason.

        Atomic: a job that started or finished meanwhile is left alone (False).
        """
        now = time.time()
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET key = ?, decision = ?, state = ?, error = ?, retryable = 0,"
                " owner = NULL, expected_etag = ?, rev = ?, updated_at = ?, finished_at = ?"
                " WHERE id = ? AND state IN ('queued', 'skipped', 'waiting')",
                (
                    key, _code(decision), state.value, error, expected_etag, rev, now,
                    now if state.finished else None, job_id,
                ),
            )  # fmt: skip
            return cur.rowcount == 1

    def set_targets(self, targets: Iterable[tuple[int, str, str, str]]) -> int:
        """``(job id, scope, bucket, key)``: a held (needs-scope) job gets its target, queued."""
        now = time.time()
        changed = 0
        with self._write() as cur:
            rev = self._next_rev(cur)
            for job_id, scope, bucket, key in targets:
                cur.execute(
                    "UPDATE jobs SET scope = ?, bucket = ?, key = ?, state = 'queued',"
                    " error = NULL, retryable = 0, owner = NULL, rev = ?, updated_at = ?,"
                    " finished_at = NULL"
                    " WHERE id = ? AND state = 'needs-scope'",
                    (scope, bucket, key, rev, now, job_id),
                )
                changed += cur.rowcount
        return changed

    def set_decision(self, job_id: int, decision: Decision | None) -> None:
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET decision = ?, rev = ?, updated_at = ? WHERE id = ?",
                (_code(decision), rev, time.time(), job_id),
            )

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


def _code(decision: Decision | None) -> str | None:
    """What the ``decision`` column stores: the enum's code."""
    return None if decision is None else decision.value
