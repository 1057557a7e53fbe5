"""``worker --kinds etl``: the S3-event queue of the ETL, loaded the Lambda's way.

One line per object (``--json``: one JSON object per line) and a summary, as
the upload worker prints them; the same signals (`hma_gui.cli.worker_cmd`) and
exit codes: 0 everything settled or waiting its turn, 1 some objects failed
(rejected, S3 or database errors: their messages come back, then go to the
dead-letter queue), 2 configuration error, or while draining the queue
unreachable or the database down, 130 Ctrl-C. While the database is down a
worker receives nothing and tries it again every ``--db-retry`` seconds.
``HMA_ETL_LOCK_WAIT`` is how long a file waits for a table another loader holds
(as in the Lambda).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.worker_runs import WorkerRun
from hma_gui.core.errors import HmaError

if TYPE_CHECKING:
    from hma_gui.core.etl.event_worker import EtlOutcome, EtlWorkerReport

DRAIN_WAIT_SECONDS = 1.0
DEFAULT_LOCK_WAIT = 30.0


def etl_run(ctx: CliContext) -> WorkerRun | int:
    from hma_gui.core.etl.event_loader import EventLoader
    from hma_gui.core.etl.event_worker import EtlQueueWorker, EtlWorkerOptions
    from hma_gui.core.etl.results import EtlSource
    from hma_gui.core.processes import process_identity
    from hma_gui.core.queue.factory import open_etl_queue

    settings = ctx.settings()
    identity = process_identity()
    try:
        lock_wait = float(os.environ.get("HMA_ETL_LOCK_WAIT") or DEFAULT_LOCK_WAIT)
    except ValueError:
        ctx.err("hma-ingest: HMA_ETL_LOCK_WAIT must be a number of seconds")
        return ExitStatus.ERROR
    try:
        queue = open_etl_queue(settings, s3_client=ctx.s3, url=ctx.args.etl_queue, worker=identity)
        loader = EventLoader.from_settings(settings, EtlSource.WORKER, lock_wait=lock_wait)
    except HmaError as exc:
        ctx.err(f"hma-ingest: {exc}")
        return ExitStatus.ERROR
    options = EtlWorkerOptions(
        lease_seconds=settings.queue_lease_seconds,
        drain=ctx.args.drain,
        wait_seconds=DRAIN_WAIT_SECONDS if ctx.args.drain else EtlWorkerOptions.wait_seconds,
        resume_after_seconds=ctx.args.db_retry,
    )
    worker = EtlQueueWorker(queue, loader, options, on_outcome=_printer(ctx), identity=identity)

    def finish(report: EtlWorkerReport) -> int:
        loader.close()
        queue.close()
        _summary(ctx, report, queue.name)
        if report.stop_reason not in (None, "drained", "SIGTERM", "SIGINT"):
            ctx.err(f"hma-ingest: stopped: {report.stop_reason}")
            return ExitStatus.ERROR
        return ExitStatus.SOME_FAILED if report.failed else ExitStatus.OK

    return WorkerRun(worker, finish)


def _printer(ctx: CliContext) -> Any:
    from hma_gui.core.etl.event_worker import EtlOutcomeKind

    def show(outcome: EtlOutcome) -> None:
        delivery, result = outcome.delivery, outcome.result
        if ctx.json_output:
            ctx.out(
                json.dumps(
                    {
                        "kind": "etl",
                        "message": delivery.message_id,
                        "outcome": outcome.kind.value,
                        "uri": outcome.uri,
                        "table": result.table if result else None,
                        "status": result.status.value if result else None,
                        "rows_read": result.rows_read if result else 0,
                        "rows_loaded": result.rows_loaded if result else 0,
                        "rows_rejected": result.rows_rejected if result else 0,
                        "receive_count": delivery.receive_count,
                        "error": outcome.detail,
                    }
                )
            )
            return
        what = outcome.uri or f"message {delivery.message_id}"
        if outcome.kind is EtlOutcomeKind.HANDED_BACK:
            ctx.out(f"handed back {what}")
        elif outcome.kind is EtlOutcomeKind.NO_WORK:
            ctx.out(f"no work in {what} (a test event or no new object)")
        elif result is not None and outcome.kind in (
            EtlOutcomeKind.LOADED,
            EtlOutcomeKind.UNCHANGED,
        ):
            ctx.out(
                f"{result.status.label} {what} → {result.table or '-'} (read {result.rows_read}, "
                f"loaded {result.rows_loaded}, rejected {result.rows_rejected})"
            )
        else:
            label = "FAILED" if outcome.kind is EtlOutcomeKind.FAILED else "waiting"
            status = f"{result.status.value}: " if result else ""
            ctx.out(
                f"{label} {what}: {status}{outcome.detail or 'no reason given'} "
                f"(receive {delivery.receive_count})"
            )

    return show


def _summary(ctx: CliContext, report: EtlWorkerReport, queue_name: str) -> None:
    if ctx.json_output:
        ctx.out(
            json.dumps(
                {
                    "summary": True,
                    "kind": "etl",
                    "queue": queue_name,
                    "loaded": report.loaded,
                    "unchanged": report.unchanged,
                    "waiting": report.waiting,
                    "failed": report.failed,
                    "no_work": report.no_work,
                    "handed_back": report.handed_back,
                    "seconds": round(report.seconds, 3),
                    "stopped": report.stop_reason,
                }
            )
        )
        return
    ctx.out(
        f"{report.loaded} loaded, {report.unchanged} unchanged, {report.waiting} waiting, "
        f"{report.failed} failed, {report.handed_back} handed back — "
        f"{report.seconds:.1f} s on {queue_name} ({report.stop_reason or 'stopped'})"
    )
