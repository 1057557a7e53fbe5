"""A shared queue for tests: a moto server of its own (S3 + SQS on one endpoint), scope
buckets, an SQS queue with its dead-letter queue, and worker processes.

moto's SQS slows down as a queue grows, and the session's moto server is shared
by every S3 test: the queue tests get a server per module instead.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.queue.sqs_setup import init_queues
from tests.cli_runner import cli_command
from tests.conftest import MotoServer, s3_client_for, start_moto_server, stop_moto_server


@pytest.fixture(scope="module")
def queue_moto() -> Iterator[MotoServer]:
    server = start_moto_server()
    yield server
    stop_moto_server(server)


@dataclass
class QueueEnv:
    endpoint: str
    s3: Any
    sqs: Any
    bucket: str
    name: str
    url: str
    dlq_url: str

    @property
    def spec(self) -> str:
        return f"sqs://{self.name}"

    def keys(self) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="mba/"
        ):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def read(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def depth(self, url: str | None = None) -> tuple[int, int]:
        """(visible, in flight) messages of the queue (or of `url`)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )


def make_queue_env(
    server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    *,
    s3_endpoint: str | None = None,
    lease: int = 10,
    max_receives: int = 3,
) -> QueueEnv:
    suffix = uuid.uuid4().hex[:10]
    bucket, name = f"mba-{suffix}", f"jobs-{suffix}"
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": server.endpoint,  # SQS (and S3 unless HMA_S3_ENDPOINT_URL)
        "HMA_S3_ENDPOINT_URL": s3_endpoint or server.endpoint,
        "HMA_MBA_BUCKET": bucket,
        "HMA_QUEUE_URL": f"sqs://{name}",
        "HMA_QUEUE_LEASE_SECONDS": str(lease),
        "HMA_QUEUE_MAX_RECEIVES": str(max_receives),
    }.items():
        monkeypatch.setenv(variable, value)
    import boto3  # here, not at collection: 0.3-0.6 s

    s3 = s3_client_for(server.endpoint)
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    sqs = boto3.client(
        "sqs",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    made = init_queues(sqs, name, lease_seconds=lease, max_receives=max_receives)
    return QueueEnv(server.endpoint, s3, sqs, bucket, name, made.url, made.dlq_url)


def make_files(root: Path, count: int, *, size: int = 64) -> dict[str, bytes]:
    """`count` files of distinct content under ``root/mba/csv``; key → content."""
    folder = root / "mba" / "csv"
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    for n in range(count):
        data = (f"{n},".encode() * size)[:size]
        (folder / f"f{n:05d}.csv").write_bytes(data)
        files[f"mba/csv/f{n:05d}.csv"] = data
    return files


def start_worker(log: Path, *args: str) -> subprocess.Popen[bytes]:
    import os

    handle = log.open("wb")
    return subprocess.Popen(
        cli_command("worker", *args),
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(os.environ),
    )


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
