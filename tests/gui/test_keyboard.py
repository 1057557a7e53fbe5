"""The keyboard as a newcomer uses it: a menu bar with every shortcut, Tab out of the table."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_menus_shortcuts_and_tab_order(qtbot: QtBot, open_window, s3_env) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Queue", "&View", "&Help"]

    # no key is bound twice (Qt would call it ambiguous and fire neither)
    keys = Counter(
        a.shortcut().toString()
        for a in window.findChildren(QAction)
        if not a.shortcut().isEmpty() and a.shortcutContext() == Qt.ShortcutContext.WindowShortcut
    )
    assert [k for k, n in keys.items() if n > 1] == []

    tabs = window.tabs
    names = [tabs.tabText(i) for i in range(tabs.count())]
    assert {"Uploads", "Duplicates", "Watched folders", "ETL"} <= set(names) and tabs.count() >= 5
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    for index in range(tabs.count()):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + index), Qt.KeyboardModifier.ControlModifier)
        assert tabs.currentIndex() == index, names[index]  # Ctrl+2 is the second tab
    window.menus.name_tabs()
    assert window.menus.tab_actions[1].text() == names[1]
    assert window.menus.tab_actions[1].shortcut() == QKeySequence("Ctrl+2")

    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    view = window.table.view
    assert not view.tabKeyNavigation()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert not view.hasFocus()  # Tab leaves the table

    dialog = window.menus.show_shortcuts()
    shown = dialog.findChild(QLabel).text()
    shortcuts = ("Run ETL", "Pause / Resume", "Add folder…", "Keyboard shortcuts")
    for words in (*shortcuts, "Review duplicates…"):
        assert words in shown
    dialog.close()
