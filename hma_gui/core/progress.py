"""The typed seams through which the core reports progress and is cancelled.

The GUI, the CLI and the tests each provide their own sinks; the core never
knows who is listening. Byte progress is written into a lock-protected
`ByteProgress` board that readers poll on a timer: a worker never emits one
event per chunk to anybody.
"""

from __future__ import annotations

import threading
from typing import Protocol


class CancelToken:
    """A cooperative cancel flag shared between the requester and the workers."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        self._reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def reason(self) -> str:
        return self._reason

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True as soon as cancelled."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            from hma_gui.core.errors import Cancelled

            raise Cancelled(self._reason)


class ByteSink(Protocol):
    """Receives byte counts of one transfer. `delta` is negative when a retry rewinds."""

    def __call__(self, delta: int) -> None: ...


class TaskProgress(Protocol):
    """Progress of a long task with countable steps (discovery, hashing, ETL)."""

    def update(self, done: int, total: int | None, message: str = "") -> None: ...


class NullTaskProgress:
    def update(self, done: int, total: int | None, message: str = "") -> None:
        return None


class ByteProgress:
    """In-flight byte counts per job, clamped to [0, size].

    Workers call `sink(job_id, size)` to get a `ByteSink`; readers call
    `snapshot()` or `inflight_bytes()` from any thread. A retry that rewinds the
    stream sends a negative delta, so the count goes back instead of past 100 %.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: dict[int, int] = {}
        self._size: dict[int, int] = {}
        self._moved_total = 0  # monotonic bytes moved, for rate estimates

    def sink(self, job_id: int, size: int) -> ByteSink:
        with self._lock:
            self._done[job_id] = 0
            self._size[job_id] = max(size, 0)

        def advance(delta: int) -> None:
            with self._lock:
                if job_id not in self._done:
                    return
                before = self._done[job_id]
                after = min(max(before + delta, 0), self._size[job_id])
                self._done[job_id] = after
                if after > before:
                    self._moved_total += after - before

        return advance

    def finish(self, job_id: int) -> None:
        with self._lock:
            self._done.pop(job_id, None)
            self._size.pop(job_id, None)

    def snapshot(self) -> dict[int, tuple[int, int]]:
        """job id -> (bytes done, size) for the jobs in flight."""
        with self._lock:
            return {j: (d, self._size[j]) for j, d in self._done.items()}

    def inflight_bytes(self) -> int:
        with self._lock:
            return sum(self._done.values())

    def moved_total(self) -> int:
        """Bytes moved since creation, never decreasing (rewinds are not subtracted twice)."""
        with self._lock:
            return self._moved_total
