"""``POST /ingest?key=s3://…``: the request's checks (FastAPI's TestClient), and a real
uvicorn whose queued event a real ``worker --kinds etl`` loads into MariaDB."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.s3_events import record_events
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.queue.factory import open_etl_queue
from hma_gui.core.queue.local_queue import LocalQueue
from hma_gui.core.queue.sqs_queue import SqsQueue
from hma_gui.core.s3.client import make_s3_client
from hma_gui.service.api import ApiDeps, create_app
from tests.cli_runner import cli_command, run_cli, run_cli_process
from tests.conftest import S3Env, free_port, wait_for_http
from tests.etl.conftest import Target, upload_csv
from tests.etl.event_queue import sqs_client
from tests.etl.test_etl_events import EXPECTED, sample

pytestmark = pytest.mark.integration


@pytest.fixture
def etl_queue_name(s3_env: S3Env, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh ETL queue (no bucket notification: POST /ingest is its only producer)."""
    name = f"hma-etl-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("HMA_SQS_ENDPOINT_URL", s3_env.endpoint)
    monkeypatch.setenv("HMA_ETL_QUEUE_URL", f"sqs://{name}")
    result = run_cli("queue", "init", "--etl")
    assert result.code == 0, result.err
    return name


def received(s3_env: S3Env, name: str) -> list[str]:
    """The bodies waiting on the queue (taken off it)."""
    sqs = sqs_client(s3_env.endpoint)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
        "Messages", []
    )
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [m["Body"] for m in messages]


def client_for(tmp_path: Path, token: str | None = None, etl: bool = True) -> TestClient:
    settings = load_settings()
    s3 = make_s3_client(settings)
    queue: SqsQueue | None = open_etl_queue(settings, s3_client=lambda: s3) if etl else None
    deps = ApiDeps(
        settings=settings,
        queue=LocalQueue(JobStore(tmp_path / "jobs.db")),  # the upload queue: not used here
        s3=s3,
        token=token,
        etl_queue=queue,
    )
    return TestClient(create_app(deps))


@pytest.fixture
def api(etl_queue_name: str, tmp_path: Path) -> Iterator[TestClient]:
    with client_for(tmp_path) as client:
        yield client


def test_a_good_key_is_queued_as_an_s3_event(
    api: TestClient, s3_env: S3Env, etl_queue_name: str
) -> None:
    key = "mba/csv/plan_details 2024+q1.csv"  # S3 encodes the space and the "+" in events
    response = api.post("/ingest", params={"key": f"s3://{s3_env.mba_bucket}/{key}"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["bucket"], body["key"]) == (s3_env.mba_bucket, key)
    [sent] = received(s3_env, etl_queue_name)
    assert "plan_details+2024%2Bq1.csv" in sent  # written as S3 writes keys
    [event] = record_events({"messageId": body["message_id"], "body": sent})
    assert (event.bucket, event.key, event.event_name) == (
        s3_env.mba_bucket,
        key,
        "ObjectCreated:Put",
    )


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://{bucket}/mba/csv/plan_details.csv", "expected s3://bucket/key"),
        ("s3://{bucket}", "expected s3://bucket/key"),
        ("s3://Not_A_Bucket/mba/csv/plan_details.csv", "not a valid S3 bucket name"),
        ("s3://some-other-bucket/mba/csv/plan_details.csv", "the ETL loads from"),
        ("s3://{bucket}/policy/csv/plan_details.csv", "only files directly under mba/csv/"),
        ("s3://{bucket}/mba/csv/old/plan_details.csv", "only files directly under mba/csv/"),
        ("s3://{bucket}/mba/csv/../csv/plan_details.csv", "only files directly under mba/csv/"),
        ("s3://{bucket}/mba/csv/notes.csv", "not a CSV name of the data contract"),
        ("s3://{bucket}/mba/csv/plan_details.txt", "not a CSV name of the data contract"),
        ("s3://{bucket}/mba/csv/plan_details\n.csv", "control characters"),
    ],
)
def test_a_key_the_etl_does_not_load_is_refused_with_the_reason(
    api: TestClient, s3_env: S3Env, etl_queue_name: str, uri: str, reason: str
) -> None:
    response = api.post("/ingest", params={"key": uri.format(bucket=s3_env.mba_bucket)})
    assert response.status_code == 400, response.text
    assert reason in response.json()["detail"]
    assert received(s3_env, etl_queue_name) == []


def test_no_etl_queue_configured_is_503(s3_env: S3Env, tmp_path: Path) -> None:
    with client_for(tmp_path, etl=False) as client:
        uri = f"s3://{s3_env.mba_bucket}/mba/csv/plan_details.csv"
        response = client.post("/ingest", params={"key": uri})
    assert response.status_code == 503
    assert "HMA_ETL_QUEUE_URL" in response.json()["detail"]


def test_ingest_needs_the_token_when_one_is_configured(
    s3_env: S3Env, etl_queue_name: str, tmp_path: Path
) -> None:
    uri = f"s3://{s3_env.mba_bucket}/mba/csv/plan_details.csv"
    with client_for(tmp_path, token="s3cr3t") as client:
        assert client.post("/ingest", params={"key": uri}).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.post("/ingest", params={"key": uri}, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cr3t"}
        assert client.post("/ingest", params={"key": uri}, headers=right).status_code == 202
    assert len(received(s3_env, etl_queue_name)) == 1


def _post(url: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_post_ingest_on_a_real_uvicorn_queues_what_a_worker_loads(
    s3_env: S3Env, mysql_target: Target, etl_queue_name: str
) -> None:
    upload_csv(s3_env, "plan_details.csv", sample("plan_details.csv"))
    port = free_port()
    server = subprocess.Popen(
        cli_command("serve", "--port", str(port), "--queue", "local"),
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/health")
        good = urllib.parse.quote(f"s3://{s3_env.mba_bucket}/mba/csv/plan_details.csv")
        status, body = _post(f"{base}/ingest?key={good}")
        assert status == 202, body
        assert body["key"] == "mba/csv/plan_details.csv" and body["message_id"]
        bad = urllib.parse.quote(f"s3://{s3_env.mba_bucket}/mba/readme.csv")
        status, body = _post(f"{base}/ingest?key={bad}")
        assert status == 400 and "mba/csv/" in str(body["detail"])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)

    result = run_cli_process("worker", "--kinds", "etl", "--drain", "--json", timeout=120)
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [(line["outcome"], line["table"]) for line in lines[:-1]] == [("loaded", "plans")]
    assert mysql_target.counts()["plans"] == EXPECTED["plans"]
    sources = {row[0] for row in mysql_target.query("SELECT DISTINCT source FROM etl_runs")}
    assert sources == {"worker"}
