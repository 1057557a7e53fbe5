"""ETL fixtures: a real MariaDB for the session, a fresh database per test, both targets.

`target` is parametrised over ``sqlite`` and ``mysql``: a test that takes it runs
against the embedded SQLite file and against the session's MariaDB, configured
exactly as a user would (``HMA_DB_URL`` / ``HMA_DB_PASSWORD`` or nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.database import DbConfig, EtlDatabase
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.schema import TABLES
from tests.conftest import S3Env, require_tool
from tests.mariadb_server import MariaDbServer

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CSV = REPO / "resources" / "sample_data" / "mba" / "csv"


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDbServer]:
    require_tool("mariadbd")
    require_tool("mariadb-install-db")
    server = MariaDbServer.create(tmp_path_factory.mktemp("mariadb"))
    yield server
    server.stop()


@dataclass
class Target:
    """The database a test loads into, configured through the environment."""

    kind: str
    server: MariaDbServer | None = None
    database: str = ""

    def config(self) -> DbConfig:
        return DbConfig.from_settings(load_settings())

    def open(self) -> EtlDatabase:
        return open_database(self.config())

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            import sqlite3

            path = self.config().path
            assert path is not None
            with sqlite3.connect(path) as conn:
                return list(conn.execute(sql).fetchall())
        assert self.server is not None
        conn = self.server.root(self.database)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql.replace('"', "`"))
                return list(cursor.fetchall())
        finally:
            conn.close()

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every data table, sorted and normalised (dates and decimals as text)."""
        return {
            t.name: sorted(map(_normal, self.query(f'SELECT * FROM "{t.name}"'))) for t in TABLES
        }

    def counts(self) -> dict[str, int]:
        return {t.name: self.query(f'SELECT COUNT(*) FROM "{t.name}"')[0][0] for t in TABLES}

    def runs(self) -> list[dict[str, Any]]:
        columns = (
            "id, object_key, etag, table_name, status, rows_read, rows_loaded, rows_rejected, "
            "rows_superseded, error"
        )
        rows = self.query(f"SELECT {columns} FROM etl_runs ORDER BY id")
        names = [c.strip() for c in columns.split(",")]
        return [dict(zip(names, row, strict=True)) for row in rows]


def _normal(row: tuple[Any, ...]) -> tuple[str | None, ...]:
    out: list[str | None] = []
    for value in row:
        if value is None:
            out.append(None)
        elif isinstance(value, float | Decimal) or (
            isinstance(value, int) and not isinstance(value, bool)
        ):
            out.append(f"{Decimal(str(value)).normalize():f}")
        else:
            out.append(str(value))
    return tuple(out)


@pytest.fixture
def mysql_target(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Target:
    server: MariaDbServer = request.getfixturevalue("mariadb")
    database = server.create_database(f"hma_{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("HMA_DB_URL", server.url(database))
    monkeypatch.setenv("HMA_DB_PASSWORD", server.password)
    return Target("mysql", server, database)


@pytest.fixture(params=["sqlite", "mysql"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "sqlite":
        return Target("sqlite")
    return request.getfixturevalue("mysql_target")  # type: ignore[no-any-return]


def upload_csv(s3_env: S3Env, name: str, data: bytes, folder: str = "mba/csv/") -> str:
    """Put one object into the mba bucket over HTTP; its key."""
    key = folder + name
    s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=data)  # type: ignore[attr-defined]
    return key
