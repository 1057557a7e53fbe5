"""``--startup-timing``: say when the main window is first on screen, then quit.

For the start-up benchmark (bench/bundle.sh), which measures from outside with
its own clock: it starts the app, reads stdout, and stops its clock at the
``startup-timing:`` line. The line also carries the app's own view (seconds
since the process started, from /proc on Linux).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from hma_gui.core.frozen_app import has_console, seconds_since_process_start

logger = logging.getLogger(__name__)


class FirstExpose(QObject):
    """Calls `on_shown` once, at the first expose event of `window`'s native window."""

    def __init__(self, window: QWidget, on_shown: Callable[[], None]) -> None:
        super().__init__(window)
        self._on_shown: Callable[[], None] | None = on_shown
        self._window = window
        window.winId()  # create the native window now, so its events can be watched
        handle = window.windowHandle()
        (handle or window).installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        exposed = kind == QEvent.Type.Expose and self._window.windowHandle().isExposed()
        if self._on_shown is not None and exposed:
            on_shown, self._on_shown = self._on_shown, None
            on_shown()
        return False


def report_when_shown(window: QWidget, then: Callable[[], None]) -> FirstExpose:
    def shown() -> None:
        since = seconds_since_process_start()
        text = f"{since:.3f} s after the process started" if since is not None else "now"
        line = f"startup-timing: window shown {text}"
        logger.info("%s", line)
        if has_console():
            print(line, flush=True)
        then()

    return FirstExpose(window, shown)
