"""Loading one file's rows into MySQL/MariaDB.

How a file is loaded: the validated rows are written as chunks of
`CHUNK_ROWS` to a private temporary directory while parsing goes on; a loader
thread streams each finished chunk with ``LOAD DATA LOCAL INFILE`` into a
``TEMPORARY`` staging table and merges it into the real table with
``INSERT … SELECT … ORDER BY _line ON DUPLICATE KEY UPDATE col = VALUES(col)``
(``VALUES()``: MySQL 8's ``AS new`` alias is a syntax error on MariaDB). All
chunks of a file are merged inside one transaction, committed together with
the file's ``etl_runs`` row.

Why this one (``bench/etl.sh --strategies staging,single-merge,executemany``,
1,000,000 member rows, figures in ``bench/RESULTS.md``): batched
``executemany`` upserts overlapped with parsing took ~2x as long (and twice
the client CPU), because PyMySQL escapes and formats every value in Python
under the GIL the parser needs, while ``LOAD DATA`` hands bytes to the
server, which parses them on the other core. One merge after the last chunk
(the issue's first suggestion) took ~1.2x as long: the merge then runs after
parsing instead of alongside it.

Why it is atomic: the staging table is private to the load connection, and
the real table changes only inside the file's transaction. A crash, a killed
connection or a cancel before the commit leaves the table exactly as it was
(InnoDB rolls back; the temporary table disappears with the connection).

``LOAD DATA LOCAL`` is enabled only on the per-file load connection, never on
the connection that reads and audits, and even there the server gets only the
chunk file offered for the statement it is running (`Connection.offering`).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hma_gui.core.etl import audit
from hma_gui.core.etl.database import AuditFinish, DatabaseError, DbConfig
from hma_gui.core.etl.ddl import STAGING_PREFIX, ident, merge_from_staging, staging_table
from hma_gui.core.etl.mysql_connection import Connection, connect, translate
from hma_gui.core.etl.schema import Table
from hma_gui.core.etl.validation import Batch

logger = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
# Chunks separate fields with US (0x1F) and rows with RS (0x1E), the ASCII separators
# that CSV data practically never contains: a batch then needs no quoting at all, just
# two joins. A batch whose values do contain them, or a backslash, is escaped.
FIELD_SEP, ROW_SEP, ESCAPE = "\x1f", "\x1e", "\\"
LOAD_FORMAT = (
    "CHARACTER SET utf8mb4 FIELDS TERMINATED BY 0x1f ESCAPED BY '\\\\' LINES TERMINATED BY 0x1e"
)
_ESCAPES = str.maketrans(
    {ESCAPE: ESCAPE * 2, FIELD_SEP: ESCAPE + FIELD_SEP, ROW_SEP: ESCAPE + ROW_SEP}
)


def chunk_text(batch: Batch) -> str:
    """A batch's good rows in the chunk format: fields joined by US, rows ended by RS.

    NULL is written as an empty field (the validation never yields an empty string).
    """
    texts = [c if None not in c else [v or "" for v in c] for c in batch.columns]
    rows = len(batch)
    body = ROW_SEP.join(
        map(FIELD_SEP.join, batch.select(zip(map(str, batch.lines), *texts, strict=True)))
    )
    clean = (
        ESCAPE not in body
        and body.count(FIELD_SEP) == rows * len(texts)
        and body.count(ROW_SEP) == rows - 1
    )
    if not clean:
        escaped = [[(v or "").translate(_ESCAPES) for v in column] for column in texts]
        body = ROW_SEP.join(
            map(FIELD_SEP.join, batch.select(zip(map(str, batch.lines), *escaped, strict=True)))
        )
    return body + ROW_SEP if rows else ""


def load_statement(table: Table, columns: Sequence[str]) -> str:
    """LOAD DATA of one chunk into the staging table.

    The validation never produces an empty string (empty cells are NULL), so
    an empty field in a chunk means NULL: nullable columns go through a user
    variable and ``NULLIF``; the others load directly.
    """
    targets = ["`_line`"]
    sets = []
    for name in columns:
        column = table.column(name)
        if column.required or column.default is not None:
            targets.append(ident(name, "mysql"))
        else:
            variable = f"@v_{name}"
            targets.append(variable)
            sets.append(f"{ident(name, 'mysql')} = NULLIF({variable}, '')")
    staging = ident(STAGING_PREFIX + table.name, "mysql")
    tail = f" SET {', '.join(sets)}" if sets else ""
    return (
        f"LOAD DATA LOCAL INFILE %s INTO TABLE {staging} {LOAD_FORMAT} ({', '.join(targets)}){tail}"
    )


class MySqlStagingLoad:
    """One file: chunks → LOAD DATA into a temporary table → merged chunk by chunk.

    The load connection opens one transaction before the first merge; every
    chunk is staged and merged by the loader thread while the next chunk is
    being parsed and validated; `commit` merges the last chunk, finishes the
    audit row and commits. Nothing is visible to others before that commit.
    """

    def __init__(self, config: DbConfig, table: Table, columns: Sequence[str]) -> None:
        self._config = config
        self._table = table
        self._columns = list(columns)
        self._conn: Connection | None = connect(config, local_infile=True)
        self._dir = Path(tempfile.mkdtemp(prefix="hma-etl-"))
        self._chunks: queue.Queue[tuple[Path, int, int] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._handle: Any = None
        self._first_line = self._last_line = 0
        self._rows_in_chunk = 0
        self._chunk_no = 0
        self._staged = 0
        self._load_sql = load_statement(table, self._columns)
        self._merge_sql = merge_from_staging(table, self._columns, ranged=True)
        try:
            with self._conn.cursor() as cursor:
                cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {STAGING_PREFIX}{table.name}")
                cursor.execute(staging_table(table, self._columns))
                cursor.execute("START TRANSACTION")
        except Exception as exc:  # noqa: BLE001
            self._close_connection()
            shutil.rmtree(self._dir, ignore_errors=True)
            raise translate(exc, config) from None
        self._thread = threading.Thread(
            target=self._load_chunks, name="etl-mysql-load", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ producer side

    def write(self, batch: Batch) -> None:
        self._raise_loader_error()
        if not len(batch):
            return
        lines = list(batch.select(batch.lines))
        if self._handle is None:
            self._chunk_no += 1
            path = self._dir / f"chunk-{self._chunk_no:06d}.txt"
            self._handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._first_line = lines[0]
        self._handle.write(chunk_text(batch))
        self._last_line = lines[-1]
        self._rows_in_chunk += len(lines)
        if self._rows_in_chunk >= CHUNK_ROWS:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._handle is None:
            return
        self._handle.close()
        item = (Path(self._handle.name), self._first_line, self._last_line)
        self._handle = None
        self._rows_in_chunk = 0
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                self._raise_loader_error()
        item[0].unlink(missing_ok=True)

    def _raise_loader_error(self) -> None:
        if self._error is not None:
            raise translate(self._error, self._config) from None

    # ------------------------------------------------------------------ loader thread

    def _load_chunks(self) -> None:
        assert self._conn is not None
        while True:
            item = self._chunks.get()
            if item is None:
                return
            path, first, last = item
            try:
                if self._error is None and not self._stop.is_set():
                    with self._conn.cursor() as cursor:
                        self._staged += self._stage(cursor, path)
                        self._merge_chunk(cursor, first, last)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer
                self._error = exc
            finally:
                path.unlink(missing_ok=True)

    def _merge_chunk(self, cursor: Any, first: int, last: int) -> None:
        """Merge the staged lines `first`…`last` into the table (in the file's transaction)."""
        cursor.execute(self._merge_sql, (first, last))

    def _merge_rest(self, cursor: Any) -> None:
        """What is left to merge at the commit: nothing, every chunk is merged as it lands
        (``bench/etl_strategies.py`` merges here instead, to measure the difference)."""

    def _stage(self, cursor: Any, path: Path) -> int:
        assert self._conn is not None
        with self._conn.offering(path):  # the one file the server may ask for now
            loaded = int(cursor.execute(self._load_sql, (str(path),)))
        cursor.execute("SELECT @@warning_count")
        warnings = int((cursor.fetchone() or (0,))[0])
        if warnings:
            cursor.execute("SHOW WARNINGS LIMIT 3")
            shown = "; ".join(str(w[2]) for w in cursor.fetchall())
            raise DatabaseError(f"LOAD DATA reported {warnings} warnings: {shown}")
        return loaded

    # ------------------------------------------------------------------ end of file

    def commit(self, audit_id: int, finish: AuditFinish) -> None:
        try:
            self._hand_over()
            self._chunks.put(None)
            self._thread.join()
            self._raise_loader_error()
            assert self._conn is not None
            if self._staged != finish.rows_loaded:
                raise DatabaseError(
                    f"staged {self._staged} rows but validated {finish.rows_loaded}"
                )
            with self._conn.cursor() as cursor:
                self._merge_rest(cursor)
                cursor.execute(audit.update_finish("mysql"), audit.finish_params(audit_id, finish))
            self._conn.commit()
        except Exception as exc:  # noqa: BLE001
            self.abort()
            raise translate(exc, self._config) from None
        self._cleanup()

    def abort(self) -> None:
        self._stop.set()
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._thread.is_alive():
            while True:  # drain so that the sentinel fits, then wait for the current chunk
                try:
                    self._chunks.put_nowait(None)
                    break
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        self._chunks.get_nowait()
            self._thread.join(timeout=60)
        if self._conn is not None:
            try:
                self._conn.rollback()
            except Exception:
                logger.debug("rollback failed", exc_info=True)
        self._cleanup()

    def _cleanup(self) -> None:
        self._close_connection()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                logger.debug("closing the load connection failed", exc_info=True)
