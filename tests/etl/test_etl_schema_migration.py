"""Schema version 2 adds etl_runs.source and the owner columns to a version-1 database."""

from __future__ import annotations

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.ddl import AUDIT_ADDED_COLUMNS, create_all
from hma_gui.core.etl.pipeline import run_etl
from hma_gui.core.etl.schema import SCHEMA_VERSION
from tests.conftest import S3Env
from tests.etl.conftest import SAMPLE_CSV, Target, upload_csv

pytestmark = pytest.mark.integration


def version_one(target: Target) -> None:
    """The tables as schema version 1 made them (etl_runs without the added columns)."""
    db = target.open()
    db.close()  # creates the SQLite file's directory
    statements = create_all("mysql" if target.kind == "mysql" else "sqlite")
    for name, _ in AUDIT_ADDED_COLUMNS:
        statements = [
            s.replace(f",\n  {name} VARCHAR(16)", "")
            .replace(f",\n  {name} VARCHAR(255)", "")
            .replace(f",\n  {name} BIGINT", "")
            for s in statements
        ]
    assert not any("owner_pid" in s for s in statements)
    for statement in statements:
        _exec(target, statement)
    _exec(target, "INSERT INTO etl_schema_version VALUES (1, '2026-01-01 00:00:00', 'v1')")
    _exec(
        target,
        "INSERT INTO etl_runs (run_id, bucket, object_key, status, started_at) "
        "VALUES ('old', 'b', 'mba/csv/old.csv', 'succeeded', '2026-01-01 00:00:00')",
    )


def _mysql(target: Target, sql: str) -> None:
    assert target.server is not None
    conn = target.server.root(target.database)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.commit()
    finally:
        conn.close()


def _exec(target: Target, sql: str) -> None:
    if target.kind == "mysql":
        _mysql(target, sql)
        return
    import sqlite3

    path = target.config().path
    assert path is not None
    with sqlite3.connect(path) as conn:
        conn.execute(sql)


def test_a_version_one_database_gains_the_columns(s3_env: S3Env, target: Target) -> None:
    version_one(target)
    upload_csv(s3_env, "plan_details.csv", (SAMPLE_CSV / "plan_details.csv").read_bytes())

    assert run_etl(load_settings()).ok

    rows = target.query("SELECT object_key, source FROM etl_runs ORDER BY id")
    assert rows == [("mba/csv/old.csv", None), ("mba/csv/plan_details.csv", "cli")]
    versions = [row[0] for row in target.query("SELECT version FROM etl_schema_version")]
    assert sorted(versions) == [1, SCHEMA_VERSION]
    db = target.open()
    try:
        history = db.history(10)
        assert [(r.key, r.source) for r in history] == [
            ("mba/csv/plan_details.csv", "cli"),
            ("mba/csv/old.csv", None),
        ]
        assert db.init_schema() == []  # a second time changes nothing
    finally:
        db.close()
