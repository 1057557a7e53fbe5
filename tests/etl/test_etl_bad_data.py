"""The bad-data corpus of the data contract, against both targets.

Each case is a small CSV object in S3 (over HTTP) and the outcome the contract
prescribes: which rows load, which are rejected with which reason on which
line, whether the whole file is rejected. ``read = loaded + rejected`` is
checked for every file of every run.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import EtlOptions, EtlRunner, run_etl
from hma_gui.core.etl.results import FileStatus, RunResult
from hma_gui.core.s3.client import make_s3_client
from tests.conftest import S3Env
from tests.etl.conftest import Target, upload_csv

pytestmark = pytest.mark.integration

PLANS = (
    "plan_id,plan_name,plan_type,metal_tier,plan_year,deductible_individual,deductible_family,"
    "oop_max_individual,oop_max_family,coinsurance_rate\n"
    "P-GOOD-1,Good Plan One,PPO,Gold,2024,1000,2000,3000,6000,20%\n"
    'P-GOOD-2,Good Plan Two,HMO,,2024,$500.00,,"$2,500.00",,0.1\n'
)
MEMBERS = (
    "member_id,first_name,last_name,date_of_birth,gender,plan_id,effective_date,"
    "termination_date,zip_code,email\n"
    "M-0001,Ann,Lee,1980-05-01,F,P-GOOD-1,2024-01-01,,02139,ann@example.com\n"
    "M-0002,Bob,Ray,07/04/1975,male,P-GOOD-2,20240101,,10001-1234,\n"
)


def run(**options: object) -> RunResult:
    result = run_etl(load_settings(), EtlOptions(**options))  # type: ignore[arg-type]
    for item in result.files:
        if item.status in (FileStatus.SUCCEEDED, FileStatus.VALIDATED):
            assert item.rows_read == item.rows_loaded + item.rows_rejected, item
    return result


def rejects(result: RunResult) -> list[dict[str, str]]:
    if result.rejects_path is None:
        return []
    with open(result.rejects_path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def problems_of(result: RunResult, key: str) -> list[tuple[int, str, str]]:
    return [
        (int(r["line"]), r["column"], r["reason"])
        for r in rejects(result)
        if r["source_key"] == key
    ]


def load_parents(s3_env: S3Env) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    upload_csv(s3_env, "MemberData.csv", MEMBERS.encode())
    result = run()
    assert result.ok and [f.rows_loaded for f in result.files] == [2, 2]


# --------------------------------------------------------------------------- value rules

PLAN_CASES = [  # (row, column, reason fragment)
    ("p!,Bad Id,PPO,,2024,1,,1,,", "plan_id", "does not match"),
    ("P-3,,PPO,,2024,1,,1,,", "plan_name", "required value is missing"),
    ("P-4,Type,ABC,,2024,1,,1,,", "plan_type", "must be one of HMO, PPO, EPO, POS, HDHP"),
    ("P-5,Tier,PPO,Diamond,2024,1,,1,,", "metal_tier", "must be one of Bronze"),
    ("P-6,Year,PPO,,1999,1,,1,,", "plan_year", "between 2000 and 2100"),
    ("P-7,Year,PPO,,20x4,1,,1,,", "plan_year", "not a whole number"),
    ("P-8,Neg,PPO,,2024,(12.00),,1,,", "deductible_individual", "negative"),
    ("P-9,Money,PPO,,2024,12.345,,100,,", "deductible_individual", "more than 2 decimal places"),
    ("P-10,Fam,PPO,,2024,500,400,600,,", "deductible_family", "must be ≥ deductible_individual"),
    ("P-11,Oop,PPO,,2024,500,,400,,", "oop_max_individual", "must be ≥ deductible_individual"),
    ("P-12,OopF,PPO,,2024,5,,600,500,", "oop_max_family", "must be ≥ oop_max_individual"),
    ("P-13,Rate,PPO,,2024,5,,6,,150%", "coinsurance_rate", "between 0 and 1"),
    ("P-14," + "N" * 201 + ",PPO,,2024,5,,6,,", "plan_name", "longer than 200 characters"),
    ("P-15,Big,PPO,,2024,12345678901,,12345678902,,", "deductible_individual", "too large"),
    ("P-16,Text,PPO,,2024,abc,,6,,", "deductible_individual", "not a number"),
]
MEMBER_CASES = [
    ("ab,X,Y,1980-01-01,,P-GOOD-1,2024-01-01,,,", "member_id", "does not match"),
    ("M-003,,Y,1980-01-01,,P-GOOD-1,2024-01-01,,,", "first_name", "required value is missing"),
    ("M-004,X,Y,1899-12-31,,P-GOOD-1,2024-01-01,,,", "date_of_birth", "before 1900-01-01"),
    ("M-005,X,Y,2999-01-01,,P-GOOD-1,2024-01-01,,,", "date_of_birth", "in the future"),
    ("M-006,X,Y,31/12/1990,,P-GOOD-1,2024-01-01,,,", "date_of_birth", "not a real date"),
    ("M-007,X,Y,1980-01-01,Q,P-GOOD-1,2024-01-01,,,", "gender", "must be one of M, F, U, X"),
    ("M-008,X,Y,1980-01-01,,P-NOPE,2024-01-01,,,", "plan_id", "P-NOPE does not exist in plans"),
    ("M-009,X,Y,1980-01-01,,P-GOOD-1,N/A,,,", "effective_date", "required value is missing"),
    ("M-010,X,Y,1980-01-01,,P-GOOD-1,2024-06-01,2024-01-01,,", "termination_date", "must be ≥"),
    ("M-011,X,Y,1980-01-01,,P-GOOD-1,2024-01-01,,2139,", "zip_code", "ZIP code"),
    ("M-012,X,Y,1980-01-01,,P-GOOD-1,2024-01-01,,,no-at.example.com", "email", "e-mail"),
    ("M-013,X,Y,1980-01-01,,P-GOOD-1,2024-01-01,,,a@b@c.com", "email", "e-mail"),
    ("M-014,X,Y,1980-01-01,,P-GOOD-1,2024-01-01,,", "", "has 9 fields, the header has 10"),
]
DEDUCTIBLE_CASES = [
    ("M-9999,P-GOOD-1,2024,IN,1,2,2024-06-30", "member_id", "M-9999 does not exist in members"),
    ("M-0001,P-NOPE,2024,IN,1,2,2024-06-30", "plan_id", "P-NOPE does not exist in plans"),
    ("M-0001,P-GOOD-1,2101,IN,1,2,2024-06-30", "plan_year", "between 2000 and 2100"),
    ("M-0001,P-GOOD-1,2024,OUT,1,2,2024-06-30", "network_tier", "must be one of IN, OON"),
    ("M-0001,P-GOOD-1,2024,OON,-1,2,2024-06-30", "deductible_met", "negative"),
    ("M-0001,P-GOOD-1,2023,OON,5,2,2024-06-30", "oop_met", "must be ≥ deductible_met"),
    ("M-0001,P-GOOD-1,2022,OON,1,2,2024-02-30", "as_of_date", "not a real date"),
]
BENEFIT_CASES = [
    ("M-9999,2024,PCP_VISIT,1,,VISITS,", "member_id", "does not exist in members"),
    ("M-0001,2024,X,1,,VISITS,", "benefit_code", "does not match"),
    ("M-0001,2024,BAD CODE,1,,VISITS,", "benefit_code", "does not match"),
    ("M-0001,2024,ER,-3,,VISITS,", "used_amount", "negative"),
    ("M-0001,2024,SNF,3,(5),DAYS,", "limit_amount", "negative"),
    ("M-0001,2024,DME,3,,HOURS,", "unit", "must be one of VISITS, DOLLARS, DAYS"),
    ("M-0001,2024,VISION,3,,DOLLARS,yesterday", "last_service_date", "not a date"),
]


def test_each_bad_value_rule_rejects_its_row_with_the_reason(s3_env: S3Env, target: Target) -> None:
    load_parents(s3_env)
    plans_head, good_plan = PLANS.splitlines()[0], "P-OK,Fine,EPO,Bronze,2025,0,0,0,0,0"
    files = {
        "plan_details_bad.csv": (plans_head, PLAN_CASES, good_plan),
        "members_bad.csv": (
            MEMBERS.splitlines()[0],
            MEMBER_CASES,
            "M-OK,Cy,Do,1990-02-02,X,P-OK,2025-01-01,,,",
        ),
        "deductibles_oop_bad.csv": (
            "member_id,plan_id,plan_year,network_tier,deductible_met,oop_met,as_of_date",
            DEDUCTIBLE_CASES,
            "M-OK,P-OK,2025,,0,0,2025-01-31",
        ),
        "benefit_accumulator_bad.csv": (
            "member_id,plan_year,benefit_code,used_amount,limit_amount,unit,last_service_date",
            BENEFIT_CASES,
            "M-OK,2025,pcp_visit,2,10,visits,2025-01-15",
        ),
    }
    for name, (header, cases, good) in files.items():
        body = "\n".join([header, good, *(row for row, _, _ in cases)]) + "\n"
        upload_csv(s3_env, name, body.encode())
    before = target.counts()

    result = run()

    assert result.ok
    for name, (_, cases, _) in files.items():
        item = next(f for f in result.files if f.source.name == name)
        assert (item.rows_read, item.rows_loaded, item.rows_rejected) == (
            len(cases) + 1,
            1,
            len(cases),
        ), name
        found = problems_of(result, item.source.key)
        expected_lines = list(range(3, 3 + len(cases)))
        assert sorted({line for line, _, _ in found}) == expected_lines, (name, found)
        for line, (_, column, reason) in zip(expected_lines, cases, strict=True):
            mine = [(c, r) for ln, c, r in found if ln == line]
            assert any(c == column and reason in r for c, r in mine), (name, line, mine)
    after = target.counts()
    assert {t: after[t] - before[t] for t in after} == {
        "plans": 1,
        "members": 1,
        "deductibles_oop": 1,
        "benefit_accumulator": 1,
    }
    assert target.query("SELECT network_tier FROM deductibles_oop WHERE member_id = 'M-OK'") == [
        ("IN",)
    ]


# --------------------------------------------------------------------------- reading rules


def test_bom_crlf_quoted_commas_and_newlines_load(s3_env: S3Env, target: Target) -> None:
    text = (
        "Plan ID,Plan Name,plan-type,PlanYear,Deductible_Individual,OOP Max Individual\r\n"
        'Q-1,"Gold, Plus ""Premier""",ppo,2024,10,20\r\n'
        'Q-2,"Two\r\nLine Name",HMO,2024,10,20\r\n'
        "Q-3,Bad,XXX,2024,10,20\r\n"
        "\r\n"
        "Q-4,  Spaces  ,EPO,2024, 10 , 20 \r\n"
        "Q-5,back\\slash \\N\tand\x1fsepa\x1erators,POS,2024,1,2\r\n"
    )
    upload_csv(s3_env, "plan_details.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))

    result = run()

    item = result.files[0]
    assert (item.status, item.encoding) == (FileStatus.SUCCEEDED, "utf-8")
    assert (item.rows_read, item.rows_loaded, item.rows_rejected) == (5, 4, 1)
    assert problems_of(result, item.source.key) == [
        (5, "plan_type", "must be one of HMO, PPO, EPO, POS, HDHP")
    ]  # line 5: Q-2's quoted newline makes it span lines 3 and 4
    names = dict(target.query("SELECT plan_id, plan_name FROM plans"))
    assert names == {
        "Q-1": 'Gold, Plus "Premier"',
        "Q-2": "Two\r\nLine Name",
        "Q-4": "Spaces",
        "Q-5": "back\\slash \\N\tand\x1fsepa\x1erators",
    }


def test_cp1252_file_is_read_as_cp1252_and_said_so(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    members = MEMBERS + "M-0003,Zoë,Müller,1990-01-01,F,P-GOOD-1,2024-01-01,,,z@example.com\n"
    upload_csv(s3_env, "MemberData.csv", members.encode("cp1252"))

    result = run()

    item = result.files[1]
    assert (item.status, item.encoding, item.rows_loaded) == (FileStatus.SUCCEEDED, "cp1252", 3)
    assert any("cp1252" in note for note in item.notes)
    assert target.query("SELECT first_name, last_name FROM members WHERE member_id = 'M-0003'") == [
        ("Zoë", "Müller")
    ]


def test_cp1252_restart_after_rows_were_written_loads_each_row_once(
    s3_env: S3Env, target: Target
) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    rows = [f"M-{n:04d},N{n},L,1990-01-01,,P-GOOD-1,2024-01-01,,," for n in range(20)]
    rows[15] = "M-0015,Ren\xe9e,L,1990-01-01,,P-GOOD-1,2024-01-01,,,"
    body = (MEMBERS.splitlines()[0] + "\n" + "\n".join(rows) + "\n").encode("cp1252")
    upload_csv(s3_env, "MemberData.csv", body)
    settings = load_settings()
    runner = EtlRunner(
        make_s3_client(settings),
        target.open(),
        bucket=s3_env.mba_bucket,
        prefix="mba/",
        batch_rows=2,  # rows reach the target before the bad byte is read
    )

    result = runner.run()

    assert [(f.status, f.rows_loaded, f.encoding) for f in result.files] == [
        (FileStatus.SUCCEEDED, 2, "utf-8"),
        (FileStatus.SUCCEEDED, 20, "cp1252"),
    ]
    assert target.counts()["members"] == 20
    assert target.query("SELECT first_name FROM members WHERE member_id = 'M-0015'") == [("Renée",)]


def test_file_level_outcomes(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    upload_csv(s3_env, "MemberData.csv", MEMBERS.encode())
    assert run().ok
    before = target.tables()
    upload_csv(  # missing required column (last_name)
        s3_env,
        "members_missing.csv",
        b"member_id,first_name,date_of_birth,plan_id,effective_date\nM-5,A,1990-01-01,P-GOOD-1,2024-01-01\n",
    )
    upload_csv(  # an unknown extra column is ignored and reported once
        s3_env,
        "members_extra.csv",
        b"Member ID,First Name,Last Name,DOB,Plan ID,Effective Date,Shoe Size,Zip\n"
        b"m-0006,Eve,Ng,1990-01-01,p-good-1,2024-01-01,42,07030\n",
    )
    upload_csv(s3_env, "members_empty.csv", b"")
    upload_csv(s3_env, "members_header_only.csv", MEMBERS.splitlines()[0].encode() + b"\r\n")
    upload_csv(  # two columns that mean the same thing
        s3_env,
        "members_ambiguous.csv",
        b"member_id,MemberID,first_name,last_name,dob,plan_id,effective_date\n",
    )

    result = run()

    outcome = {f.source.name: f for f in result.files}
    missing = outcome["members_missing.csv"]
    assert missing.status is FileStatus.REJECTED
    assert missing.error == "file rejected: required column missing: last_name"
    extra = outcome["members_extra.csv"]
    assert (extra.status, extra.rows_loaded) == (FileStatus.SUCCEEDED, 1)
    assert extra.notes == ["ignored unknown columns: Shoe Size"]
    empty = outcome["members_empty.csv"]
    assert (empty.status, empty.error) == (
        FileStatus.REJECTED,
        "file rejected: the file is empty (no header row)",
    )
    header_only = outcome["members_header_only.csv"]
    assert (header_only.status, header_only.rows_read) == (FileStatus.SUCCEEDED, 0)
    ambiguous = outcome["members_ambiguous.csv"]
    assert ambiguous.status is FileStatus.REJECTED and "both mean member_id" in str(ambiguous.error)
    assert not result.ok
    report = rejects(result)
    assert {r["source_key"].rsplit("/", 1)[-1] for r in report} == {
        "members_missing.csv",
        "members_empty.csv",
        "members_ambiguous.csv",
    }
    after = target.tables()
    assert after["plans"] == before["plans"]
    assert len(after["members"]) == len(before["members"]) + 1
    assert (
        "M-0006",
        "Eve",
        "Ng",
        "1990-01-01",
        None,
        "P-GOOD-1",
        "2024-01-01",
        None,
        "07030",
        None,
    ) in after["members"]
    statuses = {r["object_key"].rsplit("/", 1)[-1]: r["status"] for r in target.runs()}
    assert statuses["members_missing.csv"] == "rejected"
    assert statuses["members_header_only.csv"] == "succeeded"


def test_duplicate_keys_in_one_file_last_row_wins(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    body = MEMBERS + (
        "M-0001,Ann,Second,1980-05-01,F,P-GOOD-1,2024-01-01,,,\n"
        "M-0002,Bob,Bad,1980-05-01,F,P-NOPE,2024-01-01,,,\n"  # rejected: the earlier row stays
        "m-0001,Ann,Third,1980-05-01,F,P-GOOD-1,2024-01-01,,,\n"
    )
    upload_csv(s3_env, "MemberData.csv", body.encode())

    result = run()

    item = result.files[1]
    assert (item.rows_read, item.rows_loaded, item.rows_rejected, item.rows_superseded) == (
        5,
        4,
        1,
        2,
    )
    assert target.query("SELECT member_id, last_name FROM members ORDER BY member_id") == [
        ("M-0001", "Third"),
        ("M-0002", "Ray"),
    ]


def test_null_spellings_and_aliases(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    upload_csv(
        s3_env,
        "members.csv",
        b"member-id,first_name,last_name,birth_date,gender,plan_id,effective_date,"
        b"termination_date,ZIP,email\n"
        b"M-0009,Al,Bo,19700101,null,P-GOOD-2,2024-01-01,N/A,  NULL ,n/a\n",
    )

    result = run()

    assert result.ok and result.files[1].rows_loaded == 1
    row = target.query(
        "SELECT date_of_birth, gender, termination_date, zip_code, email FROM members"
    )
    assert [tuple(None if v is None else str(v) for v in r) for r in row] == [
        ("1970-01-01", None, None, None, None)
    ]


def test_rejects_report_lives_in_the_log_dir(
    s3_env: S3Env, target: Target, isolated_env: Path
) -> None:
    load_parents(s3_env)
    upload_csv(s3_env, "members_more.csv", (MEMBERS.splitlines()[0] + "\nM-1,,,,,,,,,\n").encode())

    result = run(upload_rejects=True)

    assert result.rejects_path is not None
    assert result.rejects_path.parent == isolated_env / "data" / "logs" / "etl-rejects"
    assert result.rejects_uri == f"s3://{s3_env.mba_bucket}/mba/rejects/{result.rejects_path.name}"
    uploaded = s3_env.read(s3_env.mba_bucket, f"mba/rejects/{result.rejects_path.name}")
    assert uploaded == result.rejects_path.read_bytes()
    assert next(iter(rejects(result)))["row_key"] == "M-1"


def test_a_row_with_a_bad_value_and_an_unknown_parent_lists_both(
    s3_env: S3Env, target: Target
) -> None:
    load_parents(s3_env)
    header = MEMBERS.splitlines()[0]
    rows = [
        "M-020,X,Y,1980-01-01,,P-NOPE,2024-01-01,,2139,",  # bad ZIP and unknown PlanID
        "M-021,X,Y,1980-01-01,,P-NOPE,2024-01-01,,,",  # unknown PlanID alone
        "M-022,X,Y,1980-01-01,,P-GOOD-1,2024-01-01,,,",
    ]
    upload_csv(s3_env, "members_two.csv", "\n".join([header, *rows, ""]).encode())

    result = run()

    item = next(f for f in result.files if f.source.name == "members_two.csv")
    assert (item.rows_read, item.rows_loaded, item.rows_rejected) == (3, 1, 2)
    found = problems_of(result, item.source.key)
    assert [(line, column) for line, column, _ in found] == [
        (2, "zip_code"), (2, "plan_id"), (3, "plan_id"),
    ]  # fmt: skip
    assert "P-NOPE does not exist in plans" in found[1][2]
