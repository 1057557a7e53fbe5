"""Paints every cell of the jobs table in one Python call, straight from the `Job`.

A `QStyledItemDelegate` asks the model's `data()` for half a dozen roles per
cell, and each of those calls has to take the GIL back from the upload
threads: under load a table repaint became the longest stall of the window.
This delegate makes one call per cell and reads the job from the model directly.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from hma_gui.core.job_store import JobState
from hma_gui.ui import icons, theme
from hma_gui.ui.job_columns import Column
from hma_gui.ui.job_model import JobFilterProxy, JobTableModel

ModelIndex = QModelIndex | QPersistentModelIndex

PADDING = 8
ICON = 16
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class JobDelegate(QStyledItemDelegate):
    def __init__(self, proxy: JobFilterProxy, model: JobTableModel, parent: QWidget) -> None:
        super().__init__(parent)
        self._proxy = proxy
        self._model = model
        self._text = QColor(theme.TEXT)
        self._white = QColor("#ffffff")
        self._track = QColor("#e8edf4")
        self._state_colors = {s: QColor(c) for s, c in theme.STATE_COLORS.items()}

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
            self._paint_progress(painter, inner, self._model.progress_of(job), job.state, selected)
            return
        text = self._model.text(job, column)
        if column == Column.STATE:
            icon_rect = QRect(inner.left(), inner.center().y() - ICON // 2 + 1, ICON, ICON)
            icons.state_icon(job.state).paint(painter, icon_rect)
            inner = inner.adjusted(ICON + 8, 0, 0, 0)
        color = self._white if selected else (self._model.color(job, column) or self._text)
        metrics = option.fontMetrics
        mode = (
            Qt.TextElideMode.ElideMiddle if column == Column.SOURCE else Qt.TextElideMode.ElideRight
        )
        shown = metrics.elidedText(text, mode, inner.width())
        painter.setPen(color)
        align = _RIGHT if column in (Column.SIZE, Column.ATTEMPTS) else _LEFT
        painter.drawText(inner, align, shown)

    def _paint_progress(
        self,
        painter: QPainter,
        rect: QRect,
        fraction: float | None,
        state: JobState,
        selected: bool,
    ) -> None:
        if fraction is None:
            return
        text_width = 40
        bar = QRectF(rect.left(), rect.center().y() - 2.5, rect.width() - text_width - 6, 6)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._track)
        painter.drawRoundedRect(bar, 3, 3)
        if fraction > 0:
            filled = QRectF(bar.left(), bar.top(), max(6.0, bar.width() * min(fraction, 1.0)), 6)
            painter.setBrush(self._state_colors[state])
            painter.drawRoundedRect(filled, 3, 3)
        painter.setPen(self._white if selected else QColor(theme.TEXT_SECONDARY))
        painter.drawText(
            QRect(int(bar.right()) + 6, rect.top(), text_width, rect.height()),
            _RIGHT,
            f"{fraction * 100:.0f} %",
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(120, 30)
