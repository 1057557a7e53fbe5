"""The duplicate check of a drop, on the scan thread: the intake's `DropScreen`.

Once a drop is discovered, `DropChecker.screen` runs the core's `check_jobs`
on its planned jobs (local copies among them, each against S3, with the
session's hash cache) and lets the ``on_duplicate`` policy decide; the intake
then enqueues what it returns. With ``ask`` and something to decide, the files
in question are returned as skipped jobs *waiting for your decision* (at their
planned keys) and the rest as decided, so new files upload at once.

What the window needs to know afterwards (the findings, or why S3 could not be
listed) is kept per batch and taken on the main thread with `take` once the
intake says the drop is enqueued; progress goes out as a signal (the core
throttles it to ~10 a second).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from hma_gui.core.config.settings import Settings
from hma_gui.core.duplicates.check import check_jobs
from hma_gui.core.duplicates.decisions import decide
from hma_gui.core.duplicates.pending_copies import skip_pending_copies
from hma_gui.core.duplicates.stored_decisions import WAITING_REASON
from hma_gui.core.duplicates.summary import Findings, FindingsState
from hma_gui.core.errors import Cancelled, HmaError, UploadError
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client, make_s3_client

logger = logging.getLogger(__name__)

READY_TIMEOUT = 120.0  # seconds a check waits for the sandbox or the connection


class CheckConnection:
    """The settings and S3 client the checks use, from any thread, once the session is ready."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False
        self._settings: Settings | None = None
        self._client: S3Client | None = None
        self._client_for: Settings | None = None

    @property
    def settings(self) -> Settings | None:
        return self._settings

    def set(self, settings: Settings) -> None:
        with self._lock:
            self._settings = settings
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def get(
        self, cancel: CancelToken | None = None, timeout: float = READY_TIMEOUT
    ) -> tuple[Settings, S3Client]:
        """Wait until ready (or `cancel`, or `timeout`); the settings and a client for them."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if time.monotonic() > deadline:
                raise UploadError("the connection to S3 is not ready yet")
        if self._closed:
            raise Cancelled("the window is closing")
        with self._lock:
            settings = self._settings
            assert settings is not None
            if self._client is None or self._client_for is not settings:
                self._client, self._client_for = make_s3_client(settings), settings
            return settings, self._client


@dataclass(eq=False)
class CheckFailure:
    """A drop the check could not clear (S3 not listed): its jobs are held, not queued."""

    batch_id: int
    jobs: list[NewJob]
    reason: str
    settings: Settings
    label: str = ""

    @property
    def files(self) -> int:
        return sum(1 for j in self.jobs if j.state is JobState.QUEUED)

    @property
    def queued(self) -> list[NewJob]:
        return [j for j in self.jobs if j.state is JobState.QUEUED]


class DropChecker(QObject):
    """Checks each drop before it is enqueued (scan thread); `take` its outcome (main thread)."""

    progress = Signal(int, object, str)  # done, total, message

    def __init__(
        self, connection: CheckConnection, cache: HashCache | None, store: JobStore | None = None
    ) -> None:
        super().__init__()
        self.connection = connection
        self._cache = cache
        self._store = store  # to skip copies of files still in the queue
        self._lock = threading.Lock()
        self._outcomes: dict[int, Findings | CheckFailure] = {}

    def wants(self, settings: Settings) -> bool:
        return settings.check_s3

    def screen(
        self, jobs: list[NewJob], batch_id: int, settings: Settings, cancel: CancelToken
    ) -> list[NewJob]:
        if not any(j.state is JobState.QUEUED for j in jobs):
            return jobs
        try:
            _, client = self.connection.get(cancel)
            review = check_jobs(
                jobs, settings=settings, client=client, cache=self._cache, progress=self,
                cancel=cancel,
            )  # fmt: skip
        except Cancelled:
            logger.info("duplicate check cancelled: nothing queued from this drop")
            return []
        except HmaError as exc:  # S3 unreachable, bucket missing, listing denied, credentials
            logger.error("the duplicate check failed: %s", exc)
            self._keep(batch_id, CheckFailure(batch_id, jobs, str(exc), settings))
            return [j for j in jobs if j.state is not JobState.QUEUED]
        policy = settings.on_duplicate
        ask = policy == "ask" and review.needs_review
        decide(review, "skip" if policy == "ask" else policy)
        result = review.apply(jobs)
        if policy in ("skip", "ask") and self._store is not None:  # ask preselects as skip
            result = skip_pending_copies(result, self._store, cache=self._cache, cancel=cancel)
        if ask:
            result = held(jobs, result, set(review.paths))
        if review.needs_review:
            state = FindingsState.WAITING if ask else FindingsState.APPLIED
            findings = Findings("", review, batch_id, state)
            findings.summary()  # counted here, not on the window's thread
            self._keep(batch_id, findings)
        return result

    def update(self, done: int, total: int | None, message: str = "") -> None:
        """`TaskProgress`, called by the core on the scan thread."""
        self.progress.emit(done, total, message)

    def take(self, batch_id: int) -> Findings | CheckFailure | None:
        """What the check of `batch_id` left for the window (once)."""
        with self._lock:
            return self._outcomes.pop(batch_id, None)

    def _keep(self, batch_id: int, outcome: Findings | CheckFailure) -> None:
        with self._lock:
            self._outcomes[batch_id] = outcome


def held(planned: list[NewJob], decided: list[NewJob], waiting: set[str]) -> list[NewJob]:
    """The files to review wait as skipped jobs at their planned keys; the rest as decided."""
    original = {j.source: j for j in planned}
    result = []
    for job in decided:
        first = original.get(job.source)
        if job.source in waiting and first is not None and first.state is JobState.QUEUED:
            job = dataclasses.replace(
                first, state=JobState.SKIPPED, error=WAITING_REASON, decision=None, md5=job.md5
            )
        result.append(job)
    return result
