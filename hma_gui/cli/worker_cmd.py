"""``worker``: a headless consumer of the shared queue; and the seed's entry points
``hma-worker``, ``hma-producer`` and ``hma-db``.

The jobs run on the upload executor (`QueueWorker`: the queue as its job
source and sink), each written with the precondition its message carries.
One line per job (``--json``: one JSON object per line), a summary at the end.
The first SIGTERM or Ctrl-C stops receiving, hands unstarted jobs back at once
and lets running ones finish; a second one interrupts those too (handed back).
Exit codes as ``upload``: 0 ok, 1 some jobs failed, 2 configuration error
or bad credentials, 130 interrupted by Ctrl-C.

``--kinds etl`` consumes the ETL's S3-event queue instead (`hma_gui.cli.etl_worker_cmd`),
``--kinds upload,etl`` both, side by side in one process (`hma_gui.cli.worker_runs`):
the signals reach both, and the exit code is the worse of the two.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, TextIO

from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.queue_cmd import add_queue_option
from hma_gui.cli.worker_runs import WorkerRun, run_all
from hma_gui.core.queue.worker import (
    OutcomeKind,
    QueueWorker,
    WorkerOptions,
    WorkerOutcome,
    WorkerReport,
)

KINDS = ("upload", "etl")
DRAIN_WAIT_SECONDS = 1.0  # a draining worker asks "empty?" soon after the last job


def register(commands: Any) -> None:
    worker = commands.add_parser(
        "worker",
        help="do the jobs of the shared queue (or, --kinds etl, load the ETL's S3 events) "
        "until SIGTERM (or, with --drain, until empty)",
    )
    add_queue_option(worker)
    worker.add_argument(
        "--kinds",
        default="upload",
        metavar="KINDS",
        help="upload (the upload jobs of --queue), etl (the S3 events of --etl-queue, "
        "loaded as the Lambda does) or upload,etl; default upload",
    )
    worker.add_argument(
        "--etl-queue",
        metavar="URL",
        help="the S3-event queue for --kinds etl: sqs://NAME or the queue's URL "
        "(default: HMA_ETL_QUEUE_URL)",
    )
    worker.add_argument(
        "--db-retry",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="--kinds etl: while the database is down, try it again this often (default 30)",
    )
    worker.add_argument(
        "--concurrency", type=int, metavar="N",
        help="upload jobs at a time (an ETL worker loads one event at a time)",
    )  # fmt: skip
    worker.add_argument(
        "--drain", action="store_true", help="stop when the queue is empty (nothing in flight)"
    )
    worker.add_argument("--json", action="store_true", help="one JSON object per line")
    worker.set_defaults(handler=cmd_worker)


def cmd_worker(ctx: CliContext) -> int:
    kinds = [k.strip() for k in (ctx.args.kinds or "upload").split(",") if k.strip()]
    if not kinds or any(k not in KINDS for k in kinds):
        ctx.err(f"hma-ingest: --kinds takes upload, etl or upload,etl, not {ctx.args.kinds!r}")
        return ExitStatus.ERROR
    if ctx.args.concurrency is not None and "upload" not in kinds:
        ctx.err(
            "hma-ingest: --concurrency sets how many upload jobs run at a time; an ETL worker "
            "loads one S3 event at a time (start more workers to load more files at once)"
        )
        return ExitStatus.ERROR
    runs: list[WorkerRun] = []
    if "upload" in kinds:
        upload = _upload_run(ctx)
        if isinstance(upload, int):
            return upload
        runs.append(upload)
    if "etl" in kinds:
        from hma_gui.cli.etl_worker_cmd import etl_run

        etl = etl_run(ctx)
        if isinstance(etl, int):
            return etl
        runs.append(etl)
    signals = _StopOnSignals([run.worker for run in runs])
    with signals:
        codes = run_all(runs)
    if signals.interrupted:
        return ExitStatus.INTERRUPTED
    return max(codes)


def _upload_run(ctx: CliContext) -> WorkerRun | int:
    from hma_gui.core.queue.path_map import PathMap
    from hma_gui.core.queue.upload_job import DeliveryCheck
    from hma_gui.core.upload.uploader import Uploader

    settings = ctx.settings()
    concurrency = ctx.args.concurrency or settings.concurrency
    if concurrency < 1:
        ctx.err("hma-ingest: --concurrency must be at least 1")
        return ExitStatus.ERROR
    queue = ctx.queue(ctx.args.queue)
    client = ctx.s3()
    check = DeliveryCheck(
        client,
        path_map=PathMap(settings.queue_path_map),
        endpoint=settings.effective_endpoint(),
        sse=settings.sse,
    )
    options = WorkerOptions(
        concurrency=concurrency,
        lease_seconds=settings.queue_lease_seconds,
        drain=ctx.args.drain,
        wait_seconds=DRAIN_WAIT_SECONDS if ctx.args.drain else WorkerOptions.wait_seconds,
    )
    uploader = Uploader.for_settings(settings, client)
    worker = QueueWorker(queue, uploader, check, options, on_outcome=_printer(ctx))

    def finish(report: WorkerReport) -> int:
        _summary(ctx, report, queue.name)
        if report.stop_reason not in (None, "drained", "SIGTERM", "SIGINT"):
            ctx.err(f"hma-ingest: stopped: {report.stop_reason}")
            return ExitStatus.ERROR
        return ExitStatus.SOME_FAILED if report.failed else ExitStatus.OK

    return WorkerRun(worker, finish)


class _StopOnSignals:
    """First SIGTERM/SIGINT: stop receiving; second: interrupt running jobs too."""

    def __init__(self, workers: list[Any]) -> None:
        self._workers = workers
        self._previous: dict[int, Any] = {}
        self.interrupted = False

    def __enter__(self) -> _StopOnSignals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if signum == signal.SIGINT:
            self.interrupted = True
        for worker in self._workers:
            if worker.stopping:
                worker.cancel(name)
            else:
                worker.stop(name)


def _printer(ctx: CliContext) -> Any:
    def show(outcome: WorkerOutcome) -> None:
        if ctx.json_output:
            ctx.out(
                json.dumps(
                    {
                        "job": outcome.delivery.job_id,
                        "outcome": outcome.kind.value,
                        "source": outcome.source,
                        "uri": outcome.uri,
                        "receive_count": outcome.delivery.receive_count,
                        "error": outcome.detail,
                    }
                )
            )
        elif outcome.kind is OutcomeKind.UPLOADED:
            ctx.out(f"uploaded {outcome.source} → {outcome.uri}")
        elif outcome.kind is OutcomeKind.ALREADY_THERE:
            ctx.out(f"already there {outcome.source} → {outcome.uri}")
        elif outcome.kind is OutcomeKind.FAILED:
            source = outcome.source or outcome.delivery.job_id
            ctx.out(f"FAILED {source}: {outcome.detail} (receive {outcome.delivery.receive_count})")

    return show


def _summary(ctx: CliContext, report: WorkerReport, queue_name: str) -> None:
    if ctx.json_output:
        ctx.out(
            json.dumps(
                {
                    "summary": True,
                    "queue": queue_name,
                    "uploaded": report.uploaded,
                    "already_there": report.already_there,
                    "failed": report.failed,
                    "handed_back": report.handed_back,
                    "seconds": round(report.seconds, 3),
                    "stopped": report.stop_reason,
                }
            )
        )
        return
    ctx.out(
        f"{report.uploaded} uploaded, {report.already_there} already there, "
        f"{report.failed} failed, {report.handed_back} handed back — "
        f"{report.seconds:.1f} s on {queue_name} ({report.stop_reason or 'stopped'})"
    )


# --------------------------------------------------------------------- seed entry points


def _entry(prefix: Sequence[str], argv: Sequence[str] | None, stdout: TextIO | None,
           stderr: TextIO | None) -> int:  # fmt: skip
    from hma_gui.cli.main import main

    args = list(sys.argv[1:] if argv is None else argv)
    return main([*prefix, *args], stdout, stderr)


def hma_worker_main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """``hma-worker [--concurrency N] [--drain]`` = ``hma-ingest worker …``."""
    return _entry(["worker"], argv, stdout, stderr)


def hma_producer_main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """``hma-producer --scope mba --input ./data`` = ``hma-ingest produce ./data --scope mba``."""
    return _entry(["--mode", "produce"], argv, stdout, stderr)


def hma_db_main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """``hma-db init | status | history`` = ``hma-ingest db …``."""
    return _entry(["db"], argv, stdout, stderr)


def run_hma_worker() -> None:
    raise SystemExit(hma_worker_main())


def run_hma_producer() -> None:
    raise SystemExit(hma_producer_main())


def run_hma_db() -> None:
    raise SystemExit(hma_db_main())
