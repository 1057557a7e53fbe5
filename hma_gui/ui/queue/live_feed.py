"""The live feed: a timer that reads the job store and the byte board off the main thread.

Every `INTERVAL_MS` a poll runs on the feed pool: ``changed_page(cursor)`` (the
rows written since the last look, at most `PAGE_ROWS` of them), ``counters()``
(O(1)) and the `ByteProgress` snapshot. The result comes back as one
`FeedSnapshot` on the main thread, where the table, the counters and the chart
take what they need. When more rows are waiting the next poll follows at once;
reading in pages keeps each read short, so the feed thread never holds the GIL
for long while the window waits. A poll never overlaps the previous one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from hma_gui.core.jobs.store import START, Counters, Job, JobStore
from hma_gui.core.progress import ByteProgress
from hma_gui.ui.tasks import run_task

logger = logging.getLogger(__name__)

INTERVAL_MS = 200
PAGE_ROWS = 2000


@dataclass(frozen=True)
class FeedSnapshot:
    counters: Counters
    changed: list[Job]
    inflight: dict[int, tuple[int, int]]
    moved_total: int  # bytes sent since the app started, never decreasing
    at: float  # time.monotonic() of the poll
    full: bool = False  # a reload starts: `changed` replaces the table (more pages follow)
    more: bool = False  # more changed rows are waiting for the next poll

    @property
    def inflight_bytes(self) -> int:
        return sum(done for done, _ in self.inflight.values())


@dataclass
class _Cursor:
    after: tuple[int, int] = START  # START: the next polls read everything
    reload: bool = True  # the next page starts a reload
    generation: int = 0
    busy: bool = False
    again: bool = False
    last_error: str = ""


class LiveFeed(QObject):
    """Polls the store on a timer; emits `snapshot(FeedSnapshot)` on the main thread."""

    snapshot = Signal(object)

    def __init__(
        self,
        store: JobStore,
        progress: ByteProgress,
        pool: QThreadPool,
        parent: QObject | None = None,
        interval_ms: int = INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._progress = progress
        self._pool = pool
        self._cursor = _Cursor()
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._stopped = False
        self._timer.start()
        self.poll()

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()

    def reload(self) -> None:
        """Read every job again from the next poll on (after rows were deleted)."""
        self._cursor.after = START
        self._cursor.reload = True
        self._cursor.generation += 1
        self.poll()

    def poll(self) -> None:
        cursor = self._cursor
        if self._stopped:
            return
        if cursor.busy:
            cursor.again = True  # poll once more as soon as this one is back
            return
        cursor.busy = True
        after, full, generation = cursor.after, cursor.reload, cursor.generation
        store, progress = self._store, self._progress
        position: list[tuple[int, int]] = []

        def read() -> FeedSnapshot:
            changed, next_after, more = store.changed_page(after, PAGE_ROWS)
            position.append(next_after)
            return FeedSnapshot(
                counters=store.counters(),
                changed=changed,
                inflight=progress.snapshot(),
                moved_total=progress.moved_total(),
                at=time.monotonic(),
                full=full,
                more=more,
            )

        def done(result: FeedSnapshot) -> None:
            cursor.busy = False
            if generation != cursor.generation:  # a reload was asked meanwhile: read again
                self.poll()
                return
            cursor.after, cursor.reload = position[0], False
            if not self._stopped:
                self.snapshot.emit(result)
            if cursor.again or result.more:
                cursor.again = False
                self.poll()

        def failed(exc: BaseException) -> None:
            cursor.busy = False
            if not self._stopped and str(exc) != cursor.last_error:
                cursor.last_error = str(exc)  # once per distinct error, not five times a second
                logger.error("cannot read the job store: %s", exc, exc_info=exc)

        run_task(self._pool, read, done, failed)
