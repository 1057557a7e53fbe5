"""A small throughput chart, painted by hand (no QtCharts: the bundle stays lean)."""

from __future__ import annotations

import collections

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from hma_gui.core.rate_meter import format_bytes
from hma_gui.ui import theme

KiB = 1024
MiB = 1024 * KiB
MIN_SPAN = 30
MIN_SCALE = 10.0  # B/s: the smallest top of the scale, so a trickle still draws a curve


class ThroughputChart(QWidget):
    """Bytes per second over the last `window` seconds, one point per second.

    The scale follows the peak down to KiB/s and B/s: small-file uploads move few
    bytes, and a fixed 1 MiB/s floor drew them as a flat line. The header shows
    files/s next to the byte rate for the same reason.
    """

    def __init__(self, parent: QWidget | None = None, window: int = 90) -> None:
        super().__init__(parent)
        self._window = window
        self._points: collections.deque[float] = collections.deque(maxlen=window)
        self._second: int | None = None
        self._current = 0.0
        self._files_rate = 0.0
        self.setMinimumSize(220, 96)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(320, 120)

    @property
    def points(self) -> list[float]:
        return list(self._points)

    @property
    def scale(self) -> float:
        """The top of the plot in bytes/s."""
        return _nice_ceiling(max(self._points, default=0.0))

    def caption(self) -> str:
        """The current rate as the header shows it."""
        return f"{format_bytes(self._current)}/s · {self._files_rate:,.1f} files/s"

    def add_sample(self, at: float, rate: float, files_rate: float = 0.0) -> None:
        """`rate` in bytes/s (and `files_rate` in files/s) at monotonic time `at`;
        one point is kept per second."""
        self._current = rate
        self._files_rate = files_rate
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
        painter.setBrush(QColor(theme.PANEL))
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
            self.caption(),
        )

        plot = rect.adjusted(10, 30, -10, -8)
        peak = max(self._points, default=0.0)
        scale = self.scale
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
    """A round top for the scale, at least `value`: 1, 2, 5, 10, 20, 50, 100, 200 or 500
    B, KiB, MiB, GiB or TiB per second (so the label reads "20 KiB/s", not "19.5 KiB/s")."""
    value = max(value, MIN_SCALE)
    for unit in (1, KiB, MiB, MiB * KiB, MiB * MiB):
        for factor in (1, 2, 5, 10, 20, 50, 100, 200, 500):
            if unit * factor >= value:
                return float(unit * factor)
    return value  # beyond 500 TiB/s: the peak itself
