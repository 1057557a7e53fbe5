"""Keep Python's cyclic garbage collector from freezing the window.

A full (generation 2) collection walks every object the collector tracks while
holding the GIL. With the S3 client's service model, Qt's wrappers, a 50,000-file
drop being planned and 100,000 jobs in the table, that took 70–200 ms — and
whichever thread triggered it, the window waited (measured with ``BENCH_GC=1``
in `bench/gui_responsiveness.py`: every heartbeat stall over 50 ms was one).

`GcGovernor` lets the young generations work as usual (short-lived cycles are
found there), but when a full collection is about to start while the app is
busy, it first moves every tracked object into the permanent generation
(`gc.freeze()`), so that collection finds nothing to walk. Frozen objects are
still freed by reference counting as always; only cyclic garbage that reached
the old generation waits, until the app is idle: then a real full collection
(`gc.unfreeze()` + `gc.collect()`) runs, when a pause harms nobody — or at the
latest every `MAX_DEFERRAL_SECONDS`.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

IDLE_CHECK_MS = 5_000
MAX_DEFERRAL_SECONDS = 15 * 60


class GcGovernor:
    def __init__(
        self, is_busy: Callable[[], bool], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._is_busy = is_busy
        self._clock = clock
        self._deliberate = False
        self._installed = False
        self.deferred = 0  # full collections turned into freezes since the last real one
        self.full_collections = 0
        self._last_full = clock()
        self._held: set[str] = set()  # busy parts the `is_busy` poll does not see

    def install(self) -> None:
        if not self._installed:
            gc.callbacks.append(self._on_collection)
            self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            gc.callbacks.remove(self._on_collection)
            self._installed = False
            gc.unfreeze()

    def set_busy(self, part: str, busy: bool) -> None:
        """A part of the window (the Bucket tab's listing) says it is busy, or done."""
        if busy:
            self._held.add(part)
        else:
            self._held.discard(part)

    @property
    def busy(self) -> bool:
        return bool(self._held) or self._is_busy()

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Runs in the thread that triggered the collection, before it walks anything.
        if phase == "start" and info["generation"] == 2 and not self._deliberate:
            gc.freeze()
            self.deferred += 1

    def tick(self) -> bool:
        """Called every few seconds: a real full collection when idle (or overdue)."""
        if not self.deferred:
            return False
        overdue = self._clock() - self._last_full >= MAX_DEFERRAL_SECONDS
        if self.busy and not overdue:
            return False
        self.collect_now()
        return True

    def collect_now(self) -> int:
        started = time.perf_counter()
        self._deliberate = True
        try:
            gc.unfreeze()
            found = gc.collect()
        finally:
            self._deliberate = False
        self.deferred = 0
        self.full_collections += 1
        self._last_full = self._clock()
        logger.debug(
            "full garbage collection: %d unreachable in %.0f ms",
            found,
            (time.perf_counter() - started) * 1000,
        )
        return found
