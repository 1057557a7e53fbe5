"""What the user can do to jobs: retry, remove, clear, set a scope, copy the S3 URI, reveal.

Store writes run on the store pool (never on the main thread, which could
otherwise wait behind a scan's batch insert); the live feed shows the result.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication

from hma_gui.core.config.settings import Settings
from hma_gui.core.jobs.rescope import ScopeResult, set_scope
from hma_gui.core.jobs.store import Job, JobState, JobStore, NewJob
from hma_gui.ui.tasks import Pools, run_task

logger = logging.getLogger(__name__)

CHUNK = 10_000  # ids per statement, well below SQLite's variable limit


class JobActions(QObject):
    queued_again = Signal(int)  # jobs put back in the queue (retry)
    removed = Signal(int)  # rows deleted: the table reloads
    undoable = Signal(int)  # jobs removed that `undo_remove` can put back
    scoped = Signal(object)  # ScopeResult: held files that got a scope (queued) and problems

    def __init__(self, store: JobStore, pools: Pools) -> None:
        super().__init__()
        self._store = store
        self._pools = pools
        self.last_removed: list[Job] = []  # what `undo_remove` puts back

    def retry(self, job_ids: Sequence[int]) -> None:
        ids = list(job_ids)
        self._write(lambda: _chunked(self._store.retry, ids), self._after_retry, "retry")

    def retry_failed(self) -> None:
        self._write(self._store.retry_failed, self._after_retry, "retry failed")

    def remove(self, job_ids: Sequence[int]) -> None:
        ids = list(job_ids)
        self._write(lambda: _chunked(self._store.remove, ids), self._after_remove, "remove")

    def set_scope(
        self,
        scope: str,
        settings: Settings,
        *,
        job_ids: Sequence[int] | None = None,
        batch_id: int | None = None,
    ) -> None:
        """Queue the needs-scope jobs (of `job_ids`, or of a drop's batch) in `scope`."""
        store = self._store

        def write() -> ScopeResult:
            held = store.jobs(state=JobState.NEEDS_SCOPE, batch_id=batch_id)
            if job_ids is not None:
                wanted = set(job_ids)
                held = [j for j in held if j.id in wanted]
            return set_scope(store, held, scope, settings)

        def failed(exc: BaseException) -> None:
            logger.error("set scope failed: %s", exc, exc_info=exc)

        run_task(self._pools.store, write, self._after_scope, failed)

    def upload_again(self, job_ids: Sequence[int]) -> None:
        """Uploaded files whose objects are gone (an earlier sandbox): queue them again."""
        ids = list(job_ids)
        self._write(lambda: _chunked(self._store.upload_again, ids), self._after_retry, "upload")

    def remove_jobs(self, jobs: Sequence[Job]) -> None:
        """Remove `jobs` (not running) from the list, keeping them for `undo_remove`."""
        kept = [j for j in jobs if j.state is not JobState.RUNNING]
        ids = [j.id for j in kept]

        def done(count: int) -> None:
            self.last_removed = kept
            self._after_remove(count)
            self.undoable.emit(count)

        self._write(lambda: _chunked(self._store.remove, ids), done, "remove")

    def clear_queue(self) -> None:
        """Remove every queued file (the queue empties; finished jobs stay), with undo."""
        store = self._store

        def write() -> tuple[int, list[Job]]:
            queued = store.jobs(state=JobState.QUEUED)
            return _chunked(store.remove, [j.id for j in queued]), queued

        def done(result: tuple[int, list[Job]]) -> None:
            count, self.last_removed = result
            self._after_remove(count)
            self.undoable.emit(count)

        run_task(self._pools.store, write, done, lambda exc: logger.error("clear queue: %s", exc))

    def undo_remove(self) -> None:
        """Put the last removed jobs back, each into its batch, in its state."""
        jobs, self.last_removed = self.last_removed, []
        store = self._store

        def write() -> int:
            batches: dict[int, list[NewJob]] = {}
            for job in jobs:
                batches.setdefault(job.batch_id, []).append(as_new_job(job))
            return sum(len(store.enqueue(group, batch)) for batch, group in batches.items())

        self._write(write, self._after_restore, "undo remove")

    def _after_restore(self, count: int) -> None:
        logger.info("%d jobs put back", count)
        self.removed.emit(0)  # the table reloads
        self.queued_again.emit(count)

    def clear_finished(self) -> None:
        self._write(self._store.clear_finished, self._after_remove, "clear finished")

    def _write(self, fn: Callable[[], int], done: Callable[[int], None], what: str) -> None:
        def failed(exc: BaseException) -> None:
            logger.error("%s failed: %s", what, exc, exc_info=exc)

        run_task(self._pools.store, fn, done, failed)

    def _after_retry(self, count: int) -> None:
        logger.info("%d jobs queued again", count)
        self.queued_again.emit(count)

    def _after_scope(self, result: ScopeResult) -> None:
        logger.info("%d files got a scope and were queued", result.queued)
        for source, why in result.problems:
            logger.warning("cannot set the scope of %s: %s", source, why)
        self.scoped.emit(result)
        if result.queued:
            self.queued_again.emit(result.queued)

    def _after_remove(self, count: int) -> None:
        logger.info("%d jobs removed from the list", count)
        self.removed.emit(count)


def _chunked(write: Callable[[Iterable[int]], int], ids: list[int]) -> int:
    return sum(write(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK))


def as_new_job(job: Job) -> NewJob:
    """A removed job as it is enqueued again (undo)."""
    state = JobState.QUEUED if job.state is JobState.RUNNING else job.state
    return NewJob(
        source=job.source, size=job.size, mtime_ns=job.mtime_ns, root=job.root,
        scope=job.scope, bucket=job.bucket, key=job.key, md5=job.md5, state=state,
        error=job.error, decision=job.decision, expected_etag=job.expected_etag,
    )  # fmt: skip


def copy_uris(jobs: Iterable[Job]) -> str:
    """Put the S3 URIs of `jobs` on the clipboard, one per line; return the text."""
    text = "\n".join(job.uri for job in jobs if job.uri)
    if text:
        QGuiApplication.clipboard().setText(text)
    return text


def reveal_in_file_manager(path: str) -> None:
    """Show the file in the system's file manager (selected where the OS allows it)."""
    target = Path(path)
    if sys.platform == "darwin" and target.exists():
        subprocess.Popen(["open", "-R", str(target)])
        return
    if sys.platform == "win32" and target.exists():
        subprocess.Popen(["explorer", "/select,", str(target)])
        return
    folder = target if target.is_dir() else target.parent
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
