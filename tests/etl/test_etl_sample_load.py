"""The sample data, uploaded over HTTP with our uploader, loads into both targets."""

from __future__ import annotations

import json

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import EtlOptions, run_etl
from hma_gui.core.etl.results import FileStatus
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader
from tests.conftest import S3Env
from tests.etl.conftest import REPO, SAMPLE_CSV, Target, upload_csv

pytestmark = pytest.mark.integration

EXPECTED = json.loads((REPO / "resources" / "sample_data" / "expected_counts.json").read_text())


def upload_sample(s3_env: S3Env) -> None:
    settings = load_settings()
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    for path in sorted(SAMPLE_CSV.glob("*.csv")):
        uploader.upload(path, s3_env.mba_bucket, f"mba/csv/{path.name}")
    # a CSV the contract does not know, and a PDF that is not a CSV
    upload_csv(s3_env, "notes.csv", b"a,b\n1,2\n")
    upload_csv(s3_env, "benefit_coverage.pdf", b"%PDF-1.4\n", folder="mba/pdf/")


def test_sample_data_loads_with_the_expected_counts(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)

    result = run_etl(load_settings())

    assert result.ok, [f.error for f in result.files]
    by_key = {f.source.key: f for f in result.files}
    assert [f.table for f in result.files] == [
        "plans",
        "members",
        "deductibles_oop",
        "benefit_accumulator",
        None,
    ]
    assert by_key["mba/csv/notes.csv"].status is FileStatus.NO_TABLE
    for item in result.files[:4]:
        assert item.status is FileStatus.SUCCEEDED
        assert item.rows_read == item.rows_loaded == EXPECTED[item.table]
        assert item.rows_rejected == item.rows_superseded == 0
    assert target.counts() == EXPECTED
    assert result.rejects_path is None
    runs = target.runs()
    assert [r["status"] for r in runs] == ["succeeded"] * 4 + ["no_table"]
    # canonical values: export spellings were normalised
    member = target.query("SELECT * FROM members WHERE member_id = 'M10000007'")[0]
    assert [str(v) if v is not None else None for v in member] == [
        "M10000007",
        "Siobhán",
        "Nguyen",
        "2004-03-26",  # was 03/26/2004
        "M",  # was Male
        "PPO-TX-24-0045",
        "2024-09-01",
        None,
        "78738-6477",
        "siobhn.nguyen1@inbox.example.net",
    ]
    zip_code = target.query("SELECT zip_code FROM members WHERE member_id = 'M10000015'")
    assert zip_code == [("08545",)]  # leading zero kept


def test_second_run_is_a_no_op_and_force_leaves_identical_tables(
    s3_env: S3Env, target: Target
) -> None:
    upload_sample(s3_env)
    first = run_etl(load_settings())
    assert first.ok
    tables = target.tables()

    second = run_etl(load_settings())

    assert [f.status for f in second.files[:4]] == [FileStatus.SKIPPED] * 4
    assert target.tables() == tables

    forced = run_etl(load_settings(), EtlOptions(force=True))

    assert [f.status for f in forced.files[:4]] == [FileStatus.SUCCEEDED] * 4
    assert [f.rows_loaded for f in forced.files[:4]] == [f.rows_loaded for f in first.files[:4]]
    assert target.tables() == tables
    statuses = [r["status"] for r in target.runs() if r["table_name"]]
    assert statuses == ["succeeded"] * 4 + ["skipped"] * 4 + ["succeeded"] * 4


def test_changed_object_upserts(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)
    assert run_etl(load_settings()).ok
    original = (SAMPLE_CSV / "plan_details.csv").read_text(encoding="utf-8").splitlines()
    header, first, second = original[0], original[1], original[2]
    plan_id = first.split(",")[0]
    changed_first = first.replace(first.split(",")[1], "Renamed Plan", 1)
    new_plan = "NEW-PLAN-01,Brand New PPO,PPO,Gold,2025,500,1000,3000,6000,20%"
    upload_csv(
        s3_env, "plan_details.csv", "\n".join([header, changed_first, second, new_plan]).encode()
    )

    result = run_etl(load_settings(), EtlOptions(tables=frozenset({"plans"})))

    assert [f.status for f in result.files] == [FileStatus.SUCCEEDED]
    assert result.files[0].rows_loaded == 3
    assert target.counts()["plans"] == EXPECTED["plans"] + 1
    assert target.query(f"SELECT plan_name FROM plans WHERE plan_id = '{plan_id}'") == [
        ("Renamed Plan",)
    ]
    rate = target.query("SELECT coinsurance_rate FROM plans WHERE plan_id = 'NEW-PLAN-01'")[0][0]
    assert float(rate) == 0.2
