"""S3 notification records as S3 writes them: keys decoded, test events and removals skipped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hma_gui.core.etl.s3_events import MalformedEvent, record_events


def s3_record(key: str, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    return {
        "eventSource": "aws:s3",
        "eventName": name,
        "s3": {"bucket": {"name": "hma-mba-bucket"}, "object": {"key": key, "eTag": "abc"}},
    }


def sqs(body: Any) -> dict[str, Any]:
    return {"messageId": "m", "eventSource": "aws:sqs", "body": json.dumps(body)}


def test_keys_are_decoded_as_s3_encodes_them() -> None:
    events = record_events(
        sqs({"Records": [s3_record("mba/csv/plan+details+%C3%A9t%C3%A9%2B1.csv")]})
    )
    assert [e.key for e in events] == ["mba/csv/plan details été+1.csv"]
    assert events[0].uri == "s3://hma-mba-bucket/mba/csv/plan details été+1.csv"


def test_test_events_removals_and_sns_wrapping() -> None:
    assert record_events(sqs({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []
    assert record_events(sqs({"Records": [s3_record("k.csv", "ObjectRemoved:Delete")]})) == []
    wrapped = {"Type": "Notification", "Message": json.dumps({"Records": [s3_record("a.csv")]})}
    assert [e.key for e in record_events(sqs(wrapped))] == ["a.csv"]
    assert [e.key for e in record_events(s3_record("b%20c.csv"))] == ["b c.csv"]


@pytest.mark.parametrize(
    "record",
    [
        {"eventSource": "aws:sqs", "body": "{not json"},
        sqs({"Records": [{"eventSource": "aws:sns"}]}),
        sqs({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}),
        sqs(["a list"]),
        {"messageId": "x"},
    ],
)
def test_malformed_records(record: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        record_events(record)
