"""The ETL tab's history: the latest ``etl_runs`` rows and the tables' sizes.

`read_history` runs on the ETL pool (it opens the database); `EtlHistoryModel`
shows what it read. An embedded SQLite file that does not exist yet is not
created just to show an empty history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from hma_gui.core.etl.database import DbConfig, EtlRunRecord
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.results import EtlSource, FileStatus
from hma_gui.ui import icons, theme
from hma_gui.ui.etl.model import status_label, status_state
from hma_gui.ui.etl.rejects_dialog import shown_key
from hma_gui.ui.table_model import HeaderedTableModel

ModelIndex = QModelIndex | QPersistentModelIndex

HISTORY_LIMIT = 100
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class HistorySnapshot:
    target: str
    records: list[EtlRunRecord] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)

    def describe_counts(self) -> str:
        tables = [(name, n) for name, n in self.row_counts.items() if name != "etl_runs"]
        if not tables:
            return "No tables yet: the first run creates them."
        return "Rows now: " + " · ".join(f"{name} {n:,}" for name, n in tables)


def read_history(config: DbConfig, limit: int = HISTORY_LIMIT) -> HistorySnapshot:
    """The latest runs and the table sizes (on a worker thread; raises `DatabaseError`)."""
    if config.dialect == "sqlite" and config.path is not None and not config.path.exists():
        return HistorySnapshot(config.display)
    database = open_database(config)
    try:
        database.init_schema()  # as `hma-ingest db history`: an older file gets etl_runs
        return HistorySnapshot(config.display, database.history(limit), database.row_counts())
    finally:
        database.close()


def local_time(stamp: str | None) -> str:
    """``2025-03-01 14:02:03`` in local time, from the UTC text stored in ``etl_runs``."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)
    except ValueError:
        return stamp[:19]
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


SOURCE_LABELS = {
    EtlSource.WINDOW: "Window",
    EtlSource.CLI: "Command line",
    EtlSource.WORKER: "Worker",
    EtlSource.LAMBDA: "S3 event (Lambda)",
}


def source_label(source: str | None) -> str:
    """Who started a load, for people (``etl_runs.source`` holds the `EtlSource` code)."""
    if source is None:
        return "—"  # recorded before sources were
    try:
        return SOURCE_LABELS[EtlSource(source)]
    except ValueError:
        return source


def record_status(record: EtlRunRecord) -> FileStatus | None:
    try:
        return FileStatus(record.status)
    except ValueError:
        return None


class HistoryColumn(IntEnum):
    STARTED = 0
    FILE = 1
    TABLE = 2
    STATUS = 3
    SOURCE = 4
    READ = 5
    LOADED = 6
    REJECTED = 7
    SUPERSEDED = 8
    MESSAGE = 9


HISTORY_HEADERS = {
    HistoryColumn.STARTED: "Started",
    HistoryColumn.FILE: "File",
    HistoryColumn.TABLE: "Table",
    HistoryColumn.STATUS: "Status",
    HistoryColumn.SOURCE: "Source",
    HistoryColumn.READ: "Read",
    HistoryColumn.LOADED: "Loaded",
    HistoryColumn.REJECTED: "Rejected",
    HistoryColumn.SUPERSEDED: "Superseded",
    HistoryColumn.MESSAGE: "Message",
}
_COUNTS = (
    HistoryColumn.READ,
    HistoryColumn.LOADED,
    HistoryColumn.REJECTED,
    HistoryColumn.SUPERSEDED,
)
_COUNTED = ("succeeded", "validated")


class EtlHistoryModel(HeaderedTableModel):
    headers = HISTORY_HEADERS
    right_aligned = _COUNTS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.records: list[EtlRunRecord] = []

    def set_records(self, records: list[EtlRunRecord]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def row_total(self) -> int:
        return len(self.records)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not 0 <= index.row() < len(self.records):
            return None
        record = self.records[index.row()]
        column = HistoryColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(record, column)
        status = record_status(record)
        if role == Qt.ItemDataRole.DecorationRole and column == HistoryColumn.STATUS:
            return icons.state_icon(status_state(status)) if status else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == HistoryColumn.STATUS and status is not None:
                return theme.ink(theme.STATE_COLORS[status_state(status)])
            if column == HistoryColumn.REJECTED and record.rows_rejected:
                return theme.ink(theme.DANGER)
            if column in (HistoryColumn.STARTED, HistoryColumn.MESSAGE):
                return theme.ink(theme.TEXT_MUTED)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in _COUNTS else _LEFT
        if role == RECORD_ROLE:
            return record
        return None

    @staticmethod
    def text(record: EtlRunRecord, column: HistoryColumn) -> str:
        if column == HistoryColumn.STARTED:
            return local_time(record.started_at)
        if column == HistoryColumn.FILE:
            return shown_key(record.key)  # the key below mba/csv/: 2024/q1/members.csv
        if column == HistoryColumn.TABLE:
            return record.table or "—"
        if column == HistoryColumn.STATUS:
            status = record_status(record)
            return status_label(status) if status else record.status
        if column == HistoryColumn.MESSAGE:
            return record.error or ""
        if column == HistoryColumn.SOURCE:
            return source_label(record.source)
        if record.status not in _COUNTED:
            return ""
        value = {
            HistoryColumn.READ: record.rows_read,
            HistoryColumn.LOADED: record.rows_loaded,
            HistoryColumn.REJECTED: record.rows_rejected,
            HistoryColumn.SUPERSEDED: record.rows_superseded,
        }[column]
        return f"{value:,}"

    @staticmethod
    def _tooltip(record: EtlRunRecord, column: HistoryColumn) -> str | None:
        if column == HistoryColumn.FILE:
            lines = [f"s3://{record.bucket}/{record.key}", f"ETag {record.etag or '—'}"]
            lines.append(f"run {record.run_id}")
            if record.rejects_path:
                lines.append(f"rejects report: {record.rejects_path} (double-click opens it)")
            return "\n".join(lines)
        if column == HistoryColumn.MESSAGE and record.error:
            return record.error
        if column == HistoryColumn.STARTED and record.finished_at:
            return f"finished {local_time(record.finished_at)}"
        return None
