"""The main window on a small screen: 1024×700, and 512×350 points (1024×700 at 200 %).

The real window is resized; a table's rows count as visible when they lie inside
both the table's viewport and the part of the scrolling content the window shows.
"""

from __future__ import annotations

import contextlib

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QScrollArea, QTableView, QWidget
from pytestqt.exceptions import TimeoutError as QtTimeoutError
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.records import Counters
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.queue.counters_panel import CountersPanel
from hma_gui.ui.queue.job_columns import Column
from hma_gui.ui.shell.fit_screen import fit_to_screen
from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def on_window(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def rows_visible(window: MainWindow, view: QTableView) -> int:
    """Whole rows of `view` the window shows without scrolling."""
    shown = window.rect().intersected(on_window(window, window.centralWidget().viewport()))
    shown = shown.intersected(on_window(window, view.viewport()))
    if not view.isVisible() or shown.isEmpty():
        return 0
    return shown.height() // view.verticalHeader().defaultSectionSize()


def resized(qtbot: QtBot, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().toTuple() == (width, height), timeout=WAIT_MS)
    qtbot.wait(50)  # the folds and the tiles' lines settle


def rows_on_both_tabs(qtbot: QtBot, window: MainWindow) -> tuple[int, int]:
    window.tabs.setCurrentWidget(window.table)
    qtbot.wait(20)
    uploads = rows_visible(window, window.table.view)
    window.tabs.setCurrentWidget(window.etl_panel)
    window.etl_panel.show_page(1)  # the history: a table of the ETL's results, empty or not
    qtbot.wait(20)
    return uploads, rows_visible(window, window.etl_panel.history_view)


def test_at_1024_by_700_both_tables_show_five_rows(qtbot: QtBot, open_window, s3_env) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    resized(qtbot, window, 1024, 700)
    uploads, etl = rows_on_both_tabs(qtbot, window)
    assert uploads >= 5, uploads
    assert etl >= 5, etl
    assert window.drop_zone.folded and window.drop_zone.isVisible()  # a one-line strip
    assert window.drop_zone.height() <= 48


def test_at_200_percent_the_window_fits_and_the_tables_show_two_rows(
    qtbot: QtBot,
    open_window,  # type: ignore[no-untyped-def]
    s3_env,  # type: ignore[no-untyped-def]
) -> None:
    window = open_window()
    screen = QRect(0, 0, 512, 350)  # a 1024×700 screen at QT_SCALE_FACTOR=2
    window.resize(1240, 820)
    assert fit_to_screen(window, screen, centre=False)  # its minimum fits too
    qtbot.waitUntil(lambda: screen.contains(window.frameGeometry()), timeout=WAIT_MS)
    qtbot.wait(50)
    uploads, etl = rows_on_both_tabs(qtbot, window)
    assert uploads >= 2, uploads
    assert etl >= 2, etl
    assert window.counters.folded and not window.drop_zone.isVisible()  # folded by themselves
    assert not window.header.isVisible()  # its buttons are in the menus
    assert not window.header.small_badge.isVisible()  # not a sandbox
    assert window.etl_panel.compact  # its card one line, its buttons in sight
    assert on_window(window, window.etl_panel.run_button).right() <= window.width()

    resized(qtbot, window, 1240, 900)  # tall again: all back in place
    panel = window.etl_panel
    assert not panel.compact and panel._card.isAncestorOf(panel.run_button)
    assert panel.run_button.isVisible() and panel.counts_label.isVisible()
    assert window.header.isVisible() and window.drop_zone.isVisible()
    assert not window.drop_zone.folded and not window.counters.folded


def labels_whole(counters: CountersPanel) -> None:
    for tile in counters.tiles.values():
        label = tile.label
        assert tile.isVisible()
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width(), (
            label.text(),
            label.width(),
        )
        assert tile.geometry().right() <= counters.width()  # inside the card


def test_in_the_window_no_tile_label_is_cut(qtbot: QtBot, open_window, s3_env) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    counters = window.counters
    for size in ((1240, 900), (1024, 700), window.minimumSize().toTuple()):
        resized(qtbot, window, *size)
        if counters.folded:
            window.folds.toggle("queue_card")  # unfolded by hand: the tiles show
        qtbot.wait(50)
        labels_whole(counters)
        lines = len({tile.y() for tile in counters.tiles.values()})
        assert lines == 1 or size[0] < 1024, (size, lines)  # wide enough: one line


@pytest.mark.parametrize(("width", "lines"), [(1000, 1), (560, 2), (380, 3), (200, 7)])
def test_the_tiles_go_onto_more_lines_when_narrow(qtbot: QtBot, width: int, lines: int) -> None:
    counters = CountersPanel()
    qtbot.addWidget(counters)
    counters.add_tile("duplicates", "Duplicates", "#888888")
    counters.add_tile("to_decide", "To decide", "#888888")
    counters.show()
    assert counters.minimumSizeHint().width() <= 200  # the tiles set no wide minimum
    counters.resize(width, 400)
    qtbot.waitUntil(lambda: counters.width() == width, timeout=WAIT_MS)
    qtbot.wait(20)
    labels_whole(counters)
    shown = len({tile.y() for tile in counters.tiles.values()})
    assert shown >= lines and (shown == 1) == (lines == 1), shown  # 7 tiles
    assert counters.chart.isVisible() == (lines == 1)  # beside one line of tiles only


def test_folding_by_hand_the_view_menu_and_the_next_start(
    qtbot: QtBot,
    open_window,  # type: ignore[no-untyped-def]
    s3_env,  # type: ignore[no-untyped-def]
) -> None:
    window = open_window()
    resized(qtbot, window, 1240, 900)  # tall: nothing folds by itself
    actions = {a.text(): a for a in window.menus.view_menu.actions()}
    assert actions["Drop zone"].isChecked() and actions["Queue card"].isChecked()
    full = window.counters.height()
    qtbot.mouseClick(window.counters.fold_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.counters.height() < full - 40, timeout=WAIT_MS)
    assert not actions["Queue card"].isChecked()
    assert not any(tile.isVisible() for tile in window.counters.tiles.values())
    actions["Drop zone"].trigger()
    assert window.drop_zone.folded and window.drop_zone.hint.isHidden()
    actions["Queue card"].trigger()
    assert not window.counters.folded and actions["Queue card"].isChecked()
    window.quit()

    again = open_window()
    resized(qtbot, again, 1240, 900)
    assert again.drop_zone.folded and not again.counters.folded  # remembered


def test_a_short_window_folds_and_a_hand_unfold_holds_until_tall(
    qtbot: QtBot,
    open_window,  # type: ignore[no-untyped-def]
    s3_env,  # type: ignore[no-untyped-def]
) -> None:
    window = open_window()
    resized(qtbot, window, 1240, 900)
    assert not window.drop_zone.folded and not window.counters.folded
    resized(qtbot, window, 1024, 700)
    assert window.drop_zone.folded and window.counters.folded
    window.drop_zone.fold_button.click()  # unfolded by hand while short
    assert not window.drop_zone.folded and window.drop_zone.height() >= 100
    resized(qtbot, window, 1024, 690)
    assert not window.drop_zone.folded  # it holds
    resized(qtbot, window, 1240, 900)
    resized(qtbot, window, 1024, 700)
    assert window.drop_zone.folded  # short again: folded again


def test_at_1024_wide_the_filter_chips_with_counts_do_not_widen_the_window(
    qtbot: QtBot,
    open_window,  # type: ignore[no-untyped-def]
    s3_env,  # type: ignore[no-untyped-def]
) -> None:
    window = open_window()
    resized(qtbot, window, 1024, 700)
    counts = Counters(12_345, 8, 123_456, 1_234, 2_345, waiting=345, sent=5, needs_scope=2_000)
    window.table.show_counts(counts)  # every chip with a count, Needs a scope and Sent shown
    with contextlib.suppress(QtTimeoutError):  # a busy machine lays the chips out late
        qtbot.waitUntil(lambda: all(chip.isVisible() for chip in window.table.chips.values()))
    scroll = window.centralWidget()
    assert scroll.widget().width() <= scroll.viewport().width()  # nothing to scroll sideways
    chips = [chip for chip in window.table.chips.values() if chip.isVisible()]
    assert len(chips) == len(window.table.chips)
    for chip in chips:  # whole, inside the tab
        assert chip.fontMetrics().horizontalAdvance(chip.text()) < chip.width()
        assert on_window(window, chip).right() <= window.width()


def inside_viewport(scroll: QScrollArea, widget: QWidget) -> bool:
    viewport = scroll.viewport()
    return viewport.rect().contains(QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size()))


def settled(qtbot: QtBot, scroll: QScrollArea, widgets: tuple[QWidget, ...]) -> None:
    """Wait (up to WAIT_MS) for the layout to settle as the checks below want it; a
    busy machine delivers the resize and fold events late. The checks still decide."""
    with contextlib.suppress(QtTimeoutError):  # the assertions that follow say what is wrong
        qtbot.waitUntil(
            lambda: (
                scroll.horizontalScrollBar().maximum() == 0
                and all(w.isVisible() and inside_viewport(scroll, w) for w in widgets)
            ),
            timeout=WAIT_MS,
        )


def test_at_200_percent_nothing_scrolls_sideways_and_the_buttons_are_in_sight(
    qtbot: QtBot,
    open_window,  # type: ignore[no-untyped-def]
    s3_env,  # type: ignore[no-untyped-def]
) -> None:
    window = open_window()
    screen = QRect(0, 0, 512, 350)  # a 1024×700 screen at QT_SCALE_FACTOR=2
    window.resize(1240, 820)
    assert fit_to_screen(window, screen, centre=False)
    qtbot.waitUntil(lambda: screen.contains(window.frameGeometry()), timeout=WAIT_MS)
    qtbot.wait(50)
    scroll = window.centralWidget()
    assert isinstance(scroll, QScrollArea)
    window.tabs.setCurrentWidget(window.table)
    if window.counters.folded:
        window.folds.toggle("queue_card")  # unfolded: the tiles take their room too
    controls = window.queue_controls
    queue_buttons = (
        controls.start_button,
        controls.pause_button,
        controls.cancel_button,
        controls.concurrency,
        controls.bwlimit,
    )
    settled(qtbot, scroll, queue_buttons)  # folding and wrapping run in later events
    assert scroll.horizontalScrollBar().maximum() == 0, scroll.widget().minimumSizeHint()
    for button in queue_buttons:
        assert button.isVisible() and inside_viewport(scroll, button), button.toolTip()
    view = window.table.view  # the low-value columns go: state, file and progress in sight
    assert [view.isColumnHidden(c) for c in (Column.TARGET, Column.ATTEMPTS, Column.SIZE)] == [
        True,
        True,
        True,
    ]
    progress = view.columnViewportPosition(Column.PROGRESS)
    assert 0 <= progress < view.viewport().width() - 40, progress

    panel = window.etl_panel
    window.tabs.setCurrentWidget(panel)
    panel.rejects_button.show()  # as after a run with rejects
    etl_buttons = (panel.run_button, panel.stop_button, panel.rejects_button)
    settled(qtbot, scroll, etl_buttons)
    assert scroll.horizontalScrollBar().maximum() == 0, scroll.widget().minimumSizeHint()
    for button in etl_buttons:
        assert button.isVisible() and inside_viewport(scroll, button), button.text()

    window.tabs.setCurrentWidget(window.table)
    resized(qtbot, window, 1240, 900)  # wide again: every column back
    assert not any(view.isColumnHidden(c) for c in (Column.TARGET, Column.ATTEMPTS, Column.SIZE))
