"""The Bucket tab's table: one row per object listed, details filled in as they come.

Name, size and modified come with the listing; encryption and our MD5 with a HEAD
(asked for the rows on screen only: `missing_details`); the local source with
the job store's ledger. A row whose HEAD is not back shows "…".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

from hma_gui.core.rate_meter import format_bytes
from hma_gui.core.s3.bucket_listing import ObjectHead, S3Object
from hma_gui.ui.columns import SECOND_SAMPLE, SIZE_SAMPLE, fit_columns

COLUMNS = ("Name", "Size", "Modified", "Encryption", "MD5", "Local source")
NAME, SIZE, MODIFIED, ENCRYPTION, MD5, SOURCE = range(len(COLUMNS))
PENDING = "…"
ENCRYPTIONS = {"AES256": "SSE-S3", "aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS"}

Index = QModelIndex | QPersistentModelIndex


@dataclass(slots=True)
class BucketRow:
    obj: S3Object
    source: str | None = None  # the local file this desktop uploaded there
    head: ObjectHead | None = None
    head_error: str | None = None


def encryption_text(head: ObjectHead) -> str:
    if not head.exists:
        return "deleted"
    if not head.sse:
        return "none"
    return ENCRYPTIONS.get(head.sse, head.sse)


def _sort_key(column: int) -> Callable[[BucketRow], tuple[Any, ...]]:
    """Sizes and dates by value; details not fetched yet (and blanks) after the rest."""
    if column == SIZE:
        return lambda row: (row.obj.size, row.obj.key)
    if column == MODIFIED:
        return lambda row: (
            row.obj.last_modified is None,
            row.obj.last_modified.timestamp() if row.obj.last_modified else 0.0,
            row.obj.key,
        )
    if column == SOURCE:
        return lambda row: (row.source is None, row.source or "", row.obj.key)
    if column in (ENCRYPTION, MD5):

        def detail(row: BucketRow) -> tuple[Any, ...]:
            known = row.head is not None and not row.head_error
            text = BucketModel.text_of(row, column) if known else ""
            return (not known, text, row.obj.key)

        return detail
    return lambda row: (row.obj.key,)


class BucketModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[BucketRow] = []
        self._row_of: dict[str, int] = {}
        self._order: tuple[int, Qt.SortOrder] | None = None  # a header click's; kept

    # ------------------------------------------------------------- Qt

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == NAME:
                return row.obj.uri
            if column in (ENCRYPTION, MD5) and row.head_error:
                return row.head_error
            if column == MD5 and row.head is not None:
                return f"x-amz-meta-md5 {row.head.md5 or '(none)'} · ETag {row.obj.etag}"
            return self._text(row, column) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: BucketRow, column: int) -> str:
        return self.text_of(row, column)

    @staticmethod
    def text_of(row: BucketRow, column: int) -> str:
        obj = row.obj
        if column == NAME:
            return obj.key
        if column == SIZE:
            return format_bytes(obj.size)
        if column == MODIFIED:
            when = obj.last_modified
            return when.astimezone().strftime("%Y-%m-%d %H:%M:%S") if when else ""
        if column == SOURCE:
            return row.source or ""
        if row.head_error:
            return "error"
        if row.head is None:
            return PENDING
        if column == ENCRYPTION:
            return encryption_text(row.head)
        return row.head.md5 or "none"  # MD5

    # ------------------------------------------------------------- changes

    def clear(self) -> None:
        """No rows; a chosen sort order stays for the next listing."""
        self.beginResetModel()
        self.rows = []
        self._row_of = {}
        self.endResetModel()

    def append(self, objects: Iterable[S3Object], sources: Mapping[str, str]) -> None:
        new = [BucketRow(obj, sources.get(obj.key)) for obj in objects]
        if not new:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        for offset, row in enumerate(new):
            self._row_of[row.obj.key] = first + offset
        self.rows.extend(new)
        self.endInsertRows()
        if self._order is not None:  # a page listed after a header click joins the order
            self.sort(*self._order)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: the rows listed so far in that column's order; selection kept."""
        self._order = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        keys = [self.rows[index.row()].obj.key for index in before]
        descending = order == Qt.SortOrder.DescendingOrder
        self.rows.sort(key=_sort_key(column), reverse=descending)
        self._row_of = {row.obj.key: i for i, row in enumerate(self.rows)}
        after = [
            self.index(self._row_of[key], index.column())
            for key, index in zip(keys, before, strict=True)
        ]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def set_heads(
        self, heads: Mapping[str, ObjectHead], errors: Mapping[str, str] | None = None
    ) -> None:
        touched = []
        for key, head in heads.items():
            if (index := self._row_of.get(key)) is not None:
                self.rows[index].head, self.rows[index].head_error = head, None
                touched.append(index)
        for key, message in (errors or {}).items():
            if (index := self._row_of.get(key)) is not None:
                self.rows[index].head_error = message
                touched.append(index)
        if touched:
            self.dataChanged.emit(
                self.index(min(touched), ENCRYPTION), self.index(max(touched), MD5)
            )

    def remove_keys(self, keys: Iterable[str]) -> None:
        gone = set(keys)
        if not gone:
            return
        self.beginResetModel()
        self.rows = [row for row in self.rows if row.obj.key not in gone]
        self._row_of = {row.obj.key: i for i, row in enumerate(self.rows)}
        self.endResetModel()

    def missing_details(self, first: int, last: int) -> list[str]:
        """Keys of rows `first`..`last` whose HEAD has not been asked for."""
        last = min(last, len(self.rows) - 1)
        return [
            self.rows[i].obj.key
            for i in range(max(0, first), last + 1)
            if self.rows[i].head is None and self.rows[i].head_error is None
        ]

    def row(self, index: int) -> BucketRow:
        return self.rows[index]


def fit_widths(view: QTableView) -> None:
    """Size, date and encryption columns as wide as their widest text (`columns`)."""
    widest_sse = max(ENCRYPTIONS.values(), key=len)
    fit_columns(view, {SIZE: SIZE_SAMPLE, MODIFIED: SECOND_SAMPLE, ENCRYPTION: widest_sse})
