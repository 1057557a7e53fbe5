"""Encodings (issue 12, item 5): one cp1252 byte in a UTF-8 file costs its row, not the
file; only a file with no UTF-8 text at all is read as cp1252; UTF-16 is UTF-16.
"""

from __future__ import annotations

import codecs

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import EtlOptions, run_etl
from hma_gui.core.etl.results import FileStatus, RunResult
from tests.conftest import S3Env
from tests.etl.conftest import Target, upload_csv
from tests.etl.test_etl_bad_data import MEMBERS, PLANS, problems_of

pytestmark = pytest.mark.integration

HEADER = MEMBERS.splitlines()[0] + "\n"


def _members(names: list[str]) -> str:
    return "".join(
        f"M-{n:04d},{name},Lee,1980-05-01,F,P-GOOD-1,2024-01-01,,02139,\n"
        for n, name in enumerate(names, 1)
    )


def _run() -> RunResult:
    return run_etl(load_settings(), EtlOptions())


def test_one_cp1252_byte_in_a_utf8_file_rejects_that_row_only(
    s3_env: S3Env, target: Target
) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    body = (HEADER + _members(["José"] * 7)).encode("utf-8")
    body = body.replace("M-0004,José".encode(), b"M-0004,Jos\xe9")  # one cp1252 row
    key = upload_csv(s3_env, "MemberData.csv", body)

    result = _run()

    item = result.files[1]
    assert (item.status, item.encoding) == (FileStatus.SUCCEEDED, "utf-8")
    assert (item.rows_read, item.rows_loaded, item.rows_rejected) == (7, 6, 1)
    assert target.query("SELECT DISTINCT first_name FROM members") == [("José",)]
    assert problems_of(result, key) == [
        (5, "first_name", "not valid UTF-8 (bytes shown as \\xNN); the rest of the file is UTF-8")
    ]
    assert any("not valid UTF-8" in note for note in item.notes)


def test_a_file_without_any_utf8_text_is_read_as_cp1252(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    upload_csv(
        s3_env, "MemberData.csv", (HEADER + _members(["Ann", "Zoë", "Renée"])).encode("cp1252")
    )

    item = _run().files[1]

    assert (item.status, item.encoding, item.rows_loaded) == (FileStatus.SUCCEEDED, "cp1252", 3)
    assert any("cp1252" in note for note in item.notes)
    assert sorted(target.query("SELECT first_name FROM members")) == [
        ("Ann",), ("Renée",), ("Zoë",)
    ]  # fmt: skip


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_with_a_bom_is_read_as_utf16(
    s3_env: S3Env, target: Target, codec: str
) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    upload_csv(s3_env, "MemberData.csv", bom + (HEADER + _members(["José", "Zoë"])).encode(codec))

    item = _run().files[1]

    assert (item.status, item.encoding, item.rows_loaded) == (FileStatus.SUCCEEDED, "utf-16", 2)
    assert sorted(target.query("SELECT first_name FROM members")) == [("José",), ("Zoë",)]


def test_utf16_without_a_bom_is_refused_as_utf16(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "MemberData.csv", (HEADER + _members(["José"])).encode("utf-16-le"))

    item = _run().files[0]

    assert item.status is FileStatus.REJECTED
    assert "UTF-16" in (item.error or "")
    assert "required column" not in (item.error or "")
