"""The thin progress bar with its percentage, painted inside a table cell.

One look for the Uploads and the ETL tables: a rounded track, a bar in the
state's colour, the percentage at the right.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter

from hma_gui.core.jobs.store import JobState
from hma_gui.ui import theme

TEXT_WIDTH = 40
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class ProgressPainter:
    def __init__(self) -> None:
        self._white = QColor("#ffffff")

    def paint(
        self, painter: QPainter, rect: QRect, fraction: float, state: JobState, selected: bool
    ) -> None:
        """The bar for `fraction` (0…1) in `rect` (already inside the cell's padding)."""
        bar = QRectF(rect.left(), rect.center().y() - 2.5, rect.width() - TEXT_WIDTH - 6, 6)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.qcolor(theme.TRACK))  # the scheme's, read at each paint
        painter.drawRoundedRect(bar, 3, 3)
        if fraction > 0:
            filled = QRectF(bar.left(), bar.top(), max(6.0, bar.width() * min(fraction, 1.0)), 6)
            painter.setBrush(theme.qcolor(theme.STATE_COLORS[state]))
            painter.drawRoundedRect(filled, 3, 3)
        painter.setPen(self._white if selected else theme.qcolor(theme.TEXT_SECONDARY))
        text_rect = QRect(int(bar.right()) + 6, rect.top(), TEXT_WIDTH, rect.height())
        painter.drawText(text_rect, _RIGHT, f"{fraction * 100:.0f} %")
        painter.restore()
