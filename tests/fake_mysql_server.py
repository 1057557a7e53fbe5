"""A hostile MySQL server on 127.0.0.1 that speaks just enough of the protocol.

It greets, accepts any login, answers every statement with OK, and — when a
statement contains `trigger` — answers it instead with a LOCAL INFILE request
(a 0xFB packet) for `wanted` (or, with `wanted=None`, for the file the statement
itself names). Every byte a client sends is kept in `received`, so a test can
assert what a client gave away.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
from dataclasses import dataclass, field

_CAPABILITIES = (
    0x00000001  # LONG_PASSWORD
    | 0x00000008  # CONNECT_WITH_DB
    | 0x00000080  # LOCAL_FILES
    | 0x00000200  # PROTOCOL_41
    | 0x00002000  # TRANSACTIONS
    | 0x00008000  # SECURE_CONNECTION
    | 0x00080000  # PLUGIN_AUTH
)
_OK = b"\x00\x00\x00\x02\x00\x00\x00"  # affected 0, insert id 0, autocommit, 0 warnings
_COM_QUIT, _COM_QUERY = 0x01, 0x03


def _handshake() -> bytes:
    return (
        b"\x0a5.7.99-hostile\x00"
        + struct.pack("<I", 7)
        + b"abcdefgh\x00"
        + struct.pack("<H", _CAPABILITIES & 0xFFFF)
        + bytes([45])  # utf8mb4
        + struct.pack("<H", 2)
        + struct.pack("<H", _CAPABILITIES >> 16)
        + bytes([21])
        + b"\x00" * 10
        + b"ijklmnopqrst\x00"
        + b"mysql_native_password\x00"
    )


@dataclass
class FileRequest:
    """One LOCAL INFILE request: the statement, the file named, the bytes the client sent."""

    statement: str
    filename: bytes
    data: bytes


@dataclass
class FakeMySqlServer:
    trigger: str
    wanted: bytes | None
    received: bytearray = field(default_factory=bytearray)
    requests: list[FileRequest] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self.port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop listening (sessions still open end with their client; the threads are daemons)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
        self._sock.close()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------------ protocol

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session_thread, args=(conn,), daemon=True).start()

    def _session_thread(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError, EOFError):
            self._session(conn)

    def _read(self, conn: socket.socket) -> tuple[int, bytes]:
        header = self._exactly(conn, 4)
        length = header[0] | header[1] << 8 | header[2] << 16
        return header[3], self._exactly(conn, length)

    def _exactly(self, conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        self.received += data
        return data

    @staticmethod
    def _send(conn: socket.socket, seq: int, body: bytes) -> None:
        conn.sendall(struct.pack("<I", len(body))[:3] + bytes([seq & 0xFF]) + body)

    def _session(self, conn: socket.socket) -> None:
        self._send(conn, 0, _handshake())
        seq, _login = self._read(conn)
        self._send(conn, seq + 1, _OK)
        while True:
            seq, packet = self._read(conn)
            if not packet or packet[0] == _COM_QUIT:
                return
            statement = packet[1:].decode("utf-8", "replace") if packet[0] == _COM_QUERY else ""
            self.statements.append(statement)
            if self.trigger and self.trigger in statement:
                seq = self._ask_for_file(conn, seq, statement)
            self._send(conn, seq + 1, _OK)

    def _ask_for_file(self, conn: socket.socket, seq: int, statement: str) -> int:
        wanted = self.wanted
        if wanted is None:  # the file the statement names
            named = re.search(r"INFILE '([^']*)'", statement)
            wanted = named.group(1).encode() if named else b""
        self._send(conn, seq + 1, b"\xfb" + wanted)
        data = b""
        while True:
            seq, packet = self._read(conn)
            if not packet:
                break
            data += packet
        self.requests.append(FileRequest(statement, wanted, data))
        return seq
