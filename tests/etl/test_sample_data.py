"""The committed sample data is what the generator makes, and it is well formed."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_data"
CSV_FILES = {
    "plans": "plan_details.csv",
    "members": "MemberData.csv",
    "deductibles_oop": "deductibles_oop.csv",
    "benefit_accumulator": "benefit_accumulator.csv",
}


def test_committed_sample_data_matches_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "make_sample_data.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_expected_counts_match_the_csv_rows() -> None:
    expected = json.loads((SAMPLE / "expected_counts.json").read_text())
    assert set(expected) == set(CSV_FILES)
    for table, name in CSV_FILES.items():
        with open(SAMPLE / "mba" / "csv" / name, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert len(rows) - 1 == expected[table], table
        assert expected[table] >= 200


def test_foreign_keys_hold_in_the_sample_files() -> None:
    def column(name: str, col: str) -> list[str]:
        with open(SAMPLE / "mba" / "csv" / name, encoding="utf-8", newline="") as handle:
            return [row[col] for row in csv.DictReader(handle)]

    plans = set(column("plan_details.csv", "plan_id"))
    members = set(column("MemberData.csv", "MemberID"))
    assert set(column("MemberData.csv", "PlanID")) <= plans
    assert set(column("deductibles_oop.csv", "member_id")) <= members
    assert set(column("deductibles_oop.csv", "plan_id")) <= plans
    assert set(column("benefit_accumulator.csv", "member_id")) <= members


def test_sample_pdfs_have_a_consistent_xref_table() -> None:
    pdfs = sorted(SAMPLE.rglob("*.pdf"))
    assert [p.relative_to(SAMPLE).as_posix() for p in pdfs][:1] == ["mba/pdf/benefit_coverage.pdf"]
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
        startxref = int(re.findall(rb"startxref\n(\d+)", data)[-1])
        assert data[startxref:].startswith(b"xref")
        offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", data)]
        for number, offset in enumerate(offsets, start=1):
            assert data[offset:].startswith(b"%d 0 obj" % number), (pdf, number)
