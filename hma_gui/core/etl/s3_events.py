"""S3 event notifications → one ``load-one`` per created object → which messages to retry.

The event path (``docs/etl.md``): S3 sends an ``ObjectCreated`` notification for
each ``mba/csv/*.csv`` PUT to a standard SQS queue; the Lambda handler
(`hma_gui.lambdas.s3_csv_ingest_handler`) or ``hma-ingest worker --kinds etl``
receives batches of those messages and calls `handle_s3_event_records` with
them. Both get the same answer: the message ids to deliver again (Lambda's
``batchItemFailures``; the worker leaves them on the queue), every other
message being done.

What a record may be:

* an SQS message whose body is an S3 notification (``{"Records": [...]}``),
  possibly wrapped in an SNS notification (``{"Type": "Notification",
  "Message": "..."}``);
* the ``s3:TestEvent`` S3 sends when a notification is configured: done, no work;
* a record of a direct S3 event (``"eventSource": "aws:s3"``, no message id).

Keys arrive URL-encoded the way S3 writes them (``+`` is a space, ``%XX`` a
byte of UTF-8) and are decoded here. Only ``ObjectCreated:*`` events load
anything; others (removals) are done without work. The ETag in an event is not
trusted: `EtlRunner.run_one` loads the object as it is now, so an old event for
a replaced object loads the new version, and the new version's own event is
then a duplicate, which (like any event for an ETag already loaded) is done
without work.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from hma_gui.core.errors import HmaError
from hma_gui.core.etl.results import FileResult, RunResult

logger = logging.getLogger(__name__)

TEST_EVENT = "s3:TestEvent"


class MalformedEvent(ValueError):
    """A record that is not an S3 notification we understand."""


@dataclass(frozen=True)
class ObjectEvent:
    """One ``ObjectCreated`` notification: the object, as the event names it."""

    bucket: str
    key: str
    event_name: str
    etag: str = ""
    size: int = 0

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def object_events(notification: Mapping[str, Any]) -> list[ObjectEvent]:
    """The ``ObjectCreated`` objects of one S3 notification (none for a test event)."""
    if notification.get("Event") == TEST_EVENT:
        return []
    records = notification.get("Records")
    if not isinstance(records, list):
        raise MalformedEvent("not an S3 event notification (no Records)")
    found = []
    for record in records:
        if not isinstance(record, Mapping) or record.get("eventSource") != "aws:s3":
            raise MalformedEvent("a record that is not an S3 event")
        name = str(record.get("eventName", ""))
        if not name.startswith("ObjectCreated:"):
            logger.info("ignoring S3 event %s", name)
            continue
        try:
            s3 = record["s3"]
            found.append(
                ObjectEvent(
                    bucket=str(s3["bucket"]["name"]),
                    key=unquote_plus(str(s3["object"]["key"])),
                    event_name=name,
                    etag=str(s3["object"].get("eTag", "")),
                    size=int(s3["object"].get("size", 0)),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEvent(f"an S3 event without bucket or key ({exc})") from exc
    return found


def record_events(record: Mapping[str, Any]) -> list[ObjectEvent]:
    """The objects of one delivered record: an SQS message (maybe of SNS) or an S3 record."""
    if record.get("eventSource") == "aws:s3":
        return object_events({"Records": [record]})
    body = record.get("body", record.get("Body"))
    if not isinstance(body, str):
        raise MalformedEvent("neither an SQS message nor an S3 event record")
    try:
        notification = json.loads(body)
        if notification.get("Type") == "Notification" and "Message" in notification:
            notification = json.loads(notification["Message"])  # S3 → SNS → SQS
    except (ValueError, AttributeError) as exc:
        raise MalformedEvent(f"the message body is not JSON ({exc})") from exc
    if not isinstance(notification, Mapping):
        raise MalformedEvent("the message body is not a JSON object")
    return object_events(notification)


#: Loads one object (and what it needs first): `EtlRunner.run_one` bound to a database.
LoadOne = Callable[[str, str], RunResult]


@dataclass
class RecordOutcome:
    """What became of one delivered record."""

    message_id: str | None
    events: list[ObjectEvent] = field(default_factory=list)
    results: list[FileResult] = field(default_factory=list)  # the object's own, per event
    error: str | None = None

    @property
    def retry(self) -> bool:
        return self.error is not None or any(r.status.retryable for r in self.results)


@dataclass
class BatchOutcome:
    records: list[RecordOutcome] = field(default_factory=list)

    @property
    def failed_message_ids(self) -> list[str]:
        return [r.message_id for r in self.records if r.retry and r.message_id is not None]

    def response(self) -> dict[str, list[dict[str, str]]]:
        """Lambda's partial batch response (``ReportBatchItemFailures``)."""
        return {"batchItemFailures": [{"itemIdentifier": i} for i in self.failed_message_ids]}


def handle_s3_event_records(
    records: Iterable[Mapping[str, Any]], load_one: LoadOne
) -> BatchOutcome:
    """Load the object of every ``ObjectCreated`` event in `records`, one at a time.

    A record is retried when any of its objects did not settle (failed, busy,
    deferred for a parent, rejected as a whole file) or when it cannot be read;
    a record whose message cannot be parsed is retried too, so that it reaches
    the dead-letter queue instead of vanishing. One record's failure never stops
    the others.
    """
    outcome = BatchOutcome()
    for record in records:
        message_id = record.get("messageId", record.get("MessageId"))
        done = RecordOutcome(str(message_id) if message_id is not None else None)
        outcome.records.append(done)
        try:
            done.events = record_events(record)
        except MalformedEvent as exc:
            done.error = f"unreadable record: {exc}"
            logger.error("message %s: %s", message_id, done.error)
            continue
        for event in done.events:
            try:
                run = load_one(event.bucket, event.key)
            except HmaError as exc:
                done.error = f"{event.uri}: {exc}"
                logger.error("loading %s failed: %s", event.uri, exc)
                continue
            except Exception as exc:
                done.error = f"{event.uri}: unexpected error: {type(exc).__name__}: {exc}"
                logger.exception("loading %s failed", event.uri)
                continue
            if run.files:
                done.results.append(run.files[-1])
            if run.cancelled:
                done.error = f"{event.uri}: cancelled"
    return outcome
