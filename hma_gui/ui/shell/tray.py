"""The system-tray icon: notifications of finished work, and the app living on without a window.

Notifications are batched: finished uploads and failures are counted from the
live feed's counters and announced once things have been quiet for a moment
("12 files uploaded", "2 files failed — open HMA Ingest for details"), never one
bubble per file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from hma_gui import APP_NAME
from hma_gui.core.jobs.store import Counters

QUIET_SECONDS = 3.0  # announce after this long without new finished files
MAX_WAIT_SECONDS = 30.0  # …or at the latest this long after the first one


@dataclass
class Announcement:
    title: str
    message: str
    warning: bool


class NotificationBatcher:
    """Turns a stream of counters into a few announcements. No Qt; tested on its own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: Counters | None = None
        self._done = 0
        self._failed = 0
        self._first_at: float | None = None
        self._last_at: float | None = None

    def observe(self, counters: Counters) -> Announcement | None:
        now = self._clock()
        if self._last is not None:
            done = max(0, counters.done - self._last.done)
            failed = max(0, counters.failed - self._last.failed)
            if done or failed:
                self._done += done
                self._failed += failed
                self._first_at = self._first_at or now
                self._last_at = now
        self._last = counters
        if self._first_at is None or self._last_at is None:
            return None
        quiet = now - self._last_at >= QUIET_SECONDS and not counters.running
        if not quiet and now - self._first_at < MAX_WAIT_SECONDS:
            return None
        announcement = self._announce()
        self._done = self._failed = 0
        self._first_at = self._last_at = None
        return announcement

    def _announce(self) -> Announcement:
        parts = []
        if self._done:
            parts.append(f"{self._done:,} file{'s' if self._done != 1 else ''} uploaded")
        if self._failed:
            parts.append(f"{self._failed:,} failed")
        message = ", ".join(parts)
        if self._failed:
            message += " — open HMA Ingest for the reasons"
        return Announcement(APP_NAME, message, bool(self._failed))


class Tray(QObject):
    show_requested = Signal()
    quit_requested = Signal()
    pause_toggled = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.batcher = NotificationBatcher()
        self.announcements: list[Announcement] = []  # what was shown (the log and tests read it)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip(APP_NAME)
        menu = QMenu()
        self._show_action = QAction("Show HMA Ingest", menu)
        self._show_action.triggered.connect(self.show_requested)
        self.pause_action = QAction("Pause uploads", menu)
        self.pause_action.triggered.connect(self.pause_toggled)
        quit_action = QAction("Quit", menu)
        quit_action.triggered.connect(self.quit_requested)
        menu.addAction(self._show_action)
        menu.addAction(self.pause_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        self._menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        if self.available:
            self.icon.show()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setText("Resume uploads" if paused else "Pause uploads")

    def observe(self, counters: Counters) -> None:
        announcement = self.batcher.observe(counters)
        if announcement is not None:
            self.announce(announcement)

    def announce(self, announcement: Announcement) -> None:
        self.announcements.append(announcement)
        self.icon.setToolTip(f"{APP_NAME} — {announcement.message}")
        if self.available:
            kind = (
                QSystemTrayIcon.MessageIcon.Warning
                if announcement.warning
                else QSystemTrayIcon.MessageIcon.Information
            )
            self.icon.showMessage(announcement.title, announcement.message, kind, 6000)

    def hide(self) -> None:
        self.icon.hide()
