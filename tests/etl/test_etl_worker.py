"""``hma-ingest worker --kinds etl``: the S3-event queue consumed without Lambda.

Real parts throughout: the ETL queue and its dead-letter queue are made by
``hma-ingest queue init --etl`` on moto's SQS server, moto's S3 puts a real event
into it for each PUT (the bucket's notification configuration targets it), the
worker is a real subprocess loading into the session's MariaDB, and signals are
real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from typing import Any

import pytest

from tests.cli_runner import CliResult, cli_command, run_cli, run_cli_process
from tests.conftest import S3Env
from tests.etl.conftest import Target, upload_csv
from tests.etl.event_queue import notify_queue, sqs_client
from tests.etl.test_etl_events import EXPECTED, FILES, load_all_tables, sample, succeeded
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

MAX_RECEIVES = 2


class EtlQueue:
    """The ETL queue made by ``queue init --etl``, as the test looks at it."""

    def __init__(self, endpoint: str, name: str) -> None:
        self.sqs = sqs_client(endpoint)
        self.name = name
        self.url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        self.dlq_url = self.sqs.get_queue_url(QueueName=name + "-dlq")["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def counts(self, url: str | None = None) -> tuple[int, int]:
        """(visible, leased) messages."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )

    def dead_bodies(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def etl_queue(s3_env: S3Env, mysql_target: Target, monkeypatch: pytest.MonkeyPatch) -> EtlQueue:
    """A fresh ETL queue (receive limit 2, lease 10 s) that the mba bucket notifies."""
    name = f"hma-etl-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("HMA_SQS_ENDPOINT_URL", s3_env.endpoint)
    monkeypatch.setenv("HMA_ETL_QUEUE_URL", f"sqs://{name}")
    monkeypatch.setenv("HMA_QUEUE_MAX_RECEIVES", str(MAX_RECEIVES))
    monkeypatch.setenv("HMA_QUEUE_LEASE_SECONDS", "10")
    monkeypatch.setenv("HMA_ETL_LOCK_WAIT", "60")
    result = run_cli("queue", "init", "--etl")
    assert result.code == 0, result.err
    assert f"queue {name} created" in result.out
    queue = EtlQueue(s3_env.endpoint, name)
    notify_queue(s3_env.client, s3_env.mba_bucket, queue.arn)  # S3 sends its s3:TestEvent
    return queue


def drain() -> tuple[CliResult, list[dict[str, Any]]]:
    result = run_cli_process("worker", "--kinds", "etl", "--drain", "--json", timeout=180)
    lines = [json.loads(line) for line in result.out.splitlines() if line.strip()]
    return result, lines


def bad_benefit_accumulator() -> bytes:
    """benefit_accumulator without its required "unit" column: the whole file is rejected."""
    lines = sample("benefit_accumulator.csv").decode().splitlines()
    drop = [h.strip().lower() for h in lines[0].split(",")].index("unit")
    return "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines
    ).encode()


def test_reverse_order_puts_drained_by_a_worker_equal_one_load_all(
    s3_env: S3Env,
    mysql_target: Target,
    etl_queue: EtlQueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for table in reversed(list(FILES)):
        upload_csv(s3_env, FILES[table], sample(FILES[table]))

    result, lines = drain()

    assert result.code == 0, result.err
    summary = lines[-1]
    assert summary["summary"] and summary["stopped"] == "drained"
    assert (summary["failed"], summary["waiting"], summary["handed_back"]) == (0, 0, 0)
    assert summary["no_work"] == 1  # S3's s3:TestEvent
    assert summary["loaded"] + summary["unchanged"] == 4
    objects = sorted(line["uri"] for line in lines[:-1] if line["uri"])
    assert objects == sorted(f"s3://{s3_env.mba_bucket}/mba/csv/{n}" for n in FILES.values())
    assert etl_queue.counts() == (0, 0)
    assert etl_queue.counts(etl_queue.dlq_url) == (0, 0)

    assert mysql_target.counts() == EXPECTED
    assert succeeded(mysql_target) == {f"mba/csv/{name}": 1 for name in FILES.values()}
    sources = {row[0] for row in mysql_target.query("SELECT DISTINCT source FROM etl_runs")}
    assert sources == {"worker"}
    assert mysql_target.tables() == load_all_tables(mysql_target, monkeypatch)


def test_a_bad_file_ends_in_the_dead_letter_queue_with_its_reason(
    s3_env: S3Env, mysql_target: Target, etl_queue: EtlQueue
) -> None:
    good = ("plan_details.csv", "MemberData.csv", "deductibles_oop.csv")
    for name in good:
        upload_csv(s3_env, name, sample(name))
    upload_csv(s3_env, "benefit_accumulator_bad.csv", bad_benefit_accumulator())
    bad_uri = f"s3://{s3_env.mba_bucket}/mba/csv/benefit_accumulator_bad.csv"

    result, lines = drain()

    assert result.code == 1, result.err  # some objects failed
    failed = [line for line in lines[:-1] if line["outcome"] == "failed"]
    assert [line["uri"] for line in failed] == [bad_uri] * MAX_RECEIVES
    assert [line["receive_count"] for line in failed] == list(range(1, MAX_RECEIVES + 1))
    assert all(line["status"] == "rejected" and "unit" in line["error"] for line in failed)
    assert lines[-1]["stopped"] == "drained"
    assert lines[-1]["loaded"] + lines[-1]["unchanged"] == len(good)

    counts = mysql_target.counts()
    assert counts["benefit_accumulator"] == 0
    assert {k: counts[k] for k in ("plans", "members", "deductibles_oop")} == {
        k: EXPECTED[k] for k in ("plans", "members", "deductibles_oop")
    }
    rejected = [r for r in mysql_target.runs() if r["status"] == "rejected"]
    assert {r["object_key"] for r in rejected} == {"mba/csv/benefit_accumulator_bad.csv"}

    assert etl_queue.counts() == (0, 0)
    [dead] = etl_queue.dead_bodies()
    assert dead["Records"][0]["s3"]["object"]["key"].endswith("benefit_accumulator_bad.csv")
    status = run_cli("queue", "status", "--queue", f"sqs://{etl_queue.name}", "--json")
    assert status.code == 0, status.err
    [letter] = json.loads(status.out)["dead_letters"]
    assert bad_uri in letter["reason"] and "rejected" in letter["reason"]


def wait_until(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.parametrize("signals", [1, 2])
def test_sigterm_mid_load_hands_the_unstarted_messages_back(
    s3_env: S3Env, mysql_target: Target, etl_queue: EtlQueue, signals: int
) -> None:
    """The worker is held mid-load on the plans table's lock (another loader holds it).
    One SIGTERM: the running file finishes once the lock is free, the others go back at
    once. Two: the running file is abandoned (rolled back) and goes back too."""
    for table in FILES:
        upload_csv(s3_env, FILES[table], sample(FILES[table]))
    other = mysql_target.open()
    assert other.acquire_table_lock("plans", 0)
    worker = subprocess.Popen(
        cli_command("worker", "--kinds", "etl", "--json"),
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: etl_queue.counts() == (0, 4))  # the test event is done
        time.sleep(12)  # past the 10 s lease: the heartbeat keeps the messages leased
        assert etl_queue.counts() == (0, 4)
        worker.send_signal(signal.SIGTERM)
        if signals == 2:
            time.sleep(1)
            worker.send_signal(signal.SIGTERM)
        else:
            other.release_table_lock("plans")
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        other.close()
    assert worker.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    assert summary["stopped"] == "SIGTERM"
    loaded = 1 if signals == 1 else 0
    assert (summary["loaded"], summary["handed_back"]) == (loaded, 4 - loaded)
    assert etl_queue.counts() == (4 - loaded, 0)  # visible at once, not after the lease
    counts = mysql_target.counts()
    if signals == 2:
        assert sum(counts.values()) == 0
    else:
        assert counts["plans"] == EXPECTED["plans"]

    result, lines = drain()  # another worker finishes the job
    assert result.code == 0, result.err
    assert mysql_target.counts() == EXPECTED
    assert succeeded(mysql_target) == {f"mba/csv/{name}": 1 for name in FILES.values()}


def test_both_kinds_in_one_process_each_drain_and_summarise(
    s3_env: S3Env, mysql_target: Target, etl_queue: EtlQueue
) -> None:
    upload_csv(s3_env, "plan_details.csv", sample("plan_details.csv"))
    result = run_cli_process(
        "worker", "--kinds", "upload,etl", "--queue", "local", "--drain", "--json", timeout=120
    )
    assert result.code == 0, result.err
    summaries = [json.loads(line) for line in result.out.splitlines() if '"summary"' in line]
    by_kind = {s.get("kind", "upload"): s for s in summaries}
    assert set(by_kind) == {"upload", "etl"}
    assert by_kind["upload"]["queue"] == "local" and by_kind["upload"]["stopped"] == "drained"
    assert (by_kind["etl"]["loaded"], by_kind["etl"]["stopped"]) == (1, "drained")
    assert mysql_target.counts()["plans"] == EXPECTED["plans"]


def test_kinds_and_the_etl_queue_setting_are_checked(s3_env: S3Env) -> None:
    bad = run_cli("worker", "--kinds", "upload,lambda", "--drain")
    assert bad.code == 2 and "--kinds takes upload, etl or upload,etl" in bad.err
    missing = run_cli("worker", "--kinds", "etl", "--drain")
    assert missing.code == 2 and "HMA_ETL_QUEUE_URL" in missing.err
    ignored = run_cli("worker", "--kinds", "etl", "--concurrency", "4", "--drain")
    assert ignored.code == 2 and "an ETL worker loads one S3 event at a time" in ignored.err


def test_a_database_outage_pauses_the_worker_instead_of_dead_lettering(
    s3_env: S3Env, mysql_target: Target, etl_queue: EtlQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the database gone, the event goes back unchanged and the worker receives
    nothing until the database answers: the receive limit (2) is not spent on the outage."""
    assert mysql_target.server is not None
    proxy = TcpProxy(mysql_target.server.port)
    monkeypatch.setenv(
        "HMA_DB_URL",
        mysql_target.server.url(mysql_target.database).replace(
            f":{mysql_target.server.port}/", f":{proxy.port}/"
        ),
    )
    worker = subprocess.Popen(
        cli_command("worker", "--kinds", "etl", "--json", "--db-retry", "1"),
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: etl_queue.counts() == (0, 0))  # the test event is done
        proxy.down()
        upload_csv(s3_env, "plan_details.csv", sample("plan_details.csv"))
        assert worker.stdout is not None
        waiting = json.loads(worker.stdout.readline())  # the test event's line came first
        if waiting["outcome"] == "no-work":
            waiting = json.loads(worker.stdout.readline())
        assert waiting["outcome"] == "waiting" and "database" in waiting["error"]
        assert waiting["receive_count"] == 1
        for _ in range(8):  # 4 s of outage: the event waits on the queue, not received
            assert etl_queue.counts() == (1, 0)
            time.sleep(0.5)
        proxy.up()
        wait_until(lambda: etl_queue.counts() == (0, 0))  # loaded and deleted
        assert mysql_target.counts()["plans"] == EXPECTED["plans"]
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        proxy.close()
    assert worker.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    [loaded] = [line for line in lines if line.get("outcome") == "loaded"]
    assert (loaded["table"], loaded["receive_count"]) == ("plans", 2)
    assert lines[-1]["failed"] == 0 and lines[-1]["stopped"] == "SIGTERM"
    assert etl_queue.counts(etl_queue.dlq_url) == (0, 0)


def test_a_message_that_is_no_s3_event_ends_in_the_dead_letter_queue(
    s3_env: S3Env, mysql_target: Target, etl_queue: EtlQueue
) -> None:
    etl_queue.sqs.send_message(QueueUrl=etl_queue.url, MessageBody="not an event {")
    result, lines = drain()
    assert result.code == 1, result.err
    failed = [line for line in lines[:-1] if line["outcome"] == "failed"]
    assert len(failed) == MAX_RECEIVES
    assert all("unreadable record" in line["error"] for line in failed)
    assert etl_queue.counts() == (0, 0)
    assert etl_queue.counts(etl_queue.dlq_url) == (1, 0)
