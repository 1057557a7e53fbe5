"""The S3-event Lambda of the seed system (``hma-mba-csv-to-rds``): new MBA CSVs into RDS.

``handler(event, context)`` takes what the event source mapping of the
``deploy/etl-events.yaml`` queue delivers — a batch of SQS messages whose
bodies are S3 notifications — and returns
``{"batchItemFailures": [{"itemIdentifier": <messageId>}, ...]}`` for exactly
the messages to deliver again (the mapping must have
``ReportBatchItemFailures``). A direct S3 event (a bucket notification that
invokes the function itself) works too; a failure then raises, so that Lambda's
own retries apply. Each object goes through the same pipeline as
``hma-etl load-all`` (`EtlRunner.run_one`: parents first, per-table locks,
``etl_runs`` with ``source = 'lambda'``); see `hma_gui.core.etl.s3_events`.

Configuration is the app's, from the environment: ``HMA_MBA_BUCKET``,
``HMA_DB_URL`` (host and database) and ``HMA_DB_SECRET_ARN`` (the RDS secret;
or ``HMA_DB_PASSWORD``), ``HMA_DB_SSL_CA`` (the RDS CA bundle: TLS to RDS is
always verified), ``HMA_ETL_LOCK_WAIT`` (seconds to wait for a table another
invocation is loading; keep it well under the function timeout).

Why no aws-lambda-powertools batch processor: the worker (``hma-ingest worker
--kinds etl``) must decide the same retries without Lambda, so the decision
lives in core (`EventLoader.handle` → `handle_s3_event_records`) and this
handler only adapts it.

The database connection and the S3 client are built on the first invocation
and kept while the execution environment lives (Lambda's usual reuse); they are
rebuilt when the ``HMA_*`` configuration changes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import HmaError
from hma_gui.core.etl.event_loader import EventLoader
from hma_gui.core.etl.results import EtlSource
from hma_gui.core.etl.s3_events import BatchOutcome

logger = logging.getLogger(__name__)

LAMBDA_TMP = "/tmp/hma-ingest"  # noqa: S108 - the only writable place in Lambda
DEFAULT_LOCK_WAIT = 30.0


class EventsFailed(HmaError):
    """Some objects of a direct S3 event did not load (raised so that Lambda retries)."""


_cached: tuple[frozenset[tuple[str, str]], EventLoader] | None = None


def _configuration() -> frozenset[tuple[str, str]]:
    return frozenset(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith(("HMA_", "AWS_ENDPOINT_URL"))
    )


def _loader() -> EventLoader:
    global _cached
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        os.environ.setdefault("HMA_DATA_DIR", LAMBDA_TMP)
        os.environ.setdefault("HMA_CONFIG_DIR", LAMBDA_TMP + "/config")
    configuration = _configuration()
    if _cached is not None and _cached[0] == configuration:
        return _cached[1]
    if _cached is not None:
        _cached[1].close()
        _cached = None
    wait = float(os.environ.get("HMA_ETL_LOCK_WAIT") or DEFAULT_LOCK_WAIT)
    loader = EventLoader.from_settings(load_settings(), EtlSource.LAMBDA, lock_wait=wait)
    _cached = (configuration, loader)
    return loader


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records") or []
    if not records:
        logger.info("no records in the event")
        return {"batchItemFailures": []}
    outcome = _loader().handle(records)
    _log(outcome)
    if all(r.get("eventSource") == "aws:s3" for r in records):
        failed = [r for r in outcome.records if r.retry]
        if failed:
            raise EventsFailed(f"{len(failed)} of {len(outcome.records)} S3 records did not load")
    return outcome.response()


def _log(outcome: BatchOutcome) -> None:
    for record in outcome.records:
        for event, result in zip(record.events, record.results, strict=False):
            logger.info(
                "%s: %s (read %d, loaded %d, rejected %d)%s",
                event.uri,
                result.status.value,
                result.rows_read,
                result.rows_loaded,
                result.rows_rejected,
                f": {result.error}" if result.error else "",
            )
        if record.error:
            logger.error("message %s: %s", record.message_id, record.error)
