"""A hostile MySQL server cannot read local files through ``LOAD DATA LOCAL`` (issue 12,
item 10): the load connection sends only the staging file offered for the statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hma_gui.core.etl.database import DatabaseError, DbConfig
from hma_gui.core.etl.mysql_connection import connect
from tests.fake_mysql_server import FakeMySqlServer

SECRET = b"aws_secret_access_key = planted-secret-0123456789\n"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    path = tmp_path / "credentials"
    path.write_bytes(SECRET)
    return path


def _config(port: int) -> DbConfig:
    return DbConfig("mysql", host="127.0.0.1", port=port, user="etl", database="hma", password="pw")


@pytest.fixture
def server_factory() -> Iterator[list[FakeMySqlServer]]:
    servers: list[FakeMySqlServer] = []
    yield servers
    for server in servers:
        server.close()


def _server(servers: list[FakeMySqlServer], trigger: str, wanted: bytes | None) -> FakeMySqlServer:
    server = FakeMySqlServer(trigger, wanted)
    servers.append(server)
    return server


def test_a_file_request_during_the_init_command_is_refused(
    planted: Path, server_factory: list[FakeMySqlServer]
) -> None:
    server = _server(server_factory, "sql_mode", str(planted).encode())
    with pytest.raises(DatabaseError, match="not offered"):
        connect(_config(server.port), local_infile=True)
    assert [r.data for r in server.requests] == [b""]
    assert SECRET not in server.received
    assert b"planted-secret" not in server.received


def test_the_load_statement_gets_the_offered_file_and_nothing_else(
    planted: Path, tmp_path: Path, server_factory: list[FakeMySqlServer]
) -> None:
    chunk = tmp_path / "chunk-000001.txt"
    chunk.write_bytes(b"2\x1fM-0001\x1e")
    honest = _server(server_factory, "LOAD DATA", None)  # asks for the file it was named
    conn = connect(_config(honest.port), local_infile=True)
    try:
        with conn.offering(chunk), conn.cursor() as cursor:
            cursor.execute("LOAD DATA LOCAL INFILE %s INTO TABLE t", (str(chunk),))
        assert [r.data for r in honest.requests] == [chunk.read_bytes()]
        # the same request outside the statement it was offered for: refused
        with pytest.raises(Exception, match="not offered"), conn.cursor() as cursor:
            cursor.execute("LOAD DATA LOCAL INFILE %s INTO TABLE t", (str(chunk),))
        assert honest.requests[-1].data == b""
    finally:
        conn.close()

    hostile = _server(server_factory, "LOAD DATA", str(planted).encode())
    conn = connect(_config(hostile.port), local_infile=True)
    try:
        with (
            pytest.raises(Exception, match="not offered"),
            conn.offering(chunk),
            conn.cursor() as cursor,
        ):
            cursor.execute("LOAD DATA LOCAL INFILE %s INTO TABLE t", (str(chunk),))
        with conn.cursor() as cursor:  # the protocol stayed in step
            cursor.execute("DO 1")
    finally:
        conn.close()
    assert [r.data for r in hostile.requests] == [b""]
    assert SECRET not in hostile.received
