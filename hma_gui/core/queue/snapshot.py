"""One look at a shared queue for a window: counters, dead letters, workers, this sender's jobs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hma_gui.core.config.settings import Settings
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.shared_links import SentLink
from hma_gui.core.jobs.store import JobStore, NewJob
from hma_gui.core.processes import process_identity
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import (
    DeadLetter,
    JobMessage,
    MessageError,
    QueueCounters,
    WorkerSeen,
)
from hma_gui.core.queue.producer import messages_for
from hma_gui.core.queue.sent_jobs import SentJob, SentJobs, state_of
from hma_gui.core.queue.store_forwarding import Forward, JobForwarding
from hma_gui.core.s3.client import S3Client, make_s3_client


@dataclass(frozen=True)
class QueueSnapshot:
    queue: str
    counters: QueueCounters
    dead_letters: list[DeadLetter] = field(default_factory=list)
    workers: list[WorkerSeen] = field(default_factory=list)
    sent: list[SentJob] = field(default_factory=list)


class SharedQueueClient:
    """A desktop's side of the shared queue: it sends planned jobs and looks at the queue.

    The queue and the S3 client are built on first use (on a worker thread) for
    the settings' ``queue_url``, and again when it changes. Thread-safe.
    """

    def __init__(
        self,
        store: JobStore,
        *,
        s3_factory: Callable[[Settings], S3Client] = make_s3_client,
        sender: str | None = None,
        cache: HashCache | None = None,
    ) -> None:
        self._store = store
        self._cache = cache  # MD5s known here (the duplicate check's), for the messages
        self._hashed: dict[str, str | None] = {}  # message id → MD5 computed to follow it
        self._s3_factory = s3_factory
        self.sender = sender or process_identity()
        self.sent = SentJobs()
        self._lock = threading.Lock()
        self._built: tuple[str, JobQueue, S3Client] | None = None
        self._done: dict[str, SentJob] = {}  # a done job stays done: asked no more

    @staticmethod
    def wants(settings: Settings) -> bool:
        return settings.queue_url != "local"

    def _open(self, settings: Settings) -> tuple[JobQueue, S3Client]:
        from hma_gui.core.queue.factory import open_queue

        with self._lock:
            if self._built is None or self._built[0] != settings.queue_url:
                s3 = self._s3_factory(settings)
                queue = open_queue(
                    settings, store=lambda: self._store, s3_client=lambda: s3, worker=self.sender
                )
                self._built = (settings.queue_url, queue, s3)
            return self._built[1], self._built[2]

    def forwarding(self, settings: Settings) -> JobForwarding:
        """Sends the window's claimed jobs and follows them (`store_forwarding`)."""
        queue, s3 = self._open(settings)
        return JobForwarding(
            self._store, queue, s3, sender=self.sender, cache=self._cache, hashed=self._hashed
        )

    def forwarder(self, settings: Settings) -> Forward | None:
        """Where the window's executor sends what it claims; None without a shared queue."""
        if not self.wants(settings):
            return None
        return lambda jobs: self.forwarding(settings).forward(jobs)

    def follow(self, settings: Settings, *, failed_too: bool = True) -> int:
        """Settle the window's sent jobs whose outcome is known now (network requests)."""
        if not self.wants(settings) or not self._store.shared.unsettled(1, failed_too=failed_too):
            return 0
        return self.forwarding(settings).follow(failed_too=failed_too)

    def send(self, jobs: list[NewJob], settings: Settings) -> int:
        queue, _ = self._open(settings)
        messages = messages_for(jobs, sender=self.sender)
        if messages:
            self.sent.add(queue.send(messages), messages)
        return len(messages)

    def snapshot(self, settings: Settings, *, sent_limit: int = 50) -> QueueSnapshot:
        """Costs a few requests, and two per unfinished job of the last `sent_limit` sent."""
        queue, s3 = self._open(settings)
        self.follow(settings, failed_too=False)
        sent = [_sent_job(link) for link in self._store.shared.recent(sent_limit)]
        for job_id, message in self.sent.recent(sent_limit):
            found = self._done.get(job_id) or state_of(job_id, message, queue, s3)
            if found is None:
                continue
            if found.state == "done":
                self._done[job_id] = found
            sent.append(found)
        return QueueSnapshot(
            queue.name, queue.counters(), queue.dead_letters(100), queue.workers(), sent
        )

    def redrive(self, settings: Settings) -> int:
        queue, _ = self._open(settings)
        return queue.redrive()

    def close(self) -> None:
        with self._lock:
            if self._built is not None:
                self._built[1].close()
                self._built = None


def _sent_job(link: SentLink) -> SentJob:
    """A job the window sent, as the store last settled it."""
    try:
        message = JobMessage.decode(link.message)
    except MessageError:
        message = JobMessage("", "", "", size=0, id=link.message_id)
    return SentJob(link.message_id, message, link.outcome, link.reason)
