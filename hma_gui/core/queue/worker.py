"""A headless worker: takes jobs from a `JobQueue` and does them, until stopped or drained.

* `concurrency` threads do jobs; one of them at a time receives (up to ten
  jobs, long polling) into a small buffer the others take from.
* A heartbeat thread renews the leases of every job held (buffered or running)
  every third of the lease, sends the batched acknowledgements, and reports
  the worker's counters to the queue's ledger.
* `stop()` (SIGTERM) stops receiving and hands buffered, unstarted jobs back at
  once; jobs already running finish. `cancel()` (a second signal) also stops
  the running ones, and hands them back.
* A job is acknowledged only after its effect is durable. A failed attempt is
  reported to the queue with a back-off; the queue dead-letters it past the
  receive limit.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from hma_gui.core.errors import AuthError, Cancelled, HmaError
from hma_gui.core.processes import process_identity
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import Delivery, WorkerSeen
from hma_gui.core.queue.upload_job import Effect, Handled

logger = logging.getLogger(__name__)

RECEIVE_BATCH = 10
REPORT_SECONDS = 10.0
RECEIVE_FAILURE_LIMIT = 6  # receives failing in a row (~1 min of back-off) stop the worker


class JobHandler(Protocol):
    def __call__(self, delivery: Delivery, cancel: CancelToken) -> Handled: ...


class OutcomeKind(StrEnum):
    UPLOADED = "uploaded"
    ALREADY_THERE = "already-there"
    FAILED = "failed"
    HANDED_BACK = "handed-back"


@dataclass(frozen=True, slots=True)
class WorkerOutcome:
    delivery: Delivery
    kind: OutcomeKind
    detail: str | None = None

    @property
    def source(self) -> str | None:
        return self.delivery.message.source if self.delivery.message else None

    @property
    def uri(self) -> str | None:
        return self.delivery.message.uri if self.delivery.message else None


@dataclass
class WorkerReport:
    uploaded: int = 0
    already_there: int = 0
    failed: int = 0
    handed_back: int = 0
    seconds: float = 0.0
    stop_reason: str | None = None
    failures: list[WorkerOutcome] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.uploaded + self.already_there


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 4
    lease_seconds: int = 120
    drain: bool = False
    wait_seconds: float = 10.0  # long polling; also how late a stop is noticed while idle
    report_seconds: float = REPORT_SECONDS
    receive_retry_seconds: float = 2.0  # first back-off after a failed receive (then doubled)


class QueueWorker:
    def __init__(
        self,
        queue: JobQueue,
        handler: JobHandler,
        options: WorkerOptions,
        *,
        on_outcome: Callable[[WorkerOutcome], None] | None = None,
        identity: str | None = None,
    ) -> None:
        self._queue = queue
        self._handler = handler
        self._options = options
        self._on_outcome = on_outcome
        self.identity = identity or process_identity()
        self._stopping = threading.Event()
        self._cancel = CancelToken()
        self._buffer: collections.deque[Delivery] = collections.deque()
        self._running: dict[str, Delivery] = {}
        self._lock = threading.Lock()  # buffer, running, report
        self._receive_lock = threading.Lock()
        self._report = WorkerReport()
        self._done = threading.Event()
        self._receive_failures = 0  # in a row

    # ------------------------------------------------------------- control

    def stop(self, reason: str = "stopped") -> None:
        """Stop receiving; hand back what is buffered; let running jobs finish."""
        if not self._stopping.is_set():
            self._report.stop_reason = self._report.stop_reason or reason
            self._stopping.set()
        self._hand_back_buffer()

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop now: running jobs are interrupted and handed back too."""
        self.stop(reason)
        self._cancel.cancel(reason)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # ------------------------------------------------------------- run

    def run(self) -> WorkerReport:
        started = time.monotonic()
        threads = [
            threading.Thread(target=self._work, name=f"worker-{n}", daemon=True)
            for n in range(max(1, self._options.concurrency))
        ]
        heartbeat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        for thread in threads:
            thread.start()
        heartbeat.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        finally:
            self._done.set()
            heartbeat.join()
            self._hand_back_buffer()
            self._queue.flush()
            self._note_self(stopped=True)
        self._report.seconds = time.monotonic() - started
        return self._report

    def _work(self) -> None:
        while not self._stopping.is_set():
            delivery = self._next()
            if delivery is None:
                continue
            self._do(delivery)

    def _next(self) -> Delivery | None:
        with self._lock:
            if self._buffer:
                delivery = self._buffer.popleft()
                self._running[delivery.handle] = delivery
                return delivery
        if not self._receive_lock.acquire(timeout=0.2):
            return None
        try:
            with self._lock:
                if self._buffer:
                    return None  # another thread received meanwhile: take from the buffer
            got = self._queue.receive(
                RECEIVE_BATCH, self._options.wait_seconds, self._options.lease_seconds
            )
            self._receive_failures = 0
            if self._stopping.is_set():
                self._queue.release(got)  # arrived after the stop: straight back
                self._add_handed_back(len(got))
                return None
            if not got:
                if self._options.drain and self._drained():
                    self.stop("drained")
                return None
            with self._lock:
                self._buffer.extend(got)
            return None
        except Exception as exc:  # noqa: BLE001 - unreachable, denied, deleted: retried, then given up
            self._receive_failures += 1
            logger.warning("receiving failed (%d): %s", self._receive_failures, exc)
            if self._receive_failures >= RECEIVE_FAILURE_LIMIT:
                self.stop(f"cannot receive from the queue: {exc}")
            backoff = self._options.receive_retry_seconds * 2 ** (self._receive_failures - 1)
            self._cancel.wait(min(30.0, backoff))
            return None
        finally:
            self._receive_lock.release()

    def _drained(self) -> bool:
        """Nothing waiting and nothing leased (by anybody: a dead worker's jobs come back)."""
        self._queue.flush()
        with self._lock:
            if self._running or self._buffer:
                return False
        counters = self._queue.counters()
        return counters.queued == 0 and counters.in_flight == 0

    def _do(self, delivery: Delivery) -> None:
        try:
            handled = self._handler(delivery, self._cancel)
        except Cancelled:
            self._queue.release([delivery])
            self._finish(WorkerOutcome(delivery, OutcomeKind.HANDED_BACK, "cancelled"))
            return
        except Exception as exc:  # every failure is the job's, reported to the queue
            if not isinstance(exc, HmaError):
                logger.exception("unexpected error in job %s", delivery.job_id)
            reason = str(exc) or type(exc).__name__
            retry_in = min(self._options.lease_seconds, 2**delivery.receive_count)
            try:
                self._queue.fail(delivery, reason, retry_in)
            except Exception as report_error:  # noqa: BLE001 - the lease returns it anyway
                logger.warning("could not report a failure to the queue: %s", report_error)
            self._finish(WorkerOutcome(delivery, OutcomeKind.FAILED, reason))
            if isinstance(exc, AuthError):
                self.stop(str(exc))  # every other job would fail alike
            return
        self._queue.ack(delivery, handled.written)
        kind = (
            OutcomeKind.UPLOADED if handled.effect is Effect.UPLOADED else OutcomeKind.ALREADY_THERE
        )
        self._finish(WorkerOutcome(delivery, kind))

    def _finish(self, outcome: WorkerOutcome) -> None:
        with self._lock:
            self._running.pop(outcome.delivery.handle, None)
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

    def _hand_back_buffer(self) -> None:
        with self._lock:
            waiting = list(self._buffer)
            self._buffer.clear()
        if waiting:
            try:
                self._queue.release(waiting)
            except Exception as exc:  # noqa: BLE001 - their leases run out instead
                logger.warning("could not hand %d jobs back: %s", len(waiting), exc)
            self._add_handed_back(len(waiting))

    def _add_handed_back(self, count: int) -> None:
        with self._lock:
            self._report.handed_back += count

    # ------------------------------------------------------------- heartbeat

    def _heartbeat(self) -> None:
        every = max(1.0, self._options.lease_seconds / 3)
        last_extend = last_report = time.monotonic()
        self._note_self()
        while not self._done.wait(0.5):
            now = time.monotonic()
            try:
                self._queue.flush()
                if now - last_extend >= every:
                    last_extend = now
                    with self._lock:
                        held = [*self._buffer, *self._running.values()]
                    if held:
                        self._queue.extend(held, self._options.lease_seconds)
                if now - last_report >= self._options.report_seconds:
                    last_report = now
                    self._note_self()
            except Exception as exc:  # noqa: BLE001 - try again at the next beat
                logger.warning("heartbeat: %s", exc)

    def _note_self(self, stopped: bool = False) -> None:
        with self._lock:
            report = self._report
            seen = WorkerSeen(
                self.identity, time.time(), report.processed, report.failed, stopped=stopped
            )
        try:
            self._queue.note_worker(seen)
        except Exception as exc:  # noqa: BLE001 - counters are for people; jobs go on
            logger.warning("could not report this worker's counters: %s", exc)
