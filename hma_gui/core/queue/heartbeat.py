"""A queue worker's heartbeat: the leases of what it holds renewed, its counters reported.

Both headless workers hold messages longer than one lease — the upload worker
(`core.queue.worker`) its buffered and running jobs, the ETL worker
(`core.etl.event_worker`) its buffered S3 events and the file it loads. While
one runs, a `Heartbeat` thread wakes every half second and

* extends the lease of every message the worker holds (``held()``), every third
  of the lease, so that no other worker receives it meanwhile;
* reports the worker's counters (``seen(stopped)``) to the queue's ledger every
  `report_seconds`, and once more when the worker stops (`note(stopped=True)`);
* sends the queue's batched acknowledgements first, when asked (``flush``).

A failed beat is logged and tried again at the next one: a lease renewal that
does not land means at worst that another worker receives the message again,
which the jobs' conditional writes and the ETL's idempotent loads allow.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import Delivery, WorkerSeen

logger = logging.getLogger(__name__)

BEAT_SECONDS = 0.5


class Heartbeat:
    """``with Heartbeat(...):`` around a worker's run; `note(stopped=True)` after it."""

    def __init__(
        self,
        queue: JobQueue,
        *,
        lease_seconds: int,
        report_seconds: float,
        held: Callable[[], Sequence[Delivery]],
        seen: Callable[[bool], WorkerSeen],
        lease_lock: AbstractContextManager[Any] | None = None,
        flush: bool = False,
        name: str = "heartbeat",
    ) -> None:
        self._queue = queue
        self._lease_seconds = lease_seconds
        self._report_seconds = report_seconds
        self._held = held
        self._seen = seen
        # Held while the leases are renewed: the worker takes it to hand a message back,
        # so that a renewal never lands after the hand-back of the same message.
        self._lease_lock = lease_lock or contextlib.nullcontext()
        self._flush = flush
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def note(self, stopped: bool = False) -> None:
        """Report the worker's counters now; a failure is logged (they are for people)."""
        try:
            self._queue.note_worker(self._seen(stopped))
        except Exception as exc:  # noqa: BLE001 - the work goes on without its counters
            logger.warning("could not report this worker's counters: %s", exc)

    def _beat(self) -> None:
        every = max(1.0, self._lease_seconds / 3)
        last_extend = last_report = time.monotonic()
        self.note()  # here, not in the caller: a slow ledger must not hold the start
        while not self._done.wait(BEAT_SECONDS):
            now = time.monotonic()
            try:
                if self._flush:
                    self._queue.flush()
                if now - last_extend >= every:
                    last_extend = now
                    with self._lease_lock:
                        held = self._held()
                        if held:
                            self._queue.extend(held, self._lease_seconds)
                if now - last_report >= self._report_seconds:
                    last_report = now
                    self.note()
            except Exception as exc:  # noqa: BLE001 - try again at the next beat
                logger.warning("heartbeat: %s", exc)
