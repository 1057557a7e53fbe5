"""What travels on a shared queue: one upload job as versioned JSON, and what a queue reports.

A message is a small JSON object with ``"v": 1``; a worker refuses a message of
a version it does not know (it fails, and after the receive limit lands in the
dead-letter queue with that reason) rather than guessing. Fields::

    {"v": 1, "id": "3f…", "source": "\\\\server\\exports\\mba\\csv\\x.csv",
     "bucket": "hma-mba-bucket", "key": "mba/csv/x.csv", "scope": "mba",
     "size": 123, "mtime_ns": 1700000000000000000, "md5": null,
     "expect": "new", "etag": null, "sender": "desk-1:4242:…", "sent_at": 1.7e9}

``expect`` is the precondition of the write: ``new`` (the key is believed free:
``If-None-Match: *``), ``overwrite`` (a decided overwrite of the object whose ETag
is ``etag``: ``If-Match``) or ``any`` (no precondition). On a job it is
`Job.expected_etag` (``*``, the ETag, or none: `JobMessage.expected_etag`,
`expectation_of`), which the uploader turns into the request's precondition.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from hma_gui.core.jobs.records import EXPECT_ABSENT

MESSAGE_VERSION = 1


class MessageError(ValueError):
    """A message that is not a job this worker understands (the reason says why)."""


class Expect(StrEnum):
    NEW = "new"
    OVERWRITE = "overwrite"
    ANY = "any"


def expectation_of(expected_etag: str | None) -> tuple[Expect, str | None]:
    """`Job.expected_etag` as a message's ``expect`` and ``etag``."""
    if expected_etag == EXPECT_ABSENT:
        return Expect.NEW, None
    if expected_etag:
        return Expect.OVERWRITE, expected_etag
    return Expect.ANY, None


@dataclass(frozen=True, slots=True)
class JobMessage:
    source: str
    bucket: str
    key: str
    size: int
    scope: str | None = None
    mtime_ns: int | None = None
    md5: str | None = None
    expect: Expect = Expect.NEW
    etag: str | None = None
    sender: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: float = field(default_factory=time.time)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def expected_etag(self) -> str | None:
        """The precondition as a job keeps it (`Job.expected_etag`)."""
        if self.expect is Expect.NEW:
            return EXPECT_ABSENT
        if self.expect is Expect.OVERWRITE:
            return self.etag
        return None

    def encode(self) -> str:
        body: dict[str, Any] = {"v": MESSAGE_VERSION, **asdict(self)}
        body["expect"] = self.expect.value
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> JobMessage:
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise MessageError(f"the message is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise MessageError("the message is not a JSON object")
        version = body.pop("v", None)
        if version != MESSAGE_VERSION:
            raise MessageError(f"message version {version!r} is not known to this worker")
        try:
            body["expect"] = Expect(body.get("expect", Expect.NEW.value))
            message = cls(**body)
        except (TypeError, ValueError) as exc:
            raise MessageError(f"the message is not a valid upload job ({exc})") from None
        for name in ("source", "bucket", "key"):
            if not isinstance(getattr(message, name), str) or not getattr(message, name):
                raise MessageError(f"the message has no {name}")
        if message.expect is Expect.OVERWRITE and not message.etag:
            raise MessageError("an overwrite job must name the ETag it overwrites")
        return message


@dataclass(frozen=True, slots=True)
class Delivery:
    """One received message: the job (or why it is unreadable), and the queue's handle."""

    handle: str  # SQS receipt handle, or the local job id
    message_id: str
    receive_count: int
    message: JobMessage | None
    problem: str | None = None  # why `message` is None
    body: str = ""  # the message as sent (an ETL queue's S3 event; empty for the local queue)

    @property
    def job_id(self) -> str:
        return self.message.id if self.message is not None else self.message_id


@dataclass(frozen=True, slots=True)
class QueueCounters:
    """The same five counters for every backend (docs/service.md says what each means)."""

    queued: int = 0
    in_flight: int = 0
    processed: int = 0
    failed: int = 0
    dead_lettered: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A job the queue gave up on, with the last failure reason recorded for it."""

    job_id: str
    source: str | None
    uri: str | None
    reason: str | None
    receive_count: int
    failed_at: float | None = None


@dataclass(frozen=True, slots=True)
class WorkerSeen:
    """A worker's last report: who, when, and what it has done since it started."""

    worker: str
    last_seen: float
    processed: int
    failed: int
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class Written:
    """What a worker wrote (or found already there) for a job: the object's identity."""

    etag: str
    md5: str
    size: int
    mtime_ns: int | None = None
