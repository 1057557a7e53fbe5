"""Table columns that show their whole text: labels, sizes and dates sized from the font.

A view that elides on the left (so a path keeps its file name) would cut "16.2 KiB" to
"…6.2 KiB" and a date to its end; `fit_columns` gives such columns the width of their
widest text and `ElideRightDelegate`, which cuts the end should a narrow window still
squeeze them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView, QTreeView

# The widest texts the views show in such columns (`format_bytes`, local-time stamps).
SIZE_SAMPLE = "1023.9 MiB"
MINUTE_SAMPLE = "2026-12-07 23:36"
SECOND_SAMPLE = "2026-12-07 23:36:59"


class ElideRightDelegate(QStyledItemDelegate):
    """Cut a cell's text at its end, whatever the view's elide mode."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


def fit_columns(view: QTableView | QTreeView, samples: dict[int, str]) -> None:
    """Each column of `samples` as wide as its sample or its title, whichever is wider,
    and cut at its end when a narrow window squeezes it."""
    header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
    text, title = view.fontMetrics(), header.fontMetrics()
    model = view.model()
    delegate = ElideRightDelegate(view)  # owned by the view
    for column, sample in samples.items():
        name = str(model.headerData(column, Qt.Orientation.Horizontal))
        width = max(text.horizontalAdvance(sample) + 24, title.horizontalAdvance(name) + 32)
        view.setColumnWidth(column, width)
        view.setItemDelegateForColumn(column, delegate)
