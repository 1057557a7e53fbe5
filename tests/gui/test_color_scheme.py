"""Issue 13 item 15: a dark theme that follows the desktop, switched live.

The desktop's switch arrives as `QStyleHints.colorSchemeChanged`; offscreen Qt has
no desktop to switch, so the test emits that signal as the platform would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.store import JobState
from hma_gui.ui import icons, theme
from hma_gui.ui.app import create_application
from hma_gui.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui]


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The application with our look; put back as it was for the tests after this one."""
    style, sheet, palette = qapp.style().name(), qapp.styleSheet(), qapp.palette()
    yield create_application([])
    theme.use_scheme(qapp, Qt.ColorScheme.Light)
    qapp.setStyle(style)
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


def _ink(icon: QIcon) -> int:
    """The mean lightness (0-255) of an icon's opaque pixels."""
    image = icon.pixmap(24).toImage()
    values = [
        image.pixelColor(x, y).lightness()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert values, "the icon drew nothing"
    return sum(values) // len(values)


def test_the_theme_follows_the_desktop_scheme_live(
    app: QApplication, qtbot: QtBot, open_window: Callable[..., MainWindow]
) -> None:
    window = open_window(check_s3=False)
    hints = app.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    pause = window.queue_controls.pause_button
    window_role = QPalette.ColorRole.Window
    assert window.palette().color(window_role).lightness() > 200
    light_ink = _ink(pause.icon())
    assert light_ink < 130  # a dark slate stroke on a light window
    chart = window.counters.chart

    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert app.palette().color(window_role).lightness() < 60
    assert window.palette().color(window_role).lightness() < 60
    assert window.palette().color(QPalette.ColorRole.Text).lightness() > 180
    assert theme.DARK["WINDOW"] in app.styleSheet()
    assert theme.LIGHT["WINDOW"] not in app.styleSheet()
    assert _ink(pause.icon()) > 170  # the same icon on the same button, re-coloured
    done = icons.state_icon(JobState.DONE).pixmap(24).toImage().pixelColor(4, 12)
    assert done.name() == theme.DARK["SUCCESS"]
    background = chart.grab().toImage().pixelColor(4, chart.height() // 2)
    assert background.lightness() < 60  # the hand-painted chart reads the scheme too

    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)  # and back
    assert window.palette().color(window_role).lightness() > 200
    assert _ink(pause.icon()) == light_ink
    assert chart.grab().toImage().pixelColor(4, chart.height() // 2).lightness() > 200


def test_the_duplicates_and_etl_models_follow_a_live_switch(
    app: QApplication, qtbot: QtBot
) -> None:
    """Their row colours are asked at paint time: built light, they show dark after a switch."""
    from hma_gui.core.etl.database import EtlRunRecord
    from hma_gui.core.etl.results import FileStatus
    from hma_gui.ui.duplicates.groups_model import GroupColumn, GroupsModel
    from hma_gui.ui.duplicates.models import DecisionBoard, FindingColumn, FindingsModel
    from hma_gui.ui.etl.history import EtlHistoryModel, HistoryColumn
    from hma_gui.ui.etl.model import EtlFileModel, FileColumn
    from tests.gui.test_etl_model import MEMBERS, planned_board, result
    from tests.gui.test_review_filter_and_reference import build_review

    hints = app.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    board = DecisionBoard(build_review())
    findings = FindingsModel(board, editable=False)
    groups = GroupsModel(board, editable=False)
    files = EtlFileModel()
    etl = planned_board()
    files.apply(etl.take())  # type: ignore[arg-type]
    etl.file_finished(result(MEMBERS, FileStatus.SUCCEEDED, read=10, rejected=3))
    files.apply(etl.take())  # type: ignore[arg-type]
    history = EtlHistoryModel()
    history.set_records(
        [
            EtlRunRecord(
                1, "r", "b", "mba/csv/f.csv", "e", "plans", "failed",
                10, 7, 3, 0, "2026-01-01 00:00:00", None, None, None, "window",
            )
        ]
    )  # fmt: skip
    member = files.rows.index(next(r for r in files.rows if r.name == "MemberData.csv"))
    group = groups.index(0, 0)
    cells = {  # a cell of each model -> the colour name it is painted in
        findings.index(0, FindingColumn.CLASS): "DANGER",  # a conflict comes first
        groups.index(0, GroupColumn.MD5, group): "TEXT_MUTED",
        files.index(member, FileColumn.STATUS): "SUCCESS",
        files.index(member, FileColumn.REJECTED): "DANGER",
        history.index(0, HistoryColumn.STATUS): "DANGER",
        history.index(0, HistoryColumn.STARTED): "TEXT_MUTED",
    }
    by_label = {"Upload": "ACCENT", "Skip": "TEXT_SECONDARY", "Overwrite": "DANGER"}
    for decided in (
        findings.index(0, FindingColumn.DECISION),
        groups.index(0, GroupColumn.DECISION, group),
    ):
        label = str(decided.data())
        cells[decided] = next(name for text, name in by_label.items() if label.startswith(text))
    foreground = Qt.ItemDataRole.ForegroundRole

    def shown() -> list[str]:
        return [index.data(foreground).name() for index in cells]

    assert shown() == [theme.LIGHT[name] for name in cells.values()]
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert shown() == [theme.DARK[name] for name in cells.values()]
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert shown() == [theme.LIGHT[name] for name in cells.values()]
