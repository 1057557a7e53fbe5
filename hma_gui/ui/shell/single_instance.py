"""One window per data directory: a second start brings the first window forward.

Two windows on one data directory would share the job store and both watch the
same folders. The first window listens on a `QLocalServer` whose name is derived
from the data directory; a later start connects, says "activate" and exits 0,
and the first window comes to the front. A crashed first window leaves at most a
stale socket file on POSIX: nobody answers, so the next start removes it and
listens itself. (The watcher's per-folder lock, `core.watch.folder_lock`, also
keeps a window and ``hma-ingest watch`` from watching one folder twice.)
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

logger = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
CONNECT_TIMEOUT_MS = 1000


def server_name(data_dir: Path) -> str:
    """A name for the local socket, the same for every process of one data directory."""
    digest = hashlib.sha256(os.fsencode(data_dir.expanduser().resolve())).hexdigest()[:20]
    return f"hma-ingest-{digest}"


class SingleInstance(QObject):
    """`signal_running()` for a second start; `listen()` and `activated` for the first."""

    activated = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None

    def signal_running(self) -> bool:
        """True when another window of this data directory answered and was activated."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(ACTIVATE)
        socket.flush()
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # a crashed window's socket file
            if not server.listen(self.name):
                logger.warning("cannot listen for other starts: %s", server.errorString())
                return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        logger.info("the only window of data directory %s (%s)", self.data_dir, self.name)
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._on_ready(socket)

    def _on_ready(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(ACTIVATE.strip()):
            logger.info("another start of the app brought this window forward")
            self.activated.emit()
