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
