"""Dialogs fit a small screen: 1024×700, and 512×350 points (1024×700 at QT_SCALE_FACTOR=2).

Offscreen the screen is 800×800, so the small screens are given to `fit_to_screen`
as an available geometry; the dialogs must fit them whole (frame included), and
their content scrolls or wraps instead of forcing a larger minimum.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDialog, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.rejects import HEADER
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.etl.rejects_dialog import RejectsDialog
from hma_gui.ui.settings.dialog import SettingsDialog
from hma_gui.ui.shell.error_dialog import ErrorDialog
from hma_gui.ui.shell.first_run import FirstRunDialog
from hma_gui.ui.shell.fit_screen import FlowLayout, fit_to_screen
from hma_gui.ui.watch.panel import WatchFolderDialog
from tests.gui.test_review_filter_and_reference import build_review

pytestmark = [pytest.mark.gui]

SCREENS = {"1024x700": QRect(0, 0, 1024, 700), "200 %": QRect(0, 0, 512, 350)}


def rejects_report(tmp_path: Path) -> Path:
    report = tmp_path / "rejects.csv"
    with report.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(("b", "mba/csv/m.csv", 7, "M-1", "zip_code", "2139", "not a ZIP code"))
    return report


DIALOGS: dict[str, Callable[[Path], QDialog]] = {
    "review": lambda _: DuplicateReviewDialog(build_review(), label="drop: a long label " * 6),
    "first run": lambda _: FirstRunDialog(),
    "watch folder": lambda tmp: WatchFolderDialog(str(tmp), ["mba", "policy"]),
    "settings": lambda _: SettingsDialog(load_settings()),
    "rejects": lambda tmp: RejectsDialog(rejects_report(tmp), lambda _url: None),
    "error": lambda _: ErrorDialog("It broke", "Traceback…\n" * 80),
}


@pytest.mark.parametrize("screen", SCREENS, ids=list(SCREENS))
@pytest.mark.parametrize("name", DIALOGS, ids=list(DIALOGS))
def test_each_dialog_fits_a_small_screen_whole(
    qtbot: QtBot, tmp_path: Path, name: str, screen: str
) -> None:
    free = SCREENS[screen]
    dialog = DIALOGS[name](tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert fit_to_screen(dialog, free), f"{name}: minimum {dialog.minimumSize()} > {free}"
    qtbot.waitUntil(lambda: free.contains(dialog.frameGeometry()))
    assert dialog.minimumSizeHint().width() <= free.width()
    assert dialog.minimumSizeHint().height() <= free.height()


def test_the_review_dialog_is_no_wider_than_its_widest_group_of_buttons(qtbot: QtBot) -> None:
    dialog = DuplicateReviewDialog(build_review(), label="drop: newcomer")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.minimumSizeHint().width() <= 500  # was 1129: one row of twelve buttons
    assert dialog.minimumWidth() <= 1000
    # the offscreen screen is 800 px wide: the default 1080 px were capped, frame included
    assert dialog.frameGeometry().width() <= dialog.screen().availableGeometry().width()
    dialog.resize(480, 340)  # everything still reachable: the content scrolls
    qtbot.waitUntil(lambda: dialog.width() == 480)
    assert dialog.apply_button.isVisibleTo(dialog)


def test_a_fitted_dialog_is_centred_over_its_parent_and_kept_on_the_screen(
    qtbot: QtBot,
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.setGeometry(100, 100, 600, 400)
    dialog = QDialog(parent)
    dialog.resize(2000, 300)
    free = QRect(0, 0, 1024, 700)
    assert fit_to_screen(dialog, free)
    assert dialog.width() <= 1024 and dialog.height() == 300
    assert free.contains(dialog.frameGeometry())
    dialog.resize(200, 100)
    dialog.move(900, 650)  # sticks out at the bottom right
    fit_to_screen(dialog, free)
    assert free.contains(dialog.frameGeometry())


def test_a_flow_row_wraps_instead_of_widening(qtbot: QtBot) -> None:
    row = QWidget()
    qtbot.addWidget(row)
    layout = FlowLayout(row, spacing=6)
    layout.setContentsMargins(0, 0, 0, 0)
    buttons = [QPushButton(f"A rather long button {i}") for i in range(8)]
    for button in buttons:
        layout.addWidget(button)
    widest = max(b.sizeHint().width() for b in buttons)
    assert layout.minimumSize().width() <= widest + 1
    one_line = layout.heightForWidth(layout.sizeHint().width())
    assert one_line == max(b.sizeHint().height() for b in buttons)
    assert layout.heightForWidth(widest) >= 8 * one_line  # one button a line
    row.resize(widest * 3, layout.heightForWidth(widest * 3))
    row.show()
    qtbot.waitExposed(row)
    assert len({b.y() for b in buttons}) > 1  # wrapped
    assert all(b.geometry().right() < row.width() for b in buttons)  # nothing cut


def test_the_review_dialog_at_200_percent_gives_the_local_file_its_room(qtbot: QtBot) -> None:
    """At 512 points the findings table hid nothing: every column kept its 110-px
    minimum and the Local file column showed only "…overage.pdf"."""
    from hma_gui.ui.duplicates.models import FindingColumn

    dialog = DuplicateReviewDialog(build_review(), label="drop: newcomer")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    view = dialog.findings_view
    dialog.resize(1300, 600)  # a wide dialog shows every column
    qtbot.waitUntil(lambda: not any(view.isColumnHidden(c) for c in FindingColumn))
    dialog.resize(480, 340)
    qtbot.waitUntil(lambda: view.isColumnHidden(FindingColumn.KEY))
    for column in (FindingColumn.LOCAL_MODIFIED, FindingColumn.S3_SIZE, FindingColumn.HOW):
        assert view.isColumnHidden(column)
    for column in (FindingColumn.FILE, FindingColumn.CLASS, FindingColumn.DECISION):
        assert not view.isColumnHidden(column)
    qtbot.waitUntil(lambda: view.columnWidth(FindingColumn.FILE) >= 150)
    dialog.resize(1000, 600)  # wide again: the columns come back
    qtbot.waitUntil(lambda: not view.isColumnHidden(FindingColumn.S3_MODIFIED))
