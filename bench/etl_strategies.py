"""The MariaDB load strategies that lost, kept runnable so the choice can be re-measured.

    python bench/etl_bench.py run --strategies staging,single-merge,executemany

* ``staging`` (the product, `mysql_load.MySqlStagingLoad`): chunks staged with
  ``LOAD DATA LOCAL INFILE`` into a temporary table and merged chunk by chunk
  (``INSERT … SELECT … ON DUPLICATE KEY UPDATE``) by a loader thread, inside
  one transaction, while parsing goes on.
* ``single-merge``: the same staging, but one merge statement after the last
  chunk (the merge no longer overlaps with parsing).
* ``direct-replace``: no staging, no merge; each chunk ``LOAD DATA … REPLACE``
  straight into the table. Only correct when the file has every column (REPLACE
  rewrites whole rows, the upsert keeps columns the file lacks); it shows what
  the merge costs.
* ``executemany``: no staging; PyMySQL ``executemany`` of
  ``INSERT … ON DUPLICATE KEY UPDATE`` batches from a sender thread, in one
  transaction, overlapped with parsing.

Same validation, same atomicity (one transaction per file), same results.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Sequence
from typing import Any

from hma_gui.core.config.settings import Settings
from hma_gui.core.etl import audit
from hma_gui.core.etl.database import AuditFinish, DbConfig
from hma_gui.core.etl.ddl import STAGING_PREFIX, ident, merge_from_staging, upsert_rows
from hma_gui.core.etl.mysql_connection import connect, translate
from hma_gui.core.etl.mysql_load import MySqlStagingLoad, load_statement
from hma_gui.core.etl.mysql_sink import MySqlDatabase
from hma_gui.core.etl.schema import Table
from hma_gui.core.etl.validation import Batch


class SingleMergeLoad(MySqlStagingLoad):
    def _merge_chunk(self, cursor: Any, first: int, last: int) -> None:
        return None  # everything is merged at once, at the commit

    def _merge_rest(self, cursor: Any) -> None:
        cursor.execute(merge_from_staging(self._table, self._columns))


class DirectReplaceLoad(MySqlStagingLoad):
    """No staging: each chunk goes straight into the table with ``LOAD DATA … REPLACE``.

    Only equal to the upsert when the file has every column of the table (REPLACE
    rewrites whole rows); measured to see what the merge costs.
    """

    def __init__(self, config: DbConfig, table: Table, columns: Sequence[str]) -> None:
        super().__init__(config, table, columns)
        staging = ident(STAGING_PREFIX + table.name, "mysql")
        self._load_sql = (
            load_statement(table, columns)
            .replace(f"INTO TABLE {staging}", f"REPLACE INTO TABLE {ident(table.name, 'mysql')}")
            .replace("(`_line`,", "(@_line,")
        )

    def _merge_chunk(self, cursor: Any, first: int, last: int) -> None:
        return None  # loaded into the table already


class ExecutemanyLoad:
    BATCH = 5000

    def __init__(self, config: DbConfig, table: Table, columns: Sequence[str]) -> None:
        self._config = config
        self._conn = connect(config)
        self._sql = upsert_rows(table, columns, "mysql")
        self._queue: queue.Queue[list[Any] | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        with self._conn.cursor() as cursor:
            cursor.execute("START TRANSACTION")
        self._thread = threading.Thread(target=self._send, daemon=True)
        self._thread.start()

    def _send(self) -> None:
        while True:
            rows = self._queue.get()
            if rows is None:
                return
            if self._error is None:
                try:
                    with self._conn.cursor() as cursor:
                        cursor.executemany(self._sql, rows)
                except BaseException as exc:
                    self._error = exc

    def write(self, batch: Batch) -> None:
        if self._error is not None:
            raise translate(self._error, self._config)
        self._queue.put(list(batch.value_rows()))

    def commit(self, audit_id: int, finish: AuditFinish) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            self.abort()
            raise translate(self._error, self._config)
        with self._conn.cursor() as cursor:
            cursor.execute(audit.update_finish("mysql"), audit.finish_params(audit_id, finish))
        self._conn.commit()
        self._conn.close()

    def abort(self) -> None:
        self._error = self._error or RuntimeError("aborted")
        self._queue.put(None)
        self._thread.join()
        with contextlib.suppress(Exception):
            self._conn.rollback()
            self._conn.close()


class _StrategyDatabase(MySqlDatabase):
    load_class: Any = MySqlStagingLoad

    def begin_load(self, table: Table, columns: Sequence[str]) -> Any:
        return self.load_class(self.config, table, columns)


def open_strategy(name: str, settings: Settings) -> MySqlDatabase:
    classes = {
        "single-merge": SingleMergeLoad,
        "executemany": ExecutemanyLoad,
        "direct-replace": DirectReplaceLoad,
    }
    database = _StrategyDatabase(DbConfig.from_settings(settings))
    database.load_class = classes[name]
    return database
