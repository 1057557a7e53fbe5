"""The jobs table: a `QAbstractTableModel` over `Job`s, and the proxy the view sees.

The model never asks the store anything: the live feed hands it the rows that
changed (`apply_changes`), the in-flight byte counts (`set_inflight`) and, after
removals, every job again (`reset_jobs`). It emits `dataChanged` only for rows
that changed, grouped in contiguous runs (one range when there are many).

Filtering and sorting are done here, in Python passes over lists, not in
`QSortFilterProxyModel`: the proxy calls back into Python once per row to filter
and about twenty times per row to sort, which measured 400 ms to filter 100,000
jobs by state; a list comprehension takes a few milliseconds. The proxy stays
the view's adapter (`JobFilterProxy`), passes rows through, and forwards
`sort()` and the filter to the model.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor

from hma_gui.core.jobs.store import Job, JobState
from hma_gui.ui import icons
from hma_gui.ui.queue.job_columns import (
    HEADERS,
    RIGHT_ALIGNED,
    Column,
    Inflight,
    JobFilter,
    cell_color,
    cell_text,
    cell_tooltip,
    progress_of,
    sort_key,
)
from hma_gui.ui.table_model import HeaderedTableModel

ModelIndex = QModelIndex | QPersistentModelIndex

JOB_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  # float 0..1, or None: no bar

RESORT_INTERVAL = 1.0  # seconds between re-sorts while rows change under a sorted column
RESORT_MAX_ROWS = 20_000  # bigger tables re-sort only when a header is clicked
MAX_RUNS = 16  # more changed runs than this: one dataChanged over their span
CHUNK_ROWS = 2000  # `queue_changes` applies this many rows per turn of the event loop

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class JobTableModel(HeaderedTableModel):
    headers = HEADERS
    right_aligned = RIGHT_ALIGNED

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: dict[int, Job] = {}  # every job known, by id
        self._jobs: list[Job] = []  # the rows shown: filtered, in display order
        self._row_of: dict[int, int] = {}
        self._inflight: Inflight = {}
        self._filter = JobFilter()
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._resort_due = False
        self._last_sort = 0.0
        self._colors: dict[str, QColor] = {}
        self._pending: list[Job] = []  # changes waiting for the next turn of the event loop

    # ------------------------------------------------------------- Qt API

    def row_total(self) -> int:
        return len(self._jobs)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not 0 <= row < len(self._jobs):
            return None
        job = self._jobs[row]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(job, column, self._inflight)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.STATE:
            return icons.state_icon(job.state)
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell_tooltip(job, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.color(job, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in RIGHT_ALIGNED else _LEFT
        if role == PROGRESS_ROLE:
            return self.progress_of(job)
        if role == JOB_ROLE:
            return job
        if role == STATE_ROLE:
            return job.state.value
        return None

    # ------------------------------------------------------------- cells (for the delegate)

    def text(self, job: Job, column: int) -> str:
        return cell_text(job, column, self._inflight)

    def color(self, job: Job, column: int) -> QColor | None:
        name = cell_color(job, column)
        if name is None:
            return None
        color = self._colors.get(name)
        if color is None:
            color = self._colors[name] = QColor(name)
        return color

    def progress_of(self, job: Job) -> float | None:
        return progress_of(job, self._inflight)

    # ------------------------------------------------------------- access

    @property
    def jobs(self) -> Sequence[Job]:
        """The rows shown, in order."""
        return self._jobs

    @property
    def total(self) -> int:
        """Every job known, shown or filtered out."""
        return len(self._all)

    def job_at(self, row: int) -> Job:
        return self._jobs[row]

    def row_of(self, job_id: int) -> int | None:
        return self._row_of.get(job_id)

    # ------------------------------------------------------------- feeding

    def queue_changes(self, changed: Sequence[Job]) -> None:
        """`apply_changes` in slices of `CHUNK_ROWS`, one per turn of the event loop.

        A drop of 50,000 files changes thousands of rows per tick; applied at once,
        that is tens of milliseconds of Python on the main thread, stretched further
        each time an upload thread takes the GIL. In slices, timers and paints run
        in between.
        """
        first = not self._pending
        self._pending.extend(changed)
        if first and self._pending:
            self._apply_pending()

    @property
    def pending_changes(self) -> int:
        return len(self._pending)

    def _apply_pending(self) -> None:
        chunk = self._pending[:CHUNK_ROWS]
        del self._pending[:CHUNK_ROWS]
        self.apply_changes(chunk)
        if self._pending:
            QTimer.singleShot(0, self._apply_pending)

    def reset_jobs(self, jobs: Iterable[Job]) -> None:
        """Replace every job (at start, after removals)."""
        self._pending.clear()
        self.beginResetModel()
        self._all = {job.id: job for job in jobs}
        self._jobs = self._visible()
        self._reindex()
        self.endResetModel()

    def apply_changes(self, changed: Sequence[Job]) -> None:
        """Update rows that are shown, add the new ones, drop those the filter now hides."""
        if not changed:
            return
        updated: list[int] = []
        gone: list[int] = []
        new: list[Job] = []
        accepts = self._filter.accepts if self._filter.active else None
        key = sort_key(self._sort_column) if self._sort_column >= 0 else None
        for job in changed:
            old = self._all.get(job.id)
            self._all[job.id] = job
            row = self._row_of.get(job.id)
            shown = accepts is None or accepts(job)
            if row is None:
                if shown:
                    new.append(job)
            elif not shown:
                gone.append(row)
            else:
                self._jobs[row] = job
                updated.append(row)
                if key is not None and old is not None and key(old) != key(job):
                    self._resort_due = True
        self._emit_changed(updated)
        if gone:
            self._remove_rows(gone)
        if new:
            self._add(new)
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
        self._relayout(self._jobs + new)

    def remove_ids(self, job_ids: Iterable[int]) -> None:
        """Forget jobs (deleted from the store)."""
        ids = set(job_ids)
        for job_id in ids:
            self._all.pop(job_id, None)
        self._remove_rows([r for r in (self._row_of.get(i) for i in ids) if r is not None])

    def _remove_rows(self, rows: list[int]) -> None:
        runs = _runs(sorted(set(rows)))
        if len(runs) > MAX_RUNS:
            gone = {self._jobs[r].id for r in rows}
            self._relayout([j for j in self._jobs if j.id not in gone])
            return
        for first, last in reversed(runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._jobs[first : last + 1]
            self.endRemoveRows()
        self._reindex()

    def set_inflight(self, snapshot: Inflight) -> None:
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

    # ------------------------------------------------------------- filter and sort

    @property
    def job_filter(self) -> JobFilter:
        return self._filter

    def set_filter(self, job_filter: JobFilter) -> None:
        if job_filter == self._filter:
            return
        self._filter = job_filter
        self._relayout(self._visible())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column
        self._sort_order = order
        self._resort_due = False
        self._relayout()

    def maybe_resort(self) -> None:
        """Re-sort after state changes moved rows, at most once a second, small tables only."""
        if not self._resort_due or self._sort_column < 0 or len(self._jobs) > RESORT_MAX_ROWS:
            return
        if time.monotonic() - self._last_sort < RESORT_INTERVAL:
            return
        self._resort_due = False
        self._relayout()

    def _visible(self) -> list[Job]:
        jobs = self._all.values()
        rows = [j for j in jobs if self._filter.accepts(j)] if self._filter.active else list(jobs)
        self._sort_list(rows)
        return rows

    def _sort_list(self, rows: list[Job]) -> None:
        if self._sort_column < 0:
            rows.sort(key=lambda j: j.id)
        else:
            reverse = self._sort_order == Qt.SortOrder.DescendingOrder
            rows.sort(key=sort_key(self._sort_column), reverse=reverse)
        self._last_sort = time.monotonic()

    def _relayout(self, rows: list[Job] | None = None) -> None:
        """Show `rows` (or the same rows) in sort order, keeping selections on their jobs."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [
            self._jobs[p.row()].id if 0 <= p.row() < len(self._jobs) else None for p in persistent
        ]
        if rows is not None:
            self._jobs = rows
        self._sort_list(self._jobs)
        self._reindex()
        moved = []
        for old, job_id in zip(persistent, ids, strict=True):
            row = self._row_of.get(job_id) if job_id is not None else None
            moved.append(QModelIndex() if row is None else self.index(row, old.column()))
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _reindex(self) -> None:
        self._row_of = {job.id: row for row, job in enumerate(self._jobs)}

    def _emit_changed(self, rows: list[int]) -> None:
        if not rows:
            return
        last_column = len(Column) - 1
        runs = _runs(sorted(rows))
        if len(runs) > MAX_RUNS:  # one range: the view repaints what it shows, no more
            runs = [(runs[0][0], runs[-1][1])]
        for first, last in runs:
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))


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
    """The view's model: rows pass through; filter and sort are handed to `JobTableModel`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(False)  # nothing to re-check per row: the model filters
        self._states: frozenset[JobState] = frozenset()
        self._sent: bool | None = None
        self._text = ""

    def _model(self) -> JobTableModel | None:
        source = self.sourceModel()
        return source if isinstance(source, JobTableModel) else None

    @property
    def states(self) -> frozenset[JobState]:
        return self._states

    def set_states(self, states: Iterable[JobState], *, sent: bool | None = None) -> None:
        """Show jobs in `states` (none: all); `sent`: see `JobFilter`."""
        self._states = frozenset(states)
        self._sent = sent
        self._apply()

    def set_text(self, text: str) -> None:
        self._text = text
        self._apply()

    def _apply(self) -> None:
        model = self._model()
        if model is not None:
            model.set_filter(JobFilter.of(self._states, self._text, self._sent))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self._model()
        if model is not None:
            model.sort(column, order)
