"""The event path end to end: real PUTs → moto's S3 notifications → SQS → the Lambda handler.

Every batch here is what moto's SQS queue holds after real PUTs into a bucket
whose notification configuration targets it; the handler is invoked directly
with it (moto's Lambda needs Docker) and its ``batchItemFailures`` decide what
is deleted and what comes back (`tests.etl.event_queue`). The database is the
session's MariaDB (and SQLite where the target fixture runs both).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any
from urllib.parse import unquote_plus

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import run_etl
from hma_gui.lambdas.s3_csv_ingest_handler import EventsFailed, handler
from tests.conftest import REPO_ROOT, S3Env
from tests.etl.conftest import SAMPLE_CSV, Target, upload_csv
from tests.etl.event_queue import EventQueue

pytestmark = pytest.mark.integration

EXPECTED = json.loads(
    (REPO_ROOT / "resources" / "sample_data" / "expected_counts.json").read_text()
)
# The plans file under a name S3 encodes in events ("+" for the space, %2B for "+").
PLANS_NAME = "plan_details 2024+q1.csv"
FILES = {
    "plans": PLANS_NAME,
    "members": "MemberData.csv",
    "deductibles_oop": "deductibles_oop.csv",
    "benefit_accumulator": "benefit_accumulator.csv",
}
SOURCE_OF = {PLANS_NAME: "plan_details.csv"}


def event_key(notification: dict[str, Any]) -> str:
    """The key of a notification's first record, decoded (moto encodes "/" too, S3 not)."""
    return unquote_plus(notification["Records"][0]["s3"]["object"]["key"])


def sample(name: str) -> bytes:
    return (SAMPLE_CSV / SOURCE_OF.get(name, name)).read_bytes()


@pytest.fixture
def events(s3_env: S3Env) -> EventQueue:
    queue = EventQueue.create(s3_env.endpoint, s3_env.client, s3_env.mba_bucket)
    records, failed = queue.deliver(handler)  # S3's s3:TestEvent: done, no work
    assert [body.get("Event") for body in queue.bodies(records)] == ["s3:TestEvent"]
    assert failed == []
    return queue


def load_all_tables(target: Target, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What one `load-all` of the same bucket gives, in a database of its own."""
    if target.kind == "sqlite":
        monkeypatch.setenv("HMA_DB_URL", f"sqlite:///{os.environ['HMA_DATA_DIR']}/load-all.db")
        reference = Target("sqlite")
    else:
        assert target.server is not None
        database = target.server.create_database(f"hma_{uuid.uuid4().hex[:12]}")
        monkeypatch.setenv("HMA_DB_URL", target.server.url(database))
        reference = Target("mysql", target.server, database)
    assert run_etl(load_settings()).ok
    return reference.tables()


def succeeded(target: Target) -> dict[str, int]:
    """Per object key: how many times it was loaded."""
    counts: dict[str, int] = {}
    for run in target.runs():
        if run["status"] == "succeeded":
            counts[run["object_key"]] = counts.get(run["object_key"], 0) + 1
    return counts


def test_reverse_order_gives_the_tables_of_one_load_all(
    s3_env: S3Env, target: Target, events: EventQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Children arrive before their parents: they wait (retried), nothing is rejected."""
    rounds = []
    for table in reversed(list(FILES)):
        upload_csv(s3_env, FILES[table], sample(FILES[table]))
        records, failed = events.deliver(handler)  # the new event, and those that came back
        rounds.append((len(records), len(failed)))
    # benefit_accumulator, deductibles_oop and members wait while plans is not in; once it
    # is, the four load in one batch (whatever their order in it).
    assert rounds == [(1, 1), (2, 2), (3, 3), (4, 0)]
    assert events.drain(handler) == []

    assert target.counts() == EXPECTED
    runs = target.runs()
    assert all(r["rows_rejected"] == 0 for r in runs)
    assert succeeded(target) == {f"mba/csv/{name}": 1 for name in FILES.values()}
    deferred = [r for r in runs if r["status"] == "deferred"]
    assert deferred and all("waiting for the" in r["error"] for r in deferred)
    sources = {row[0] for row in target.query("SELECT DISTINCT source FROM etl_runs")}
    assert sources == {"lambda"}
    assert target.tables() == load_all_tables(target, monkeypatch)


def test_one_event_loads_the_parents_first(s3_env: S3Env, mysql_target: Target) -> None:
    """All four files are in before any event is handled: the first event (the last table)
    loads plans and members first; the later events find them loaded."""
    queue = EventQueue.create(s3_env.endpoint, s3_env.client, s3_env.mba_bucket)
    queue.receive()  # the test event (left to become visible again: a duplicate is fine)
    for table in reversed(list(FILES)):
        upload_csv(s3_env, FILES[table], sample(FILES[table]))
    assert queue.drain(handler) == []
    assert mysql_target.counts() == EXPECTED
    first = [r["table_name"] for r in mysql_target.runs()[:3]]
    assert first == ["plans", "members", "benefit_accumulator"]
    assert succeeded(mysql_target) == {f"mba/csv/{name}": 1 for name in FILES.values()}


def test_duplicate_event_and_changed_object(
    s3_env: S3Env, mysql_target: Target, events: EventQueue
) -> None:
    upload_csv(s3_env, "plan_details.csv", sample("plan_details.csv"))
    records, failed = events.deliver(handler)
    assert failed == []
    before = mysql_target.tables()
    runs_before = len(mysql_target.runs())

    events.resend(records[0])  # the same notification again: done, without work
    again, failed = events.deliver(handler)
    assert len(again) == 1 and failed == []
    assert mysql_target.tables() == before
    runs = mysql_target.runs()
    assert [r["status"] for r in runs[runs_before:]] == ["skipped"]

    changed = sample("plan_details.csv").replace(b"Bronze", b"Silver", 1)
    assert changed != sample("plan_details.csv")
    upload_csv(s3_env, "plan_details.csv", changed)  # a newer ETag of the same key: upsert
    records, failed = events.deliver(handler)
    assert failed == []
    after = mysql_target.tables()
    assert len(after["plans"]) == len(before["plans"])
    assert after["plans"] != before["plans"]
    assert [r["status"] for r in mysql_target.runs()[runs_before + 1 :]] == ["succeeded"]


def test_a_bad_file_among_good_ones_is_the_only_failure(
    s3_env: S3Env, mysql_target: Target, events: EventQueue
) -> None:
    for name in ("plan_details.csv", "MemberData.csv", "deductibles_oop.csv"):
        upload_csv(s3_env, name, sample(name))
    # benefit_accumulator without its required "unit" column: the whole file is rejected
    lines = sample("benefit_accumulator.csv").decode().splitlines()
    header = lines[0].split(",")
    drop = [h.strip().lower() for h in header].index("unit")
    bad = "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines
    )
    upload_csv(s3_env, "benefit_accumulator_bad.csv", bad.encode())

    records, failed = events.deliver(handler)
    assert len(records) == 4
    bodies = {r["messageId"]: json.loads(r["body"]) for r in records}
    keys = {mid: event_key(body) for mid, body in bodies.items()}
    assert [keys[mid] for mid in failed] == ["mba/csv/benefit_accumulator_bad.csv"]
    counts = mysql_target.counts()
    assert counts["benefit_accumulator"] == 0
    assert {k: counts[k] for k in ("plans", "members", "deductibles_oop")} == {
        k: EXPECTED[k] for k in ("plans", "members", "deductibles_oop")
    }
    statuses = {r["object_key"]: r["status"] for r in mysql_target.runs()}
    assert statuses["mba/csv/benefit_accumulator_bad.csv"] == "rejected"


_CHILD = """
import json, sys
from hma_gui.lambdas.s3_csv_ingest_handler import handler
print(json.dumps(handler(json.loads(sys.argv[1]), None)))
"""


def test_two_handlers_at_once_on_different_files(
    s3_env: S3Env, mysql_target: Target, events: EventQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes, each with the event of a different child file: both need plans and
    members first. The per-table locks let one load each parent while the other waits,
    then finds it loaded; every file is loaded exactly once."""
    for table in FILES:
        upload_csv(s3_env, FILES[table], sample(FILES[table]))
    records = events.receive()
    assert len(records) == 4
    by_key = {event_key(json.loads(r["body"])): r for r in records}
    chosen = [by_key["mba/csv/deductibles_oop.csv"], by_key["mba/csv/benefit_accumulator.csv"]]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps({"Records": [record]})],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for record in chosen
    ]
    answers = []
    for child in children:
        out, err = child.communicate(timeout=240)
        assert child.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))
    assert answers == [{"batchItemFailures": []}] * 2

    loaded = succeeded(mysql_target)
    assert loaded == {
        "mba/csv/plan_details 2024+q1.csv": 1,
        "mba/csv/MemberData.csv": 1,
        "mba/csv/deductibles_oop.csv": 1,
        "mba/csv/benefit_accumulator.csv": 1,
    }
    assert mysql_target.counts() == EXPECTED
    assert all(r["rows_rejected"] == 0 for r in mysql_target.runs())
    assert all(r["status"] != "running" for r in mysql_target.runs())


def test_credentials_from_secrets_manager_and_direct_s3_events(
    s3_env: S3Env, mysql_target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3  # here, not at collection: 0.3-0.6 s

    assert mysql_target.server is not None
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=s3_env.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    arn = secrets.create_secret(
        Name=f"hma-rds-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps(
            {
                "username": mysql_target.server.user,
                "password": mysql_target.server.password,
                "engine": "mysql",
                "host": "127.0.0.1",
                "port": mysql_target.server.port,
                "dbname": mysql_target.database,
            }
        ),
    )["ARN"]
    monkeypatch.delenv("HMA_DB_URL")
    monkeypatch.delenv("HMA_DB_PASSWORD")
    monkeypatch.setenv("HMA_DB_SECRET_ARN", arn)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", s3_env.endpoint)

    upload_csv(s3_env, "plan_details.csv", sample("plan_details.csv"))
    direct = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": s3_env.mba_bucket},
                    "object": {"key": "mba/csv/plan_details.csv", "size": 1, "eTag": "x"},
                },
            }
        ]
    }
    assert handler(direct, None) == {"batchItemFailures": []}
    assert mysql_target.counts()["plans"] == EXPECTED["plans"]

    # a direct event whose object cannot load raises, so that Lambda retries it
    upload_csv(s3_env, "MemberData.csv", b"member_id\nM0001\n")
    direct["Records"][0]["s3"]["object"]["key"] = "mba/csv/MemberData.csv"
    with pytest.raises(EventsFailed):
        handler(direct, None)

    status = [r["status"] for r in mysql_target.runs()]
    assert status == ["succeeded", "rejected"]


def test_events_for_other_objects_are_done_without_work(
    s3_env: S3Env, mysql_target: Target, events: EventQueue
) -> None:
    upload_csv(s3_env, "notes.csv", b"a,b\n1,2\n")  # no table for this name
    s3_env.client.delete_object(Bucket=s3_env.mba_bucket, Key="mba/csv/notes.csv")  # type: ignore[attr-defined]
    upload_csv(s3_env, "plan_details.csv", sample("plan_details.csv"))
    s3_env.client.delete_object(Bucket=s3_env.mba_bucket, Key="mba/csv/plan_details.csv")  # type: ignore[attr-defined]
    records, failed = events.deliver(handler)
    assert len(records) == 2 and failed == []
    assert mysql_target.counts()["plans"] == 0
    assert [r["status"] for r in mysql_target.runs()] == []


def test_unreadable_messages_are_retried(mysql_target: Target, s3_env: S3Env) -> None:
    records = [
        {"messageId": "m1", "eventSource": "aws:sqs", "body": "not json"},
        {"messageId": "m2", "eventSource": "aws:sqs", "body": json.dumps({"Records": "x"})},
        {
            "messageId": "m3",
            "eventSource": "aws:sqs",
            "body": json.dumps({"Event": "s3:TestEvent"}),
        },
    ]
    assert handler({"Records": records}, None) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]
    }


def test_a_worker_handles_raw_sqs_messages_the_same_way(
    s3_env: S3Env, mysql_target: Target, events: EventQueue
) -> None:
    """The seam for `hma-ingest worker --kinds etl`: messages as receive_message returns them."""
    from hma_gui.core.etl.event_loader import EventLoader
    from hma_gui.core.etl.results import EtlSource

    upload_csv(s3_env, "MemberData.csv", sample("MemberData.csv"))  # its plans file: not yet
    upload_csv(s3_env, "plan_details.csv", sample("plan_details.csv"))
    messages = events.sqs.receive_message(QueueUrl=events.url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 2
    loader = EventLoader.from_settings(load_settings(), EtlSource.WORKER, lock_wait=1)
    try:
        outcome = loader.handle(messages)
    finally:
        loader.close()
    assert outcome.failed_message_ids == []
    assert mysql_target.counts()["members"] == EXPECTED["members"]
    assert {row[0] for row in mysql_target.query("SELECT source FROM etl_runs")} == {"worker"}
