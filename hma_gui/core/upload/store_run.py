"""The executor over the local job store, run to the end: ``upload``, ``resume``, tests.

`store_executor` builds the one `UploadExecutor` on a `StoreQueue`;
`run_to_end` starts it, waits until the queue (of one batch, or all) has no
more work, and reports the run with the store's counters in one log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from hma_gui.core.jobs.records import Counters
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.progress import ByteProgress
from hma_gui.core.upload.executor import QueueMode, UploadExecutor
from hma_gui.core.upload.job_run import JobOutcome
from hma_gui.core.upload.job_source import StoreQueue
from hma_gui.core.upload.uploader import Uploader

logger = logging.getLogger(__name__)

# A claim is one store transaction, with a row update and two counter updates per
# job: 2,000 small files took 250 of them with eight at a time, 32 with 64.
CLAIM_JOBS = 64
CLAIM_BYTES = 16 * 1024 * 1024


class OutcomeListener:
    """An `ExecutorListener` that only passes each job's outcome on."""

    def __init__(self, on_outcome: Callable[[JobOutcome], None] | None) -> None:
        self._on_outcome = on_outcome

    def on_outcome(self, outcome: JobOutcome) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    def on_mode(self, mode: QueueMode, reason: str | None) -> None:
        return None

    def on_idle(self) -> None:
        return None


def store_executor(
    store: JobStore,
    uploader: Uploader,
    *,
    concurrency: int,
    batch_id: int | None = None,
    progress: ByteProgress | None = None,
    on_outcome: Callable[[JobOutcome], None] | None = None,
    claim_batch: int | None = None,
) -> UploadExecutor:
    """The executor for the jobs of `batch_id` (all when None) of `store`.

    Claims up to `claim_batch` jobs per store transaction (default: `CLAIM_JOBS`, or
    the concurrency if more) and up to `CLAIM_BYTES` of files: small files dozens at
    a time, a large one alone. A claimed job waits at most for the files claimed
    before it (16 MiB in all: milliseconds, unless a bandwidth limit is low); it
    shows as *running* meanwhile, and what is still waiting when the run stops is
    handed back (`JobStore.unclaim`).
    """
    queue = StoreQueue(store, batch_id, claim_bytes=CLAIM_BYTES)
    return UploadExecutor(
        queue,
        queue,
        uploader,
        concurrency=concurrency,
        progress=progress,
        listener=OutcomeListener(on_outcome),
        claim_batch=claim_batch or max(concurrency, CLAIM_JOBS),
    )


@dataclass(frozen=True)
class RunReport:
    counters: Counters
    seconds: float
    stop_reason: str | None  # stopped by itself: bad credentials
    paused_reason: str | None  # paused by itself: a dead endpoint; the rest stays queued
    cancelled: bool


def run_to_end(executor: UploadExecutor, store: JobStore, batch_id: int | None) -> RunReport:
    started = time.monotonic()
    cancel = executor.cancel_token
    try:
        executor.run_until_idle()
    finally:
        cancelled = cancel.cancelled and executor.stop_reason is None
    report = RunReport(
        counters=store.counters(batch_id),
        seconds=time.monotonic() - started,
        stop_reason=executor.stop_reason,
        paused_reason=executor.pause_reason,
        cancelled=cancelled,
    )
    counters = report.counters
    reason = report.stop_reason or report.paused_reason
    logger.info(
        "upload run finished in %.1f s: %d uploaded, %d failed, %d skipped, %d not started%s",
        report.seconds,
        counters.done,
        counters.failed,
        counters.skipped,
        counters.pending,
        f" ({reason})" if reason else "",
    )
    return report


def upload_queued(
    store: JobStore,
    uploader: Uploader,
    *,
    concurrency: int,
    batch_id: int | None = None,
    on_outcome: Callable[[JobOutcome], None] | None = None,
) -> RunReport:
    """Upload the queued jobs of `batch_id` (all when None) to the end."""
    executor = store_executor(
        store, uploader, concurrency=concurrency, batch_id=batch_id, on_outcome=on_outcome
    )
    return run_to_end(executor, store, batch_id)
