"""From dropped paths to queued jobs, off the main thread.

A drop (or the Add buttons) hands paths to `Intake.submit`, which returns at
once; the walk runs on the scan pool with the core's `iter_planned_jobs` and
enqueues in batches (every `BATCH_SIZE` jobs or `BATCH_SECONDS`), so uploads
start while a big folder is still being walked. Each batch is one signal, not
one per file.

The duplicate check comes with each submission as `screen` (a `DropScreen`:
the window passes its duplicate flow's): when it wants a drop, the drop's
planned jobs are collected whole and handed to it on the scan thread before
anything is enqueued, and it returns the jobs to enqueue (decided, skipped,
or waiting for a decision).

With a shared queue set, the drop's jobs are enqueued all the same: the
window's upload queue sends what it would run to the shared queue
(`core.queue.store_forwarding`), so a drop, a later decision and a retry take
one route.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QThreadPool, Signal

from hma_gui.core.config.settings import Settings
from hma_gui.core.files.discovery import DiscoveryStats
from hma_gui.core.jobs.plan import PlanOptions, iter_planned_jobs
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken
from hma_gui.ui.tasks import run_task

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
BATCH_SECONDS = 0.25
# Planning keys is pure Python, and an enqueue is hundreds of short SQLite statements
# that release and at once retake the GIL: either way a waiting thread rarely gets it
# (CPython's "convoy effect"), and the window would wait for the whole walk. So the
# scan sleeps YIELD_SECONDS after every WORK_SECONDS of work, and after each batch.
WORK_SECONDS = 0.008
YIELD_SECONDS = 0.002


@dataclass(frozen=True)
class IntakeSummary:
    paths: tuple[str, ...]
    batch_id: int
    queued: int
    failed: int
    filtered: int
    seconds: float
    cancelled: bool
    set_aside: int = 0  # skipped by the duplicate check, or waiting for a decision
    needs_scope: int = 0  # outside every scope folder: held until a scope is chosen

    def describe(self) -> str:
        parts = [f"{self.queued:,} file{'s' if self.queued != 1 else ''} queued"]
        if self.set_aside:
            parts.append(f"{self.set_aside:,} set aside by the duplicate check")
        if self.needs_scope:
            parts.append(f"{self.needs_scope:,} need a scope")
        if self.failed:
            parts.append(f"{self.failed:,} not uploadable")
        if self.filtered:
            parts.append(f"{self.filtered:,} filtered out")
        tail = " (scan cancelled)" if self.cancelled else ""
        return ", ".join(parts) + tail


class DropScreen(Protocol):
    """Looks at a whole drop's planned jobs before they are enqueued (the duplicate check)."""

    def wants(self, settings: Settings) -> bool:
        """Whether drops made with `settings` are screened (main thread)."""
        ...

    def screen(
        self, jobs: list[NewJob], batch_id: int, settings: Settings, cancel: CancelToken
    ) -> list[NewJob]:
        """The jobs to enqueue into `batch_id` (scan thread; may take long, honours `cancel`)."""
        ...


class Intake(QObject):
    """Walks submitted paths on the scan pool and enqueues the planned jobs."""

    enqueued = Signal(int)  # jobs added by one batch
    progress = Signal(int)  # files seen so far in the running scan
    finished = Signal(object)  # IntakeSummary
    busy_changed = Signal(bool)

    def __init__(self, store: JobStore, pool: QThreadPool) -> None:
        super().__init__()
        self._store = store
        self._pool = pool
        self._pending = 0
        self._cancel = CancelToken()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def submit(
        self,
        paths: Sequence[str | Path],
        settings: Settings,
        options: PlanOptions,
        screen: DropScreen | None = None,
    ) -> None:
        """Queue a scan of `paths` (screened by `screen` if it wants them); returns at once."""
        names = tuple(str(p) for p in paths)
        if not names:
            return
        logger.info("scanning %s", ", ".join(names[:3]) + (" …" if len(names) > 3 else ""))
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        cancel = self._cancel
        if screen is not None and not screen.wants(settings):
            screen = None
        run_task(
            self._pool,
            lambda: self._scan(names, settings, options, cancel, screen),
            self._done,
            self._failed,
        )

    def cancel(self) -> None:
        """Stop the scans in progress; what was enqueued stays enqueued."""
        self._cancel.cancel("scan cancelled")
        self._cancel = CancelToken()

    def _scan(
        self,
        paths: tuple[str, ...],
        settings: Settings,
        options: PlanOptions,
        cancel: CancelToken,
        screen: DropScreen | None = None,
    ) -> IntakeSummary:
        started = time.monotonic()
        label = "drop: " + ", ".join(Path(p).name for p in paths)
        batch_id = self._store.new_batch(label[:200])
        stats = DiscoveryStats()
        buffer: list[NewJob] = []
        flushed = 0  # len(buffer) at the last flush (a screened drop is kept whole)
        queued = failed = needs_scope = 0
        last_flush = last_yield = time.monotonic()
        for job in iter_planned_jobs(paths, settings, options, stats=stats, cancel=cancel):
            buffer.append(job)
            if job.state is JobState.FAILED:
                failed += 1
                logger.warning("not uploadable: %s: %s", job.source, job.error)
            elif job.state is JobState.NEEDS_SCOPE:
                needs_scope += 1
            else:
                queued += 1
            now = time.monotonic()
            if len(buffer) - flushed >= BATCH_SIZE or now - last_flush >= BATCH_SECONDS:
                if screen is None:
                    self._flush(buffer, batch_id, stats)
                    buffer = []
                else:  # the whole drop is screened at once
                    self.progress.emit(stats.files + stats.problems)
                    time.sleep(YIELD_SECONDS)
                    flushed = len(buffer)
                last_flush = last_yield = time.monotonic()
            elif now - last_yield >= WORK_SECONDS:
                time.sleep(YIELD_SECONDS)  # let the window have the GIL
                last_yield = time.monotonic()
        set_aside = 0
        if screen is not None:
            buffer = [] if cancel.cancelled else screen.screen(buffer, batch_id, settings, cancel)
            queued = sum(1 for j in buffer if j.state is JobState.QUEUED)
            set_aside = sum(1 for j in buffer if j.state in (JobState.SKIPPED, JobState.WAITING))
            failed = sum(1 for j in buffer if j.state is JobState.FAILED)
            needs_scope = sum(1 for j in buffer if j.state is JobState.NEEDS_SCOPE)
            for start in range(0, len(buffer), BATCH_SIZE):  # at most half the time writing
                began = time.monotonic()
                self._flush(buffer[start : start + BATCH_SIZE], batch_id, stats)
                time.sleep(time.monotonic() - began)
        self._flush([] if screen is not None else buffer, batch_id, stats)
        return IntakeSummary(
            paths, batch_id, queued, failed, stats.filtered, time.monotonic() - started,
            cancel.cancelled, set_aside, needs_scope,
        )  # fmt: skip

    def _flush(self, jobs: list[NewJob], batch_id: int, stats: DiscoveryStats) -> None:
        if jobs:
            self._store.enqueue(jobs, batch_id)
            self.enqueued.emit(len(jobs))
            time.sleep(YIELD_SECONDS)
        self.progress.emit(stats.files + stats.problems)

    def _done(self, summary: IntakeSummary) -> None:
        logger.info("scan of %s: %s", ", ".join(summary.paths), summary.describe())
        self._finish()
        self.finished.emit(summary)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        logger.error("scan failed: %s", exc, exc_info=exc)

    def _finish(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)
