"""A small throughput chart, painted by hand (no QtCharts: the bundle stays lean)."""

from __future__ import annotations

import collections

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from hma_gui.core.rate_meter import format_bytes
from hma_gui.ui import theme

MiB = 1024 * 1024
MIN_SPAN = 30


class ThroughputChart(QWidget):
    """Bytes per second over the last `window` seconds, one point per second."""

    def __init__(self, parent: QWidget | None = None, window: int = 90) -> None:
        super().__init__(parent)
        self._window = window
        self._points: collections.deque[float] = collections.deque(maxlen=window)
        self._second: int | None = None
        self._current = 0.0
        self.setMinimumSize(220, 96)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(320, 120)

    @property
    def points(self) -> list[float]:
        return list(self._points)

    def add_sample(self, at: float, rate: float) -> None:
        """`rate` in bytes/s at monotonic time `at`; one point is kept per second."""
        self._current = rate
        second = int(at)
        if self._second is None or second > self._second:
            gap = 0 if self._second is None else min(second - self._second - 1, self._window)
            self._points.extend([0.0] * gap)  # seconds with no sample were idle
            self._points.append(rate)
            self._second = second
        else:
            self._points[-1] = max(self._points[-1], rate)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#f8fafc"))
        painter.drawRoundedRect(rect, 8, 8)

        title_font = painter.font()
        title_font.setPointSizeF(max(7.5, title_font.pointSizeF() * 0.8))
        painter.setFont(title_font)
        painter.setPen(QColor(theme.TEXT_MUTED))
        header = rect.adjusted(10, 6, -10, 0)
        painter.drawText(
            header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "THROUGHPUT"
        )
        value_font = painter.font()
        value_font.setBold(True)
        value_font.setPointSizeF(title_font.pointSizeF() * 1.25)
        painter.setFont(value_font)
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(
            header,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
            f"{format_bytes(self._current)}/s",
        )

        plot = rect.adjusted(10, 30, -10, -8)
        peak = max(self._points, default=0.0)
        scale = _nice_ceiling(max(peak, MiB))
        grid = QPen(QColor(theme.BORDER))
        grid.setWidthF(1)
        painter.setPen(grid)
        for fraction in (0.0, 0.5, 1.0):
            y = plot.bottom() - plot.height() * fraction
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setFont(title_font)
        painter.setPen(QColor(theme.TEXT_MUTED))
        painter.drawText(
            QRectF(plot.left() + 2, plot.top() + 2, plot.width(), 14),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            f"{format_bytes(scale)}/s",
        )
        if len(self._points) < 2 or peak <= 0:  # nothing moved yet: an empty grid
            painter.end()
            return
        # until the window has filled, a short history spreads over at least MIN_SPAN seconds
        step = plot.width() / (max(len(self._points), MIN_SPAN) - 1)
        start_x = plot.right() - step * (len(self._points) - 1)
        line = QPainterPath()
        for index, value in enumerate(self._points):
            point = QPointF(start_x + index * step, plot.bottom() - plot.height() * value / scale)
            if index == 0:
                line.moveTo(point)
            else:
                line.lineTo(point)
        area = QPainterPath(line)
        area.lineTo(QPointF(plot.right(), plot.bottom()))
        area.lineTo(QPointF(start_x, plot.bottom()))
        area.closeSubpath()
        gradient = QLinearGradient(plot.topLeft(), plot.bottomLeft())
        top, bottom = QColor(theme.ACCENT), QColor(theme.ACCENT)
        top.setAlpha(90)
        bottom.setAlpha(10)
        gradient.setColorAt(0, top)
        gradient.setColorAt(1, bottom)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(gradient)
        painter.drawPath(area)
        pen = QPen(QColor(theme.ACCENT))
        pen.setWidthF(1.8)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(line)
        painter.end()


def _nice_ceiling(value: float) -> float:
    """A round top for the scale: 1, 2, 5 or 10 × a power of ten MiB, at least `value`."""
    unit = MiB
    while unit * 10 <= value:
        unit *= 10
    for factor in (1, 2, 5, 10):
        if unit * factor >= value:
            return unit * factor
    return unit * 10  # pragma: no cover
