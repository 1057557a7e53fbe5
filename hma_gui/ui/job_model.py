"""The jobs table: a `QAbstractTableModel` over `Job`s and a filtering proxy on top.

The model never asks the store anything: the live feed hands it the rows that
changed (`apply_changes`), the in-flight byte counts (`set_inflight`) and, after
removals, a fresh list (`reset_jobs`). It emits `dataChanged` only for rows that
changed, grouped in contiguous runs.

Sorting lives here, not in the proxy: a Python key sort of 100,000 rows takes
milliseconds, where the proxy would call `data()` a million times. The proxy only
filters, with a regular expression over one role (`FILTER_ROLE`), so with no
filter set it never calls back into Python at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from hma_gui.core.job_store import Job, JobState
from hma_gui.core.rate_meter import format_bytes
from hma_gui.ui import icons, theme

ModelIndex = QModelIndex | QPersistentModelIndex

JOB_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  # float 0..1, or None: no bar
FILTER_ROLE = Qt.ItemDataRole.UserRole + 4

RESORT_INTERVAL = 1.0  # seconds between re-sorts while rows change under a sorted column
RESORT_MAX_ROWS = 20_000  # bigger tables re-sort only when a header is clicked


class Column(IntEnum):
    STATE = 0
    SOURCE = 1
    TARGET = 2
    SIZE = 3
    PROGRESS = 4
    ATTEMPTS = 5
    MESSAGE = 6


HEADERS = {
    Column.STATE: "State",
    Column.SOURCE: "File",
    Column.TARGET: "S3 key",
    Column.SIZE: "Size",
    Column.PROGRESS: "Progress",
    Column.ATTEMPTS: "Tries",
    Column.MESSAGE: "Message",
}

_STATE_ORDER = {
    JobState.RUNNING: 0,
    JobState.FAILED: 1,
    JobState.QUEUED: 2,
    JobState.SKIPPED: 3,
    JobState.DONE: 4,
}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _sort_key(column: int) -> Callable[[Job], Any]:
    keys: dict[int, Callable[[Job], Any]] = {
        Column.STATE: lambda j: (_STATE_ORDER[j.state], j.id),
        Column.SOURCE: lambda j: (j.source.lower(), j.id),
        Column.TARGET: lambda j: (j.bucket or "", j.key or "", j.id),
        Column.SIZE: lambda j: (j.size, j.id),
        Column.PROGRESS: lambda j: (_STATE_ORDER[j.state], j.id),
        Column.ATTEMPTS: lambda j: (j.attempts, j.id),
        Column.MESSAGE: lambda j: (j.error or "", j.id),
    }
    return keys.get(column, lambda j: j.id)


class JobTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._row_of: dict[int, int] = {}
        self._inflight: dict[int, tuple[int, int]] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._resort_due = False
        self._last_sort = 0.0
        self._muted = QColor(theme.TEXT_MUTED)
        self._danger = QColor(theme.DANGER)
        self._warning = QColor(theme.WARNING)

    # ------------------------------------------------------------- Qt API

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[Column(section)]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in (
                Column.SIZE,
                Column.ATTEMPTS,
            ):
                return _RIGHT
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not 0 <= row < len(self._jobs):
            return None
        job = self._jobs[row]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(job, column)
        if role == FILTER_ROLE:
            return f"{job.state.value}\t{job.source}\t{job.key or ''}"
        if role == Qt.ItemDataRole.DecorationRole and column == Column.STATE:
            return icons.state_icon(job.state)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(job, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.color(job, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in (Column.SIZE, Column.ATTEMPTS) else _LEFT
        if role == PROGRESS_ROLE:
            return self.progress_of(job)
        if role == JOB_ROLE:
            return job
        if role == STATE_ROLE:
            return job.state.value
        return None

    def text(self, job: Job, column: int) -> str:
        """The text of a cell (the delegate paints it without going through `data`)."""
        if column == Column.STATE:
            return theme.STATE_LABELS[job.state]
        if column == Column.SOURCE:
            return shown_path(job)
        if column == Column.TARGET:
            return job.key or "—"
        if column == Column.SIZE:
            return format_bytes(job.size)
        if column == Column.PROGRESS:
            fraction = self.progress_of(job)
            return "" if fraction is None else f"{fraction * 100:.0f} %"
        if column == Column.ATTEMPTS:
            return str(job.attempts) if job.attempts else ""
        if column == Column.MESSAGE:
            return job.error or ""
        return ""

    def _tooltip(self, job: Job, column: int) -> str | None:
        if column == Column.SOURCE:
            return job.source
        if column == Column.TARGET:
            return job.uri or job.error
        if column == Column.MESSAGE and job.error:
            return job.error
        if column == Column.SIZE:
            return f"{job.size:,} bytes"
        return None

    def color(self, job: Job, column: int) -> QColor | None:
        """The text colour of a cell, or None for the default."""
        if column == Column.MESSAGE:
            if job.state is JobState.FAILED:
                return self._danger
            if job.state is JobState.SKIPPED:
                return self._warning
        if column in (Column.SIZE, Column.ATTEMPTS) or (column == Column.TARGET and not job.key):
            return self._muted
        return None

    def progress_of(self, job: Job) -> float | None:
        if job.state is JobState.DONE:
            return 1.0
        if job.state is JobState.RUNNING:
            done, size = self._inflight.get(job.id, (0, job.size))
            return done / size if size else 0.0
        if job.state is JobState.QUEUED:
            return 0.0
        return None

    # ------------------------------------------------------------- feeding

    @property
    def jobs(self) -> Sequence[Job]:
        return self._jobs

    def job_at(self, row: int) -> Job:
        return self._jobs[row]

    def row_of(self, job_id: int) -> int | None:
        return self._row_of.get(job_id)

    def reset_jobs(self, jobs: Iterable[Job]) -> None:
        """Replace every row (after removals, or at start)."""
        self.beginResetModel()
        self._jobs = list(jobs)
        if self._sort_column >= 0:
            self._sort_list()
        self._reindex()
        self.endResetModel()

    def apply_changes(self, changed: Sequence[Job]) -> None:
        """Update rows that exist, add the others; `dataChanged` per contiguous run."""
        if not changed:
            return
        updated: list[int] = []
        new: list[Job] = []
        sort_touched = False
        key = _sort_key(self._sort_column) if self._sort_column >= 0 else None
        for job in changed:
            row = self._row_of.get(job.id)
            if row is None:
                new.append(job)
                continue
            if key is not None and not sort_touched and key(self._jobs[row]) != key(job):
                sort_touched = True
            self._jobs[row] = job
            updated.append(row)
        self._emit_changed_runs(updated)
        if new:
            self._add(new)
        if sort_touched:
            self._resort_due = True
        self.maybe_resort()

    def _add(self, new: list[Job]) -> None:
        new.sort(key=lambda j: j.id)
        last_id = self._jobs[-1].id if self._jobs else -1
        if self._sort_column < 0 and new[0].id > last_id:
            first = len(self._jobs)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._jobs.extend(new)
            for offset, job in enumerate(new):
                self._row_of[job.id] = first + offset
            self.endInsertRows()
            return
        self._relayout(lambda: self._jobs.extend(new))

    def remove_ids(self, job_ids: Iterable[int]) -> None:
        rows = sorted({r for r in (self._row_of.get(i) for i in job_ids) if r is not None})
        if not rows:
            return
        if len(rows) > 1000:
            gone = {self._jobs[r].id for r in rows}
            self.reset_jobs(j for j in self._jobs if j.id not in gone)
            return
        for first, last in reversed(_runs(rows)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._jobs[first : last + 1]
            self.endRemoveRows()
        self._reindex()

    def set_inflight(self, snapshot: dict[int, tuple[int, int]]) -> None:
        """In-flight bytes per job id; repaint the progress cells that moved."""
        old = self._inflight
        self._inflight = snapshot
        touched = {i for i in snapshot if old.get(i) != snapshot[i]}
        touched.update(i for i in old if i not in snapshot)
        rows = sorted(r for r in (self._row_of.get(i) for i in touched) if r is not None)
        for first, last in _runs(rows):
            self.dataChanged.emit(
                self.index(first, Column.PROGRESS),
                self.index(last, Column.PROGRESS),
                [Qt.ItemDataRole.DisplayRole, PROGRESS_ROLE],
            )

    # ------------------------------------------------------------- sorting

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column
        self._sort_order = order
        self._resort_due = False
        self._relayout(lambda: None)

    def maybe_resort(self) -> None:
        """Re-sort after state changes moved rows, at most once a second, small tables only."""
        if not self._resort_due or self._sort_column < 0 or len(self._jobs) > RESORT_MAX_ROWS:
            return
        if time.monotonic() - self._last_sort < RESORT_INTERVAL:
            return
        self._resort_due = False
        self._relayout(lambda: None)

    def _sort_list(self) -> None:
        reverse = self._sort_order == Qt.SortOrder.DescendingOrder
        self._jobs.sort(key=_sort_key(self._sort_column), reverse=reverse)
        self._last_sort = time.monotonic()

    def _relayout(self, change: Callable[[], None]) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [
            self._jobs[p.row()].id if 0 <= p.row() < len(self._jobs) else None for p in persistent
        ]
        change()
        if self._sort_column >= 0:
            self._sort_list()
        else:
            self._jobs.sort(key=lambda j: j.id)
        self._reindex()
        new_indexes = []
        for old, job_id in zip(persistent, ids, strict=True):
            row = self._row_of.get(job_id) if job_id is not None else None
            new_indexes.append(QModelIndex() if row is None else self.index(row, old.column()))
        self.changePersistentIndexList(persistent, new_indexes)
        self.layoutChanged.emit()

    def _reindex(self) -> None:
        self._row_of = {job.id: row for row, job in enumerate(self._jobs)}

    def _emit_changed_runs(self, rows: list[int]) -> None:
        last_column = len(Column) - 1
        for first, last in _runs(sorted(rows)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))


def shown_path(job: Job) -> str:
    """The source as the user dropped it: from the dropped folder down (full path in tooltips)."""
    root, source = job.root, job.source
    if not root or root == source:
        return source
    trimmed = root.rstrip("/\\")
    cut = max(trimmed.rfind("/"), trimmed.rfind("\\"))  # the dropped folder's parent
    if cut > 0 and source.startswith(trimmed[: cut + 1]) and len(source) > cut + 1:
        return source[cut + 1 :]
    return source


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted row numbers → contiguous (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row <= runs[-1][1] + 1:
            if row > runs[-1][1]:
                runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class JobFilterProxy(QSortFilterProxyModel):
    """Filters by state and by text; sorting is handed to the source model."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._states: frozenset[JobState] = frozenset()
        self._text = ""
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(Column.STATE)
        self.setDynamicSortFilter(True)

    def set_states(self, states: Iterable[JobState]) -> None:
        self._states = frozenset(states)
        self._update()

    def set_text(self, text: str) -> None:
        self._text = text.strip()
        self._update()

    @property
    def states(self) -> frozenset[JobState]:
        return self._states

    def _update(self) -> None:
        if not self._states and not self._text:
            self.setFilterRegularExpression(QRegularExpression())
            return
        states = "|".join(sorted(s.value for s in self._states)) or "[a-z]+"
        pattern = f"^(?:{states})\t"
        if self._text:
            pattern += ".*" + QRegularExpression.escape(self._text)
        self.setFilterRegularExpression(
            QRegularExpression(
                pattern,
                QRegularExpression.PatternOption.CaseInsensitiveOption
                | QRegularExpression.PatternOption.DotMatchesEverythingOption,
            )
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)
