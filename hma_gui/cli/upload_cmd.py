"""``upload``, ``resume``, ``retry-failed`` and ``status``."""

from __future__ import annotations

import gc
import time
from typing import Any

from hma_gui.cli.context import CliContext
from hma_gui.cli.dupes_cmd import (
    DECIDING_POLICIES,
    WAITING_HINT,
    add_duplicate_options,
    check_before_upload,
    checks_s3,
    combine_status,
    decide_waiting,
    listed_early,
    open_hash_cache,
)
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.progress_line import ProgressLine
from hma_gui.cli.selection import add_selection_options, plan_options
from hma_gui.core.files.key_convention import AUTO_SCOPE
from hma_gui.core.hashes.digests import Md5Cache
from hma_gui.core.jobs.enqueue import EnqueueSummary
from hma_gui.core.jobs.plan import Plan, plan
from hma_gui.core.jobs.store import Counters, Job, JobState
from hma_gui.core.rate_meter import format_bytes, format_seconds
from hma_gui.core.upload.job_run import JobOutcome
from hma_gui.core.upload.store_run import RunReport, run_to_end, store_executor
from hma_gui.core.upload.uploader import Uploader


def register(commands: Any) -> None:
    upload = commands.add_parser(
        "upload",
        help="upload files and folders to S3 by the key convention",
        description="Discover files, build their S3 keys, queue them durably and upload them.",
    )
    upload.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    add_selection_options(upload)
    upload.add_argument("--dry-run", action="store_true", help="list source → s3://bucket/key only")
    upload.add_argument("--concurrency", type=int, metavar="N", help="parallel uploads")
    upload.add_argument("--json", action="store_true", help="machine-readable result")
    upload.add_argument(
        "--again",
        action="store_true",
        help="upload files again that this job store uploaded before and that did not change "
        "since (by default they are left out and counted as already uploaded)",
    )
    add_duplicate_options(upload)
    upload.set_defaults(handler=cmd_upload, kept_settings=True)

    resume = commands.add_parser(
        "resume", help="finish unfinished jobs (after a crash, Ctrl-C or a dead endpoint)"
    )
    resume.add_argument("--concurrency", type=int, metavar="N")
    resume.add_argument("--json", action="store_true")
    resume.add_argument(
        "--on-duplicate",
        choices=DECIDING_POLICIES,
        help="also decide the files waiting for a duplicate decision (left by the desktop "
        "app's ask): they are checked again and skipped, overwritten or kept both",
    )
    resume.set_defaults(handler=cmd_resume, kept_settings=True)

    retry = commands.add_parser("retry-failed", help="queue every failed job again and run them")
    retry.add_argument("--concurrency", type=int, metavar="N")
    retry.add_argument("--json", action="store_true")
    retry.set_defaults(handler=cmd_retry_failed, kept_settings=True)

    status = commands.add_parser("status", help="counters and unfinished or failed jobs")
    status.add_argument("--json", action="store_true")
    status.add_argument("--limit", type=int, default=20, help="jobs listed per state")
    status.set_defaults(handler=cmd_status, kept_settings=True)


# --------------------------------------------------------------------- upload


def cmd_upload(ctx: CliContext) -> int:
    settings = ctx.settings()
    options = plan_options(ctx)
    if options.scope != AUTO_SCOPE:
        settings.scope(options.scope)  # unknown scope: a usage error, before any work
    comparing = not ctx.args.dry_run and checks_s3(ctx)
    inventory = listed_early(ctx, options.scope) if comparing else None
    planned = plan(ctx.args.paths, settings, options)
    if ctx.args.dry_run:
        return _print_dry_run(ctx, planned)
    jobs, duplicates = check_before_upload(ctx, planned, inventory=inventory)
    if jobs is None:
        return duplicates
    store = ctx.store()
    batch = store.new_batch("cli upload: " + " ".join(ctx.args.paths)[:200])
    # Another process's files (uploaded, or queued by a live one) are not this batch's.
    intake = EnqueueSummary.of(store.enqueue_files(jobs, batch, requeue_done=ctx.args.again))
    status = run_queue(ctx, batch_id=batch, discovery=planned, intake=intake)
    return combine_status(status, duplicates)


def _print_dry_run(ctx: CliContext, planned: Plan) -> int:
    if ctx.json_output:
        ctx.emit_json(
            {
                "dry_run": True,
                "jobs": [_new_job_dict(j) for j in planned.jobs],
                "filtered": planned.stats.filtered,
            }
        )
    else:
        for job in planned.jobs:
            if job.state is JobState.QUEUED:
                ctx.out(f"{job.source} → s3://{job.bucket}/{job.key}")
            else:
                ctx.out(f"{job.source} ✗ {job.error}")
        total = sum(j.size for j in planned.queued)
        ctx.out(
            f"dry run: {len(planned.queued)} files ({format_bytes(total)}) would be uploaded, "
            f"{len(planned.failed)} cannot be, {planned.stats.filtered} filtered out; "
            "nothing was uploaded"
        )
    return ExitStatus.SOME_FAILED if planned.failed else ExitStatus.OK


def _new_job_dict(job: Any) -> dict[str, Any]:
    return {
        "source": job.source,
        "bucket": job.bucket,
        "key": job.key,
        "size": job.size,
        "state": job.state.value,
        "error": job.error,
    }


# --------------------------------------------------------------------- run


def run_queue(
    ctx: CliContext,
    *,
    batch_id: int | None,
    discovery: Plan | None = None,
    intake: EnqueueSummary | None = None,
) -> int:
    """Upload the queued jobs of `batch_id` (all when None) and print the summary."""
    settings = ctx.settings()
    store = ctx.store()
    concurrency = getattr(ctx.args, "concurrency", None) or settings.concurrency
    if concurrency < 1:
        ctx.err("hma-ingest: --concurrency must be at least 1")
        return ExitStatus.ERROR
    md5_cache = open_hash_cache(ctx)
    uploader = make_uploader(ctx, md5_cache=md5_cache)
    executor = store_executor(
        store, uploader, concurrency=concurrency, batch_id=batch_id, on_outcome=outcome_printer(ctx)
    )
    interrupted = False
    # Start-up leaves ~85,000 long-lived objects (botocore's models, pydantic, the plan);
    # the collector's full passes would walk them again and again while thousands of
    # requests allocate (5 % of the CPU of a 2,000-file upload). Frozen, they are skipped;
    # thawed afterwards, so that a caller of `main()` (tests, the GUI) keeps collecting them.
    gc.freeze()
    try:
        if ctx.interactive:
            with ProgressLine(
                ctx.stderr, lambda: (store.counters(batch_id), executor.progress.inflight_bytes())
            ):
                report = run_to_end(executor, store, batch_id)
        else:
            report = run_to_end(executor, store, batch_id)
    except KeyboardInterrupt:
        interrupted = True
        report = RunReport(store.counters(batch_id), 0.0, "interrupted", None, True)
    finally:
        gc.unfreeze()
        uploader.close()
        if md5_cache is not None:
            md5_cache.close()
    return _summarize(ctx, report, batch_id, discovery, interrupted, intake or EnqueueSummary())


FLUSH_EVERY = 0.25  # seconds between flushes of the per-file lines of a run


def make_uploader(ctx: CliContext, *, md5_cache: Md5Cache | None = None) -> Uploader:
    return Uploader.for_settings(ctx.settings(), ctx.s3(), md5_cache=md5_cache)


def outcome_printer(ctx: CliContext, *, always: bool = False) -> Any:
    """One line per finished file, unless a progress bar or JSON output is shown.

    A run's lines (not `always`: the watcher's, which must show at once) reach the
    output a few times a second, not a write per file; the summary flushes the rest.
    """
    if not always and (ctx.interactive or ctx.json_output):
        return None
    every = 0.0 if always else FLUSH_EVERY
    flushed = [time.monotonic()]

    def show(outcome: JobOutcome) -> None:
        job = outcome.job
        if outcome.state is JobState.DONE:
            line = f"uploaded {job.source} → s3://{job.bucket}/{job.key}\n"
        elif outcome.state is JobState.FAILED:
            line = f"FAILED {job.source}: {outcome.error}\n"
        else:
            return
        with ctx.output_lock:  # called from every upload thread at once
            ctx.stdout.write(line)
            now = time.monotonic()
            if now - flushed[0] >= every:
                flushed[0] = now
                ctx.stdout.flush()

    return show


def _summarize(
    ctx: CliContext,
    report: RunReport,
    batch_id: int | None,
    discovery: Plan | None,
    interrupted: bool,
    intake: EnqueueSummary,
) -> int:
    store = ctx.store()
    counters = store.counters(batch_id)
    failed = store.jobs(state=JobState.FAILED, batch_id=batch_id) if batch_id is not None else []
    if batch_id is None:
        failed = store.jobs(state=JobState.FAILED)
    if ctx.json_output:
        jobs = store.jobs(batch_id=batch_id) if batch_id is not None else failed
        ctx.emit_json(
            {
                **_counters_dict(counters),
                "seconds": round(report.seconds, 3),
                "stopped": report.stop_reason,
                "paused": report.paused_reason,
                "interrupted": interrupted,
                "filtered": discovery.stats.filtered if discovery else 0,
                "already_uploaded": intake.done_before,
                "elsewhere": intake.held,
                "elsewhere_processes": list(intake.holders),
                "jobs": [_job_dict(j) for j in jobs],
            }
        )
    else:
        for job in failed[:50]:
            ctx.err(f"failed: {job.source}: {job.error}")
        if len(failed) > 50:
            ctx.err(f"… and {len(failed) - 50} more failures (hma-ingest status)")
        left = counters.queued + counters.running
        tail = f", {left} not started" if left else ""
        filtered = (
            f" ({discovery.stats.filtered} filtered out)"
            if discovery and discovery.stats.filtered
            else ""
        )
        ctx.out(
            f"{counters.done} uploaded, {counters.skipped} skipped, {counters.failed} failed"
            f"{tail}{filtered} — {format_bytes(counters.bytes_done)}"
            f" in {format_seconds(report.seconds)}"
        )
        _print_intake(ctx, intake)
        if report.stop_reason and not interrupted:
            ctx.err(f"hma-ingest: stopped: {report.stop_reason}")
        elif report.paused_reason and not interrupted:
            ctx.err(f"hma-ingest: paused: {report.paused_reason}")
        if interrupted or left:
            ctx.err("hma-ingest: unfinished jobs are kept; run `hma-ingest resume` to finish them")
        if ctx.sandboxed:
            _list_sandbox_objects(ctx)
    if interrupted:
        return ExitStatus.INTERRUPTED
    if report.stop_reason:
        return ExitStatus.ERROR
    return ExitStatus.SOME_FAILED if counters.failed or counters.pending else ExitStatus.OK


def _print_intake(ctx: CliContext, intake: EnqueueSummary) -> None:
    if intake.done_before:
        ctx.out(
            f"{intake.done_before} already uploaded and unchanged since: not uploaded again "
            "(--again uploads them anyway)"
        )
    if intake.held:
        ctx.out(
            f"{intake.held} queued or uploading in another process on the same job store "
            f"({intake.holder_names()}): left to it"
        )


def _list_sandbox_objects(ctx: CliContext) -> None:
    client = ctx.s3()
    settings = ctx.settings()
    ctx.out("in the sandbox:")
    for bucket in sorted({s.bucket for s in settings.scopes.values()}):
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                ctx.out(f"  s3://{bucket}/{obj['Key']}  {format_bytes(obj['Size'])}")


def _counters_dict(counters: Counters) -> dict[str, int]:
    return {
        "uploaded": counters.done,
        "skipped": counters.skipped,
        "failed": counters.failed,
        "waiting": counters.waiting,
        "queued": counters.queued,
        "running": counters.running,
        "sent": counters.sent,  # of running: on a shared queue, run by its workers
        "needs_scope": counters.needs_scope,
        "bytes_total": counters.bytes_total,
        "bytes_done": counters.bytes_done,
    }


def _job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "source": job.source,
        "bucket": job.bucket,
        "key": job.key,
        "size": job.size,
        "state": job.state.value,
        "attempts": job.attempts,
        "error": job.error,
        "etag": job.etag,
        "md5": job.md5,
    }


# --------------------------------------------------------------------- resume & co


def cmd_resume(ctx: CliContext) -> int:
    store = ctx.store()
    decided: int = ExitStatus.OK
    if ctx.args.on_duplicate and store.has_waiting():
        decided = decide_waiting(ctx, ctx.args.on_duplicate)
    orphans = store.recover_orphans()
    again = store.retry_failed(only_retryable=True)
    abort_orphaned_multipart(ctx)
    queued = store.counters().queued
    if not ctx.json_output:
        ctx.out(
            f"resuming {queued} jobs ({orphans} interrupted, {again} failed on a temporary error)"
        )
    return combine_status(run_queue(ctx, batch_id=None), decided)


def cmd_retry_failed(ctx: CliContext) -> int:
    store = ctx.store()
    store.recover_orphans()
    again = store.retry_failed()
    abort_orphaned_multipart(ctx)
    if not ctx.json_output:
        ctx.out(f"retrying {again} failed jobs")
    return run_queue(ctx, batch_id=None)


def abort_orphaned_multipart(ctx: CliContext) -> None:
    """Abort our multipart uploads no job will resume; a failure only delays that."""
    store = ctx.store()
    if not store.multipart.open_uploads():
        return  # nothing of ours unfinished: no client, no request
    from hma_gui.core.upload.orphans import abort_orphaned_uploads

    try:
        abort_orphaned_uploads(store, ctx.s3())
    except Exception as exc:  # noqa: BLE001 - resume goes on; the next one tries again
        ctx.err(f"hma-ingest: unfinished multipart uploads were not checked: {exc}")


def cmd_status(ctx: CliContext) -> int:
    store = ctx.store()
    store.recover_orphans()
    counters = store.counters()
    limit = max(0, ctx.args.limit)
    lists = {
        state: store.jobs(state=state, limit=limit)
        for state in (JobState.RUNNING, JobState.QUEUED, JobState.FAILED, JobState.WAITING)
    }
    if ctx.json_output:
        ctx.emit_json(
            {
                **_counters_dict(counters),
                "store": str(store.path),
                "jobs": {s.value: [_job_dict(j) for j in js] for s, js in lists.items()},
            }
        )
        return ExitStatus.OK
    ctx.out(
        f"{counters.queued} queued, {counters.running} running"
        + (f" ({counters.sent} of them on a shared queue)" if counters.sent else "")
        + f", {counters.done} uploaded, "
        f"{counters.skipped} skipped, {counters.failed} failed, "
        f"{counters.waiting} waiting for a duplicate decision"
        + (f", {counters.needs_scope} need a scope" if counters.needs_scope else "")
        + f" — {format_bytes(counters.bytes_done)} of {format_bytes(counters.bytes_total)}"
    )
    for state, jobs in lists.items():
        for job in jobs:
            target = job.uri or "(no target)"
            error = f": {job.error}" if job.error else ""
            ctx.out(f"  {state.value:8} {_short(job.source)} → {target}{error}")
    if counters.waiting:
        ctx.err(WAITING_HINT.format(count=counters.waiting))
    ctx.out(f"job store: {store.path}")
    return ExitStatus.OK


def _short(path: str, width: int = 60) -> str:
    if len(path) <= width:
        return path
    return "…" + path[-(width - 1) :]
