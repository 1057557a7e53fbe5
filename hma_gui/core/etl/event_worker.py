"""``hma-ingest worker --kinds etl``: the S3-event queue of the Lambda, on an ordinary machine.

The messages are what S3 sends to the queue (event notifications, ``s3:TestEvent``)
and what ``POST /ingest`` writes; each one goes through `EventLoader.handle`, the
very function behind the Lambda handler, so both decide alike:

* every object settled (loaded, loaded before, no table, gone) → the message is
  deleted;
* an object to try again (its table busy, a parent not loaded yet, the database
  down, the whole file rejected) or an unreadable message → the message is left
  on the queue and comes back after a short back-off (``2 ** receive count``
  seconds, at most the lease); SQS's redrive policy moves it to the dead-letter
  queue after ``maxReceiveCount`` receives, and the reason is kept in the queue's
  ledger (``queue status --queue <etl queue>`` lists it). A rejected file also
  has its rejects report and audit row, as ``load-one`` writes them.

Messages are received up to `EtlWorkerOptions.batch` at a time and loaded one
by one; a heartbeat renews the leases of every message held while a load runs.
`stop()` (the first SIGTERM) stops receiving, lets the running file finish and
hands the unstarted messages back at once (visibility 0); `cancel()` (a second
signal) also rolls the running file back and hands its message back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from hma_gui.core.etl.event_loader import EventLoader
from hma_gui.core.etl.results import FileResult, FileStatus
from hma_gui.core.etl.s3_events import RecordOutcome
from hma_gui.core.processes import process_identity
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.heartbeat import Heartbeat
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import Delivery, WorkerSeen

logger = logging.getLogger(__name__)

_WAITING = frozenset({FileStatus.BUSY, FileStatus.DEFERRED})
_LOADED = frozenset({FileStatus.SUCCEEDED, FileStatus.VALIDATED})


class EtlOutcomeKind(StrEnum):
    LOADED = "loaded"  # the object's rows are in
    UNCHANGED = "unchanged"  # loaded before, no table for its name, or gone from S3
    WAITING = "waiting"  # busy table or parent not loaded yet: comes back later
    FAILED = "failed"  # rejected, S3 or database failure, unreadable message: comes back
    NO_WORK = "no-work"  # s3:TestEvent, or no ObjectCreated event in the message
    HANDED_BACK = "handed-back"  # not started (or cancelled) when the worker stopped


@dataclass(frozen=True)
class EtlOutcome:
    """What became of one object of a message (or of the message, when it names none)."""

    delivery: Delivery
    kind: EtlOutcomeKind
    uri: str | None = None
    result: FileResult | None = None
    detail: str | None = None


@dataclass
class EtlWorkerReport:
    loaded: int = 0
    unchanged: int = 0
    waiting: int = 0
    failed: int = 0
    no_work: int = 0
    handed_back: int = 0
    seconds: float = 0.0
    stop_reason: str | None = None
    failures: list[EtlOutcome] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.loaded + self.unchanged + self.no_work

    def count(self, outcome: EtlOutcome) -> None:
        name = outcome.kind.value.replace("-", "_")
        setattr(self, name, getattr(self, name) + 1)
        if outcome.kind is EtlOutcomeKind.FAILED:
            self.failures.append(outcome)


@dataclass(frozen=True)
class EtlWorkerOptions:
    lease_seconds: int = 120
    drain: bool = False
    wait_seconds: float = 10.0  # long polling; also how late a stop is noticed while idle
    batch: int = 10  # messages received at a time (loaded one by one)
    report_seconds: float = 10.0
    receive_retry_seconds: float = 2.0  # first back-off after a failed receive (then doubled)
    receive_failures_to_stop: int = 3  # a draining worker gives up after this many in a row
    # The database down: the message goes back at once, nothing more is received, and the
    # database is tried again this often (a draining worker stops instead, with the reason).
    resume_after_seconds: float = 30.0


class EtlQueueWorker:
    def __init__(
        self,
        queue: JobQueue,
        loader: EventLoader,
        options: EtlWorkerOptions,
        *,
        on_outcome: Callable[[EtlOutcome], None] | None = None,
        identity: str | None = None,
    ) -> None:
        self._queue = queue
        self._loader = loader
        self._options = options
        self._on_outcome = on_outcome
        self.identity = identity or process_identity()
        self._stopped = threading.Event()
        self._stop_reason: str | None = None
        self._cancel = CancelToken()
        self._lock = threading.Lock()  # the buffer, the current delivery, the report
        # Held while leases change: the heartbeat's extension never lands after a hand-back
        # or a back-off of the same message.
        self._lease_lock = threading.Lock()
        self._buffer: list[Delivery] = []
        self._current: Delivery | None = None
        self._report = EtlWorkerReport()
        self._receive_failures = 0

    # ------------------------------------------------------------- control

    def stop(self, reason: str = "stopped") -> None:
        """Stop receiving; the running file finishes; unstarted messages go back."""
        if not self._stopped.is_set():
            self._stop_reason = reason
            self._stopped.set()

    def cancel(self, reason: str = "cancelled") -> None:
        """Stop now: the running file is rolled back and its message handed back too."""
        self.stop(reason)
        self._cancel.cancel(reason)

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set()

    # ------------------------------------------------------------- run

    def run(self) -> EtlWorkerReport:
        started = time.monotonic()
        heartbeat = Heartbeat(
            self._queue, lease_seconds=self._options.lease_seconds,
            report_seconds=self._options.report_seconds, held=self._held, seen=self._seen,
            lease_lock=self._lease_lock, name="etl-heartbeat",
        )  # fmt: skip
        try:
            with heartbeat:
                while not self._stopped.is_set():
                    delivery = self._next()
                    if delivery is not None:
                        self._process(delivery)
        finally:
            self._hand_back(self._take_buffer())
            self._queue.flush()
            heartbeat.note(stopped=True)
        report = self._report
        report.seconds = time.monotonic() - started
        report.stop_reason = self._stop_reason
        return report

    def _next(self) -> Delivery | None:
        with self._lock:
            if self._buffer:
                self._current = self._buffer.pop(0)
                return self._current
        deliveries = self._receive()
        with self._lock:
            self._buffer.extend(deliveries)
        draining = self._options.drain and not self._stopped.is_set()
        if not deliveries and draining and self._drained():
            self.stop("drained")
        return None

    def _receive(self) -> list[Delivery]:
        options = self._options
        try:
            deliveries = self._queue.receive(
                options.batch, options.wait_seconds, options.lease_seconds
            )
        except Exception as exc:  # noqa: BLE001 - SQS unreachable: wait and try again
            self._receive_failures += 1
            logger.warning("receiving from %s failed: %s", self._queue.name, exc)
            if options.drain and self._receive_failures >= options.receive_failures_to_stop:
                self.stop(f"the queue is unreachable: {exc}")
            else:
                backoff = options.receive_retry_seconds * 2 ** (self._receive_failures - 1)
                self._stopped.wait(min(30.0, backoff))
            return []
        self._receive_failures = 0
        return deliveries

    def _drained(self) -> bool:
        """Nothing waits and nothing is leased (a message backing off is leased)."""
        try:
            counters = self._queue.counters()
        except Exception as exc:  # noqa: BLE001 - ask again at the next empty receive
            logger.warning("could not read the counters of %s: %s", self._queue.name, exc)
            return False
        return counters.queued == 0 and counters.in_flight == 0

    # ------------------------------------------------------------- one message

    def _process(self, delivery: Delivery) -> None:
        record = {"messageId": delivery.message_id, "body": delivery.body}
        try:
            [done] = self._loader.handle([record], cancel=self._cancel).records
        finally:
            with self._lock:
                self._current = None
        if self._cancel.cancelled and done.retry:
            self._hand_back([delivery])
            return
        problem = self._database_problem(done)
        if problem is not None:
            self._pause_for_database(delivery, done, problem)
            return
        for outcome in _outcomes(delivery, done):
            self._finish(outcome)
        try:
            with self._lease_lock:
                if done.retry:
                    retry_in = min(self._options.lease_seconds, 2**delivery.receive_count)
                    self._queue.fail(delivery, _reason(done), retry_in)
                else:
                    self._queue.ack(delivery)
                    self._queue.flush()
        except Exception as exc:  # noqa: BLE001 - the lease runs out; the message comes back
            logger.warning("could not settle message %s: %s", delivery.message_id, exc)

    def _database_problem(self, done: RecordOutcome) -> str | None:
        """After a failure that may be the database's: why it cannot be used, or None."""
        if not done.retry:
            return None
        if done.error is None and all(r.status is not FileStatus.FAILED for r in done.results):
            return None  # rejected, busy or waiting for a parent: the file's own matter
        return self._loader.database_problem()

    def _pause_for_database(self, delivery: Delivery, done: RecordOutcome, problem: str) -> None:
        """Not the message's fault: hand it (and the buffer) back, and receive nothing until
        the database answers — so a database outage does not dead-letter every event."""
        try:
            with self._lease_lock:
                self._queue.release([delivery])
        except Exception as exc:  # noqa: BLE001 - its lease runs out instead
            logger.warning("could not hand message %s back: %s", delivery.message_id, exc)
        detail = f"the database is unavailable: {problem}"
        uris: list[str | None] = [event.uri for event in done.events] or [None]
        for uri in uris:
            self._finish(EtlOutcome(delivery, EtlOutcomeKind.WAITING, uri, None, detail))
        self._hand_back(self._take_buffer())
        if self._options.drain:
            self.stop(detail)
            return
        wait = self._options.resume_after_seconds
        logger.warning("%s; receiving nothing, trying again every %.0f s", detail, wait)
        while not self._stopped.wait(wait):
            if self._loader.database_problem() is None:
                logger.warning("the database answers again: receiving")
                return

    def _take_buffer(self) -> list[Delivery]:
        with self._lock:
            buffered, self._buffer = self._buffer, []
        return buffered

    def _hand_back(self, deliveries: list[Delivery]) -> None:
        if not deliveries:
            return
        try:
            with self._lease_lock:
                self._queue.release(deliveries)
        except Exception as exc:  # noqa: BLE001 - their leases run out instead
            logger.warning("could not hand %d messages back: %s", len(deliveries), exc)
        for delivery in deliveries:
            self._finish(EtlOutcome(delivery, EtlOutcomeKind.HANDED_BACK))

    def _finish(self, outcome: EtlOutcome) -> None:
        with self._lock:
            self._report.count(outcome)
        if self._on_outcome is not None:
            try:
                self._on_outcome(outcome)
            except Exception:  # a reporting bug must not stop the worker
                logger.exception("outcome callback failed")

    # ------------------------------------------------------------- heartbeat

    def _held(self) -> list[Delivery]:
        with self._lock:
            return [*self._buffer, *([self._current] if self._current else [])]

    def _seen(self, stopped: bool) -> WorkerSeen:
        with self._lock:
            report = self._report
            failed = report.failed + report.waiting
            return WorkerSeen(self.identity, time.time(), report.processed, failed, stopped)


def _outcomes(delivery: Delivery, done: RecordOutcome) -> list[EtlOutcome]:
    """One outcome per object of the message (one for the message when it names none)."""
    if not done.events:
        kind = EtlOutcomeKind.FAILED if done.error else EtlOutcomeKind.NO_WORK
        return [EtlOutcome(delivery, kind, detail=done.error)]
    found = []
    for index, event in enumerate(done.events):
        result = done.results[index] if index < len(done.results) else None
        if result is None:  # it raised (the error names it) or was cancelled
            found.append(EtlOutcome(delivery, EtlOutcomeKind.FAILED, event.uri, None, done.error))
            continue
        if result.status in _LOADED:
            kind = EtlOutcomeKind.LOADED
        elif not result.status.retryable:
            kind = EtlOutcomeKind.UNCHANGED
        elif result.status in _WAITING:
            kind = EtlOutcomeKind.WAITING
        else:
            kind = EtlOutcomeKind.FAILED
        found.append(EtlOutcome(delivery, kind, event.uri, result, result.error))
    return found


def _reason(done: RecordOutcome) -> str:
    """Why a message is to come back: kept in the ledger for the dead-letter listing."""
    if done.error:
        return done.error
    for event, result in zip(done.events, done.results, strict=False):
        if result.status.retryable:
            return f"{event.uri}: {result.status.value}: {result.error or 'no reason given'}"
    return "to be tried again"
