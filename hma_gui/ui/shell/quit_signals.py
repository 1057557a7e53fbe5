"""Quit cleanly on SIGTERM, SIGINT and SIGHUP (POSIX).

A logout, ``kill``, a service manager or Ctrl+C in the terminal should end
the app as the Quit shortcut does: uploads in flight go back to the queue, the
sandbox stops, the window state is saved, and the exit status is 0. Python
runs a signal handler only when it gets control, and Qt's event loop keeps it
away; so the handler's wake-up byte goes through a socket pair that a
`QSocketNotifier` watches, which brings control back to Python at once.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier

logger = logging.getLogger(__name__)

QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


class QuitOnSignals(QObject):
    def __init__(self, quit_app: Callable[[], None]) -> None:
        super().__init__()
        self._quit_app = quit_app
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {number: signal.signal(number, self._handle) for number in QUIT_SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self.received: list[int] = []

    def _handle(self, number: int, _frame: FrameType | None) -> None:
        self.received.append(number)
        logger.info("%s received: quitting", signal.Signals(number).name)
        self._quit_app()

    def _drain(self) -> None:
        try:
            while self._reader.recv(64):
                pass
        except OSError:  # nothing more to read
            pass

    def uninstall(self) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()


def install(quit_app: Callable[[], None]) -> QuitOnSignals | None:
    """Quit through `quit_app` on the quit signals; None where that is not possible."""
    if not QUIT_SIGNALS or not hasattr(socket, "socketpair"):
        return None
    try:
        return QuitOnSignals(quit_app)
    except (ValueError, OSError) as exc:  # not the main thread, or no socket pair here
        logger.debug("signals will not quit the app cleanly: %s", exc)
        return None
