"""The embedded target: a SQLite file (by default ``mba.db`` in the data directory).

A file loads inside one ``BEGIN IMMEDIATE`` transaction: rows are upserted with
``executemany`` (``INSERT … ON CONFLICT DO UPDATE``, in file order so the last
row of a key wins) and the ``etl_runs`` row is finished in the same
transaction; an error or a crash rolls all of it back. WAL mode lets the GUI
read the history while a run writes. One loader per table at a time: a lock
file per table next to the database (``mba.db.lock-members``) held in an
exclusive SQLite transaction, which the operating system frees when the holder
dies. Loads of different tables by different processes still take turns on the
database's single writer (each waits up to `BUSY_TIMEOUT` for the other's commit).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from hma_gui.core import app_dirs
from hma_gui.core.etl import audit
from hma_gui.core.etl.database import (
    AuditFinish,
    AuditStart,
    DatabaseError,
    DbConfig,
    DbErrorKind,
    EtlRunRecord,
)
from hma_gui.core.etl.ddl import AUDIT_TABLE, add_missing_columns, create_all, ident, upsert_rows
from hma_gui.core.etl.schema import SCHEMA_VERSION, TABLES, Table
from hma_gui.core.etl.validation import Batch

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 500
BUSY_TIMEOUT = 120  # seconds a write waits for another process's transaction


class SqliteDatabase:
    def __init__(self, config: DbConfig) -> None:
        if config.path is None:
            raise ValueError("a SQLite target needs a path")
        self.config = config
        self.path = config.path
        try:
            app_dirs.private_file(self.path)  # member rows: 0600, and so its -wal/-shm
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseError(
                f"cannot open the SQLite database {self.path}: {exc}", DbErrorKind.UNREACHABLE
            ) from exc
        self._locks: dict[str, sqlite3.Connection] = {}

    # ------------------------------------------------------------------ schema

    def init_schema(self) -> list[str]:
        before = self._existing_tables()
        with self._transaction():
            for statement in create_all("sqlite"):
                self._conn.execute(statement)
            info = self._conn.execute(f"PRAGMA table_info({ident(AUDIT_TABLE, 'sqlite')})")
            for statement in add_missing_columns({row[1] for row in info}, "sqlite"):
                self._conn.execute(statement)
            select, insert = audit.version_rows("sqlite")
            versions = [row[0] for row in self._conn.execute(select)]
            if SCHEMA_VERSION not in versions:
                self._conn.execute(insert, audit.version_params())
        return sorted(self._existing_tables() - before)

    def _existing_tables(self) -> set[str]:
        rows = self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows if not row[0].startswith("sqlite_")}

    # ------------------------------------------------------------------ table locks

    def lock_path(self, table: str) -> Path:
        return self.path.with_name(f"{self.path.name}.lock-{table}")

    def acquire_table_lock(self, table: str, wait: float) -> bool:
        if table in self._locks:
            return True
        conn = sqlite3.connect(
            app_dirs.private_file(self.lock_path(table)),
            timeout=max(0.0, wait),
            isolation_level=None,
        )
        try:
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            conn.close()
            return False
        self._locks[table] = conn
        return True

    def release_table_lock(self, table: str) -> None:
        conn = self._locks.pop(table, None)
        if conn is not None:
            conn.close()

    # ------------------------------------------------------------------ audit

    def loaded_before(self, bucket: str, key: str, etag: str) -> bool:
        row = self._conn.execute(audit.loaded_before("sqlite"), (bucket, etag, key)).fetchone()
        return row is not None

    def audit_start(self, start: AuditStart) -> int:
        owner = audit.Owner.here()
        cursor = self._conn.execute(audit.insert_start("sqlite"), audit.start_params(start, owner))
        return int(cursor.lastrowid or 0)

    def audit_finish(self, audit_id: int, finish: AuditFinish) -> None:
        self._conn.execute(audit.update_finish("sqlite"), audit.finish_params(audit_id, finish))

    def audit_record(self, start: AuditStart, finish: AuditFinish) -> int:
        with self._transaction():
            audit_id = self.audit_start(start)
            self.audit_finish(audit_id, finish)
        return audit_id

    def close_stale_runs(self, reason: str) -> int:
        """Close the ``running`` rows whose owner is gone: a process of this host that no
        longer runs, or nobody holding the table's lock file (the owner holds it for
        as long as the row runs, and the system frees it when the owner dies)."""
        stamp = audit.timestamp(audit.now())
        here = audit.Owner.here()
        rows = self._conn.execute(audit.select_running("sqlite")).fetchall()
        closed = 0
        for row in map(audit.RunningRow.from_row, rows):
            owner = row.owner
            dead = (
                owner is not None
                and owner.host == here.host
                and owner.pid != here.pid
                and not _process_alive(owner.pid)
            )
            if dead or row.table is None or self._lock_free(row.table):
                sql, params = audit.close_stale("sqlite"), (reason, stamp, row.id)
                closed += self._conn.execute(sql, params).rowcount
        return closed

    def _lock_free(self, table: str) -> bool:
        if table in self._locks:
            return False
        if not self.acquire_table_lock(table, 0):
            return False
        self.release_table_lock(table)
        return True

    def history(self, limit: int = 100) -> list[EtlRunRecord]:
        rows = self._conn.execute(
            audit.history("sqlite"), (audit.HISTORY_LEFT_OUT, limit)
        ).fetchall()
        return [audit.record_from_row(row) for row in rows]

    # ------------------------------------------------------------------ data

    def existing_keys(self, table: str, column: str, values: Iterable[str]) -> set[str]:
        found: set[str] = set()
        pending = list(values)
        for start in range(0, len(pending), LOOKUP_CHUNK):
            chunk = pending[start : start + LOOKUP_CHUNK]
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"SELECT {ident(column, 'sqlite')} FROM {ident(table, 'sqlite')} "
                f"WHERE {ident(column, 'sqlite')} IN ({marks})"
            )
            found.update(row[0] for row in self._conn.execute(sql, chunk))
        return found

    def begin_load(self, table: Table, columns: Sequence[str]) -> SqliteLoad:
        return SqliteLoad(self._conn, table, columns)

    def row_counts(self) -> dict[str, int]:
        counts = {}
        for table in (*TABLES, None):
            name = table.name if table else AUDIT_TABLE
            row = self._conn.execute(f"SELECT COUNT(*) FROM {ident(name, 'sqlite')}").fetchone()
            counts[name] = int(row[0])
        return counts

    def close(self) -> None:
        for table in list(self._locks):
            self.release_table_lock(table)
        self._conn.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self._conn.execute("COMMIT" if kind is None else "ROLLBACK")


class SqliteLoad:
    """One file's upserts in one transaction."""

    def __init__(self, conn: sqlite3.Connection, table: Table, columns: Sequence[str]) -> None:
        self._conn = conn
        self._sql = upsert_rows(table, columns, "sqlite")
        self._conn.execute("BEGIN IMMEDIATE")
        self._open = True

    def write(self, batch: Batch) -> None:
        try:
            self._conn.executemany(self._sql, batch.value_rows())
        except sqlite3.Error as exc:
            raise DatabaseError(f"SQLite write failed: {exc}") from exc

    def commit(self, audit_id: int, finish: AuditFinish) -> None:
        try:
            self._conn.execute(audit.update_finish("sqlite"), audit.finish_params(audit_id, finish))
            self._conn.execute("COMMIT")
            self._open = False
        except sqlite3.Error as exc:
            raise DatabaseError(f"SQLite commit failed: {exc}") from exc

    def abort(self) -> None:
        if self._open:
            self._open = False
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                logger.warning("SQLite rollback failed", exc_info=True)
