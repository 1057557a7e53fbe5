"""Issue 13 item 15 ("Smaller"): the throughput chart's scale, front-elided paths,
the remembered Parallel value — each driven through the real widgets."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from hma_gui.ui import theme
from hma_gui.ui.queue.throughput_chart import ThroughputChart

KiB = 1024


def _highest_line_pixel(image: QImage, colour: QColor) -> int | None:
    """The smallest y where the chart's line colour (±24 per channel) is drawn."""
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - colour.red()) < 24
                and abs(pixel.green() - colour.green()) < 24
                and abs(pixel.blue() - colour.blue()) < 24
            ):
                return y
    return None


def test_chart_scales_down_to_kib_for_small_file_uploads(qtbot: QtBot) -> None:
    chart = ThroughputChart()
    qtbot.addWidget(chart)
    chart.resize(320, 140)
    for second, rate in enumerate([2 * KiB, 6 * KiB, 9 * KiB, 4 * KiB, 7 * KiB]):
        chart.add_sample(100.0 + second, rate, files_rate=3.5)
    assert chart.scale == 10 * KiB  # a round top just above the 9 KiB/s peak
    assert "files/s" in chart.caption() and "3.5" in chart.caption()
    image = chart.grab().toImage()
    top = _highest_line_pixel(image, QColor(theme.ACCENT))
    assert top is not None
    # the 9 KiB/s peak reaches the upper part of the plot, not a flat line at the bottom
    assert top < image.height() // 2, (top, image.height())


def test_chart_scale_reaches_bytes_per_second(qtbot: QtBot) -> None:
    chart = ThroughputChart()
    qtbot.addWidget(chart)
    chart.add_sample(1.0, 30)
    chart.add_sample(2.0, 140)
    assert chart.scale == 200
    chart.add_sample(3.0, 3 * 1024 * 1024)
    assert chart.scale == 5 * 1024 * 1024
