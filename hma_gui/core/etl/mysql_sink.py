"""The production target: MySQL/MariaDB (RDS) through PyMySQL.

`MySqlDatabase` holds the control connection (schema, run lock, audit, foreign
key lookups; reconnects once when it was lost). A file's rows go through
`mysql_load.MySqlStagingLoad`, on a connection of their own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import pymysql.err

from hma_gui.core.etl import audit
from hma_gui.core.etl.database import (
    AuditFinish,
    AuditStart,
    DbConfig,
    EtlRunRecord,
)
from hma_gui.core.etl.ddl import AUDIT_TABLE, add_missing_columns, create_all, ident
from hma_gui.core.etl.mysql_connection import Connection, connect, is_lost, translate
from hma_gui.core.etl.mysql_load import MySqlStagingLoad
from hma_gui.core.etl.schema import SCHEMA_VERSION, TABLES, Table

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 1000
LOCK_NAME_LIMIT = 64
_DUPLICATE_COLUMN = 1060
_DUPLICATE_KEY = 1062
T = TypeVar("T")


def _tolerating(cursor: Any, sql: str, code: int, params: Any = None) -> None:
    """Run `sql`; a MySQL error `code` means another process did the same first."""
    try:
        cursor.execute(sql, params)
    except pymysql.err.MySQLError as exc:
        if not (exc.args and exc.args[0] == code):
            raise


class MySqlDatabase:
    def __init__(self, config: DbConfig) -> None:
        self.config = config
        self._conn: Connection = connect(config)
        self._locks: set[str] = set()  # tables whose lock this connection holds

    # ------------------------------------------------------------------ plumbing

    def _run(self, work: Callable[[Any], T]) -> T:
        """Run `work(cursor)` on the control connection, reconnecting once if it was lost."""
        for attempt in (1, 2):
            try:
                with self._conn.cursor() as cursor:
                    return work(cursor)
            except Exception as exc:  # noqa: BLE001 - translated below
                if attempt == 1 and is_lost(exc):
                    logger.warning("MySQL connection lost (%s); reconnecting", exc)
                    self._reconnect()
                    continue
                raise translate(exc, self.config) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _reconnect(self) -> None:
        try:
            self._conn.close()
        except Exception:
            logger.debug("closing a lost connection failed", exc_info=True)
        self._conn = connect(self.config)
        held, self._locks = self._locks, set()
        for table in sorted(held):  # the server released them with the old connection
            if not self.acquire_table_lock(table, 0):
                logger.warning("lost the lock of %s with the connection", table)

    # ------------------------------------------------------------------ schema

    def init_schema(self) -> list[str]:
        def work(cursor: Any) -> list[str]:
            before = self._tables(cursor)
            for statement in create_all("mysql"):
                cursor.execute(statement)
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = %s",
                (AUDIT_TABLE,),
            )
            for statement in add_missing_columns({row[0] for row in cursor.fetchall()}, "mysql"):
                _tolerating(cursor, statement, _DUPLICATE_COLUMN)  # another loader migrated
            select, insert = audit.version_rows("mysql")
            cursor.execute(select)
            if SCHEMA_VERSION not in [row[0] for row in cursor.fetchall()]:
                _tolerating(cursor, insert, _DUPLICATE_KEY, audit.version_params())
            return sorted(self._tables(cursor) - before)

        return self._run(work)

    @staticmethod
    def _tables(cursor: Any) -> set[str]:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
        return {row[0] for row in cursor.fetchall()}

    # ------------------------------------------------------------------ table locks

    def lock_name(self, table: str) -> str:
        """The server-wide ``GET_LOCK`` name of `table` in this database (≤ 64 characters)."""
        name = f"hma_etl.{self.config.database}.{table}"
        if len(name) > LOCK_NAME_LIMIT:
            digest = hashlib.sha256(self.config.database.encode()).hexdigest()[:16]
            name = f"hma_etl.{digest}.{table}"[:LOCK_NAME_LIMIT]
        return name

    def acquire_table_lock(self, table: str, wait: float) -> bool:
        if table in self._locks:
            return True

        def work(cursor: Any) -> Any:
            cursor.execute("SELECT GET_LOCK(%s, %s)", (self.lock_name(table), max(0.0, wait)))
            return cursor.fetchone()[0]

        if self._run(work) != 1:
            return False
        self._locks.add(table)
        return True

    def release_table_lock(self, table: str) -> None:
        if table in self._locks:
            self._locks.discard(table)
            try:
                with self._conn.cursor() as cursor:
                    cursor.execute("SELECT RELEASE_LOCK(%s)", (self.lock_name(table),))
            except Exception:
                logger.debug("releasing the lock of %s failed", table, exc_info=True)

    # ------------------------------------------------------------------ audit

    def loaded_before(self, bucket: str, key: str, etag: str) -> bool:
        def work(cursor: Any) -> bool:
            cursor.execute(audit.loaded_before("mysql"), (bucket, etag, key))
            return cursor.fetchone() is not None

        return self._run(work)

    def audit_start(self, start: AuditStart) -> int:
        def work(cursor: Any) -> int:
            owner = audit.Owner.here(self._conn.thread_id())  # type: ignore[no-untyped-call]
            cursor.execute(audit.insert_start("mysql"), audit.start_params(start, owner))
            return int(cursor.lastrowid)

        return self._run(work)

    def audit_finish(self, audit_id: int, finish: AuditFinish) -> None:
        self._run(
            lambda c: c.execute(audit.update_finish("mysql"), audit.finish_params(audit_id, finish))
        )

    def audit_record(self, start: AuditStart, finish: AuditFinish) -> int:
        audit_id = self.audit_start(start)
        self.audit_finish(audit_id, finish)
        return audit_id

    def close_stale_runs(self, reason: str) -> int:
        """Close the ``running`` rows whose owner is gone.

        The owner of a running row holds its table's ``GET_LOCK`` on the connection
        recorded as ``owner_conn`` for as long as the row runs; the server frees the
        lock when that connection ends (process killed, network lost). So a row is
        stale when ``IS_USED_LOCK`` of its table no longer names its connection —
        no ``PROCESS`` privilege needed to tell.
        """
        stamp = audit.timestamp(audit.now())

        def work(cursor: Any) -> int:
            cursor.execute(audit.select_running("mysql"))
            rows = [audit.RunningRow.from_row(row) for row in cursor.fetchall()]
            closed = 0
            for row in rows:
                holder = None
                if row.table is not None:
                    cursor.execute("SELECT IS_USED_LOCK(%s)", (self.lock_name(row.table),))
                    holder = cursor.fetchone()[0]
                alive = holder is not None and (
                    row.owner is None or row.owner.conn is None or int(holder) == row.owner.conn
                )
                if not alive:
                    params = (reason, stamp, row.id)
                    closed += int(cursor.execute(audit.close_stale("mysql"), params))
            return closed

        return self._run(work)

    def history(self, limit: int = 100) -> list[EtlRunRecord]:
        def work(cursor: Any) -> list[EtlRunRecord]:
            cursor.execute(audit.history("mysql"), (audit.HISTORY_LEFT_OUT, limit))
            return [audit.record_from_row(row) for row in cursor.fetchall()]

        return self._run(work)

    # ------------------------------------------------------------------ data

    def existing_keys(self, table: str, column: str, values: Iterable[str]) -> set[str]:
        pending = list(values)

        def work(cursor: Any) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(pending), LOOKUP_CHUNK):
                chunk = pending[start : start + LOOKUP_CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {ident(column, 'mysql')} FROM {ident(table, 'mysql')} "
                    f"WHERE {ident(column, 'mysql')} IN ({marks})",
                    chunk,
                )
                found.update(row[0] for row in cursor.fetchall())
            return found

        return self._run(work)

    def begin_load(self, table: Table, columns: Sequence[str]) -> MySqlStagingLoad:
        return MySqlStagingLoad(self.config, table, columns)

    def row_counts(self) -> dict[str, int]:
        def work(cursor: Any) -> dict[str, int]:
            counts = {}
            for name in [t.name for t in TABLES] + [AUDIT_TABLE]:
                cursor.execute(f"SELECT COUNT(*) FROM {ident(name, 'mysql')}")
                counts[name] = int(cursor.fetchone()[0])
            return counts

        return self._run(work)

    def close(self) -> None:
        for table in sorted(self._locks):
            self.release_table_lock(table)
        try:
            self._conn.close()
        except Exception:
            logger.debug("closing the MySQL connection failed", exc_info=True)
