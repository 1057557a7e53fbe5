"""The configured queue, built from the settings: `local` or SQS (with its S3 ledger)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hma_gui.core.errors import ConfigError
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.ledger import S3Ledger
from hma_gui.core.queue.local_queue import LocalQueue
from hma_gui.core.queue.sqs_queue import SqsQueue
from hma_gui.core.queue.sqs_setup import QueueLocation, make_sqs_client, resolve_urls
from hma_gui.core.s3.client import S3Client

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings


def ledger_for(settings: Settings, client: S3Client, queue_name: str) -> S3Ledger:
    """Where the workers of `queue_name` keep their counters and failure reasons."""
    bucket = settings.queue_ledger_bucket
    if not bucket:
        first = next(iter(settings.scopes.values()), None)
        if first is None:
            raise ConfigError("no scope is configured, so the queue ledger has no bucket")
        bucket = first.bucket
    return S3Ledger(client, bucket, f"{settings.queue_ledger_prefix}{queue_name}/")


def open_queue(
    settings: Settings,
    *,
    store: Callable[[], JobStore],
    s3_client: Callable[[], S3Client],
    url: str | None = None,
    worker: str = "",
    sqs_client: Any = None,
) -> JobQueue:
    """The queue named by `url` (default: the ``queue_url`` setting).

    `store` and `s3_client` are called only when the backend needs them.
    """
    location = QueueLocation.parse(url or settings.queue_url)
    if location.local:
        return LocalQueue(store(), max_receives=settings.queue_max_receives)
    return _sqs_queue(settings, location, s3_client, worker, sqs_client)


def open_etl_queue(
    settings: Settings,
    *,
    s3_client: Callable[[], S3Client],
    url: str | None = None,
    worker: str = "",
    sqs_client: Any = None,
) -> SqsQueue:
    """The S3-event queue of the ETL: `url`, else the ``etl_queue_url`` setting (SQS only)."""
    value = url or settings.etl_queue_url
    if not value:
        raise ConfigError(
            "no ETL queue is configured: set etl_queue_url (HMA_ETL_QUEUE_URL) to "
            "sqs://<queue-name> or the queue's URL"
        )
    location = QueueLocation.parse(value)
    if location.local:
        raise ConfigError("the ETL queue must be an SQS queue, not 'local' [HMA_ETL_QUEUE_URL]")
    return _sqs_queue(settings, location, s3_client, worker, sqs_client)


def _sqs_queue(
    settings: Settings,
    location: QueueLocation,
    s3_client: Callable[[], S3Client],
    worker: str,
    sqs_client: Any,
) -> SqsQueue:
    """The SQS queue at `location`, its DLQ and receive limit resolved, its ledger in S3."""
    client = sqs_client or make_sqs_client(settings)
    resolved = resolve_urls(client, location)
    name = resolved.url.rstrip("/").rsplit("/", 1)[-1]
    return SqsQueue(
        client,
        resolved.url,
        dlq_url=resolved.dlq_url,
        max_receives=resolved.max_receives,
        ledger=ledger_for(settings, s3_client(), name),
        worker=worker,
    )
