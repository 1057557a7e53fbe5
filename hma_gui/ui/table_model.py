"""What every flat table of the app shares: fixed columns with a header each, alignment."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

ModelIndex = QModelIndex | QPersistentModelIndex

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class HeaderedTableModel(QAbstractTableModel):
    """A table with fixed columns: `headers` maps each column to its title (in column
    order), `right_aligned` holds the numeric columns. Subclasses give `row_total()`
    and `data()`."""

    headers: ClassVar[Mapping[Any, str]] = {}
    right_aligned: ClassVar[Collection[Any]] = ()

    def row_total(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.row_total()

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers.get(section)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if section in self.right_aligned else LEFT
        return None
