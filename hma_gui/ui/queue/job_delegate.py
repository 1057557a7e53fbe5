"""Paints every cell of the jobs table in one Python call, straight from the `Job`.

A `QStyledItemDelegate` asks the model's `data()` for half a dozen roles per
cell, and each of those calls has to take the GIL back from the upload
threads: under load a table repaint became the longest stall of the window.
This delegate makes one call per cell and reads the job from the model directly.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from hma_gui.ui import icons, theme
from hma_gui.ui.progress_paint import ProgressPainter
from hma_gui.ui.queue.job_columns import Column
from hma_gui.ui.queue.job_model import JobFilterProxy, JobTableModel

ModelIndex = QModelIndex | QPersistentModelIndex

PADDING = 8
ICON = 16
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight


class JobDelegate(QStyledItemDelegate):
    def __init__(self, proxy: JobFilterProxy, model: JobTableModel, parent: QWidget) -> None:
        super().__init__(parent)
        self._proxy = proxy
        self._model = model
        self._white = QColor("#ffffff")
        self._progress = ProgressPainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        row = self._proxy.mapToSource(index).row()
        if not 0 <= row < self._model.rowCount():
            return
        job = self._model.job_at(row)
        column = index.column()
        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, option.palette.highlight())
        inner = rect.adjusted(PADDING, 0, -PADDING, 0)
        if column == Column.PROGRESS:
            fraction = self._model.progress_of(job)
            if fraction is not None:
                self._progress.paint(painter, inner, fraction, job.state, selected)
            return
        text = self._model.text(job, column)
        if column == Column.STATE:
            icon_rect = QRect(inner.left(), inner.center().y() - ICON // 2 + 1, ICON, ICON)
            icons.state_icon(job.state).paint(painter, icon_rect)
            inner = inner.adjusted(ICON + 8, 0, 0, 0)
        own = self._model.color(job, column)
        color = self._white if selected else (own or theme.qcolor(theme.TEXT))
        metrics = option.fontMetrics
        # a path keeps its end: the file name and the nearest folders tell copies apart
        mode = Qt.TextElideMode.ElideLeft if column == Column.SOURCE else _ELIDE_RIGHT
        shown = metrics.elidedText(text, mode, inner.width())
        painter.setPen(color)
        align = _RIGHT if column in (Column.SIZE, Column.ATTEMPTS) else _LEFT
        painter.drawText(inner, align, shown)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(120, 30)
