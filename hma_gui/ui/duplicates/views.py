"""The pieces the review dialog and the Duplicates tab share: views, the decision editor, export.

`findings_view` / `groups_view` build the table and the tree over the models
(no widget per row: `DecisionDelegate` puts a combo box in a decision cell only
while it is edited). `write_report` saves the findings and decisions through
the core's report writer, as ``check-duplicates --report`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTreeView,
    QWidget,
)

from hma_gui.core.duplicates.decisions import DuplicateReview
from hma_gui.core.duplicates.report import DuplicateReport, format_for
from hma_gui.ui import theme
from hma_gui.ui.columns import MINUTE_SAMPLE, SIZE_SAMPLE, fit_columns
from hma_gui.ui.duplicates.groups_model import GroupColumn, GroupsModel
from hma_gui.ui.duplicates.models import (
    CHOICES_ROLE,
    CLASS_LABELS,
    DECISION_LABELS,
    FindingColumn,
    FindingsModel,
)
from hma_gui.ui.shell import fit_screen

# (parent, suggested path) -> (chosen path or "", chosen filter); QFileDialog's shape
SavePathChooser = Callable[[QWidget, str], tuple[str, str]]
# Columns hidden while a table is narrower than a width (a 512-point window, the review
# dialog at 200 %): the file, its class and decision keep the room.
FINDINGS_NARROW = (
    (FindingColumn.HOW, 1200),  # the review dialog on a 1024-px screen: file and key get room
    (FindingColumn.KEY, 900),  # then the key (a conflict's dates and sizes stay: item 15)
    *((c, 560) for c in (FindingColumn.LOCAL_MODIFIED, FindingColumn.S3_SIZE)),
    (FindingColumn.S3_MODIFIED, 560), (FindingColumn.LOCAL_SIZE, 560),
)  # fmt: skip
GROUPS_NARROW = ((GroupColumn.MODIFIED, 760), (GroupColumn.MD5, 760), (GroupColumn.WASTED, 560))

CSV_FILTER = "CSV (*.csv)"
JSON_FILTER = "JSON (*.json)"


def ask_save_path(parent: QWidget, suggested: str) -> tuple[str, str]:
    return QFileDialog.getSaveFileName(
        parent, "Export the findings", suggested, f"{CSV_FILTER};;{JSON_FILTER}"
    )


def write_report(review: DuplicateReview, label: str, path: Path, fmt: str | None = None) -> str:
    """The findings and decisions as the CLI's report (CSV for *.csv, else JSON); the format."""
    report = DuplicateReport(
        roots=[label] if label else [], local=review.local, s3=review.s3, decisions=review.resolve()
    )
    chosen = format_for(path, fmt)
    report.save(path, chosen)
    return chosen


def export_path(chosen: str, chosen_filter: str) -> Path | None:
    """The path from a save dialog, with the extension of the chosen filter if it has none."""
    if not chosen:
        return None
    path = Path(chosen)
    if not path.suffix:
        path = path.with_suffix(".json" if chosen_filter == JSON_FILTER else ".csv")
    return path


class DecisionDelegate(QStyledItemDelegate):
    """A combo box with the row's possible decisions, only while the cell is edited.

    Editable cells show a small chevron, so a decision looks like something to change.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        super().paint(painter, option, index)
        if not index.flags() & Qt.ItemFlag.ItemIsEditable:
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect
        x, y = rect.right() - 16, rect.center().y() - 1
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor("#ffffff" if selected else theme.TEXT_MUTED), 1.5)
        painter.setPen(pen)
        painter.drawPolyline([QPointF(x, y - 2), QPointF(x + 4, y + 2), QPointF(x + 8, y - 2)])
        painter.restore()

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Any) -> QWidget:
        combo = QComboBox(parent)
        for choice in index.data(CHOICES_ROLE) or []:
            label = "Keep one" if choice is None else DECISION_LABELS[choice]
            combo.addItem(label, choice)
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: Any) -> None:
        assert isinstance(editor, QComboBox)
        current = index.data(Qt.ItemDataRole.EditRole)
        found = editor.findData(current)
        editor.setCurrentIndex(max(found, 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Any) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


def configure_view(view: QTableView | QTreeView, stretch: int) -> None:
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideLeft)  # the file and its nearest folders
    header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    if isinstance(view, QTableView):  # the tree keeps its order: most wasted bytes first
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        view.setSortingEnabled(True)
    header.setHighlightSections(False)
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setMinimumSectionSize(72)  # sizes; the stretched path columns keep the rest
    if isinstance(view, QTableView):
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(30)
        view.setShowGrid(False)
    else:
        view.setUniformRowHeights(True)  # 10,000 rows: no per-row size queries


def findings_view(model: FindingsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    configure_view(view, FindingColumn.FILE)
    view.horizontalHeader().setSectionResizeMode(FindingColumn.KEY, QHeaderView.ResizeMode.Stretch)
    fit_columns(view, {
        FindingColumn.CLASS: max(CLASS_LABELS.values(), key=len),
        FindingColumn.LOCAL_SIZE: SIZE_SAMPLE, FindingColumn.LOCAL_MODIFIED: MINUTE_SAMPLE,
        FindingColumn.S3_SIZE: SIZE_SAMPLE, FindingColumn.S3_MODIFIED: MINUTE_SAMPLE,
        FindingColumn.HOW: "multipart ETag",
    })  # fmt: skip
    view.setColumnWidth(FindingColumn.DECISION, 124)
    fit_screen.hide_columns_when_narrow(view, FINDINGS_NARROW)
    return view


def groups_view(model: GroupsModel) -> QTreeView:
    view = QTreeView()
    view.setModel(model)
    configure_view(view, GroupColumn.FILE)
    fit_columns(view, {
        GroupColumn.SIZE: SIZE_SAMPLE, GroupColumn.MODIFIED: MINUTE_SAMPLE,
        GroupColumn.MD5: "0" * 32, GroupColumn.WASTED: SIZE_SAMPLE,
    })  # fmt: skip
    view.setColumnWidth(GroupColumn.DECISION, 124)
    fit_screen.hide_columns_when_narrow(view, GROUPS_NARROW)
    return view


def select_rows(
    view: QTableView | QTreeView, rows: list[int], parent: QModelIndex | None = None
) -> None:
    """Select whole rows (tests and keyboard helpers)."""
    model = view.model()
    selection = view.selectionModel()
    flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
    for row in rows:
        selection.select(model.index(row, 0, parent or QModelIndex()), flags)
