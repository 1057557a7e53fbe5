"""``upload``, ``resume``, ``retry-failed`` and ``status``."""

from __future__ import annotations

import argparse
import gc
from typing import Any

from hma_gui.cli.context import CliContext
from hma_gui.cli.dupes_cmd import (
    add_duplicate_options,
    check_before_upload,
    combine_status,
    open_hash_cache,
)
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.progress_line import ProgressLine
from hma_gui.core.files.key_convention import AUTO_SCOPE
from hma_gui.core.hashes.digests import Md5Cache
from hma_gui.core.jobs.plan import Plan, PlanOptions, plan
from hma_gui.core.jobs.store import Counters, Job, JobState
from hma_gui.core.rate_meter import format_bytes, format_seconds
from hma_gui.core.upload.runner import JobOutcome, RunReport, UploadRunner
from hma_gui.core.upload.uploader import UploadConfig, Uploader


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """--scope, --include, --exclude: shared by upload, check-duplicates and watch."""
    parser.add_argument(
        "--scope",
        default=AUTO_SCOPE,
        help="scope of the files (mba, policy, …) or 'auto' to read it from the folder names",
    )
    parser.add_argument(
        "--include",
        action="append",
        metavar="EXT",
        help="only these extensions (repeat or comma-separate: --include csv,pdf)",
    )
    parser.add_argument("--exclude", action="append", metavar="EXT", help="never these extensions")


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
    add_duplicate_options(upload)
    upload.set_defaults(handler=cmd_upload)

    resume = commands.add_parser(
        "resume", help="finish unfinished jobs (after a crash, Ctrl-C or a dead endpoint)"
    )
    resume.add_argument("--concurrency", type=int, metavar="N")
    resume.add_argument("--json", action="store_true")
    resume.set_defaults(handler=cmd_resume)

    retry = commands.add_parser("retry-failed", help="queue every failed job again and run them")
    retry.add_argument("--concurrency", type=int, metavar="N")
    retry.add_argument("--json", action="store_true")
    retry.set_defaults(handler=cmd_retry_failed)

    status = commands.add_parser("status", help="counters and unfinished or failed jobs")
    status.add_argument("--json", action="store_true")
    status.add_argument("--limit", type=int, default=20, help="jobs listed per state")
    status.set_defaults(handler=cmd_status)


# --------------------------------------------------------------------- upload


def plan_options(ctx: CliContext) -> PlanOptions:
    args = ctx.args
    return PlanOptions.from_settings(
        ctx.settings(), scope=args.scope, include=args.include, exclude=args.exclude
    )


def cmd_upload(ctx: CliContext) -> int:
    settings = ctx.settings()
    options = plan_options(ctx)
    if options.scope != AUTO_SCOPE:
        settings.scope(options.scope)  # unknown scope: a usage error, before any work
    planned = plan(ctx.args.paths, settings, options)
    if ctx.args.dry_run:
        return _print_dry_run(ctx, planned)
    jobs, duplicates = check_before_upload(ctx, planned)
    if jobs is None:
        return duplicates
    store = ctx.store()
    batch = store.new_batch("cli upload: " + " ".join(ctx.args.paths)[:200])
    store.enqueue(jobs, batch)
    return combine_status(run_queue(ctx, batch_id=batch, discovery=planned), duplicates)


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


def run_queue(ctx: CliContext, *, batch_id: int | None, discovery: Plan | None = None) -> int:
    """Upload the queued jobs of `batch_id` (all when None) and print the summary."""
    settings = ctx.settings()
    store = ctx.store()
    concurrency = getattr(ctx.args, "concurrency", None) or settings.concurrency
    if concurrency < 1:
        ctx.err("hma-ingest: --concurrency must be at least 1")
        return ExitStatus.ERROR
    md5_cache = open_hash_cache(ctx)
    uploader = make_uploader(ctx, md5_cache=md5_cache)
    runner = UploadRunner(
        store, uploader, concurrency=concurrency, batch_id=batch_id, on_outcome=outcome_printer(ctx)
    )
    interrupted = False
    # Start-up leaves ~85,000 long-lived objects (boto3's models, pydantic, the plan);
    # the collector's full passes would walk them again and again while thousands of
    # requests allocate (5 % of the CPU of a 2,000-file upload). Frozen, they are skipped;
    # thawed afterwards, so that a caller of `main()` (tests, the GUI) keeps collecting them.
    gc.freeze()
    try:
        if ctx.interactive:
            with ProgressLine(
                ctx.stderr, lambda: (store.counters(batch_id), runner.progress.inflight_bytes())
            ):
                report = runner.run()
        else:
            report = runner.run()
    except KeyboardInterrupt:
        interrupted = True
        report = RunReport(store.counters(batch_id), 0.0, "interrupted", True)
    finally:
        gc.unfreeze()
        uploader.close()
        if md5_cache is not None:
            md5_cache.close()
    return _summarize(ctx, report, batch_id, discovery, interrupted)


def make_uploader(ctx: CliContext, *, md5_cache: Md5Cache | None = None) -> Uploader:
    settings = ctx.settings()
    return Uploader(
        ctx.s3(),
        UploadConfig.from_settings(settings),
        md5_cache=md5_cache,
        endpoint=settings.effective_endpoint(),
    )


def outcome_printer(ctx: CliContext, *, always: bool = False) -> Any:
    """One line per finished file, unless a progress bar or JSON output is shown."""
    if not always and (ctx.interactive or ctx.json_output):
        return None

    def show(outcome: JobOutcome) -> None:
        job = outcome.job
        if outcome.state is JobState.DONE:
            ctx.out(f"uploaded {job.source} → s3://{job.bucket}/{job.key}")
        elif outcome.state is JobState.FAILED:
            ctx.out(f"FAILED {job.source}: {outcome.error}")

    return show


def _summarize(
    ctx: CliContext,
    report: RunReport,
    batch_id: int | None,
    discovery: Plan | None,
    interrupted: bool,
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
                "interrupted": interrupted,
                "filtered": discovery.stats.filtered if discovery else 0,
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
        if report.stop_reason and not interrupted:
            ctx.err(f"hma-ingest: stopped: {report.stop_reason}")
        if interrupted or left:
            ctx.err("hma-ingest: unfinished jobs are kept; run `hma-ingest resume` to finish them")
        if ctx.sandboxed:
            _list_sandbox_objects(ctx)
    if interrupted:
        return ExitStatus.INTERRUPTED
    if report.stop_reason:
        return ExitStatus.ERROR
    return ExitStatus.SOME_FAILED if counters.failed or counters.pending else ExitStatus.OK


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
        "queued": counters.queued,
        "running": counters.running,
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
    orphans = store.recover_orphans()
    again = store.retry_failed(only_retryable=True)
    queued = store.counters().queued
    if not ctx.json_output:
        ctx.out(
            f"resuming {queued} jobs ({orphans} interrupted, {again} failed on a temporary error)"
        )
    return run_queue(ctx, batch_id=None)


def cmd_retry_failed(ctx: CliContext) -> int:
    store = ctx.store()
    store.recover_orphans()
    again = store.retry_failed()
    if not ctx.json_output:
        ctx.out(f"retrying {again} failed jobs")
    return run_queue(ctx, batch_id=None)


def cmd_status(ctx: CliContext) -> int:
    store = ctx.store()
    store.recover_orphans()
    counters = store.counters()
    limit = max(0, ctx.args.limit)
    lists = {
        state: store.jobs(state=state, limit=limit)
        for state in (JobState.RUNNING, JobState.QUEUED, JobState.FAILED)
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
        f"{counters.queued} queued, {counters.running} running, {counters.done} uploaded, "
        f"{counters.skipped} skipped, {counters.failed} failed"
        + (f", {counters.needs_scope} need a scope" if counters.needs_scope else "")
        + f" — {format_bytes(counters.bytes_done)} of {format_bytes(counters.bytes_total)}"
    )
    for state, jobs in lists.items():
        for job in jobs:
            target = job.uri or "(no target)"
            error = f": {job.error}" if job.error else ""
            ctx.out(f"  {state.value:8} {_short(job.source)} → {target}{error}")
    ctx.out(f"job store: {store.path}")
    return ExitStatus.OK


def _short(path: str, width: int = 60) -> str:
    if len(path) <= width:
        return path
    return "…" + path[-(width - 1) :]
