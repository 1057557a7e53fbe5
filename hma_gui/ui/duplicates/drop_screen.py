"""The intake's `DropScreen` in the window: the core's `DropCheck` with a progress signal.

The check itself (the duplicate screen, holding the files to decide, what is
left for the window per batch) is the core's; this adapter only turns the
core's throttled progress calls on the scan thread into a Qt signal.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from hma_gui.core.config.settings import Settings
from hma_gui.core.duplicates.connection import CheckConnection
from hma_gui.core.duplicates.drop_check import CheckFailure, DropCheck
from hma_gui.core.duplicates.summary import Findings
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobStore, NewJob
from hma_gui.core.progress import CancelToken

__all__ = ["CheckConnection", "CheckFailure", "DropChecker"]


class DropChecker(QObject):
    """Checks each drop before it is enqueued (scan thread); `take` its outcome (main thread)."""

    progress = Signal(int, object, str)  # done, total, message

    def __init__(
        self, connection: CheckConnection, cache: HashCache | None, store: JobStore | None = None
    ) -> None:
        super().__init__()
        self.connection = connection
        self._check = DropCheck(connection, cache=cache, store=store, progress=self)

    def wants(self, settings: Settings) -> bool:
        return settings.check_s3

    def screen(
        self, jobs: list[NewJob], batch_id: int, settings: Settings, cancel: CancelToken
    ) -> list[NewJob]:
        return self._check.screen(jobs, batch_id, settings, cancel)

    def update(self, done: int, total: int | None, message: str = "") -> None:
        """`TaskProgress`, called by the core on the scan thread."""
        self.progress.emit(done, total, message)

    def take(self, batch_id: int) -> Findings | CheckFailure | None:
        return self._check.take(batch_id)
