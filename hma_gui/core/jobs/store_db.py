"""The job store's database: one SQLite connection (WAL), its lock, transactions, revisions.

Every part of the store (`JobQueries`, `JobLifecycle`, `DecisionWrites`,
`MultipartLedger`) reads and writes through one `StoreDb`: reads are one short
statement under the lock; writes are one ``BEGIN IMMEDIATE`` transaction each
(`write`), so a killed process loses at most the job it was running. Opening
the file migrates its schema (`schema.migrate`).

Every write that changes jobs takes the next revision number (`next_rev`) and
stores it on the rows it touched, so a view can fetch only what changed since
it last looked (`JobQueries.changed_since`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from hma_gui.core.jobs.records import Decision
from hma_gui.core.jobs.schema import migrate
from hma_gui.core.sqlite_wal import connect_wal, write_transaction


class StoreDb:
    """``jobs.db``, opened and migrated; safe to share across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._conn = connect_wal(path, timeout=30)
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self.write() as cur:
            migrate(cur)

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    def write(self) -> AbstractContextManager[sqlite3.Cursor]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) under the lock."""
        return write_transaction(self._conn, self.lock)

    def read(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        """The rows of one statement, read under the lock."""
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    @staticmethod
    def next_rev(cur: sqlite3.Cursor) -> int:
        """The revision of the write transaction `cur` is in (store it on the rows it touches)."""
        row = cur.execute(
            "UPDATE meta SET value = value + 1 WHERE name = 'rev' RETURNING value"
        ).fetchone()
        return int(row[0])


def decision_code(decision: Decision | None) -> str | None:
    """What the ``decision`` column stores: the enum's code."""
    return None if decision is None else decision.value


def record_done(
    cur: sqlite3.Cursor, job_id: int, etag: str | None, md5: str | None, size: int | None,
    mtime_ns: int | None, rev: int, now: float,
) -> None:  # fmt: skip
    """Inside a write: the job is done, and its file enters the ledger of uploaded files."""
    record_done_many(cur, [(job_id, etag, md5, size, mtime_ns)], rev, now)


def record_done_many(
    cur: sqlite3.Cursor,
    done: Sequence[tuple[int, str | None, str | None, int | None, int | None]],
    rev: int,
    now: float,
) -> None:
    """`record_done` for (job_id, etag, md5, size, mtime_ns) rows: two statements for all.

    The ledger's rows are copied from the jobs' updated rows inside SQLite (a job id that
    is gone adds none), not fetched into Python and written back, one by one.
    """
    cur.executemany(
        "UPDATE jobs SET state = 'done', etag = ?, md5 = COALESCE(?, md5),"
        " size = COALESCE(?, size), mtime_ns = COALESCE(?, mtime_ns), error = NULL,"
        " owner = NULL, rev = ?, updated_at = ?, finished_at = ? WHERE id = ?",
        [(etag, md5, size, mtime_ns, rev, now, now, job_id)
         for job_id, etag, md5, size, mtime_ns in done],
    )  # fmt: skip
    cur.executemany(
        "INSERT INTO uploaded(bucket, key, source, size, mtime_ns, md5, etag, uploaded_at,"
        " read_at)"
        " SELECT bucket, key, source, size, mtime_ns, md5, ?, ?, started_at FROM jobs WHERE id = ?"
        " ON CONFLICT(bucket, key) DO UPDATE SET source = excluded.source,"
        " size = excluded.size, mtime_ns = excluded.mtime_ns, md5 = excluded.md5,"
        " etag = excluded.etag, uploaded_at = excluded.uploaded_at, read_at = excluded.read_at",
        [(etag, now, job_id) for job_id, etag, _md5, _size, _mtime in done],
    )
