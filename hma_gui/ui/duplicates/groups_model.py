"""The local duplicate groups of a review as a tree: group → files (`GroupsModel`).

Most wasted bytes first. A group row sums its files up (copies, size, MD5,
wasted bytes, and "Keep one" / "Upload all" / "Skip all"); its decision cell
takes "keep one", upload or skip for the whole group. Decisions go through the
`DecisionBoard` the findings table shares.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QFont

from hma_gui.core.duplicates.decisions import Decision
from hma_gui.core.duplicates.local import DuplicateFile, DuplicateGroup
from hma_gui.core.rate_meter import format_bytes
from hma_gui.ui import theme
from hma_gui.ui.duplicates.models import (
    CHOICES_ROLE,
    DECISION_COLORS,
    GROUP_ROLE,
    PATH_ROLE,
    DecisionBoard,
    ModelIndex,
    choices,
    decision_text,
    shown_path,
    when,
)

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class GroupColumn(IntEnum):
    FILE = 0
    SIZE = 1
    MODIFIED = 2
    MD5 = 3
    WASTED = 4
    DECISION = 5


GROUP_HEADERS = ("Local copies", "Size", "Modified", "MD5", "Wasted", "Decision")
REFERENCE_MARK = "\u2605"  # the file "keep one" uploads
_TOP = 0xFFFFFFFF  # internal id of a group row; a file row's id is its group's row


class GroupsModel(QAbstractItemModel):
    """Local duplicate groups (most wasted bytes first), each with its files as children."""

    def __init__(self, board: DecisionBoard, *, editable: bool, parent: Any = None) -> None:
        super().__init__(parent)
        self.board = board
        self.editable = editable
        self.groups = sorted(board.review.groups, key=lambda g: (-g.wasted_bytes, g.md5))
        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)
        board.changed.connect(self._decisions_changed)

    # ------------------------------------------------------------- structure

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not parent.isValid():
            return (
                self.createIndex(row, column, _TOP)
                if 0 <= row < len(self.groups)
                else QModelIndex()
            )
        if parent.internalId() != _TOP:
            return QModelIndex()
        return self.createIndex(row, column, parent.row())

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _TOP:
            return QModelIndex()
        return self.createIndex(int(index.internalId()), 0, _TOP)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == _TOP and parent.column() == 0:
            return len(self.groups[parent.row()].files)
        return 0

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(GroupColumn)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return GROUP_HEADERS[section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self.editable and index.column() == GroupColumn.DECISION:
            path = self._file(index)
            if path is None or path.path in self.board.review.jobs:
                flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def group_of(self, index: ModelIndex) -> DuplicateGroup:
        row = index.row() if index.internalId() == _TOP else int(index.internalId())
        return self.groups[row]

    def _file(self, index: ModelIndex) -> DuplicateFile | None:
        if index.internalId() == _TOP:
            return None
        return self.groups[int(index.internalId())].files[index.row()]

    # ------------------------------------------------------------- data

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        group = self.group_of(index)
        item = self._file(index)
        column = index.column()
        review = self.board.review
        if role == Qt.ItemDataRole.DisplayRole:
            if item is None:
                return self._group_text(group, column)
            return self._file_text(group, item, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == GroupColumn.FILE and item is not None:
            if item.path == review.reference_of(group):
                return f"{item.path}\nThe file \u201ckeep one\u201d uploads (the reference)"
            return item.path
        if role == Qt.ItemDataRole.FontRole and column == GroupColumn.FILE:
            if item is None or item.path == review.reference_of(group):
                return self._bold
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == GroupColumn.DECISION:
                if item is None:
                    return None
                decision = review.decisions.get(item.path)
                color = DECISION_COLORS.get(decision) if decision else None
                return theme.ink(color or theme.TEXT_MUTED)
            if item is not None and column in (GroupColumn.MODIFIED, GroupColumn.MD5):
                return theme.ink(theme.TEXT_MUTED)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            GroupColumn.SIZE,
            GroupColumn.WASTED,
        ):
            return _RIGHT
        if role == PATH_ROLE:
            return item.path if item is not None else None
        if role == GROUP_ROLE:
            return group
        if role == CHOICES_ROLE:
            if item is None:
                return [None, Decision.UPLOAD, Decision.SKIP]  # None: keep one
            return choices(review, item.path)
        if role == Qt.ItemDataRole.EditRole and column == GroupColumn.DECISION:
            return review.decisions.get(item.path) if item is not None else None
        return None

    def _group_text(self, group: DuplicateGroup, column: int) -> str:
        if column == GroupColumn.FILE:
            reference = self.board.review.reference_of(group) or group.files[0].path
            return f"{group.copies} copies of {_name(reference)}"
        if column == GroupColumn.SIZE:
            return format_bytes(group.size)
        if column == GroupColumn.MD5:
            return group.md5
        if column == GroupColumn.WASTED:
            return format_bytes(group.wasted_bytes)
        if column == GroupColumn.DECISION:
            return self._group_decision(group)
        return ""

    def _file_text(self, group: DuplicateGroup, item: DuplicateFile, column: int) -> str:
        if column == GroupColumn.FILE:
            shown = shown_path(self.board.review, item.path)
            if item.path == self.board.review.reference_of(group):
                shown = f"{REFERENCE_MARK} {shown}"
            return f"{shown}  (same file as {_name(item.link_of)})" if item.link_of else shown
        if column == GroupColumn.SIZE:
            return format_bytes(item.size)
        if column == GroupColumn.MODIFIED:
            return when(item.modified)
        if column == GroupColumn.MD5:
            return item.md5
        if column == GroupColumn.DECISION:
            return decision_text(self.board.review, item.path)
        return ""

    def _group_decision(self, group: DuplicateGroup) -> str:
        decisions = [self.board.review.decisions.get(p) for p in group.paths]
        planned = [d for d in decisions if d is not None]
        going = sum(1 for d in planned if d is not Decision.SKIP)
        if going == 1 and len(planned) > 1:
            return "Keep one"
        if going == 0:
            return "Skip all"
        return "Upload all" if going == len(planned) else f"Upload {going}"

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not (self.editable and index.column() == GroupColumn.DECISION):
            return False
        item = self._file(index)
        if item is not None:
            self.board.set_files([item.path], Decision(value))
        elif value is None:
            self.board.keep_one([self.group_of(index)])
        else:
            self.board.set_group(self.group_of(index), Decision(value))
        return True

    def _decisions_changed(self) -> None:
        if not self.groups:
            return
        column = GroupColumn.DECISION
        last = len(self.groups) - 1
        # A range repaints the whole viewport in Qt's views, the files of open groups too
        # (their names as well: the reference may have moved).
        self.dataChanged.emit(self.index(0, 0), self.index(last, column))


def _name(path: str | None) -> str:
    return PurePath(path).name if path else ""
