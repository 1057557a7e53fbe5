"""The production target: MySQL/MariaDB (RDS) through PyMySQL.

`MySqlDatabase` holds the control connection (schema, run lock, audit, foreign
key lookups; reconnects once when it was lost). A file's rows go through
`mysql_load.MySqlStagingLoad`, on a connection of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from hma_gui.core.etl import audit
from hma_gui.core.etl.database import (
    AuditFinish,
    AuditStart,
    DatabaseError,
    DbConfig,
    DbErrorKind,
    EtlRunRecord,
)
from hma_gui.core.etl.ddl import AUDIT_TABLE, create_all, ident
from hma_gui.core.etl.mysql_connection import Connection, connect, is_lost, translate
from hma_gui.core.etl.mysql_load import MySqlStagingLoad
from hma_gui.core.etl.schema import SCHEMA_VERSION, TABLES, Table

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 1000
T = TypeVar("T")


class MySqlDatabase:
    def __init__(self, config: DbConfig) -> None:
        self.config = config
        self._conn: Connection = connect(config)
        self._lock_name = f"hma_etl.{config.database}"[:64]
        self._locked = False

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
        if self._locked:
            self._locked = False
            self.acquire_run_lock()

    # ------------------------------------------------------------------ schema

    def init_schema(self) -> list[str]:
        def work(cursor: Any) -> list[str]:
            before = self._tables(cursor)
            for statement in create_all("mysql"):
                cursor.execute(statement)
            select, insert = audit.version_rows("mysql")
            cursor.execute(select)
            if SCHEMA_VERSION not in [row[0] for row in cursor.fetchall()]:
                cursor.execute(insert, audit.version_params())
            return sorted(self._tables(cursor) - before)

        return self._run(work)

    @staticmethod
    def _tables(cursor: Any) -> set[str]:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
        return {row[0] for row in cursor.fetchall()}

    # ------------------------------------------------------------------ run lock

    def acquire_run_lock(self) -> None:
        def work(cursor: Any) -> Any:
            cursor.execute("SELECT GET_LOCK(%s, 0)", (self._lock_name,))
            return cursor.fetchone()[0]

        if self._run(work) != 1:
            raise DatabaseError(
                f"another ETL run is loading into {self.config.display}; wait for it to finish",
                DbErrorKind.BUSY,
            )
        self._locked = True

    def release_run_lock(self) -> None:
        if self._locked:
            self._locked = False
            try:
                with self._conn.cursor() as cursor:
                    cursor.execute("SELECT RELEASE_LOCK(%s)", (self._lock_name,))
            except Exception:
                logger.debug("releasing the ETL lock failed", exc_info=True)

    # ------------------------------------------------------------------ audit

    def loaded_before(self, bucket: str, key: str, etag: str) -> bool:
        def work(cursor: Any) -> bool:
            cursor.execute(audit.loaded_before("mysql"), (bucket, etag, key))
            return cursor.fetchone() is not None

        return self._run(work)

    def audit_start(self, start: AuditStart) -> int:
        def work(cursor: Any) -> int:
            cursor.execute(audit.insert_start("mysql"), audit.start_params(start))
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
        stamp = audit.timestamp(audit.now())
        return int(self._run(lambda c: c.execute(audit.close_stale("mysql"), (reason, stamp))))

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
        self.release_run_lock()
        try:
            self._conn.close()
        except Exception:
            logger.debug("closing the MySQL connection failed", exc_info=True)
