"""Fast checks of the contract's pieces: schema, converters, header mapping, config, caches."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import ConfigError
from hma_gui.core.etl.audit import PendingAudit
from hma_gui.core.etl.coercion import BadValue, converter
from hma_gui.core.etl.csv_reader import read_batches
from hma_gui.core.etl.database import AuditFinish, DbConfig, DbErrorKind
from hma_gui.core.etl.ddl import create_all
from hma_gui.core.etl.mysql_connection import translate
from hma_gui.core.etl.parent_keys import ParentKeys
from hma_gui.core.etl.schema import TABLES, TABLES_BY_NAME, check_tables, table_for_key
from hma_gui.core.etl.validation import FileRejected, RowRejected, RowValidator, map_header

TODAY = dt.date(2025, 6, 1)


def convert(table: str, column: str, raw: str) -> str | None:
    return converter(TABLES_BY_NAME[table].column(column), TODAY)(raw)


# --------------------------------------------------------------------------- schema


def test_schema_declares_the_contract_and_its_ddl_runs() -> None:
    check_tables()
    assert [t.name for t in TABLES] == [
        "plans",
        "members",
        "deductibles_oop",
        "benefit_accumulator",
    ]
    assert TABLES_BY_NAME["deductibles_oop"].key == ("member_id", "plan_year", "network_tier")
    conn = sqlite3.connect(":memory:")
    for statement in create_all("sqlite"):
        conn.execute(statement)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(members)")]
    assert columns == [c.name for c in TABLES_BY_NAME["members"].columns]
    ddl = "\n".join(create_all("mysql"))
    assert "`plan_id` VARCHAR(20) NOT NULL" in ddl and "DECIMAL(5,4)" in ddl
    assert "PRIMARY KEY (`member_id`, `plan_year`, `benefit_code`)" in ddl


@pytest.mark.parametrize(
    ("key", "table"),
    [
        ("mba/csv/plan_details.csv", "plans"),
        ("mba/csv/PLAN_DETAILS_2024.CSV", "plans"),
        ("mba/csv/MemberData.csv", "members"),
        ("mba/csv/2024/memberdata-q1.csv", "members"),
        ("mba/csv/members_extra.csv", "members"),
        ("mba/csv/deductibles_oop.csv", "deductibles_oop"),
        ("mba/csv/benefit_accumulator_v2.csv", "benefit_accumulator"),
        ("mba/csv/claims.csv", None),
        ("mba/csv/old_plan_details.csv", None),
    ],
)
def test_file_names_match_tables_case_insensitively(key: str, table: str | None) -> None:
    found = table_for_key(key)
    assert (found.name if found else None) == table


# --------------------------------------------------------------------------- converters


@pytest.mark.parametrize(
    ("table", "column", "raw", "expected"),
    [
        ("plans", "deductible_individual", "1234.5", "1234.50"),
        ("plans", "deductible_individual", " $1,234.50 ", "1234.50"),
        ("plans", "deductible_individual", "(0)", "0.00"),
        ("plans", "coinsurance_rate", "20%", "0.2000"),
        ("plans", "coinsurance_rate", "0.25", "0.2500"),
        ("plans", "plan_id", "hmo-ga-01", "HMO-GA-01"),
        ("plans", "metal_tier", "gOLD", "Gold"),
        ("plans", "plan_year", "2024", "2024"),
        ("members", "date_of_birth", "1980-2-3", "1980-02-03"),
        ("members", "date_of_birth", "2/3/1980", "1980-02-03"),
        ("members", "date_of_birth", "19800203", "1980-02-03"),
        ("members", "gender", "Female", "F"),
        ("members", "zip_code", "02139", "02139"),
        ("members", "email", "a.b@mail.example.org", "a.b@mail.example.org"),
        ("members", "email", "NULL", None),
        ("members", "email", " n/a ", None),
        ("members", "first_name", "  ", None),
        ("benefit_accumulator", "unit", "days", "DAYS"),
        ("deductibles_oop", "network_tier", "oon", "OON"),
    ],
)
def test_converters_accept_the_contracts_spellings(
    table: str, column: str, raw: str, expected: str | None
) -> None:
    assert convert(table, column, raw) == expected


@pytest.mark.parametrize(
    ("table", "column", "raw", "reason"),
    [
        ("plans", "deductible_individual", "(12.00)", "negative values are not allowed"),
        ("plans", "deductible_individual", "-1", "negative values are not allowed"),
        ("plans", "deductible_individual", "1,23", "not a number"),
        ("plans", "deductible_individual", "1" * 40, "too large"),
        ("plans", "deductible_individual", "5%", "a percentage is not allowed here"),
        ("plans", "coinsurance_rate", "0.12345", "more than 4 decimal places"),
        ("plans", "plan_year", "2101", "must be between 2000 and 2100"),
        ("plans", "plan_id", "X", "does not match"),
        ("members", "date_of_birth", "2025-06-02", "in the future"),
        ("members", "date_of_birth", "2023-02-29", "not a real date"),
        ("members", "date_of_birth", "0999-01-01", "year before 1000"),
        ("members", "zip_code", "1234", "ZIP code"),
        ("members", "zip_code", "12345-12", "ZIP code"),
        ("members", "email", "a@b", "e-mail"),
        ("members", "email", "a@.b", "e-mail"),
        ("members", "first_name", "x" * 101, "longer than 100 characters"),
    ],
)
def test_converters_reject_with_a_reason(table: str, column: str, raw: str, reason: str) -> None:
    with pytest.raises(BadValue, match=reason.replace("(", r"\(")):
        convert(table, column, raw)


def test_cached_converters_still_reject_every_bad_value() -> None:
    year = converter(TABLES_BY_NAME["plans"].column("plan_year"), TODAY)
    assert [year("2024") for _ in range(3)] == ["2024"] * 3
    for _ in range(2):
        with pytest.raises(BadValue):
            year("1999")


# --------------------------------------------------------------------------- header and rows


def test_header_mapping_normalises_and_reports() -> None:
    header = ["Member ID", "FIRST-NAME", "last_name", "DOB", "PlanID", "Effective Date", "Shoe"]
    mapping = map_header(TABLES_BY_NAME["members"], header)
    assert mapping.positions["member_id"] == 0 and mapping.positions["date_of_birth"] == 3
    assert mapping.unknown == ["Shoe"]
    mapping.check()
    assert mapping.columns == [
        "member_id",
        "first_name",
        "last_name",
        "date_of_birth",
        "plan_id",
        "effective_date",
    ]
    with pytest.raises(FileRejected, match="required columns missing: first_name, last_name"):
        map_header(
            TABLES_BY_NAME["members"], ["member_id", "dob", "plan_id", "effective_date"]
        ).check()
    with pytest.raises(FileRejected, match="'zip' and 'zip_code' both mean zip_code"):
        map_header(TABLES_BY_NAME["members"], [*header[:6], "zip", "zip_code"]).check()


def test_row_validator_collects_every_problem_of_a_row() -> None:
    header = [
        "member_id",
        "plan_id",
        "plan_year",
        "network_tier",
        "deductible_met",
        "oop_met",
        "as_of_date",
    ]
    validator = RowValidator(map_header(TABLES_BY_NAME["deductibles_oop"], header), today=TODAY)
    assert validator.validate(["m-1x", "P-1", "2024", "", "5", "$6", "2024-01-31"]) == [
        "M-1X",
        "P-1",
        "2024",
        "IN",
        "5.00",
        "6.00",
        "2024-01-31",
    ]
    with pytest.raises(RowRejected) as caught:
        validator.validate(["M-1X", "", "1999", "OUT", "10", "9.99", "never"])
    assert [(p.column, p.value) for p in caught.value.problems] == [
        ("plan_id", ""),
        ("plan_year", "1999"),
        ("network_tier", "OUT"),
        ("as_of_date", "never"),
        ("oop_met", "9.99"),
    ]
    assert validator.raw_key_of([" M-1X ", "", "1999", "OUT"]) == "M-1X|1999|OUT"


@pytest.mark.parametrize("size", [1, 2, 100])
def test_csv_records_carry_their_start_line(size: int) -> None:
    data = b'a,b\r\n1,"x\r\ny"\r\n\r\n,\r\n2,z\r\n3,"un""quoted"\n4,\n5,w\n'
    batches = list(read_batches(io.BytesIO(data), "utf-8-sig", size))  # type: ignore[arg-type]
    assert batches[0] == ([1], [["a", "b"]])
    records = [(n, r) for lines, rows in batches[1:] for n, r in zip(lines, rows, strict=True)]
    assert records == [
        (2, ["1", "x\r\ny"]),
        (6, ["2", "z"]),
        (7, ["3", 'un"quoted']),
        (8, ["4", ""]),
        (9, ["5", "w"]),
    ]


# --------------------------------------------------------------------------- configuration


def test_db_config_from_settings(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    config = DbConfig.from_settings(load_settings())
    assert config.dialect == "sqlite" and config.path == isolated_env / "data" / "mba.db"

    monkeypatch.setenv("HMA_DB_URL", "mysql://etl@db.example.com/mba")
    monkeypatch.setenv("HMA_DB_PASSWORD", "s3cret!")
    config = DbConfig.from_settings(load_settings())
    assert (config.host, config.port, config.user, config.database) == (
        "db.example.com",
        3306,
        "etl",
        "mba",
    )
    assert config.password == "s3cret!" and config.ssl and config.ssl_verify
    assert config.display == "mysql://etl@db.example.com:3306/mba (TLS)"

    monkeypatch.setenv("HMA_DB_URL", "mariadb://etl@127.0.0.1:3307/mba")
    assert not DbConfig.from_settings(load_settings()).ssl  # loopback
    monkeypatch.setenv("HMA_DB_SSL_CA", str(isolated_env / "rds-ca.pem"))
    assert DbConfig.from_settings(load_settings()).ssl  # a CA given: TLS even on loopback
    monkeypatch.setenv("HMA_DB_URL", "mysql://etl@lan-db:3306/mba?ssl=off")
    assert not DbConfig.from_settings(load_settings()).ssl

    for bad in ("postgres://u@h/db", "mysql://h/db", "mysql://u@h/", "mysql://u@h:x/db"):
        monkeypatch.setenv("HMA_DB_URL", bad)
        with pytest.raises(ConfigError, match="db_url"):
            DbConfig.from_settings(load_settings())


def test_the_sandbox_keeps_its_own_database(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    """GUI and CLI alike: a sandbox run never writes into the configured database."""
    monkeypatch.setenv("HMA_DB_URL", "mysql://etl@db.example.com/mba")
    config = DbConfig.from_settings(load_settings(sandbox=True))
    assert config.dialect == "sqlite"
    assert config.path == isolated_env / "data" / "sandbox" / "mba.db"


def test_mysql_errors_become_one_line_without_the_password() -> None:
    config = DbConfig("mysql", host="db", port=3306, user="etl", database="mba", password="pw-123")
    auth = translate(pymysql.err.OperationalError(1045, "Access denied for user 'etl'"), config)
    assert auth.kind is DbErrorKind.AUTH and "HMA_DB_PASSWORD" in str(auth)
    unreachable = translate(
        pymysql.err.OperationalError(2003, "Can't connect to MySQL server on 'db'"),
        config,
        connecting=True,
    )
    assert unreachable.kind is DbErrorKind.UNREACHABLE
    assert str(unreachable).startswith("cannot reach MySQL at db:3306")
    lost = translate(pymysql.err.OperationalError(1927, "Connection was killed"), config)
    assert lost.kind is DbErrorKind.LOST
    for error in (auth, unreachable, lost):
        assert "pw-123" not in str(error) and "\n" not in str(error)


# --------------------------------------------------------------------------- caches and journal


def test_parent_keys_ask_the_database_once_per_value() -> None:
    asked: list[set[str]] = []

    def lookup(table: str, column: str, values: object) -> set[str]:
        asked.append(set(values))  # type: ignore[call-overload]
        return {v for v in asked[-1] if v.startswith("P")}

    parents = ParentKeys(lookup)
    assert parents.missing("plans", "plan_id", {"P1", "X1"}) == {"X1"}
    assert parents.missing("plans", "plan_id", {"P1", "X1"}) == {"X1"}
    assert asked == [{"P1", "X1"}]
    parents.add_run_keys("plans", {"X2"})
    assert parents.missing("plans", "plan_id", {"X2"}) == set()
    parents.table_changed("plans")
    assert parents.missing("plans", "plan_id", {"X1"}) == {"X1"}
    assert asked[-1] == {"X1"}


def test_pending_audit_journal_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "pending.jsonl"
    mine, other = PendingAudit("target-a", path), PendingAudit("target-b", path)
    mine.add(7, AuditFinish(status="failed", error="lost the connection"))
    other.add(9, AuditFinish(status="failed", error="other"))

    taken = mine.take()

    assert [(i, f.status, f.error) for i, f in taken] == [(7, "failed", "lost the connection")]
    assert taken[0][1].finished_at is not None
    assert mine.take() == []
    assert [i for i, _ in other.take()] == [9]
    assert not path.exists()


def test_etl_core_does_not_import_qt() -> None:
    code = (
        "import sys, hma_gui.core.etl, hma_gui.core.etl.mysql_sink, hma_gui.core.etl.sqlite_sink, "
        "hma_gui.cli.etl_cmd; print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
