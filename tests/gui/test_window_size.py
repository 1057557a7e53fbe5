"""The window fits the screen (QT_SCALE_FACTOR=2, small screens); its content scrolls."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_the_window_is_never_larger_than_the_screen(qtbot: QtBot, open_window, s3_env) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    free = window.screen().availableGeometry()  # offscreen: 800×800, smaller than the default
    assert window.width() <= free.width() and window.height() <= free.height()
    assert window.minimumWidth() <= free.width() and window.minimumHeight() <= free.height()
    scroll = window.centralWidget()  # the content is in a scroll area
    content = scroll.widget()  # 800 wide: its rows wrap, nothing to scroll sideways
    assert content.minimumSizeHint().width() <= scroll.viewport().width()
    assert scroll.horizontalScrollBar().maximum() == 0

    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 700, timeout=WAIT_MS)
    assert window.table.minimumSizeHint().width() <= scroll.viewport().width()  # the jobs bar
