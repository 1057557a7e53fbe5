"""``hma-ingest watch``: upload every finished file that appears in folders, until stopped.

A service a user can run on a server: one line per uploaded, skipped or failed
file on stdout, notes on stderr. Ctrl-C exits 130, SIGTERM exits 0; either way
running uploads go back to the queue and the next start catches up.

Files are checked for duplicates before they are queued, as by ``upload``
(`WatchDuplicateCheck`: same policies, ``--no-check-s3``); a watcher cannot
ask, so ``on_duplicate = "ask"`` from the settings means ``skip`` here.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Any

from hma_gui.cli.context import CliContext
from hma_gui.cli.dupes_cmd import add_duplicate_options, open_hash_cache
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.selection import add_selection_options
from hma_gui.cli.upload_cmd import make_uploader, outcome_printer
from hma_gui.core.duplicates.watch_screen import WatchDuplicateCheck
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.upload.executor import QueueMode
from hma_gui.core.upload.store_run import store_executor
from hma_gui.core.watch.folder_watcher import FolderWatcher, watch_folders_from_paths

RETRY_PAUSED_SECONDS = 30.0


def register(commands: Any) -> None:
    watch = commands.add_parser(
        "watch",
        help="upload every finished file that appears in folders, until Ctrl-C",
        description=(
            "Watches folders (or the watch list of the settings) and uploads each file once "
            "it is complete: unchanged for the settle time and readable. Catches up at start."
        ),
    )
    watch.add_argument(
        "paths", nargs="*", metavar="FOLDER", help="folders (default: watch_folders in settings)"
    )
    add_selection_options(watch)
    watch.add_argument(
        "--settle", type=float, metavar="SECONDS", help="quiet time before a file counts as done"
    )
    watch.add_argument("--concurrency", type=int, metavar="N", help="parallel uploads")
    add_duplicate_options(watch)
    watch.set_defaults(handler=cmd_watch)


def cmd_watch(ctx: CliContext, *, stop: threading.Event | None = None) -> int:
    args = ctx.args
    settings = ctx.settings()
    if args.follow_symlinks:
        settings = settings.model_copy(update={"follow_symlinks": True})
    if args.paths:
        folders = watch_folders_from_paths(
            args.paths, scope=args.scope, include=args.include or [], exclude=args.exclude or []
        )
    else:
        folders = [f for f in settings.watch_folders if f.enabled]
    if not folders:
        ctx.err("hma-ingest: nothing to watch: name folders or add watch_folders to the settings")
        return ExitStatus.ERROR
    for folder in folders:
        if folder.scope != "auto":
            settings.scope(folder.scope)
        if not Path(folder.path).expanduser().is_dir():
            ctx.err(f"hma-ingest: cannot watch {folder.path}: not a folder")
            return ExitStatus.ERROR
    if args.on_duplicate == "ask":
        ctx.err("hma-ingest: watch cannot ask about duplicates; use skip, overwrite or keep-both")
        return ExitStatus.ERROR
    store = ctx.store()
    store.recover_orphans()
    batch = store.new_batch("watch: " + " ".join(str(f.path) for f in folders)[:200])
    md5_cache = open_hash_cache(ctx)
    uploader = make_uploader(ctx, md5_cache=md5_cache)
    check = _duplicate_check(ctx, store, md5_cache, batch)
    executor = store_executor(
        store,
        uploader,
        concurrency=args.concurrency or settings.concurrency,
        batch_id=batch,
        on_outcome=outcome_printer(ctx, always=True),
    )

    def enqueued(ids: list[int]) -> None:
        for job_id in ids:
            job = store.get(job_id)
            if job is not None and job.state is JobState.FAILED:
                ctx.out(f"FAILED {job.source}: {job.error}")
            elif job is not None and job.state is JobState.SKIPPED:
                ctx.out(f"skipped {job.source}: {job.error}")
        executor.wake()

    watcher = FolderWatcher(
        folders, settings, store, batch_id=batch, md5_cache=md5_cache, prepare=check,
        on_enqueued=enqueued, settle_seconds=args.settle,
    )  # fmt: skip
    stop = stop or threading.Event()
    terminated = threading.Event()

    def on_sigterm() -> None:
        terminated.set()
        stop.set()

    with _on_sigterm(on_sigterm):
        watcher.start()
        executor.start()
        for path in watcher.folders:
            ctx.err(f"watching {path}")
        ctx.err("press Ctrl-C to stop")
        interrupted = False
        try:
            since_pause = 0.0
            while not stop.wait(0.5):
                since_pause = since_pause + 0.5 if executor.mode is QueueMode.PAUSED else 0.0
                if since_pause >= RETRY_PAUSED_SECONDS:  # a dead endpoint: try again now and then
                    executor.resume()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            watcher.stop()
            executor.shutdown(timeout=60)  # running uploads go back to the queue
            if md5_cache is not None:
                md5_cache.close()
    counters = store.counters(batch)
    ctx.err(f"stopped: {counters.done} uploaded, {counters.failed} failed in this session")
    if interrupted and not terminated.is_set():
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK


def _duplicate_check(
    ctx: CliContext, store: JobStore, cache: HashCache | None, batch: int
) -> WatchDuplicateCheck | None:
    """The `prepare` hook: the check as ``upload`` runs it, with a policy that never asks."""
    settings = ctx.settings()
    enabled = ctx.args.check_s3 if ctx.args.check_s3 is not None else settings.check_s3
    if not enabled:
        return None
    policy = ctx.args.on_duplicate or settings.on_duplicate
    if policy == "ask":
        ctx.err("hma-ingest: on_duplicate = ask cannot ask while watching; using skip")
        policy = "skip"
    checked = settings.model_copy(update={"check_s3": True})
    return WatchDuplicateCheck(
        store, lambda: (checked, ctx.s3()), cache=cache, policy=policy, uploads_batch=batch
    )


@contextlib.contextmanager
def _on_sigterm(handler: Any) -> Any:
    """Treat SIGTERM (a service manager stopping us) as a clean stop, in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: handler())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
