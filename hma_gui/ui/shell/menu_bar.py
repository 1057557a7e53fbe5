"""The menu bar: File, Queue, View, Help — every shortcut of the window, in one place.

Each shortcut lives on exactly one `QAction` here (two actions with one key are
ambiguous in Qt, and then neither fires). View's Ctrl+1… follow the tabs as they
are shown, so Ctrl+2 is the second tab whatever order features added them in.
Help › Keyboard shortcuts (F1) lists the map, read from these same actions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QTabWidget,
    QVBoxLayout,
)

from hma_gui.ui.shell import fit_screen

Slot = Callable[[], object]


@dataclass(frozen=True)
class WindowCommands:
    """What the menus do (the window's methods)."""

    add_files: Slot
    add_folder: Slot
    settings: Slot
    quit: Slot
    start: Slot
    pause: Slot
    cancel: Slot
    retry_failed: Slot
    clear_finished: Slot
    clear_queue: Slot
    review_duplicates: Slot
    run_etl: Slot
    find: Slot


TAB_KEYS = 9


class MenuBar:
    """Builds the window's menus; `actions` by name for tests and the shortcut map."""

    def __init__(self, window: QMainWindow, tabs: QTabWidget, commands: WindowCommands) -> None:
        self.window = window
        self.tabs = tabs
        self.bar: QMenuBar = window.menuBar()
        self.actions: dict[str, QAction] = {}
        self.help_dialog: QDialog | None = None
        c = commands
        file_menu = self.bar.addMenu("&File")
        self._add(file_menu, "Add files…", c.add_files, "Ctrl+O")
        self._add(file_menu, "Add folder…", c.add_folder, "Ctrl+Shift+O")
        file_menu.addSeparator()
        self._add(file_menu, "Settings…", c.settings, "Ctrl+,")
        file_menu.addSeparator()
        self._add(file_menu, "Quit", c.quit, QKeySequence.StandardKey.Quit)
        queue = self.bar.addMenu("&Queue")
        self._add(queue, "Start", c.start, "Ctrl+Return")
        self._add(queue, "Pause / Resume", c.pause, "Ctrl+P")
        self._add(queue, "Stop (files stay queued)", c.cancel, "Ctrl+.")
        queue.addSeparator()
        self._add(queue, "Retry failed", c.retry_failed, "Ctrl+Shift+R")
        self._add(queue, "Clear finished", c.clear_finished, "")
        self._add(queue, "Clear queue…", c.clear_queue, "")
        queue.addSeparator()
        self._add(queue, "Review duplicates…", c.review_duplicates, "Ctrl+D")
        self._add(queue, "Run ETL", c.run_etl, "Ctrl+E")
        self.view_menu = self.bar.addMenu("&View")
        self.tab_actions: list[QAction] = []
        for number in range(1, TAB_KEYS + 1):
            show = functools.partial(self.show_tab, number - 1)
            action = self._add(self.view_menu, f"Tab {number}", show, f"Ctrl+{number}")
            self.tab_actions.append(action)
        self.view_menu.addSeparator()
        self._add(self.view_menu, "Find in the uploads", c.find, "Ctrl+F")
        self.view_menu.aboutToShow.connect(self.name_tabs)
        self.name_tabs()
        help_menu = self.bar.addMenu("&Help")
        self._add(help_menu, "Keyboard shortcuts", self.show_shortcuts, "F1")

    def _add(
        self, menu: QMenu, text: str, slot: Slot, keys: str | QKeySequence.StandardKey
    ) -> QAction:
        action = QAction(text, self.window)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.window.addAction(action)  # shortcuts work with the menu bar hidden too
        self.actions[text] = action
        return action

    def show_tab(self, index: int) -> None:
        if 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)

    def name_tabs(self) -> None:
        """The View items carry the tabs' names, in the order shown."""
        for index, action in enumerate(self.tab_actions):
            shown = index < self.tabs.count()
            action.setVisible(shown)
            if shown:
                action.setText(self.tabs.tabText(index).split("  (")[0])

    def shortcut_map(self) -> list[tuple[str, str]]:
        self.name_tabs()
        return [
            (a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), a.text())
            for a in self.actions.values()
            if not a.shortcut().isEmpty() and a.isVisible()
        ] + [
            ("Tab / Shift+Tab", "Move between controls (out of tables too)"),
            ("Delete", "Remove the selected jobs"),
            ("Ctrl+R", "Retry the selected jobs"),
            ("Ctrl+Shift+C", "Copy the S3 URIs of the selected jobs"),
        ]

    def show_shortcuts(self) -> QDialog:
        rows = "".join(
            f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>"
            for keys, what in self.shortcut_map()
        )
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Keyboard shortcuts")
        label = QLabel(f"<table>{rows}</table>")
        layout = QVBoxLayout(fit_screen.scroll_body(dialog))
        layout.addWidget(label)
        fit_screen.fit_to_screen(dialog)
        self.help_dialog = dialog
        dialog.open()
        return dialog
