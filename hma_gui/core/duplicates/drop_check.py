"""The duplicate check of a drop: the screen with a person to ask later.

`DropCheck.screen` runs a drop's planned jobs through `screen_jobs` on the
scan thread, with the ``on_duplicate`` policy; with ``ask`` the questioned
files are held (``waiting`` jobs at their planned keys) and the rest decided,
so new files upload at once. Copies of files still in the queue are skipped.

What the front-end needs afterwards — the findings to review, or why S3 could
not be listed (then nothing of the drop is queued) — is kept per batch and
taken once with `take`, from another thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hma_gui.core.duplicates.connection import CheckConnection
from hma_gui.core.duplicates.screen import screen_jobs
from hma_gui.core.duplicates.summary import Findings, FindingsState
from hma_gui.core.errors import AuthError, Cancelled, ConfigError, HmaError
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken, TaskProgress

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class CheckFailure:
    """A drop the check could not clear (S3 not listed): its jobs are held, not queued."""

    batch_id: int
    jobs: list[NewJob]
    reason: str
    settings: Settings
    label: str = ""
    # Credentials refused or missing, or the AWS profile unknown: an upload without the
    # check would fail alike, so it is not offered.
    auth: bool = False

    @property
    def files(self) -> int:
        return len(self.queued)

    @property
    def queued(self) -> list[NewJob]:
        return [j for j in self.jobs if j.state is JobState.QUEUED]


class DropCheck:
    """Screens each drop before it is enqueued; `take` what it left for the front-end."""

    def __init__(
        self,
        connection: CheckConnection,
        *,
        cache: HashCache | None = None,
        store: JobStore | None = None,  # to skip copies of files still in the queue
        progress: TaskProgress | None = None,
    ) -> None:
        self.connection = connection
        self._cache = cache
        self._store = store
        self._progress = progress
        self._lock = threading.Lock()
        self._outcomes: dict[int, Findings | CheckFailure] = {}

    def screen(
        self, jobs: list[NewJob], batch_id: int, settings: Settings, cancel: CancelToken
    ) -> list[NewJob]:
        """The jobs to enqueue into `batch_id`: decided, skipped or waiting (none if cancelled)."""
        if not any(j.state is JobState.QUEUED for j in jobs):
            return jobs
        try:
            _, client = self.connection.get(cancel)
            screened = screen_jobs(
                jobs, settings=settings, client=client, hold=True, cache=self._cache,
                pending=self._store, progress=self._progress, cancel=cancel,
            )  # fmt: skip
        except Cancelled:
            logger.info("duplicate check cancelled: nothing queued from this drop")
            return []
        except HmaError as exc:  # S3 unreachable, bucket missing, listing denied, credentials
            logger.error("the duplicate check failed: %s", exc)
            failure = CheckFailure(
                batch_id, jobs, str(exc), settings, auth=isinstance(exc, AuthError | ConfigError)
            )
            self._keep(batch_id, failure)
            return [j for j in jobs if j.state is not JobState.QUEUED]
        if screened.review.needs_review:
            state = FindingsState.WAITING if screened.waiting else FindingsState.APPLIED
            findings = Findings("", screened.review, batch_id, state)
            findings.summary()  # counted here, not on the front-end's thread
            self._keep(batch_id, findings)
        return screened.jobs

    def take(self, batch_id: int) -> Findings | CheckFailure | None:
        """What the check of `batch_id` left (once)."""
        with self._lock:
            return self._outcomes.pop(batch_id, None)

    def _keep(self, batch_id: int, outcome: Findings | CheckFailure) -> None:
        with self._lock:
            self._outcomes[batch_id] = outcome
