"""Queue messages, the queue setting and the path map: pure functions, no servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest

from hma_gui.core.errors import ConfigError, SourceFileError
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.messages import Delivery, Expect, JobMessage, MessageError
from hma_gui.core.queue.path_map import PathMap
from hma_gui.core.queue.sqs_setup import QueueLocation
from hma_gui.core.queue.upload_job import QueueUploadHandler, condition_for
from hma_gui.core.s3.client import S3Client
from hma_gui.core.upload.uploader import UploadConfig


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


def test_preconditions_by_expectation() -> None:
    new = JobMessage("s", "b", "k", size=1)
    assert condition_for(new) == {"IfNoneMatch": "*"}
    over = JobMessage("s", "b", "k", size=1, expect=Expect.OVERWRITE, etag='"ABC"')
    assert condition_for(over) == {"IfMatch": '"abc"'}
    assert condition_for(JobMessage("s", "b", "k", size=1, expect=Expect.ANY)) == {}


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
    handler = QueueUploadHandler(
        cast(S3Client, object()),  # never reached: the file is checked first
        UploadConfig(),
        path_map=PathMap({"\\\\server\\exports": str(tmp_path)}),
    )
    message = JobMessage("\\\\server\\exports\\mba\\x.csv", "b", "mba/csv/x.csv", size=1)
    delivery = Delivery("h", "m", 1, message)
    with pytest.raises(SourceFileError) as caught:
        handler(delivery, CancelToken())
    assert str(caught.value) == (
        f"the worker cannot read {tmp_path}/mba/x.csv (mapped from {message.source}): no such file"
    )
