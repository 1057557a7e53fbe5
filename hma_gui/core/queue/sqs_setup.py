"""Finding and creating the SQS queues: the URL setting, the client, ``queue init``.

``HMA_QUEUE_URL`` is ``local``, ``sqs://<name>`` (resolved with GetQueueUrl on the
configured endpoint, so ``AWS_ENDPOINT_URL`` reaches a local SQS) or the queue's
full URL. The dead-letter queue is ``<name>-dlq``, found again from the main
queue's redrive policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.exceptions as bce

from hma_gui.core.errors import ConfigError, UploadError
from hma_gui.core.s3.client import SANDBOX_REGION

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

DLQ_SUFFIX = "-dlq"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: dead letters wait for a person
LONG_POLL_SECONDS = 20


@dataclass(frozen=True)
class QueueLocation:
    """Where a queue setting points: local, or an SQS queue by name or URL."""

    local: bool
    name: str = ""
    url: str | None = None

    @classmethod
    def parse(cls, value: str) -> QueueLocation:
        value = (value or "local").strip()
        if value == "local":
            return cls(local=True, name="local")
        if value.startswith("sqs://"):
            return cls(local=False, name=value.removeprefix("sqs://").strip("/"))
        if value.startswith(("https://", "http://")):
            return cls(local=False, name=value.rstrip("/").rsplit("/", 1)[-1], url=value)
        raise ConfigError(
            f"{value!r} is not a queue [HMA_QUEUE_URL]: use 'local', 'sqs://<name>' or a URL"
        )


def make_sqs_client(settings: Settings) -> Any:
    from botocore.config import Config

    from hma_gui.core.s3.client import make_aws_session

    session = make_aws_session(settings)
    config = Config(
        region_name=settings.region or session.region_name or SANDBOX_REGION,
        retries={"max_attempts": settings.max_attempts, "mode": settings.retry_mode},
        connect_timeout=settings.connect_timeout,
        # a long poll waits up to 20 s for an answer
        read_timeout=max(settings.read_timeout, LONG_POLL_SECONDS + 10),
        max_pool_connections=max(10, settings.concurrency * 2),
        user_agent_appid="hma-ingest",  # type: ignore[call-arg]
    )
    return session.client(
        "sqs",
        endpoint_url=settings.sqs_endpoint_url or None,
        config=config,
        verify=settings.botocore_verify(),
    )


def _code(exc: bce.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_missing_queue(exc: bce.ClientError) -> bool:
    """Whether SQS said the queue does not exist."""
    return _code(exc) in (
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "NonExistentQueue",
    )


@dataclass(frozen=True)
class ResolvedQueue:
    url: str
    dlq_url: str | None  # None without a redrive policy
    max_receives: int | None


class QueueMissing(ConfigError):
    """The SQS queue does not exist (never created, or deleted since)."""


def resolve_urls(client: Any, location: QueueLocation) -> ResolvedQueue:
    """The queue's URL, and its dead-letter queue's URL and receive limit."""
    try:
        url = location.url or client.get_queue_url(QueueName=location.name)["QueueUrl"]
        attributes = client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["RedrivePolicy"]
        ).get("Attributes", {})
    except bce.ClientError as exc:
        if is_missing_queue(exc):
            raise QueueMissing(
                f"SQS queue {location.name!r} does not exist; create it with "
                "`hma-ingest queue init` or deploy/queue.yaml [HMA_QUEUE_URL]"
            ) from None
        raise UploadError(f"SQS error {_code(exc)}: {exc}", retryable=True) from exc
    except bce.BotoCoreError as exc:
        raise UploadError(f"cannot reach SQS: {exc}", retryable=True, code="connection") from exc
    policy = attributes.get("RedrivePolicy")
    if not policy:
        return ResolvedQueue(url, None, None)
    redrive = json.loads(policy)
    dlq_name = str(redrive["deadLetterTargetArn"]).rsplit(":", 1)[-1]
    dlq_url = client.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    return ResolvedQueue(url, dlq_url, int(redrive["maxReceiveCount"]))


@dataclass(frozen=True)
class InitResult:
    url: str
    dlq_url: str
    created: bool


def init_queues(client: Any, name: str, *, lease_seconds: int, max_receives: int) -> InitResult:
    """Create (or bring up to date) the queue, its dead-letter queue and the redrive policy."""
    created = False
    try:
        client.get_queue_url(QueueName=name)
    except bce.ClientError as exc:
        if not is_missing_queue(exc):
            raise
        created = True
    dlq_url = client.create_queue(QueueName=name + DLQ_SUFFIX)["QueueUrl"]
    client.set_queue_attributes(
        QueueUrl=dlq_url, Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
    )
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    url = client.create_queue(QueueName=name)["QueueUrl"]
    client.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "VisibilityTimeout": str(lease_seconds),
            "ReceiveMessageWaitTimeSeconds": str(LONG_POLL_SECONDS),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}
            ),
        },
    )
    return InitResult(url=url, dlq_url=dlq_url, created=created)
