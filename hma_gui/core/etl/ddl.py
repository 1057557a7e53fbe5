"""SQL derived from the schema, for both targets: tables, staging tables, upserts, audit.

Both targets get the same tables with the same column names, types, NOT NULL
constraints and primary keys. MySQL/MariaDB tables are InnoDB, ``utf8mb4`` with
binary collation so that keys compare exactly as they do in SQLite. Identifiers
come from `schema.py` only (checked against a strict pattern); values always
travel as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from hma_gui.core.etl.schema import TABLES, Table

Dialect = Literal["mysql", "sqlite"]

_IDENT_RE = re.compile(r"[a-z_][a-z0-9_]{0,63}")
MYSQL_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

AUDIT_TABLE = "etl_runs"
VERSION_TABLE = "etl_schema_version"
STAGING_PREFIX = "_stg_"


def ident(name: str, dialect: Dialect) -> str:
    if not _IDENT_RE.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid identifier")
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def placeholder(dialect: Dialect) -> str:
    return "%s" if dialect == "mysql" else "?"


def create_table(table: Table, dialect: Dialect) -> str:
    lines = []
    for column in table.columns:
        not_null = " NOT NULL" if column.required or column.default else ""
        default = f" DEFAULT '{column.default}'" if column.default else ""
        lines.append(f"  {ident(column.name, dialect)} {column.type.sql()}{not_null}{default}")
    key = ", ".join(ident(k, dialect) for k in table.key)
    lines.append(f"  PRIMARY KEY ({key})")
    options = f" {MYSQL_TABLE_OPTIONS}" if dialect == "mysql" else ""
    body = ",\n".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {ident(table.name, dialect)} (\n{body}\n){options}"


def create_audit_tables(dialect: Dialect) -> list[str]:
    if dialect == "mysql":
        auto = "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"
        text, ts, options = "VARCHAR(1024)", "DATETIME(6)", f" {MYSQL_TABLE_OPTIONS}"
        mysql_index = ",\n  INDEX etl_runs_object (bucket, etag, status)"
    else:
        auto = "INTEGER PRIMARY KEY AUTOINCREMENT"
        text, ts, options, mysql_index = "TEXT", "TEXT", "", ""
    runs = f"""CREATE TABLE IF NOT EXISTS {ident(AUDIT_TABLE, dialect)} (
  id {auto},
  run_id CHAR(32) NOT NULL,
  bucket VARCHAR(63) NOT NULL,
  object_key {text} NOT NULL,
  etag VARCHAR(128),
  version_id VARCHAR(1024),
  object_size BIGINT,
  table_name VARCHAR(64),
  status VARCHAR(16) NOT NULL,
  rows_read BIGINT NOT NULL DEFAULT 0,
  rows_loaded BIGINT NOT NULL DEFAULT 0,
  rows_rejected BIGINT NOT NULL DEFAULT 0,
  rows_superseded BIGINT NOT NULL DEFAULT 0,
  encoding VARCHAR(16),
  rejects_path {text},
  started_at {ts} NOT NULL,
  finished_at {ts},
  error {text},
  source VARCHAR(16),
  owner_host VARCHAR(255),
  owner_pid BIGINT,
  owner_conn BIGINT{mysql_index}
){options}"""
    statements = [runs]
    if dialect == "sqlite":
        statements.append(
            f"CREATE INDEX IF NOT EXISTS etl_runs_object ON {ident(AUDIT_TABLE, dialect)} "
            "(bucket, etag, status)"
        )
    version = f"""CREATE TABLE IF NOT EXISTS {ident(VERSION_TABLE, dialect)} (
  version INTEGER NOT NULL PRIMARY KEY,
  applied_at {ts} NOT NULL,
  description VARCHAR(200) NOT NULL
){options}"""
    return [*statements, version]


#: Columns later schema versions added to ``etl_runs`` (version 2: who loads, from where),
#: added by `add_missing_columns` to a table an older version created.
AUDIT_ADDED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "VARCHAR(16)"),
    ("owner_host", "VARCHAR(255)"),
    ("owner_pid", "BIGINT"),
    ("owner_conn", "BIGINT"),
)


def add_missing_columns(existing: set[str], dialect: Dialect) -> list[str]:
    """``ALTER TABLE etl_runs ADD COLUMN …`` for each added column not in `existing`."""
    table = ident(AUDIT_TABLE, dialect)
    return [
        f"ALTER TABLE {table} ADD COLUMN {ident(name, dialect)} {sql_type}"
        for name, sql_type in AUDIT_ADDED_COLUMNS
        if name not in existing
    ]


def create_all(dialect: Dialect, tables: Sequence[Table] = TABLES) -> list[str]:
    return [create_table(t, dialect) for t in tables] + create_audit_tables(dialect)


def staging_table(table: Table, columns: Sequence[str]) -> str:
    """A MySQL TEMPORARY table for one file's good rows, ordered by source line."""
    name = ident(STAGING_PREFIX + table.name, "mysql")
    defs = [f"  {ident(c, 'mysql')} {table.column(c).type.sql()} NULL" for c in columns]
    body = ",\n".join(["  `_line` BIGINT NOT NULL PRIMARY KEY", *defs])
    return f"CREATE TEMPORARY TABLE {name} (\n{body}\n) {MYSQL_TABLE_OPTIONS}"


def merge_from_staging(table: Table, columns: Sequence[str], *, ranged: bool = False) -> str:
    """A set-based upsert, in file order so that the last row of a key wins.

    `ranged`: only the staged lines ``BETWEEN %s AND %s`` (one chunk).

    MariaDB spelling (``VALUES(col)``): MySQL 8's ``AS new`` alias is a syntax
    error on MariaDB, while ``VALUES()`` works on both (deprecated, not removed,
    in MySQL 8).
    """
    names = ", ".join(ident(c, "mysql") for c in columns)
    updates = [
        f"{ident(c, 'mysql')} = VALUES({ident(c, 'mysql')})" for c in _non_key(table, columns)
    ]
    if not updates:
        first = ident(table.key[0], "mysql")
        updates = [f"{first} = {first}"]
    return (
        f"INSERT INTO {ident(table.name, 'mysql')} ({names}) "
        f"SELECT {names} FROM {ident(STAGING_PREFIX + table.name, 'mysql')} "
        f"{'WHERE `_line` BETWEEN %s AND %s ' if ranged else ''}ORDER BY `_line` "
        f"ON DUPLICATE KEY UPDATE {', '.join(updates)}"
    )


def upsert_rows(table: Table, columns: Sequence[str], dialect: Dialect) -> str:
    """An upsert of one row with parameters (SQLite's executemany; MySQL fallback)."""
    names = ", ".join(ident(c, dialect) for c in columns)
    marks = ", ".join([placeholder(dialect)] * len(columns))
    target = ident(table.name, dialect)
    others = _non_key(table, columns)
    if dialect == "mysql":
        updates = [f"{ident(c, dialect)} = VALUES({ident(c, dialect)})" for c in others]
        tail = " ON DUPLICATE KEY UPDATE " + ", ".join(updates) if updates else ""
        return (
            f"INSERT {'' if updates else 'IGNORE '}INTO {target} ({names}) VALUES ({marks}){tail}"
        )
    keys = ", ".join(ident(k, dialect) for k in table.key)
    if not others:
        return f"INSERT INTO {target} ({names}) VALUES ({marks}) ON CONFLICT ({keys}) DO NOTHING"
    updates = [f"{ident(c, dialect)} = excluded.{ident(c, dialect)}" for c in others]
    return (
        f"INSERT INTO {target} ({names}) VALUES ({marks}) "
        f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(updates)}"
    )


def _non_key(table: Table, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c not in table.key]
