"""A headless worker: the upload executor fed from a `JobQueue`, until stopped or drained.

* The uploads run on the `UploadExecutor` of the window and ``upload``:
  `concurrency` threads claim jobs from a `DeliverySource` — the queue as the
  executor's `JobSource` and `JobSink` — and upload each with `process_job`,
  conditionally (`Job.expected_etag`) and verified.
* A heartbeat (`core.queue.heartbeat`) renews the leases of every job held
  (buffered or running) every third of the lease, sends the batched
  acknowledgements, and reports the worker's counters to the queue's ledger.
* `stop()` (SIGTERM) stops receiving and hands buffered, unstarted jobs back at
  once; jobs already running finish. `cancel()` (a second signal) also stops
  the running ones, and hands them back.
* A job is acknowledged only after its effect is durable. A failed attempt is
  reported to the queue with a back-off; the queue dead-letters it past the
  receive limit. Bad credentials stop the worker (every job would fail alike);
  a dead endpoint pauses the uploads (the executor's pause): the worker hands
  its buffer back and tries again after `resume_after_seconds` — a draining
  worker stops instead, with the reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from hma_gui.core.processes import process_identity
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.delivery_source import DeliverySource
from hma_gui.core.queue.heartbeat import Heartbeat
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import WorkerSeen
from hma_gui.core.queue.outcomes import OutcomeKind, WorkerOptions, WorkerOutcome, WorkerReport
from hma_gui.core.queue.upload_job import DeliveryCheck
from hma_gui.core.upload.executor import QueueMode, UploadExecutor
from hma_gui.core.upload.job_run import JobOutcome
from hma_gui.core.upload.uploader import Uploader

__all__ = ["OutcomeKind", "QueueWorker", "WorkerOptions", "WorkerOutcome", "WorkerReport"]

logger = logging.getLogger(__name__)


class QueueWorker:
    def __init__(
        self,
        queue: JobQueue,
        uploader: Uploader,
        check: DeliveryCheck,
        options: WorkerOptions,
        *,
        on_outcome: Callable[[WorkerOutcome], None] | None = None,
        identity: str | None = None,
    ) -> None:
        self._queue = queue
        self._options = options
        self._on_outcome = on_outcome
        self.identity = identity or process_identity()
        self._cancel = CancelToken()
        self._lock = threading.Lock()  # the report
        self._report = WorkerReport()
        self._source = DeliverySource(
            queue, check, options, on_outcome=self._finish, cancel=self._cancel,
            active=self._uploading,
        )  # fmt: skip
        self._executor = UploadExecutor(
            self._source,
            self._source,
            uploader,
            concurrency=max(1, options.concurrency),
            listener=self,
        )
        self._paused: str | None = None  # why the executor paused by itself

    # ------------------------------------------------------------- control

    def stop(self, reason: str = "stopped") -> None:
        """Stop receiving; hand back what is buffered; let running jobs finish."""
        self._source.stop(reason)

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop now: running jobs are interrupted and handed back too."""
        self.stop(reason)
        self._cancel.cancel(reason)
        self._executor.cancel(reason)

    @property
    def stopping(self) -> bool:
        return self._source.stopping

    def _uploading(self) -> bool:
        """The executor still takes jobs (not paused, not stopped, its run not cancelled)."""
        executor = self._executor
        return executor.mode is QueueMode.RUNNING and not executor.cancel_token.cancelled

    # ------------------------------------------------------------- run

    def run(self) -> WorkerReport:
        """Work until stopped (or drained); the uploader is closed at the end."""
        started = time.monotonic()
        heartbeat = Heartbeat(
            self._queue, lease_seconds=self._options.lease_seconds,
            report_seconds=self._options.report_seconds, held=self._source.held,
            seen=self._seen, flush=True,
        )  # fmt: skip
        try:
            with heartbeat:
                self._executor.start()
                while True:
                    while not self._executor.wait_idle(0.2):
                        pass
                    if not self._resume_after_pause():
                        break
        finally:
            self._source.hand_back_buffer()
            self._queue.flush()
            self._executor.shutdown()
            heartbeat.note(stopped=True)
        report = self._report
        report.seconds = time.monotonic() - started
        report.stop_reason = self._source.stop_reason
        report.handed_back += self._source.handed_back
        return report

    def _resume_after_pause(self) -> bool:
        """After the executor paused on a dead endpoint: wait, then True to run again."""
        reason = self._paused
        if reason is None or self._source.stopping:
            return False
        if self._options.drain:
            self.stop(f"uploads paused: {reason}")
            return False
        wait = self._options.resume_after_seconds
        logger.warning("uploads paused: %s; trying again in %.0f s", reason, wait)
        if self._source.wait_stopped(wait):
            return False
        self._paused = None
        self._source.accept()
        self._executor.resume()
        return True

    # ------------------------------------------------------------- the executor's listener

    def on_outcome(self, outcome: JobOutcome) -> None:
        return None  # the source reports every job (with its delivery) through _finish

    def on_mode(self, mode: QueueMode, reason: str | None) -> None:
        if reason is None:
            return
        if mode is QueueMode.STOPPED:  # bad credentials: every other job would fail alike
            self.stop(reason)
        elif mode is QueueMode.PAUSED:  # a dead endpoint: hold the jobs for other workers
            self._paused = reason
            self._source.hold()

    def on_idle(self) -> None:
        return None

    # ------------------------------------------------------------- reporting

    def _finish(self, outcome: WorkerOutcome) -> None:
        with self._lock:
            report = self._report
            if outcome.kind is OutcomeKind.UPLOADED:
                report.uploaded += 1
            elif outcome.kind is OutcomeKind.ALREADY_THERE:
                report.already_there += 1
            elif outcome.kind is OutcomeKind.FAILED:
                report.failed += 1
                report.failures.append(outcome)
            else:
                report.handed_back += 1
        if self._on_outcome is not None:
            try:
                self._on_outcome(outcome)
            except Exception:  # a reporting bug must not stop the worker
                logger.exception("outcome callback failed")

    # ------------------------------------------------------------- heartbeat

    def _seen(self, stopped: bool) -> WorkerSeen:
        with self._lock:
            report = self._report
            return WorkerSeen(
                self.identity, time.time(), report.processed, report.failed, stopped=stopped
            )
