"""Connections to MySQL/MariaDB through PyMySQL, and their errors in one clear line.

`connect` applies the TLS policy of `DbConfig`, a strict SQL mode (a value the
validation let through but the server would truncate is an error, not a
warning) and UTC for the session. `translate` turns any PyMySQL or socket
error into a `DatabaseError` whose message names the host and the user but
never the password.

``LOAD DATA LOCAL``: PyMySQL sends whatever local file the server names in a
LOCAL INFILE request (a 0xFB packet) — on any statement, even the connection's
``init_command`` — so a hostile or compromised server could read any file the
user can. `Connection` answers such a request only with the one staging file
offered for the statement being run (`Connection.offering`), and refuses every
other request without sending a byte of it (docs/security.md).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pymysql.connections
import pymysql.err
from pymysql.constants import ER
from pymysql.protocol import LoadLocalPacketWrapper

from hma_gui.core.etl.database import DatabaseError, DbConfig, DbErrorKind

SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION"
)
CONNECT_TIMEOUT = 10
IO_TIMEOUT = 900  # a merge of millions of rows takes a while; a dead peer is seen sooner

_AUTH_CODES = {1044, 1045, 1698, 1227, 1142}
_UNKNOWN_DB = 1049
_UNREACHABLE_CODES = {2002, 2003, 2005, 2026}
_LOST_CODES = {2006, 2013, 2055, 1053, 1927, 4031, 1317, 3169}

logger = logging.getLogger(__name__)


class Connection(pymysql.connections.Connection):
    """A PyMySQL connection that sends a local file only when it was offered for a statement."""

    _offered: bytes | None = None

    @contextlib.contextmanager
    def offering(self, path: Path) -> Iterator[None]:
        """While inside, a LOCAL INFILE request for exactly `path` is answered."""
        self._offered = str(path).encode(self.encoding)
        try:
            yield
        finally:
            self._offered = None

    def _read_query_result(self, unbuffered: bool = False) -> int:
        # PyMySQL reads every statement's reply (init_command's too) through here; the
        # result class below is where a LOCAL INFILE request is answered.
        self._result = None
        result = _GuardedResult(self)
        if unbuffered:
            result.init_unbuffered_query()
        else:
            result.read()
        self._result = result
        if result.server_status is not None:
            self.server_status = result.server_status
        return result.affected_rows  # type: ignore[return-value]


class _GuardedResult(pymysql.connections.MySQLResult):
    def _read_load_local_packet(self, first_packet: Any) -> None:
        conn = self.connection
        assert isinstance(conn, Connection)
        requested = LoadLocalPacketWrapper(first_packet).filename
        if (
            getattr(conn, "_local_infile", False)
            and conn._offered is not None
            and requested == conn._offered
        ):
            super()._read_load_local_packet(first_packet)  # type: ignore[misc]
            return
        shown = requested.decode("utf-8", "replace")[:200]
        logger.warning("refused the database server's request for local file %r", shown)
        conn.write_packet(b"")  # an empty file: the protocol stays in step, nothing is sent
        with contextlib.suppress(pymysql.err.MySQLError):
            conn._read_packet()  # type: ignore[no-untyped-call] # the server's OK or error for the empty file
        raise pymysql.err.OperationalError(
            ER.FILE_NOT_FOUND,
            f"the server asked for the local file {shown!r}, which was not offered: refused",
        )


def ssl_context(config: DbConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(config.ssl_ca) if config.ssl_ca else None)
    if not config.ssl_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(config: DbConfig, *, local_infile: bool = False) -> Connection:
    """A new autocommit connection, or `DatabaseError` (AUTH / UNREACHABLE)."""
    tls: dict[str, Any] = {"ssl": ssl_context(config)} if config.ssl else {"ssl_disabled": True}
    try:
        return Connection(
            host=config.host,
            port=config.port,
            user=config.user,
            password=config.password or "",
            database=config.database,
            charset="utf8mb4",
            autocommit=True,
            local_infile=local_infile,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=IO_TIMEOUT,
            write_timeout=IO_TIMEOUT,
            init_command=f"SET SESSION sql_mode = '{SQL_MODE}', time_zone = '+00:00'",
            **tls,
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear line
        raise translate(exc, config, connecting=True) from None


def translate(exc: BaseException, config: DbConfig, *, connecting: bool = False) -> DatabaseError:
    if isinstance(exc, DatabaseError):
        return exc
    where = f"MySQL at {config.host}:{config.port}"
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    detail = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    if code in _AUTH_CODES:
        hint = (
            " (check the password: HMA_DB_PASSWORD or db_password in the settings file)"
            if code == 1045
            else ""
        )
        return DatabaseError(
            f"{where} refused user {config.user!r}: {detail}{hint}", DbErrorKind.AUTH
        )
    if code == _UNKNOWN_DB:
        return DatabaseError(
            f"database {config.database!r} does not exist on {where} (create it, or fix db_url)",
            DbErrorKind.AUTH,
        )
    if isinstance(exc, ssl.SSLError) or code == 2026:
        return DatabaseError(
            f"TLS with {where} failed: {_short(detail)} (db_ssl_ca should name the server's CA "
            "bundle, e.g. the RDS global bundle)",
            DbErrorKind.UNREACHABLE,
        )
    if connecting and (
        code in _UNREACHABLE_CODES or code in _LOST_CODES or isinstance(exc, OSError)
    ):
        return DatabaseError(f"cannot reach {where}: {_short(detail)}", DbErrorKind.UNREACHABLE)
    if (
        code in _LOST_CODES
        or code in _UNREACHABLE_CODES
        or isinstance(exc, OSError | pymysql.err.InterfaceError)
        or _closed_under_us(exc)
    ):
        if _closed_under_us(exc):  # PyMySQL's "'NoneType' object has no attribute …"
            detail = "the server closed it"
        return DatabaseError(
            f"lost the connection to {where}: {_short(detail) or type(exc).__name__}",
            DbErrorKind.LOST,
        )
    if isinstance(exc, pymysql.err.MySQLError):
        return DatabaseError(f"{where}: {_short(detail)}")
    return DatabaseError(f"{where}: {type(exc).__name__}: {_short(detail)}")


def is_lost(exc: BaseException) -> bool:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    return (
        code in _LOST_CODES
        or isinstance(exc, OSError | pymysql.err.InterfaceError)
        or _closed_under_us(exc)
    )


def _closed_under_us(exc: BaseException) -> bool:
    """PyMySQL's way of saying a dead connection was used: its socket is None.

    After the server died mid-command PyMySQL drops the socket (``_force_close``);
    the next write or read then fails with "'NoneType' object has no attribute
    'sendall'" (or 'recv_into', 'settimeout'…) instead of a connection error.
    """
    return isinstance(exc, AttributeError) and str(exc).startswith("'NoneType' object has")


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
