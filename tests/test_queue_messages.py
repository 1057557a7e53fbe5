"""Queue messages, the queue setting and the path map: pure functions, no servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest

from hma_gui.core.errors import ConfigError, SourceFileError
from hma_gui.core.jobs.records import Decision
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.messages import Delivery, Expect, JobMessage, MessageError, Written
from hma_gui.core.queue.path_map import PathMap
from hma_gui.core.queue.sqs_setup import QueueLocation
from hma_gui.core.queue.upload_job import DeliveryCheck
from hma_gui.core.s3.client import S3Client
from hma_gui.core.upload.conditions import Expected


def test_a_message_round_trips_with_its_version() -> None:
    message = JobMessage(
        "/srv/x.csv", "b", "mba/csv/x.csv", size=3, expect=Expect.OVERWRITE, etag="abc"
    )
    body = json.loads(message.encode())
    assert body["v"] == 1 and body["expect"] == "overwrite"
    assert JobMessage.decode(message.encode()) == message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{oops", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"v": 2, "source": "x"}', "version 2"),
        ('{"v": 1, "source": "x", "bucket": "b"}', "not a valid upload job"),
        ('{"v": 1, "source": "", "bucket": "b", "key": "k", "size": 1}', "no source"),
        ('{"v": 1, "source": "s", "bucket": "b", "key": "k", "size": 1, "expect": "overwrite"}',
         "must name the ETag"),
    ],
)  # fmt: skip
def test_a_bad_message_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        JobMessage.decode(text)


def condition_for(message: JobMessage) -> dict[str, str]:
    """The request parameters the uploader adds for the job the message becomes."""
    expected = Expected.from_stored(message.expected_etag)
    return {} if expected is None else expected.request_args()


def test_preconditions_by_expectation() -> None:
    new = JobMessage("s", "b", "k", size=1)
    assert condition_for(new) == {"IfNoneMatch": "*"}
    over = JobMessage("s", "b", "k", size=1, expect=Expect.OVERWRITE, etag='"ABC"')
    assert condition_for(over) == {"IfMatch": '"abc"'}
    assert condition_for(JobMessage("s", "b", "k", size=1, expect=Expect.ANY)) == {}


def test_a_delivery_becomes_an_executor_job_with_its_precondition(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_bytes(b"abc")
    check = DeliveryCheck(cast(S3Client, object()), owner="w1")  # first delivery: no HEAD
    message = JobMessage(str(source), "b", "mba/csv/x.csv", size=1, expect=Expect.OVERWRITE,
                         etag="abc", scope="mba")  # fmt: skip
    job = check(Delivery("h", "m", 1, message), 7, CancelToken())
    assert not isinstance(job, Written)
    assert (job.id, job.source, job.bucket, job.key, job.size) == (
        7, str(source), "b", "mba/csv/x.csv", 3,
    )  # fmt: skip
    assert (job.expected_etag, job.decision, job.attempts, job.owner) == (
        "abc", Decision.OVERWRITE, 1, "w1",
    )  # fmt: skip
    new = check(Delivery("h", "m", 1, JobMessage(str(source), "b", "k", size=3)), 8, CancelToken())
    assert not isinstance(new, Written) and new.expected_etag == "*"


def test_queue_locations() -> None:
    assert QueueLocation.parse("local").local
    sqs = QueueLocation.parse("sqs://hma-jobs")
    assert (sqs.local, sqs.name, sqs.url) == (False, "hma-jobs", None)
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/hma-jobs"
    assert QueueLocation.parse(url) == QueueLocation(False, "hma-jobs", url)
    with pytest.raises(ConfigError, match="HMA_QUEUE_URL"):
        QueueLocation.parse("amqp://x")


def test_the_path_map_translates_desktop_paths_to_the_workers() -> None:
    paths = PathMap(
        {"\\\\server\\exports": "/srv/exports", "/Volumes/exports": "/srv/exports",
         "/Volumes/exports/mba": "/mnt/mba"}
    )  # fmt: skip
    assert paths.to_worker("\\\\SERVER\\Exports\\mba\\csv\\x.csv") == "/srv/exports/mba/csv/x.csv"
    assert paths.to_worker("/Volumes/exports/policy/a.pdf") == "/srv/exports/policy/a.pdf"
    assert paths.to_worker("/Volumes/exports/mba/a.csv") == "/mnt/mba/a.csv"  # longest wins
    assert paths.to_worker("/Volumes/exportsX/a.csv") == "/Volumes/exportsX/a.csv"
    assert not PathMap() and PathMap().to_worker("/a") == "/a"


def test_a_file_the_worker_cannot_read_fails_with_the_mapped_path(tmp_path: Path) -> None:
    check = DeliveryCheck(
        cast(S3Client, object()),  # never reached: the file is checked first
        path_map=PathMap({"\\\\server\\exports": str(tmp_path)}),
    )
    message = JobMessage("\\\\server\\exports\\mba\\x.csv", "b", "mba/csv/x.csv", size=1)
    delivery = Delivery("h", "m", 1, message)
    with pytest.raises(SourceFileError) as caught:
        check(delivery, 1, CancelToken())
    assert str(caught.value) == (
        f"the worker cannot read {tmp_path}/mba/x.csv (mapped from {message.source}): no such file"
    )
