"""The job store's reads: jobs, changes since a revision, counters, the ledger, copies.

What views, progress lines and the duplicate check ask the store. Every read
is one short statement under the store's lock (`StoreDb.read`). Counters cost
the same with 10 or 100,000 jobs: triggers keep a ``counts`` table per
(batch, state) up to date (`schema`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hma_gui.core.jobs.records import (
    JOB_COLUMNS,
    SENT_OWNER,
    START,
    Counters,
    Job,
    JobState,
    UploadedRecord,
)
from hma_gui.core.jobs.store_db import StoreDb
from hma_gui.core.sqlite_wal import in_chunks


class JobQueries:
    """The reads of one job store."""

    def __init__(self, db: StoreDb) -> None:
        self._db = db
        self._read = db.read

    def get(self, job_id: int) -> Job | None:
        rows = self._read(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))  # noqa: S608
        return Job.from_row(rows[0]) if rows else None

    def jobs(
        self,
        *,
        state: JobState | None = None,
        batch_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Job]:
        clauses: list[str] = []
        params: list[object] = []
        if state is not None:
            clauses.append("state = ?")
            params.append(state.value)
        if batch_id is not None:
            clauses.append("batch_id = ?")
            params.append(batch_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {JOB_COLUMNS} FROM jobs {where} ORDER BY id LIMIT ? OFFSET ?"  # noqa: S608
        rows = self._read(sql, [*params, -1 if limit is None else limit, offset])
        return [Job.from_row(r) for r in rows]

    def current_rev(self) -> int:
        return int(self._read("SELECT value FROM meta WHERE name = 'rev'")[0][0])

    def changed_since(self, rev: int) -> tuple[list[Job], int]:
        """Jobs written after `rev`, and the revision to ask from next time.

        Deleted jobs do not appear: compare `ids()` when `removed_since` says so.
        """
        with self._db.lock:  # the revision and the rows of one moment
            now_rev = self.current_rev()
            rows = self._read(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE rev > ? ORDER BY id",  # noqa: S608
                (rev,),
            )
        return [Job.from_row(r) for r in rows], now_rev

    def changed_page(
        self, after: tuple[int, int] = START, limit: int = 2000
    ) -> tuple[list[Job], tuple[int, int], bool]:
        """Up to `limit` jobs written after the cursor `after`, in write order.

        Returns the jobs, the cursor to continue from, and whether more are
        waiting. From `START` it pages through every job. A reader that pages
        keeps each read short, so it never holds the store (or the GIL) long.
        Deleted jobs do not appear.
        """
        rev, job_id = after
        rows = self._read(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE (rev, id) > (?, ?)"  # noqa: S608
            " ORDER BY rev, id LIMIT ?",
            (rev, job_id, limit + 1),
        )
        more = len(rows) > limit
        jobs = [Job.from_row(r) for r in rows[:limit]]
        cursor = (jobs[-1].rev, jobs[-1].id) if jobs else after
        return jobs, cursor, more

    def ids(self) -> list[int]:
        return [int(r[0]) for r in self._read("SELECT id FROM jobs ORDER BY id")]

    def unfinished_by_root(self, batch_id: int) -> dict[str, dict[JobState, int]]:
        """Queued, running and waiting jobs of `batch_id` per root folder (a watched one)."""
        rows = self._read(
            "SELECT root, state, COUNT(*) FROM jobs WHERE state IN ('queued', 'running',"
            " 'waiting') AND batch_id = ? AND root IS NOT NULL GROUP BY root, state",
            (batch_id,),
        )
        found: dict[str, dict[JobState, int]] = {}
        for root, state, count in rows:
            found.setdefault(str(root), {})[JobState(state)] = int(count)
        return found

    def counters(self, batch_id: int | None = None) -> Counters:
        where, params = ("WHERE batch_id = ?", (batch_id,)) if batch_id is not None else ("", ())
        rows = self._read(
            f"SELECT state, SUM(n), SUM(bytes) FROM counts {where} GROUP BY state",  # noqa: S608
            params,
        )
        n: dict[str, int] = {}
        b: dict[str, int] = {}
        for state, count, nbytes in rows:
            n[str(state)] = int(count or 0)
            b[str(state)] = int(nbytes or 0)
        sent = sent_bytes = 0
        if n.get("running"):  # jobs out on a shared queue; few rows (index on state)
            sent, sent_bytes = (
                int(value)
                for value in self._read(
                    "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM jobs"
                    " WHERE state = 'running' AND owner = ? AND (? IS NULL OR batch_id = ?)",
                    (SENT_OWNER, batch_id, batch_id),
                )[0]
            )
        return Counters(
            queued=n.get("queued", 0),
            running=n.get("running", 0),
            done=n.get("done", 0),
            failed=n.get("failed", 0),
            skipped=n.get("skipped", 0),
            waiting=n.get("waiting", 0),
            sent=sent,
            needs_scope=n.get(JobState.NEEDS_SCOPE.value, 0),
            bytes_total=sum(
                b.get(s, 0) for s in ("queued", "running", "done", "failed", "waiting")
            ),
            bytes_done=b.get("done", 0),
            bytes_failed=b.get("failed", 0),
            bytes_sent=sent_bytes,
        )

    def uploaded_record(self, bucket: str, key: str) -> UploadedRecord | None:
        """What was last uploaded to ``bucket/key`` by this store, if anything."""
        rows = self._read(
            "SELECT bucket, key, source, size, mtime_ns, md5, etag, uploaded_at, read_at"
            " FROM uploaded"
            " WHERE bucket = ? AND key = ?",
            (bucket, key),
        )
        return UploadedRecord(*rows[0]) if rows else None

    def uploaded_since(self, when: float) -> list[UploadedRecord]:
        """Ledger rows written at or after `when` (time.time()): what a listing may lack."""
        rows = self._read(
            "SELECT bucket, key, source, size, mtime_ns, md5, etag, uploaded_at, read_at"
            " FROM uploaded"
            " WHERE uploaded_at >= ? ORDER BY uploaded_at",
            (when,),
        )
        return [UploadedRecord(*row) for row in rows]

    def pending_job(self, source: str, bucket: str, key: str) -> Job | None:
        """The queued or running job for this file and target, if there is one."""
        rows = self._read(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE source = ? AND bucket = ? AND key = ?"  # noqa: S608
            " AND state IN ('queued', 'running') ORDER BY id DESC LIMIT 1",
            (source, bucket, key),
        )
        return Job.from_row(rows[0]) if rows else None

    def pending_of_sizes(
        self, bucket: str, sizes: Iterable[int], batch_id: int | None = None
    ) -> list[Job]:
        """Running jobs, and queued ones (of `batch_id` only, if given), to `bucket` whose
        file has one of `sizes` (the uploads a copy may be a copy of)."""
        wanted = sorted(set(sizes))
        rows: list[Any] = []
        for chunk, marks in in_chunks(wanted):
            rows += self._read(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE (state = 'running' OR (state = 'queued'"  # noqa: S608
                " AND (? IS NULL OR batch_id = ?))) AND bucket = ?"
                f" AND size IN ({marks})",
                (batch_id, batch_id, bucket, *chunk),
            )
        return sorted((Job.from_row(row) for row in rows), key=lambda job: job.id)

    def has_waiting(self) -> bool:
        """Whether any job waits for a duplicate decision (a counter read: O(1))."""
        return bool(self._read("SELECT 1 FROM counts WHERE state = 'waiting' AND n > 0 LIMIT 1"))
