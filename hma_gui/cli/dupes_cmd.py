"""``check-duplicates``, ``cache``, and the duplicate check that runs before ``upload``.

Exit codes of ``check-duplicates``: 0 when the check ran (duplicates found or
not: they are the result), 1 when S3 holds conflicting or undecidable objects
at some files' keys or some files could not be compared, 2 for usage or
configuration errors.

``upload --on-duplicate ask`` prompts on a terminal. Without one (a script,
cron), ``--on-duplicate ask`` given on the command line is a usage error
(exit 2), while ``on_duplicate = "ask"`` from the settings falls back to the
CLI default, ``skip``, with a note: a setting meant for the desktop app must
not break a scheduled upload.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, get_args

from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.progress_line import TerminalLine
from hma_gui.cli.selection import add_selection_options, plan_options
from hma_gui.core.config.policies import DuplicatePolicy
from hma_gui.core.duplicates.local import LocalDuplicateFinder, ScanIssue, pause_gc
from hma_gui.core.duplicates.report import FORMATS, DuplicateReport, format_for
from hma_gui.core.errors import AuthError, UploadError
from hma_gui.core.files.key_convention import AUTO_SCOPE
from hma_gui.core.hashes.hash_cache import HashCache, default_cache_path
from hma_gui.core.rate_meter import format_bytes

if TYPE_CHECKING:  # the S3 side is imported when used: every command loads this module
    from hma_gui.core.duplicates.decisions import DuplicateReview
    from hma_gui.core.jobs.plan import Plan
    from hma_gui.core.jobs.store import NewJob
    from hma_gui.core.s3.inventory import S3Inventory

POLICIES = get_args(DuplicatePolicy)
DECIDING_POLICIES = tuple(p for p in POLICIES if p != "ask")
# What a CLI user can do about files the desktop app left waiting for a decision.
WAITING_HINT = (
    "hma-ingest: {count} file(s) wait for a duplicate decision; decide them with "
    "`hma-ingest resume --on-duplicate skip|overwrite|keep-both` (checked against S3 again), "
    "or in the desktop app's duplicate review"
)

TABLE_LIMIT_WITH_REPORT = 20  # groups listed on the terminal when the full report goes to a file


def register(commands: Any) -> None:
    check = commands.add_parser(
        "check-duplicates",
        help="find duplicate files, and with --check-s3 what is already in S3",
        description=(
            "Groups files with the same content (size, then the first 4 KiB, then the MD5), "
            "and with --check-s3 classifies every file against S3: new, already uploaded, "
            "conflict, or duplicate elsewhere. Nothing is uploaded or deleted."
        ),
        epilog="Exit codes: 0 checked, 1 conflicts in S3 or files not compared, 2 usage error.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    add_selection_options(check)
    check.add_argument(
        "--check-s3", action="store_true", help="also compare every file with its S3 target"
    )
    check.add_argument("--report", type=Path, metavar="FILE", help="write the full report here")
    check.add_argument(
        "--format",
        choices=FORMATS,
        help="json, csv or table: what is printed (default table), and the report's format "
        "(default: from FILE's extension, .csv or JSON)",
    )
    check.add_argument("--no-cache", action="store_true", help="hash without the hash cache")
    check.add_argument("--clear-cache", action="store_true", help="empty the hash cache first")
    check.add_argument("--workers", type=int, metavar="N", help="hashing threads")
    check.set_defaults(handler=cmd_check_duplicates, kept_settings=True)

    cache = commands.add_parser("cache", help="the hash cache (MD5s of files seen before)")
    sub = cache.add_subparsers(dest="cache_command", metavar="{info,clear}")
    sub.add_parser("info", help="where the cache is and how many files it knows").set_defaults(
        handler=cmd_cache_info
    )
    sub.add_parser("clear", help="forget every cached hash").set_defaults(handler=cmd_cache_clear)
    cache.set_defaults(handler=cmd_cache_info)


def add_duplicate_options(parser: argparse.ArgumentParser) -> None:
    """``upload``'s options: --no-check-s3 and --on-duplicate."""
    parser.add_argument(
        "--no-check-s3",
        dest="check_s3",
        action="store_false",
        default=None,
        help="upload without checking S3 for duplicates first",
    )
    parser.add_argument(
        "--on-duplicate",
        choices=POLICIES,
        help="what to do with files already in S3 or conflicting with an object: skip "
        "(default: identical files skipped, conflicts reported and not uploaded, exit 1), "
        "overwrite, keep-both (upload as name__2.ext) or ask (terminal only)",
    )


# --------------------------------------------------------------------- check-duplicates


def cmd_check_duplicates(ctx: CliContext) -> int:
    args = ctx.args
    settings = ctx.settings()  # kept values when unchanged: no pydantic import
    if args.scope != AUTO_SCOPE:
        settings.scope(args.scope)  # unknown scope: a usage error, before any work
    options = plan_options(ctx, settings)
    if args.workers is not None and args.workers < 1:
        ctx.err("hma-ingest: --workers must be at least 1")
        return ExitStatus.ERROR
    inventory = listed_early(ctx, args.scope) if args.check_s3 else None
    cache = None if args.no_cache else open_hash_cache(ctx)
    try:
        if cache is not None and args.clear_cache:
            ctx.err(f"hash cache cleared ({cache.clear()} files forgotten)")
        progress = _TerminalProgress(ctx.stderr) if ctx.interactive else None
        finder = LocalDuplicateFinder(
            cache=cache, workers=args.workers or settings.hash_workers, progress=progress,
            keep_scans=True,
        )  # fmt: skip
        with pause_gc():  # the walk builds only tuples and lists: nothing for the collector
            walked = finder.walk(args.paths, options.file_filter())  # the one walk of the tree
        local = finder.scan_walked(walked)
        if progress is not None:
            progress.done()
        report = DuplicateReport(roots=list(args.paths), local=local)
        if args.check_s3:
            from hma_gui.core.duplicates.screen import screen_jobs  # imports botocore: only here
            from hma_gui.core.jobs.plan import plan_walked

            planned = plan_walked(walked, args.paths, ctx.settings(), options)
            review = screen_jobs(
                planned.jobs, settings=ctx.settings(), client=ctx.s3(), cache=cache,
                progress=progress, local=local, walked=walked.files, inventory=inventory,
            ).review  # fmt: skip
            report.s3 = review.s3
            report.s3.issues.extend(
                ScanIssue(j.source, f"not compared with S3: {j.error}") for j in planned.failed
            )
            if progress is not None:
                progress.done()
    finally:
        if cache is not None:
            cache.close()
    with pause_gc():
        _output(ctx, report)
    return _check_status(report)


def _output(ctx: CliContext, report: DuplicateReport) -> None:
    args = ctx.args
    if args.report is not None:
        fmt = format_for(args.report, args.format)
        report.save(args.report, fmt)
        ctx.err(f"report written to {args.report} ({fmt})")
    printed = args.format or "table"
    if printed == "table":
        limit = TABLE_LIMIT_WITH_REPORT if args.report is not None else None
        report.write_table(ctx.stdout, limit=limit)
    elif args.report is None:
        report.write(ctx.stdout, printed)
    ctx.stdout.flush()


def _check_status(report: DuplicateReport) -> int:
    problems = bool(report.local and report.local.issues)
    if report.s3 is not None:
        from hma_gui.core.duplicates.s3_check import S3Class

        counts = report.s3.counts()
        problems = problems or bool(
            counts[S3Class.CONFLICT] or counts[S3Class.UNDECIDED] or report.s3.issues
        )
    return ExitStatus.SOME_FAILED if problems else ExitStatus.OK


# --------------------------------------------------------------------- upload's check


def listed_early(ctx: CliContext, scope: str) -> S3Inventory | None:
    """The inventory the S3 check will use, the listing of `scope`'s prefix started now.

    With the scope named before the local work (the walk, the plan, the local
    hashing), S3's answer (a round trip or more per 1,000 objects) comes meanwhile
    instead of after it. None for an automatic scope or one without a bucket.
    """
    if scope == AUTO_SCOPE:
        return None
    target = ctx.settings().scope(scope)
    if not target.bucket:
        return None
    from hma_gui.core.s3.inventory import S3Inventory

    inventory = S3Inventory(ctx.s3(), workers=ctx.settings().concurrency)
    inventory.prefetch(target.bucket, target.prefix)
    return inventory


def checks_s3(ctx: CliContext) -> bool:
    """Whether this command compares with S3 (``--check-s3``/``--no-check-s3``, else settings)."""
    return bool(ctx.args.check_s3 if ctx.args.check_s3 is not None else ctx.settings().check_s3)


def check_before_upload(
    ctx: CliContext, planned: Plan, *, inventory: S3Inventory | None = None
) -> tuple[list[NewJob] | None, int]:
    """The planned jobs with duplicate decisions applied, and the exit status they imply.

    ``(None, status)`` means: do not upload (the user quit, or ``ask`` needs a terminal).
    `inventory`: one whose listing was started already (`listed_early`).
    """
    settings = ctx.settings()
    if not checks_s3(ctx) or not planned.queued:
        return planned.jobs, ExitStatus.OK
    from hma_gui.cli.duplicate_prompt import TerminalDecider
    from hma_gui.core.duplicates.screen import screen_jobs

    policy = ctx.args.on_duplicate or settings.on_duplicate
    decider = None
    if policy == "ask":
        if _terminal(ctx):
            decider = TerminalDecider(sys.stdin, ctx.stderr)
        elif ctx.args.on_duplicate == "ask":
            ctx.err(
                "hma-ingest: --on-duplicate ask needs a terminal; use skip, overwrite or keep-both"
            )
            return None, ExitStatus.ERROR
        else:
            ctx.err("hma-ingest: on_duplicate = ask needs a terminal; using skip")
            policy = "skip"
    cache = open_hash_cache(ctx)
    progress = _TerminalProgress(ctx.stderr) if ctx.interactive else None
    try:
        screened = screen_jobs(
            planned.jobs, settings=settings, client=ctx.s3(), policy=policy, ask=decider,
            cache=cache, progress=progress, walked=planned.walked, inventory=inventory,
        )  # fmt: skip
    except AuthError:
        raise  # bad credentials: every request would fail alike (exit 2)
    except UploadError as exc:  # S3 unreachable, bucket missing, listing denied
        ctx.err(
            f"hma-ingest: the duplicate check failed: {exc}\n"
            "hma-ingest: nothing was uploaded; --no-check-s3 (or check_s3 = false in the "
            "settings) uploads without the check"
        )
        return None, ExitStatus.SOME_FAILED
    finally:
        if cache is not None:
            cache.close()
        if progress is not None:
            progress.done()
    if screened.cancelled:
        ctx.err("hma-ingest: upload cancelled; nothing was uploaded")
        return None, ExitStatus.INTERRUPTED
    _print_decisions(ctx, screened.review)
    status = ExitStatus.SOME_FAILED if screened.unresolved else ExitStatus.OK
    return screened.jobs, status


def decide_waiting(ctx: CliContext, policy: str) -> int:
    """The files waiting for a decision go through the duplicate screen again, with `policy`."""
    from hma_gui.core.duplicates.stored_decisions import recheck_waiting

    store = ctx.store()
    waiting = store.counters().waiting
    cache = open_hash_cache(ctx)
    try:
        recheck_waiting(store, ctx.settings(), ctx.s3(), policy=policy, cache=cache)
    except AuthError:
        raise
    except UploadError as exc:
        ctx.err(
            f"hma-ingest: the duplicate check failed: {exc}\n"
            "hma-ingest: the files waiting for a duplicate decision still wait"
        )
        return ExitStatus.SOME_FAILED
    finally:
        if cache is not None:
            cache.close()
    ctx.err(f"{waiting} file(s) that waited for a duplicate decision checked again: {policy}")
    return ExitStatus.OK


def combine_status(*statuses: int) -> int:
    """The status that says most: interrupted > error > some failed > ok."""
    order = (ExitStatus.INTERRUPTED, ExitStatus.ERROR, ExitStatus.SOME_FAILED)
    for status in order:
        if status in statuses:
            return status
    return max(statuses, default=ExitStatus.OK)


def _print_decisions(ctx: CliContext, review: DuplicateReview) -> None:
    from hma_gui.core.duplicates.s3_check import S3Class
    from hma_gui.core.jobs.store import Decision

    outcome = review.applied if review.applied is not None else review.resolve()
    skipped = sum(1 for d in outcome if d.decision is Decision.SKIP)
    counts = review.s3.counts()
    requests = review.s3.requests
    ctx.err(
        f"duplicate check: {counts[S3Class.NEW]} new, {counts[S3Class.ALREADY_UPLOADED]} already "
        f"in S3, {counts[S3Class.DUPLICATE_ELSEWHERE]} elsewhere in S3, "
        f"{counts[S3Class.CONFLICT] + counts[S3Class.UNDECIDED]} conflicting, "
        f"{len(review.copy_of)} local copies; {skipped} skipped "
        f"({requests.list_calls} LIST, {requests.head_calls} HEAD)"
    )
    for finding in review.unresolved():
        ctx.err(f"conflict: {finding.path} → {finding.uri}: {finding.detail} (not uploaded)")
    for decided in outcome:
        if decided.decision in (Decision.OVERWRITE, Decision.KEEP_BOTH):
            ctx.err(f"{decided.decision.value}: {decided.path}: {decided.reason}")


# --------------------------------------------------------------------- cache


def cmd_cache_info(ctx: CliContext) -> int:
    path = default_cache_path()
    if not path.exists():
        ctx.out(f"hash cache: {path} (empty)")
        return ExitStatus.OK
    with HashCache(path) as cache:
        count = cache.count()
    ctx.out(f"hash cache: {path}: {count} files, {format_bytes(path.stat().st_size)}")
    return ExitStatus.OK


def cmd_cache_clear(ctx: CliContext) -> int:
    with HashCache(default_cache_path()) as cache:
        removed = cache.clear()
    ctx.out(f"hash cache cleared: {removed} files forgotten")
    return ExitStatus.OK


def open_hash_cache(ctx: CliContext) -> HashCache | None:
    """The hash cache, or None (and a note) when it cannot be opened."""
    try:
        return HashCache(default_cache_path())
    except Exception as exc:  # noqa: BLE001 - the cache is an optimisation, never a failure
        ctx.err(f"hma-ingest: hash cache unavailable ({exc}); hashing without it")
        return None


def _terminal(ctx: CliContext) -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty()) and ctx.interactive


class _TerminalProgress:
    """``hashing 1,234/33,306`` redrawn on one stderr line (`TerminalLine`)."""

    def __init__(self, stream: TextIO) -> None:
        self._line = TerminalLine(stream)

    def update(self, done: int, total: int | None, message: str = "") -> None:
        count = f"{done:,}/{total:,}" if total is not None else ""
        self._line.show(f"{message} {count}", force=total is not None and done >= total)

    def done(self) -> None:
        self._line.end()
