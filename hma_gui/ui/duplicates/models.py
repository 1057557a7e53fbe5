"""Models over a `DuplicateReview`: the S3 findings table, and what both models share.

The findings table here and the local groups tree (`duplicate_groups_model`)
read the review directly (no copies of 10,000 rows into items) and show
its decisions; a `DecisionBoard` is the one place decisions change (per file,
per group, per class, for all), and tells both models, which repaint their
decision column with one `dataChanged` each. Editable models (the review
dialog) accept a `Decision` through `setData`; the Duplicates tab uses them
read-only. Sorting and the class filter are Python passes over the row list,
as in the jobs table: a proxy would call back into Python per comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, ClassVar

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview
from hma_gui.core.duplicates.local import DuplicateGroup
from hma_gui.core.duplicates.s3_check import Comparison, S3Class, S3Finding
from hma_gui.core.rate_meter import format_bytes
from hma_gui.ui import theme
from hma_gui.ui.table_model import HeaderedTableModel

ModelIndex = QModelIndex | QPersistentModelIndex

PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # the local path of a row (None: a group row)
CHOICES_ROLE = Qt.ItemDataRole.UserRole + 2  # the decisions a row may take
GROUP_ROLE = Qt.ItemDataRole.UserRole + 3  # the DuplicateGroup of a group row

DECISION_LABELS = {
    Decision.UPLOAD: "Upload",
    Decision.SKIP: "Skip",
    Decision.OVERWRITE: "Overwrite",
    Decision.KEEP_BOTH: "Keep both",
}
DECISION_COLORS = {
    Decision.UPLOAD: theme.ACCENT,
    Decision.SKIP: theme.TEXT_SECONDARY,
    Decision.OVERWRITE: theme.DANGER,
    Decision.KEEP_BOTH: theme.SUCCESS,
}
CLASS_LABELS = {
    S3Class.NEW: "New",
    S3Class.ALREADY_UPLOADED: "Already in S3",
    S3Class.CONFLICT: "Conflict",
    S3Class.DUPLICATE_ELSEWHERE: "Elsewhere in S3",
    S3Class.UNDECIDED: "Undecided",
}
CLASS_COLORS = {
    S3Class.NEW: theme.TEXT_SECONDARY,
    S3Class.ALREADY_UPLOADED: theme.SUCCESS,
    S3Class.CONFLICT: theme.DANGER,
    S3Class.DUPLICATE_ELSEWHERE: theme.WARNING,
    S3Class.UNDECIDED: theme.DANGER,
}
HOW_LABELS = {
    Comparison.NOTHING_TO_COMPARE: "nothing to compare",
    Comparison.SIZE: "size",
    Comparison.ETAG_MD5: "ETag = MD5",
    Comparison.METADATA_MD5: "md5 metadata",
    Comparison.MULTIPART_ETAG: "multipart ETag",
    Comparison.UNDECIDABLE: "could not compare",
}
_IN_S3 = (S3Class.ALREADY_UPLOADED, S3Class.CONFLICT, S3Class.UNDECIDED)
_ORDER = {
    S3Class.CONFLICT: 0, S3Class.UNDECIDED: 1, S3Class.DUPLICATE_ELSEWHERE: 2,
    S3Class.ALREADY_UPLOADED: 3, S3Class.NEW: 4,
}  # fmt: skip
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def choices(review: DuplicateReview, path: str) -> list[Decision]:
    """What a file may become: with an object at its key, upload means overwrite."""
    finding = review.finding(path)
    if finding is not None and finding.s3_class in _IN_S3:
        return [Decision.SKIP, Decision.OVERWRITE, Decision.KEEP_BOTH]
    return [Decision.UPLOAD, Decision.SKIP]


def decision_text(review: DuplicateReview, path: str) -> str:
    decision = review.decisions.get(path)
    if decision is None:
        return "—"
    if decision is Decision.SKIP and path in review.copy_of:
        return "Skip (copy)"
    return DECISION_LABELS[decision]


def shown_path(review: DuplicateReview, path: str) -> str:
    """The path from the dropped folder down, as the jobs table shows it."""
    job = review.jobs.get(path)
    root = job.root if job is not None else None
    if not root or root == path:
        return path
    trimmed = root.rstrip("/\\")
    cut = max(trimmed.rfind("/"), trimmed.rfind("\\"))  # the dropped folder's parent
    if cut > 0 and path.startswith(trimmed[: cut + 1]) and len(path) > cut + 1:
        return path[cut + 1 :]
    return path


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else ""


def local_modified(review: DuplicateReview, path: str) -> datetime | None:
    """The local file's mtime as planned (the job's), None when it is not known."""
    job = review.jobs.get(path)
    mtime_ns = job.mtime_ns if job is not None else None
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC) if mtime_ns is not None else None


def _stamp(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


class DecisionBoard(QObject):
    """Changes the review's decisions and says so (every model repaints its decision column)."""

    changed = Signal()

    def __init__(self, review: DuplicateReview, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.review = review

    def set_files(self, paths: Iterable[str], decision: Decision) -> None:
        self.review.set_paths(paths, Decision(decision))
        self.changed.emit()

    def set_group(self, group: DuplicateGroup, decision: Decision) -> None:
        self.review.set_group(group, Decision(decision))
        self.changed.emit()

    def keep_one(self, groups: Iterable[DuplicateGroup]) -> None:
        for group in groups:
            self.review.keep_one(group)
        self.changed.emit()

    def set_references(self, paths: Iterable[str]) -> int:
        """Keep each of `paths` in its local group (dupeGuru's reference); how many were marked."""
        marked = 0
        for path in paths:
            group = self.review.group_of(path)
            if group is not None:
                self.review.set_reference(group, path)
                marked += 1
        if marked:
            self.changed.emit()
        return marked

    def set_all(self, decision: Decision) -> None:
        """(Qt hands an enum back from a combo box as its plain value: `Decision()` again.)"""
        self.review.set_all(Decision(decision))
        self.changed.emit()

    def suggest(self) -> None:
        """Back to the suggestion: skip what S3 has, keep one copy per local group."""
        self.review.preselect("skip")
        self.changed.emit()


class FindingColumn(IntEnum):
    FILE = 0
    KEY = 1
    CLASS = 2
    LOCAL_SIZE = 3
    LOCAL_MODIFIED = 4
    S3_SIZE = 5
    S3_MODIFIED = 6
    HOW = 7
    DECISION = 8


FINDING_HEADERS = (
    "Local file", "S3 key", "Found", "Local size", "Local modified", "S3 size", "S3 modified",
    "Compared by", "Decision",
)  # fmt: skip
_SIZES = (FindingColumn.LOCAL_SIZE, FindingColumn.S3_SIZE)


class FindingsModel(HeaderedTableModel):
    """The S3 findings other than "new": one row per file that S3 already knows of."""

    headers: ClassVar[Mapping[Any, str]] = dict(enumerate(FINDING_HEADERS))

    def __init__(
        self,
        board: DecisionBoard,
        *,
        editable: bool,
        parent: Any = None,
        paths: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.board = board
        self.editable = editable
        review = board.review
        found = [
            f
            for p in (review.paths if paths is None else paths)
            if (f := review.finding(p)) is not None and f.s3_class is not S3Class.NEW
        ]  # conflicts first: they are what needs a decision
        self.all_rows: list[S3Finding] = sorted(found, key=lambda f: (_ORDER[f.s3_class], f.path))
        self.rows = list(self.all_rows)
        self._class_filter: S3Class | None = None
        board.changed.connect(self._decisions_changed)

    def row_total(self) -> int:
        return len(self.rows)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self.editable and index.column() == FindingColumn.DECISION:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        finding = self.rows[index.row()]
        column = index.column()
        review = self.board.review
        if role == Qt.ItemDataRole.DisplayRole:
            if column == FindingColumn.FILE:
                return shown_path(review, finding.path)
            if column == FindingColumn.KEY:
                return finding.key
            if column == FindingColumn.CLASS:
                return CLASS_LABELS[finding.s3_class]
            if column == FindingColumn.LOCAL_SIZE:
                return format_bytes(finding.size)
            if column == FindingColumn.LOCAL_MODIFIED:
                return when(local_modified(review, finding.path))
            if column == FindingColumn.S3_SIZE:
                return format_bytes(finding.s3_size) if finding.s3_size is not None else ""
            if column == FindingColumn.S3_MODIFIED:
                return when(finding.s3_last_modified)
            if column == FindingColumn.HOW:
                return HOW_LABELS[finding.how]
            return decision_text(review, finding.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == FindingColumn.FILE:
                return finding.path
            if column == FindingColumn.KEY:
                return finding.uri
            if column in (FindingColumn.CLASS, FindingColumn.HOW):
                extra = f"\nsame content at: {', '.join(finding.other_keys)}"
                return finding.detail + (extra if finding.other_keys else "")
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == FindingColumn.CLASS:
                return theme.ink(CLASS_COLORS[finding.s3_class])
            if column == FindingColumn.DECISION:
                decision = review.decisions.get(finding.path)
                return theme.ink(DECISION_COLORS[decision]) if decision in DECISION_COLORS else None
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _SIZES:
            return _RIGHT
        if role == PATH_ROLE:
            return finding.path
        if role == CHOICES_ROLE:
            return choices(review, finding.path)
        if role == Qt.ItemDataRole.EditRole and column == FindingColumn.DECISION:
            return review.decisions.get(finding.path)
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not (self.editable and index.column() == FindingColumn.DECISION):
            return False
        self.board.set_files([self.rows[index.row()].path], Decision(value))
        return True

    def paths(self, rows: Iterable[int]) -> list[str]:
        return [self.rows[r].path for r in rows]

    def set_class_filter(self, s3_class: S3Class | str | None) -> None:
        """Only the findings of `s3_class` (None: all). A combo box hands the enum back as `str`."""
        s3_class = S3Class(s3_class) if s3_class is not None else None
        self.beginResetModel()
        self._class_filter = s3_class
        self.rows = [f for f in self.all_rows if s3_class is None or f.s3_class is s3_class]
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by `column`; -1 (the header's third click) is back to conflicts first."""
        review = self.board.review
        if column < 0:
            self.layoutAboutToBeChanged.emit()
            wanted = self._class_filter
            self.rows = [f for f in self.all_rows if wanted is None or f.s3_class is wanted]
            self.layoutChanged.emit()
            return
        keys = {
            FindingColumn.FILE: lambda f: shown_path(review, f.path).lower(),
            FindingColumn.KEY: lambda f: f.key,
            FindingColumn.CLASS: lambda f: CLASS_LABELS[f.s3_class],
            FindingColumn.LOCAL_SIZE: lambda f: f.size,
            FindingColumn.LOCAL_MODIFIED: lambda f: _stamp(local_modified(review, f.path)),
            FindingColumn.S3_SIZE: lambda f: f.s3_size or 0,
            FindingColumn.S3_MODIFIED: lambda f: (
                f.s3_last_modified.timestamp() if f.s3_last_modified else 0.0
            ),
            FindingColumn.HOW: lambda f: HOW_LABELS[f.how],
            FindingColumn.DECISION: lambda f: decision_text(review, f.path),
        }
        self.layoutAboutToBeChanged.emit()
        self.rows.sort(
            key=keys[FindingColumn(column)], reverse=order == Qt.SortOrder.DescendingOrder
        )
        self.layoutChanged.emit()

    def _decisions_changed(self) -> None:
        if self.rows:
            column = FindingColumn.DECISION
            self.dataChanged.emit(self.index(0, column), self.index(len(self.rows) - 1, column))
