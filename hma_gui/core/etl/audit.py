"""``etl_runs`` and the schema version: the SQL both targets share, and a pending journal.

Every file of every run gets one ``etl_runs`` row. A loaded file's row becomes
``succeeded`` in the same transaction as its data, so "this ETag was loaded"
and "these rows are in the table" can never disagree. When the database is
gone at the moment a failure should be recorded (the server was killed), the
update is kept in a small JSON-lines journal in the data directory and applied
by the next run; rows still ``running`` after that were left by a run that died
and are closed as failed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hma_gui.core import app_dirs
from hma_gui.core.etl.database import AuditFinish, AuditStart, EtlRunRecord
from hma_gui.core.etl.ddl import AUDIT_TABLE, VERSION_TABLE, Dialect, ident, placeholder
from hma_gui.core.etl.results import FileStatus
from hma_gui.core.etl.schema import SCHEMA_VERSION

logger = logging.getLogger(__name__)

SCHEMA_DESCRIPTION = "plans, members, deductibles_oop, benefit_accumulator, etl_runs"
_HISTORY_COLUMNS = (
    "id, run_id, bucket, object_key, etag, table_name, status, rows_read, rows_loaded, "
    "rows_rejected, rows_superseded, started_at, finished_at, error, rejects_path, source"
)
_FINISH_COLUMNS = (
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "rows_superseded",
    "encoding",
    "rejects_path",
    "error",
    "finished_at",
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def timestamp(value: dt.datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="microseconds") if value else None


@dataclass(frozen=True)
class Owner:
    """Who writes a ``running`` row: this host and process, and (MySQL) its connection id.

    A later run closes a ``running`` row as interrupted only when its owner is
    gone (`close_stale_runs` of each target), never while the owner still loads.
    """

    host: str
    pid: int
    conn: int | None = None

    @classmethod
    def here(cls, conn: int | None = None) -> Owner:
        return cls(socket.gethostname(), os.getpid(), conn)


def insert_start(dialect: Dialect) -> str:
    p = placeholder(dialect)
    return (
        f"INSERT INTO {ident(AUDIT_TABLE, dialect)} (run_id, bucket, object_key, etag, version_id, "
        "object_size, table_name, status, started_at, source, owner_host, owner_pid, owner_conn) "
        f"VALUES ({', '.join([p] * 13)})"
    )


def start_params(start: AuditStart, owner: Owner) -> tuple[Any, ...]:
    return (
        start.run_id,
        start.bucket,
        start.key,
        start.etag,
        start.version_id,
        start.size,
        start.table,
        "running",
        timestamp(start.started_at),
        start.source,
        owner.host,
        owner.pid,
        owner.conn,
    )


def update_finish(dialect: Dialect) -> str:
    p = placeholder(dialect)
    sets = ", ".join(f"{name} = {p}" for name in _FINISH_COLUMNS)
    return f"UPDATE {ident(AUDIT_TABLE, dialect)} SET {sets} WHERE id = {p}"


def finish_params(audit_id: int, finish: AuditFinish) -> tuple[Any, ...]:
    return (
        finish.status,
        finish.rows_read,
        finish.rows_loaded,
        finish.rows_rejected,
        finish.rows_superseded,
        finish.encoding,
        finish.rejects_path,
        _clip(finish.error),
        timestamp(finish.finished_at or now()),
        audit_id,
    )


def loaded_before(dialect: Dialect) -> str:
    p = placeholder(dialect)
    return (
        f"SELECT 1 FROM {ident(AUDIT_TABLE, dialect)} WHERE bucket = {p} AND etag = {p} "
        f"AND object_key = {p} AND status = 'succeeded' LIMIT 1"
    )


def select_running(dialect: Dialect) -> str:
    """The ``running`` rows: (id, table_name, owner_host, owner_pid, owner_conn)."""
    return (
        f"SELECT id, table_name, owner_host, owner_pid, owner_conn FROM "
        f"{ident(AUDIT_TABLE, dialect)} WHERE status = 'running'"
    )


def close_stale(dialect: Dialect) -> str:
    """Close one row as interrupted, only if it is still ``running`` (its owner may just
    have finished it between the look and this update)."""
    p = placeholder(dialect)
    return (
        f"UPDATE {ident(AUDIT_TABLE, dialect)} SET status = 'failed', error = {p}, "
        f"finished_at = {p} WHERE id = {p} AND status = 'running'"
    )


@dataclass(frozen=True)
class RunningRow:
    id: int
    table: str | None
    owner: Owner | None  # None: written by a version that did not record owners

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> RunningRow:
        owner = (
            Owner(str(row[2]), int(row[3]), None if row[4] is None else int(row[4]))
            if row[2] is not None and row[3] is not None
            else None
        )
        return cls(int(row[0]), row[1], owner)


def history(dialect: Dialect) -> str:
    """The latest loads, newest first; parameters: the status left out, the limit.

    Files whose name matches no table (``no_table``) are left out: a folder of other
    CSVs added hundreds per run and pushed the real loads out of the latest 100. They
    stay in ``etl_runs`` and in each run's report.
    """
    p = placeholder(dialect)
    return (
        f"SELECT {_HISTORY_COLUMNS} FROM {ident(AUDIT_TABLE, dialect)} "
        f"WHERE status <> {p} ORDER BY id DESC LIMIT {p}"
    )


HISTORY_LEFT_OUT = FileStatus.NO_TABLE.value


def record_from_row(row: tuple[Any, ...]) -> EtlRunRecord:
    values = list(row)
    for index in (11, 12):  # timestamps: datetime from MySQL, text from SQLite
        if isinstance(values[index], dt.datetime):
            values[index] = timestamp(values[index])
    return EtlRunRecord(
        id=int(values[0]),
        run_id=values[1],
        bucket=values[2],
        key=values[3],
        etag=values[4],
        table=values[5],
        status=values[6],
        rows_read=int(values[7]),
        rows_loaded=int(values[8]),
        rows_rejected=int(values[9]),
        rows_superseded=int(values[10]),
        started_at=values[11],
        finished_at=values[12],
        error=values[13],
        rejects_path=values[14],
        source=values[15],
    )


def version_rows(dialect: Dialect) -> tuple[str, str]:
    """(select the recorded versions, insert this version if absent)."""
    p = placeholder(dialect)
    table = ident(VERSION_TABLE, dialect)
    select = f"SELECT version FROM {table} ORDER BY version"
    insert = f"INSERT INTO {table} (version, applied_at, description) VALUES ({p}, {p}, {p})"
    return select, insert


def version_params() -> tuple[Any, ...]:
    return (SCHEMA_VERSION, timestamp(now()), SCHEMA_DESCRIPTION)


def _clip(text: str | None, limit: int = 1000) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


class PendingAudit:
    """Audit updates that could not be written yet, per target, in the data directory."""

    def __init__(self, target: str, path: Path | None = None) -> None:
        self._target = target
        self._path = path or app_dirs.data_dir() / "etl-pending-audit.jsonl"

    def add(self, audit_id: int, finish: AuditFinish) -> None:
        entry = {"target": self._target, "id": audit_id, **asdict(finish)}
        entry["finished_at"] = timestamp(finish.finished_at or now())
        app_dirs.ensure_dir(self._path.parent)
        with open(self._path, "a", encoding="utf-8", opener=app_dirs.private_opener) as handle:
            handle.write(json.dumps(entry) + "\n")

    def take(self) -> list[tuple[int, AuditFinish]]:
        """This target's entries (removed from the journal; the others stay)."""
        try:
            lines = self._path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        mine: list[tuple[int, AuditFinish]] = []
        others: list[str] = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("target") != self._target:
                others.append(line)
                continue
            finished = entry.pop("finished_at", None)
            audit_id = int(entry.pop("id"))
            entry.pop("target", None)
            finish = AuditFinish(
                **entry,
                finished_at=dt.datetime.fromisoformat(finished) if finished else None,
            )
            mine.append((audit_id, finish))
        if others:
            with open(self._path, "w", encoding="utf-8", opener=app_dirs.private_opener) as out:
                out.write("".join(line + "\n" for line in others))
        else:
            self._path.unlink(missing_ok=True)
        return mine
