"""``hma-ingest etl`` / ``db init`` / ``hma-etl load-all`` as a user runs them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hma_gui.cli.etl_cmd import hma_etl_main
from hma_gui.cli.main import main
from hma_gui.core.etl.schema import SCHEMA_VERSION
from tests.conftest import S3Env, free_port
from tests.etl.conftest import SAMPLE_CSV, Target, upload_csv
from tests.mariadb_server import MariaDbServer

pytestmark = pytest.mark.integration


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def upload_sample(s3_env: S3Env) -> None:
    for path in sorted(SAMPLE_CSV.glob("*.csv")):
        upload_csv(s3_env, path.name, path.read_bytes())


def test_db_init_creates_the_tables_once(target: Target) -> None:
    code, out, err = cli("db", "init", "--json")
    assert code == 0, err
    created = json.loads(out)["created"]
    assert set(created) == {
        "plans",
        "members",
        "deductibles_oop",
        "benefit_accumulator",
        "etl_runs",
        "etl_schema_version",
    }
    versions = target.query("SELECT version FROM etl_schema_version")

    code, out, err = cli("db", "init")

    assert code == 0, err
    assert "already up to date (nothing changed)" in out
    assert target.query("SELECT version FROM etl_schema_version") == versions == [(SCHEMA_VERSION,)]


def test_etl_prints_each_file_and_the_rejects_report(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)
    bad = b"plan_id,plan_name,plan_type,plan_year,deductible_individual,oop_max_individual\n"
    bad += b"ZZ-1,Extra plan,PPO,2024,100,200\nZZ-2,Bad plan,XYZ,2024,100,200\n"
    upload_csv(s3_env, "plan_details_extra.csv", bad)
    upload_csv(s3_env, "readme.csv", b"x\n1\n")

    code, out, err = cli("etl")

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(
        "target: sqlite:///" if target.kind == "sqlite" else "target: mysql://"
    )
    row = next(line for line in lines if line.startswith("mba/csv/plan_details_extra.csv"))
    assert row.split()[1:] == ["plans", "succeeded", "2", "1", "1", "0"]
    member_row = next(line for line in lines if line.startswith("mba/csv/MemberData.csv"))
    assert member_row.split()[1:] == ["members", "succeeded", "500", "500", "0", "0"]
    assert any(
        line.startswith("mba/csv/readme.csv") and "skipped: no table" in line for line in lines
    )
    report = next(line for line in lines if line.startswith("rejects report: "))
    path = Path(report.split(": ", 1)[1].split(" (")[0])
    assert path.is_file()
    assert "plan_type" in path.read_text() and "must be one of HMO" in path.read_text()

    code, out, _ = cli("etl", "--json")

    assert code == 0
    payload = json.loads(out)
    assert {f["status"] for f in payload["files"] if f["table"]} == {"skipped"}


def test_db_status_and_history_show_what_the_runs_did(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)
    code, _, err = cli("etl")
    assert code == 0, err

    code, out, err = cli("db", "status", "--json")

    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert {k: rows[k] for k in target.counts()} == target.counts()
    assert rows["members"] == 500
    code, out, err = cli("db", "status")
    assert code == 0, err
    assert any(line.split() == ["members", "500", "rows"] for line in out.splitlines())

    code, out, err = cli("db", "history", "--json", "--limit", "2")

    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 2 and {r["status"] for r in records} <= {"succeeded", "no_table"}
    code, out, err = cli("db", "history")
    assert code == 0, err
    loaded = [line for line in out.splitlines() if "mba/csv/MemberData.csv" in line]
    assert loaded and "read 500 loaded 500 rejected 0" in loaded[0]
    assert loaded[0].split()[3] == "cli"  # who loaded it (window, cli, worker, lambda)
    assert records[0]["source"] == "cli"


def test_dry_run_writes_nothing_and_table_filter(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)

    code, out, err = cli("etl", "--dry-run", "--json")

    assert code == 0, err
    payload = json.loads(out)
    assert payload["dry_run"] is True
    statuses = {f["table"]: (f["status"], f["rows_loaded"]) for f in payload["files"]}
    # members' plan_ids exist only in this (dry) run's plans file: still accepted
    assert statuses["members"] == ("validated", 500)
    assert sum(target.counts().values()) == 0
    assert target.runs() == []

    code, out, err = cli("etl", "--table", "plans", "--json")

    assert code == 0, err
    assert [f["table"] for f in json.loads(out)["files"]] == ["plans"]
    assert target.counts()["plans"] == 200 and target.counts()["members"] == 0


def test_hma_etl_load_all_is_the_seed_spelling(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)
    out, err = io.StringIO(), io.StringIO()

    code = hma_etl_main(["load-all", "--table", "plans"], out, err)

    assert code == 0, err.getvalue()
    assert target.counts()["plans"] == 200
    assert hma_etl_main(["bogus"], io.StringIO(), err) == 2


def _run_console(
    args: list[str], env_overrides: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "from hma_gui.cli.etl_cmd import run_hma_etl; run_hma_etl()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_wrong_password_is_one_clear_line_and_exit_2(s3_env: S3Env, mariadb: MariaDbServer) -> None:
    database = mariadb.create_database("hma_wrong_pw")
    wrong = "not-the-password-42"

    result = _run_console(
        ["load-all"], {"HMA_DB_URL": mariadb.url(database), "HMA_DB_PASSWORD": wrong}
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "refused user 'hma'" in lines[0] and "HMA_DB_PASSWORD" in lines[0]
    assert wrong not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_unreachable_host_is_one_clear_line_and_exit_2(s3_env: S3Env) -> None:
    port = free_port()  # nothing listens there

    for argv in (["etl"], ["db", "init"]):
        result = _run_console(
            ["load-all"] if argv == ["etl"] else ["init"],
            {"HMA_DB_URL": f"mysql://hma@127.0.0.1:{port}/hma", "HMA_DB_PASSWORD": "pw-secret"},
        )

        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"hma-ingest: cannot reach MySQL at 127.0.0.1:{port}")
        assert "pw-secret" not in result.stderr


def test_missing_bucket_is_one_line_and_exit_2(
    s3_env: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MBA_BUCKET", "no-such-bucket-for-etl")

    code, _, err = cli("etl")

    assert code == 2
    assert err.strip().splitlines() == [
        "hma-ingest: bucket 'no-such-bucket-for-etl' does not exist "
        "(check the scope's bucket in the settings)"
    ]


def test_hma_etl_load_one_waits_for_parents_then_loads_them_first(
    s3_env: S3Env, target: Target
) -> None:
    uri = f"s3://{s3_env.mba_bucket}/mba/csv/deductibles_oop.csv"
    upload_csv(s3_env, "deductibles_oop.csv", (SAMPLE_CSV / "deductibles_oop.csv").read_bytes())
    upload_csv(s3_env, "MemberData.csv", (SAMPLE_CSV / "MemberData.csv").read_bytes())
    out, err = io.StringIO(), io.StringIO()

    assert hma_etl_main(["load-one", uri], out, err) == 1, err.getvalue()
    assert "deferred" in out.getvalue() and "waiting for the plans file" in out.getvalue()
    assert sum(target.counts().values()) == 0

    upload_csv(s3_env, "plan_details.csv", (SAMPLE_CSV / "plan_details.csv").read_bytes())
    code, out_text, err_text = cli("etl", "--key", uri, "--json")

    assert code == 0, err_text
    files = json.loads(out_text)["files"]
    assert [(f["table"], f["status"]) for f in files] == [
        ("plans", "succeeded"),
        ("members", "succeeded"),
        ("deductibles_oop", "succeeded"),
    ]
    assert all(f["rows_rejected"] == 0 for f in files)
    assert target.counts()["benefit_accumulator"] == 0
    sources = {row[0] for row in target.query("SELECT DISTINCT source FROM etl_runs")}
    assert sources == {"cli"}

    code, out_text, _ = cli("etl", "--key", uri, "--json")  # loaded before: skipped, exit 0
    assert code == 0
    assert [f["status"] for f in json.loads(out_text)["files"]] == ["skipped"]
    code, _, err_text = cli("etl", "--key", "mba/csv/x.csv")
    assert code == 2 and "s3://bucket/key" in err_text
