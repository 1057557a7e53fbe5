"""The ETL tab's per-file view: rows, the board the worker writes, the table model.

The run happens on a worker thread, which reports through `EtlProgress`
callbacks. `EtlBoard` implements that protocol by writing immutable `FileRow`
snapshots into a lock-protected dict; the window's timer takes the rows that
changed since the last look (`EtlBoard.take`, a few times a second) and hands
them to `EtlFileModel.apply`, which emits one `dataChanged` over the rows that
changed. No signal per batch, no widget touched from the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from hma_gui.core.etl.planning import PlannedFile
from hma_gui.core.etl.results import FileResult, FileStatus, RunResult
from hma_gui.core.etl.s3_source import SourceObject
from hma_gui.core.jobs.store import JobState
from hma_gui.ui import icons, theme
from hma_gui.ui.table_model import HeaderedTableModel

ModelIndex = QModelIndex | QPersistentModelIndex

PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1  # float 0..1, or None: no bar
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's FileStatus (None: not started)
ROW_ROLE = Qt.ItemDataRole.UserRole + 3

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

# What a status looks like: its label, and the upload state whose icon and colour it borrows.
STATUS_LOOK: dict[FileStatus | None, tuple[str, JobState]] = {
    None: ("Waiting", JobState.QUEUED),
    FileStatus.RUNNING: ("Loading", JobState.RUNNING),
    FileStatus.SUCCEEDED: ("Loaded", JobState.DONE),
    FileStatus.VALIDATED: ("Validated", JobState.DONE),
    FileStatus.SKIPPED: ("Skipped", JobState.SKIPPED),
    FileStatus.NO_TABLE: ("No table", JobState.SKIPPED),
    FileStatus.REJECTED: ("Rejected", JobState.FAILED),
    FileStatus.FAILED: ("Failed", JobState.FAILED),
    FileStatus.CANCELLED: ("Cancelled", JobState.SKIPPED),
    FileStatus.BUSY: ("Busy (retried)", JobState.FAILED),
    FileStatus.DEFERRED: ("Waiting for parents", JobState.QUEUED),
    FileStatus.MISSING: ("Object gone", JobState.SKIPPED),
}


def status_label(status: FileStatus | None) -> str:
    return STATUS_LOOK[status][0]


def status_state(status: FileStatus | None) -> JobState:
    return STATUS_LOOK[status][1]


@dataclass(frozen=True)
class FileRow:
    """One file of the current run, as shown; replaced (never changed) on each update."""

    key: str
    uri: str
    size: int
    table: str | None
    status: FileStatus | None = None  # None: planned, not started yet
    bytes_done: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_superseded: int = 0
    message: str = ""

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def counted(self) -> bool:
        """Whether the row counts mean something (the file was read to the end)."""
        return self.status in (FileStatus.SUCCEEDED, FileStatus.VALIDATED)

    @property
    def progress(self) -> float | None:
        if self.status in (FileStatus.SUCCEEDED, FileStatus.VALIDATED):
            return 1.0
        if self.status in (None, FileStatus.SKIPPED, FileStatus.NO_TABLE) or not self.size:
            return None
        return min(1.0, self.bytes_done / self.size)

    @classmethod
    def planned(cls, source: SourceObject, table: str | None) -> FileRow:
        return cls(source.key, source.uri, source.size, table)

    def finished(self, result: FileResult) -> FileRow:
        return replace(
            self,
            table=result.table,
            status=result.status,
            rows_read=result.rows_read,
            rows_loaded=result.rows_loaded,
            rows_rejected=result.rows_rejected,
            rows_superseded=result.rows_superseded,
            message=describe_result(result),
        )


def describe_result(result: FileResult) -> str:
    if result.status is FileStatus.SKIPPED:  # the core's note names the CLI's --force
        return "this version was loaded before (Force reload loads it again)"
    parts = [result.error] if result.error else []
    if result.rows_rejected:
        rows = "row" if result.rows_rejected == 1 else "rows"
        parts.append(f"{result.rows_rejected:,} {rows} rejected: see the rejects report")
    parts.extend(result.notes)
    return "; ".join(p for p in parts if p)


@dataclass
class BoardChanges:
    reset: bool  # a new run began: `rows` are all the rows, in order
    rows: list[FileRow] = field(default_factory=list)


class EtlBoard:
    """`EtlProgress` for the GUI: the worker writes here, the window's timer reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, FileRow] = {}
        self._changed: dict[str, None] = {}  # ordered set
        self._reset = False

    def plan(self, planned: Sequence[PlannedFile]) -> None:
        """The files the run is about to load, in load order (shown as waiting)."""
        rows = {
            p.source.key: FileRow.planned(p.source, p.table.name if p.table else None)
            for p in planned
        }
        with self._lock:
            self._rows = rows
            self._changed = dict.fromkeys(rows)
            self._reset = True

    def file_started(self, source: SourceObject, table: str | None, index: int, count: int) -> None:
        with self._lock:
            row = self._rows.get(source.key) or FileRow.planned(source, table)
            self._put(replace(row, status=FileStatus.RUNNING, bytes_done=0))

    def file_progress(self, source: SourceObject, bytes_done: int, rows_read: int) -> None:
        with self._lock:
            row = self._rows.get(source.key) or FileRow.planned(source, None)
            self._put(replace(row, bytes_done=bytes_done, rows_read=rows_read))

    def file_finished(self, result: FileResult) -> None:
        with self._lock:
            row = self._rows.get(result.source.key) or FileRow.planned(result.source, result.table)
            self._put(row.finished(result))

    def _put(self, row: FileRow) -> None:
        self._rows[row.key] = row
        self._changed[row.key] = None

    def take(self) -> BoardChanges | None:
        """The rows changed since the last call (None: nothing changed)."""
        with self._lock:
            if not self._changed and not self._reset:
                return None
            if self._reset:
                changes = BoardChanges(True, list(self._rows.values()))
            else:
                changes = BoardChanges(False, [self._rows[k] for k in self._changed])
            self._changed = {}
            self._reset = False
        return changes


class FileColumn(IntEnum):
    FILE = 0
    TABLE = 1
    STATUS = 2
    PROGRESS = 3
    READ = 4
    LOADED = 5
    REJECTED = 6
    SUPERSEDED = 7
    MESSAGE = 8


FILE_HEADERS = {
    FileColumn.FILE: "File",
    FileColumn.TABLE: "Table",
    FileColumn.STATUS: "Status",
    FileColumn.PROGRESS: "Progress",
    FileColumn.READ: "Read",
    FileColumn.LOADED: "Loaded",
    FileColumn.REJECTED: "Rejected",
    FileColumn.SUPERSEDED: "Superseded",
    FileColumn.MESSAGE: "Message",
}
COUNT_COLUMNS = (FileColumn.READ, FileColumn.LOADED, FileColumn.REJECTED, FileColumn.SUPERSEDED)


class EtlFileModel(HeaderedTableModel):
    """The files of the current (or last) run."""

    headers = FILE_HEADERS
    right_aligned = COUNT_COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[FileRow] = []
        self._row_of: dict[str, int] = {}

    def row_total(self) -> int:
        return len(self.rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = FileColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == FileColumn.STATUS:
            return icons.state_icon(status_state(row.status))
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == FileColumn.STATUS:
                return theme.ink(theme.STATE_COLORS[status_state(row.status)])
            if column == FileColumn.REJECTED and row.rows_rejected:
                return theme.ink(theme.DANGER)
            if column == FileColumn.MESSAGE or (column == FileColumn.TABLE and not row.table):
                return theme.ink(theme.TEXT_MUTED)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == FileColumn.FILE:
                return f"{row.uri}\n{row.size:,} bytes"
            if column == FileColumn.MESSAGE and row.message:
                return row.message
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in COUNT_COLUMNS else _LEFT
        if role == PROGRESS_ROLE:
            return row.progress
        if role == STATUS_ROLE:
            return row.status
        if role == ROW_ROLE:
            return row
        return None

    @staticmethod
    def text(row: FileRow, column: FileColumn) -> str:
        if column == FileColumn.FILE:
            return row.name
        if column == FileColumn.TABLE:
            return row.table or "—"
        if column == FileColumn.STATUS:
            return status_label(row.status)
        if column == FileColumn.MESSAGE:
            return row.message
        if column == FileColumn.READ:
            return f"{row.rows_read:,}" if row.rows_read or row.counted else ""
        if not row.counted:
            return ""
        value = {
            FileColumn.LOADED: row.rows_loaded,
            FileColumn.REJECTED: row.rows_rejected,
            FileColumn.SUPERSEDED: row.rows_superseded,
        }.get(column)
        return f"{value:,}" if value is not None else ""

    def apply(self, changes: BoardChanges) -> None:
        """Show the board's changes: a new list, or rows replaced in place."""
        if changes.reset:
            self.beginResetModel()
            self.rows = list(changes.rows)
            self._row_of = {row.key: i for i, row in enumerate(self.rows)}
            self.endResetModel()
            return
        changed: list[int] = []
        for row in changes.rows:
            position = self._row_of.get(row.key)
            if position is None:  # a file that was not in the plan (listed later)
                position = len(self.rows)
                self.beginInsertRows(QModelIndex(), position, position)
                self.rows.append(row)
                self._row_of[row.key] = position
                self.endInsertRows()
            else:
                self.rows[position] = row
                changed.append(position)
        if changed:
            last = self.columnCount() - 1
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), last))

    def clear(self) -> None:
        self.apply(BoardChanges(True, []))

    def row_by_name(self, name: str) -> FileRow | None:
        return next((row for row in self.rows if row.name == name), None)


def summarize(result: RunResult) -> tuple[str, str]:
    """One line about a finished run, and its kind: ``ok``, ``warning`` or ``error``."""
    files = result.files
    count = {status: sum(f.status is status for f in files) for status in FileStatus}
    loaded = count[FileStatus.SUCCEEDED] + count[FileStatus.VALIDATED]
    bad = count[FileStatus.FAILED] + count[FileStatus.REJECTED]
    rows_loaded = sum(f.rows_loaded for f in files)
    rows_rejected = result.rows_rejected
    seconds = (
        (result.finished_at - result.started_at).total_seconds() if result.finished_at else 0.0
    )
    if not files:
        return "warning", "No CSV files found in the mba scope's csv/ folder."
    verb = "Validated" if result.dry_run else "Loaded"
    parts = []
    if loaded:
        rows = "row" if rows_loaded == 1 else "rows"
        done = "checked" if result.dry_run else "loaded"
        parts.append(f"{verb} {_files(loaded)}: {rows_loaded:,} {rows} {done}")
    if rows_rejected:
        parts.append(f"{rows_rejected:,} rejected")
    if count[FileStatus.SKIPPED]:
        parts.append(f"{_files(count[FileStatus.SKIPPED])} skipped (loaded before)")
    if count[FileStatus.NO_TABLE]:
        parts.append(f"{_files(count[FileStatus.NO_TABLE])} matching no table")
    if count[FileStatus.REJECTED]:
        parts.append(f"{_files(count[FileStatus.REJECTED])} rejected as a whole")
    if count[FileStatus.FAILED]:
        parts.append(f"{_files(count[FileStatus.FAILED])} failed")
    text = " · ".join(parts)
    if result.cancelled:
        text = f"Stopped: the file being loaded was rolled back. {text}".rstrip()
    elif not loaded and count[FileStatus.SKIPPED] == len(files):
        text = f"Nothing new: {_files(len(files))} loaded before (Force reload loads them again)"
    if result.dry_run:
        text += " — dry run, nothing written"
    text += f" — {seconds:.1f} s"
    kind = "error" if bad else "warning" if result.cancelled or rows_rejected else "ok"
    return kind, text


def _files(n: int) -> str:
    return f"{n:,} file{'s' if n != 1 else ''}"
