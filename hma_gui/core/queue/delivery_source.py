"""A shared queue as the upload executor's `JobSource` and `JobSink` (`DeliverySource`).

* **claim** takes the next received job: one executor thread at a time receives
  (up to ten, long polling, leased) into a small buffer the others take from.
  Each delivery is checked first (`DeliveryCheck`): a message that is no job or
  a file this worker cannot read fails here, a redelivered job whose object is
  already in S3 is acknowledged here; the rest go to the executor as `Job`\\s.
  Claim waits for work until the source is stopped (or, draining, the queue is
  empty) or held, or the executor stops taking jobs (`active`).
* **done** acknowledges (after the effect is durable), **failed** reports the
  attempt to the queue with a back-off (past the receive limit it is
  dead-lettered), **released** and **unclaim** hand jobs back at once
  (visibility 0), **journal** is None: a multipart upload starts anew on
  another delivery.
* `stop()` stops receiving and hands the buffered jobs back; `hold()` does the
  same until `accept()` (the executor paused). `held()` lists what this worker
  holds, for the heartbeat that renews the leases.

Every job's end is reported once through `on_outcome`.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
from collections.abc import Callable, Sequence

from hma_gui.core.errors import AuthError, Cancelled, HmaError
from hma_gui.core.jobs.records import Job
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import Delivery, Written
from hma_gui.core.queue.outcomes import OutcomeKind, WorkerOptions, WorkerOutcome
from hma_gui.core.queue.upload_job import DeliveryCheck
from hma_gui.core.upload.multipart_state import MultipartJournal
from hma_gui.core.upload.upload_config import UploadResult

logger = logging.getLogger(__name__)

RECEIVE_BATCH = 10
RECEIVE_FAILURE_LIMIT = 6  # receives failing in a row (~1 min of back-off) stop the worker
LOCK_WAIT_SECONDS = 0.2  # a thread waiting for the receiving one looks at the buffer again


class DeliverySource:
    def __init__(
        self,
        queue: JobQueue,
        check: DeliveryCheck,
        options: WorkerOptions,
        *,
        on_outcome: Callable[[WorkerOutcome], None],
        cancel: CancelToken,
        active: Callable[[], bool] = lambda: True,
    ) -> None:
        """`active`: whether the executor still takes jobs (False: claims end at once)."""
        self._queue = queue
        self._check = check
        self._options = options
        self._on_outcome = on_outcome
        self._cancel = cancel  # the worker's: interrupts a redelivered job's MD5
        self._active = active
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # buffer, running
        self._receive_lock = threading.Lock()
        self._buffer: collections.deque[Delivery] = collections.deque()
        self._running: dict[int, Delivery] = {}  # executor job id → its delivery
        self._stopped = threading.Event()
        self._held = False
        self._receive_failures = 0  # in a row
        self.stop_reason: str | None = None
        self.handed_back = 0  # unstarted jobs handed back (buffered, or received too late)

    # ------------------------------------------------------------- control

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set()

    def wait_stopped(self, timeout: float) -> bool:
        return self._stopped.wait(timeout)

    def _closed(self) -> bool:
        """No more receiving for now: stopped, held, or the executor stopped taking jobs."""
        return self._stopped.is_set() or self._held or not self._active()

    def stop(self, reason: str) -> None:
        """Stop receiving for good; hand back what is buffered. The first reason stays."""
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
        self._stopped.set()
        self.hand_back_buffer()

    def hold(self) -> None:
        """Receive nothing until `accept()`; hand back what is buffered."""
        self._held = True
        self.hand_back_buffer()

    def accept(self) -> None:
        self._held = False

    def held(self) -> list[Delivery]:
        """Every delivery this worker holds a lease on (buffered or running)."""
        with self._lock:
            return [*self._buffer, *self._running.values()]

    def hand_back_buffer(self) -> None:
        with self._lock:
            waiting = list(self._buffer)
            self._buffer.clear()
        self._hand_back(waiting)

    # ------------------------------------------------------------- JobSource

    def claim(self, limit: int) -> list[Job]:
        """The next job (one: the others stay buffered, their leases renewed); [] when
        stopped, held or drained."""
        while not self._closed():
            delivery = self._take()
            if delivery is None:
                self._receive()
                continue
            job = self._job_for(delivery)
            if job is not None:
                return [job]
        return []

    def unclaim(self, jobs: Sequence[Job]) -> None:
        """Claimed, never started (the executor paused or stopped): back at once."""
        with self._lock:
            deliveries = [d for d in (self._running.pop(job.id, None) for job in jobs) if d]
        self._hand_back(deliveries)

    # ------------------------------------------------------------- JobSink

    def done(self, job: Job, result: UploadResult) -> None:
        delivery = self._finish(job)
        if delivery is None:
            return
        written = Written(result.etag, result.md5, result.size, result.mtime_ns)
        self._ack(delivery, written, already_there=result.already_there)

    def failed(self, job: Job, error: str, *, retryable: bool) -> None:
        delivery = self._finish(job)
        if delivery is not None:
            self._fail(delivery, error)

    def released(self, job: Job) -> None:
        delivery = self._finish(job)
        if delivery is None:
            return
        self._release([delivery])
        self._report(WorkerOutcome(delivery, OutcomeKind.HANDED_BACK, "cancelled"))

    def journal(self, job: Job) -> MultipartJournal | None:
        return None  # another delivery may go to another machine: no journal to resume

    def look_first(self, job: Job) -> bool:
        return False  # a redelivered job was looked at when it was received (`DeliveryCheck`)

    def flush(self) -> None:
        return None  # each report is acknowledged (or handed back) when it is made

    # ------------------------------------------------------------- receiving

    def _take(self) -> Delivery | None:
        with self._lock:
            return self._buffer.popleft() if self._buffer else None

    def _receive(self) -> None:
        """Fill the buffer (one thread at a time); stop when drained or the queue is gone."""
        if not self._receive_lock.acquire(timeout=LOCK_WAIT_SECONDS):
            return
        try:
            with self._lock:
                if self._buffer:
                    return  # another thread received meanwhile: take from the buffer
            options = self._options
            got = self._queue.receive(RECEIVE_BATCH, options.wait_seconds, options.lease_seconds)
            self._receive_failures = 0
            if self._closed():
                self._hand_back(got)  # arrived after the stop: straight back
                return
            if not got:
                if options.drain and self._drained():
                    self.stop("drained")
                return
            with self._lock:
                self._buffer.extend(got)
        except Exception as exc:  # noqa: BLE001 - unreachable, denied, deleted: retried, then given up
            self._receive_failures += 1
            logger.warning("receiving failed (%d): %s", self._receive_failures, exc)
            if self._receive_failures >= RECEIVE_FAILURE_LIMIT:
                self.stop(f"cannot receive from the queue: {exc}")
            backoff = self._options.receive_retry_seconds * 2 ** (self._receive_failures - 1)
            self._stopped.wait(min(30.0, backoff))
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

    def _job_for(self, delivery: Delivery) -> Job | None:
        """The delivery as the executor's job; None when it was settled here."""
        job_id = next(self._ids)
        with self._lock:
            self._running[job_id] = delivery
        try:
            checked = self._check(delivery, job_id, self._cancel)
        except Cancelled:
            self._forget(job_id)
            self._release([delivery])
            self._report(WorkerOutcome(delivery, OutcomeKind.HANDED_BACK, "cancelled"))
            return None
        except Exception as exc:  # every failure is the job's, reported to the queue
            self._forget(job_id)
            if not isinstance(exc, HmaError):
                logger.exception("unexpected error checking job %s", delivery.job_id)
            self._fail(delivery, str(exc) or type(exc).__name__)
            if isinstance(exc, AuthError):
                self.stop(str(exc))  # every other job would fail alike
            return None
        if isinstance(checked, Written):
            self._forget(job_id)
            self._ack(delivery, checked, already_there=True)
            return None
        return checked

    # ------------------------------------------------------------- reporting

    def _finish(self, job: Job) -> Delivery | None:
        delivery = self._forget(job.id)
        if delivery is None:
            logger.warning("job %d was reported twice", job.id)
        return delivery

    def _forget(self, job_id: int) -> Delivery | None:
        with self._lock:
            return self._running.pop(job_id, None)

    def _ack(self, delivery: Delivery, written: Written, *, already_there: bool) -> None:
        try:
            self._queue.ack(delivery, written)
        except Exception as exc:  # noqa: BLE001 - its lease runs out; the next delivery finds it done
            logger.warning("could not acknowledge job %s: %s", delivery.job_id, exc)
        kind = OutcomeKind.ALREADY_THERE if already_there else OutcomeKind.UPLOADED
        self._report(WorkerOutcome(delivery, kind))

    def _fail(self, delivery: Delivery, reason: str) -> None:
        retry_in = min(self._options.lease_seconds, 2**delivery.receive_count)
        try:
            self._queue.fail(delivery, reason, retry_in)
        except Exception as exc:  # noqa: BLE001 - the lease returns it anyway
            logger.warning("could not report a failure to the queue: %s", exc)
        self._report(WorkerOutcome(delivery, OutcomeKind.FAILED, reason))

    def _release(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        try:
            self._queue.release(deliveries)
        except Exception as exc:  # noqa: BLE001 - their leases run out instead
            logger.warning("could not hand %d jobs back: %s", len(deliveries), exc)

    def _hand_back(self, deliveries: Sequence[Delivery]) -> None:
        """Unstarted jobs: back to the queue, counted, not reported one by one."""
        if deliveries:
            self._release(deliveries)
            with self._lock:
                self.handed_back += len(deliveries)

    def _report(self, outcome: WorkerOutcome) -> None:
        try:
            self._on_outcome(outcome)
        except Exception:  # a reporting bug must not stop the worker
            logger.exception("outcome callback failed")
