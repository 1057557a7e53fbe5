"""``queue init | status | redrive`` and ``produce``: the shared queue from the command line."""

from __future__ import annotations

import argparse
import time
from typing import Any

from hma_gui.cli.context import CliContext
from hma_gui.cli.dupes_cmd import add_duplicate_options, check_before_upload, combine_status
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.selection import add_selection_options, plan_options
from hma_gui.core.files.key_convention import AUTO_SCOPE
from hma_gui.core.jobs.plan import plan
from hma_gui.core.processes import process_identity


def add_queue_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--queue",
        metavar="URL",
        help="local, sqs://NAME or the queue's https URL (default: HMA_QUEUE_URL, else local)",
    )


def register(commands: Any) -> None:
    queue = commands.add_parser("queue", help="the shared job queue: init, status, redrive")
    sub = queue.add_subparsers(dest="queue_command", metavar="{init,status,redrive}")
    init = sub.add_parser("init", help="create the SQS queue and its dead-letter queue")
    add_queue_option(init)
    init.add_argument(
        "--etl",
        action="store_true",
        help="create the ETL's S3-event queue instead (--queue, else HMA_ETL_QUEUE_URL)",
    )
    init.set_defaults(handler=cmd_queue_init)
    status = sub.add_parser("status", help="counters, dead letters with reasons, workers seen")
    add_queue_option(status)
    status.add_argument("--json", action="store_true")
    status.add_argument("--limit", type=int, default=20, help="dead letters listed")
    status.set_defaults(handler=cmd_queue_status)
    redrive = sub.add_parser("redrive", help="queue every dead-lettered job again")
    add_queue_option(redrive)
    redrive.add_argument("--json", action="store_true")
    redrive.set_defaults(handler=cmd_queue_redrive)
    queue.set_defaults(handler=cmd_queue_status, queue=None, json=False, limit=20)

    produce = commands.add_parser(
        "produce",
        help="discover, key and screen files, then send them to the shared queue",
        description="Plan uploads like `upload` (discovery, keys, duplicate screen) and send "
        "the jobs to the queue for `hma-ingest worker` processes to do.",
    )
    produce.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    add_selection_options(produce)
    add_queue_option(produce)
    produce.add_argument("--json", action="store_true", help="machine-readable result")
    add_duplicate_options(produce)
    produce.set_defaults(handler=cmd_produce)


# --------------------------------------------------------------------- queue


def cmd_queue_init(ctx: CliContext) -> int:
    from hma_gui.core.queue.sqs_setup import QueueLocation, init_queues, make_sqs_client

    settings = ctx.settings()
    if getattr(ctx.args, "etl", False):
        location = QueueLocation.parse(ctx.args.queue or settings.etl_queue_url or "local")
        if location.local:
            ctx.err("hma-ingest: name the ETL queue: --queue sqs://NAME or HMA_ETL_QUEUE_URL")
            return ExitStatus.ERROR
    else:
        location = QueueLocation.parse(ctx.args.queue or settings.queue_url)
    if location.local:
        ctx.out(f"the local queue is the job store; nothing to create ({ctx.store().path})")
        return ExitStatus.OK
    result = init_queues(
        make_sqs_client(settings),
        location.name,
        lease_seconds=settings.queue_lease_seconds,
        max_receives=settings.queue_max_receives,
    )
    verb = "created" if result.created else "up to date"
    ctx.out(f"queue {location.name} {verb}: {result.url}")
    ctx.out(f"dead-letter queue: {result.dlq_url} (after {settings.queue_max_receives} receives)")
    return ExitStatus.OK


def cmd_queue_status(ctx: CliContext) -> int:
    queue = ctx.queue(ctx.args.queue)
    counters = queue.counters()
    letters = queue.dead_letters(limit=max(0, ctx.args.limit))
    workers = queue.workers()
    if ctx.json_output:
        ctx.emit_json(
            {
                "queue": queue.name,
                **counters.as_dict(),
                "dead_letters": [vars_of(d) for d in letters],
                "workers": [vars_of(w) for w in workers],
            }
        )
        return ExitStatus.OK
    ctx.out(
        f"{queue.name}: {counters.queued} queued, {counters.in_flight} in flight, "
        f"{counters.processed} processed, {counters.failed} failed, "
        f"{counters.dead_lettered} dead-lettered"
    )
    for letter in letters:
        ctx.out(f"  dead: {letter.source or letter.job_id} → {letter.uri or '?'}: {letter.reason}")
    now = time.time()
    for worker in workers:
        state = "stopped" if worker.stopped else f"seen {now - worker.last_seen:.0f} s ago"
        ctx.out(
            f"  worker {worker.worker}: {state}, {worker.processed} processed, "
            f"{worker.failed} failed"
        )
    return ExitStatus.OK


def cmd_queue_redrive(ctx: CliContext) -> int:
    queue = ctx.queue(ctx.args.queue)
    moved = queue.redrive()
    if ctx.json_output:
        ctx.emit_json({"queue": queue.name, "redriven": moved})
    else:
        ctx.out(f"{moved} dead-lettered jobs queued again on {queue.name}")
    return ExitStatus.OK


def vars_of(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


# --------------------------------------------------------------------- produce


def cmd_produce(ctx: CliContext) -> int:
    from hma_gui.core.queue.producer import messages_for

    settings = ctx.settings()
    options = plan_options(ctx)
    if options.scope != AUTO_SCOPE:
        settings.scope(options.scope)  # unknown scope: a usage error, before any work
    queue = ctx.queue(ctx.args.queue)  # a missing queue is a configuration error: say it first
    planned = plan(ctx.args.paths, settings, options)
    jobs, screened = check_before_upload(ctx, planned)
    if jobs is None:
        return screened
    messages = messages_for(jobs, sender=process_identity())
    ids = queue.send(messages)
    failed = [job for job in jobs if job.error and job.state.value == "failed"]
    skipped = [job for job in jobs if job.state.value == "skipped"]
    if ctx.json_output:
        ctx.emit_json(
            {
                "queue": queue.name,
                "sent": [
                    {"id": job_id, "source": m.source, "bucket": m.bucket, "key": m.key}
                    for job_id, m in zip(ids, messages, strict=True)
                ],
                "skipped": [{"source": j.source, "reason": j.error} for j in skipped],
                "failed": [{"source": j.source, "reason": j.error} for j in failed],
            }
        )
    else:
        for message in messages:
            ctx.out(f"queued {message.source} → {message.uri}")
        for job in failed:
            ctx.out(f"FAILED {job.source}: {job.error}")
        ctx.out(
            f"{len(messages)} jobs sent to {queue.name}, {len(skipped)} skipped, "
            f"{len(failed)} cannot be sent"
        )
    status = ExitStatus.SOME_FAILED if failed else ExitStatus.OK
    return combine_status(status, screened)
