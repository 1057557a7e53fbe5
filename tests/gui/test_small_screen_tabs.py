"""At 200 % on a 1024×700 screen (512×350 points), with the app's real look (Fusion,
palette, style sheet): every tab fits the window's width, the queue card's header
takes two lines at most, and the ETL tab's compact row shows all its controls.

Widths and lines are read from the real widgets' geometry after the layout settled.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QScrollBar, QWidget
from pytestqt.exceptions import TimeoutError as QtTimeoutError
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import WatchFolderSettings
from hma_gui.core.duplicates.summary import Findings, FindingsState
from hma_gui.ui import theme
from hma_gui.ui.app import create_application
from hma_gui.ui.bucket.model import ENCRYPTION, MD5, NAME
from hma_gui.ui.duplicates.models import FindingColumn
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.shell.fit_screen import FlowLayout, fit_to_screen
from tests.gui.conftest import WAIT_MS
from tests.gui.test_review_filter_and_reference import build_review

pytestmark = [pytest.mark.gui, pytest.mark.integration]

SCREEN_200 = QRect(0, 0, 512, 350)  # a 1024×700 screen at QT_SCALE_FACTOR=2
# Under Xvfb at scale 2 the window's frame and scroll bar take ~25 points more than
# offscreen: each check runs 32 points narrower too.
WIDTHS = (512, 480)


@pytest.fixture
def looks(qapp: QApplication) -> Iterator[QApplication]:
    """The application with our look (the style sheet sets the widths); put back after."""
    style, sheet, palette, font = (
        qapp.style().name(),
        qapp.styleSheet(),
        qapp.palette(),
        qapp.font(),
    )
    yield create_application([])
    theme.use_scheme(qapp, Qt.ColorScheme.Light)
    qapp.setStyle(style)
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)


def at_200_percent(qtbot: QtBot, window: MainWindow, width: int = 512) -> QScrollArea:
    screen = SCREEN_200.adjusted(0, 0, width - SCREEN_200.width(), 0)
    window.resize(1240, 820)
    assert fit_to_screen(window, screen, centre=False)
    qtbot.waitUntil(lambda: screen.contains(window.frameGeometry()), timeout=WAIT_MS)
    scroll = window.centralWidget()
    assert isinstance(scroll, QScrollArea)
    return scroll


def across(scroll: QScrollArea, widget: QWidget) -> bool:
    """`widget` lies within the scroll area's viewport from left to right."""
    left = widget.mapTo(scroll.viewport(), QPoint(0, 0)).x()
    return left >= 0 and left + widget.width() <= scroll.viewport().width()


def unclipped(page: QWidget, widget: QWidget) -> bool:
    """No parent of `widget`, up to `page`, cuts any of it off."""
    child, rect = widget, widget.rect()
    while child is not page:
        parent = child.parentWidget()
        rect = rect.translated(child.pos())
        if parent is None or not parent.rect().contains(rect):
            return False
        child = parent
    return True


def settled(qtbot: QtBot, check: Callable[[], bool]) -> None:
    """Wait for the resize and wrap events (late on a busy machine); the asserts decide."""
    with contextlib.suppress(QtTimeoutError):
        qtbot.waitUntil(check, timeout=WAIT_MS)


@pytest.mark.parametrize("width", WIDTHS)
def test_uploads_duplicates_watched_and_bucket_fit_512_points(
    looks: QApplication,
    qtbot: QtBot,
    open_window: Callable[..., MainWindow],
    s3_env: object,
    tmp_path: Path,
    width: int,
) -> None:
    window = open_window(bucket_allow_delete=True)  # Delete… too: four buttons
    panel = window.duplicates.panel
    panel.set_findings([Findings("drop: export", build_review(), 1, FindingsState.WAITING)])
    window.watch_service.add_folder(WatchFolderSettings(path=tmp_path, scope="mba"))
    window.watch_panel.refresh()
    scroll = at_200_percent(qtbot, window, width)
    bucket = window.bucket_tab
    bucket.commands.stop_button.show()  # as while a download runs: it must fit too
    pages: dict[QWidget, tuple[QWidget, ...]] = {
        window.table: tuple(c for c in window.table.chips.values() if not c.isHidden()),
        panel: (
            panel.check_box, panel.policy, panel.export_button, panel.review_button,
            panel.choice, panel.s3_chip, panel.local_chip, panel.state_label,
        ),
        window.watch_panel: (
            window.watch_panel.add_button, window.watch_panel.edit_button,
            window.watch_panel.pause_button, window.watch_panel.remove_button,
        ),
        bucket: (
            bucket.scope_box, bucket.refresh_button, bucket.more_button, *bucket.commands.buttons,
            bucket.commands.stop_button,
        ),
    }  # fmt: skip
    for page, widgets in pages.items():
        window.tabs.setCurrentWidget(page)
        bar = scroll.horizontalScrollBar()

        def fits(
            bar: QScrollBar = bar, widgets: tuple[QWidget, ...] = widgets, page: QWidget = page
        ) -> bool:
            shown = all(across(scroll, w) and unclipped(page, w) for w in widgets)
            return bar.maximum() == 0 and shown

        settled(qtbot, fits)
        name = type(page).__name__
        assert page.minimumSizeHint().width() <= page.width(), (name, page.minimumSizeHint())
        assert bar.maximum() == 0, (name, scroll.widget().minimumSizeHint())
        for widget in widgets:
            assert widget.isVisible() and across(scroll, widget), (name, widget)
            shown = getattr(widget, "text", widget.objectName)()  # a button, or a name
            assert unclipped(page, widget), (name, shown)  # no line of a wrapped row cut off
    state = panel.state_label  # the state wraps rather than being cut
    assert state.heightForWidth(state.width()) <= state.height()
    views = (panel.findings_view, FindingColumn.KEY), (bucket.view, ENCRYPTION), (bucket.view, MD5)
    assert all(view.isColumnHidden(column) for view, column in views)  # narrow: they go
    assert not panel.findings_view.isColumnHidden(FindingColumn.FILE)
    assert not bucket.view.isColumnHidden(NAME)

    window.resize(1240, 900)  # wide again: every column back
    qtbot.waitUntil(lambda: window.width() == 1240, timeout=WAIT_MS)
    for page in pages:
        window.tabs.setCurrentWidget(page)
        qtbot.wait(20)
    assert not any(view.isColumnHidden(column) for view, column in views)
    assert all(not window.watch_panel.table.isColumnHidden(c) for c in range(7))


def flow_lines(flow: FlowLayout) -> int:
    """Lines of the items shown in `flow` (items of one line share a vertical centre)."""
    centres = sorted(
        flow.itemAt(i).geometry().center().y()  # type: ignore[union-attr]
        for i in range(flow.count())
        if not flow.itemAt(i).isEmpty()  # type: ignore[union-attr]
    )
    return 1 + sum(1 for a, b in itertools.pairwise(centres) if b - a > 4)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_queue_card_header_takes_two_lines_at_most(
    looks: QApplication,
    qtbot: QtBot,
    open_window: Callable[..., MainWindow],
    s3_env: object,
    width: int,
) -> None:
    window = open_window()
    scroll = at_200_percent(qtbot, window, width)
    if window.counters.folded:
        window.folds.toggle("queue_card")
    controls = window.queue_controls
    boxes = (controls.concurrency, controls.bwlimit)
    settled(qtbot, lambda: all(across(scroll, box) for box in boxes))
    flow = window.counters.controls
    assert flow_lines(flow) <= 2, [flow.itemAt(i).geometry() for i in range(flow.count())]  # type: ignore[union-attr]
    for value in (0, 9999):  # "No limit" and the widest rate asked for: whole
        controls.bwlimit.setValue(value)
        for box in boxes:
            edit = box.lineEdit()
            assert edit.fontMetrics().horizontalAdvance(edit.text()) < edit.width(), edit.text()
    controls.bwlimit.setValue(0)

    window.resize(1240, 900)  # wide: one line, as before
    qtbot.waitUntil(lambda: window.width() == 1240, timeout=WAIT_MS)
    settled(qtbot, lambda: flow_lines(flow) == 1)
    assert flow_lines(flow) == 1
    assert window.counters.title.isVisible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_etl_compact_row_shows_its_controls_whole(
    looks: QApplication,
    qtbot: QtBot,
    open_window: Callable[..., MainWindow],
    s3_env: object,
    width: int,
) -> None:
    window = open_window()
    at_200_percent(qtbot, window, width)
    panel = window.etl_panel
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.compact, timeout=WAIT_MS)
    shown = (
        panel.run_button,
        panel.stop_button,
        panel.dry_run_box,
        panel.force_box,
        panel.refresh_button,
    )

    def whole(widget: QWidget) -> bool:  # nothing of it cut off by a parent
        return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()

    settled(qtbot, lambda: all(whole(w) for w in shown))
    for widget in shown:
        assert whole(widget), (widget.text(), widget.visibleRegion().boundingRect())  # type: ignore[attr-defined]

    window.resize(1240, 900)  # tall again: all back in the card and the row
    qtbot.waitUntil(lambda: not panel.compact, timeout=WAIT_MS)
    assert panel._card.isAncestorOf(panel.force_box)
    assert panel.refresh_button.parentWidget() is panel
    qtbot.waitUntil(panel.refresh_button.isVisible, timeout=WAIT_MS)  # shown by a queued call
