"""One look at a shared queue for a window: counters, dead letters, workers, this sender's jobs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import botocore.exceptions as bce

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
from hma_gui.core.queue.sqs_setup import QueueLocation, QueueMissing, is_missing_queue
from hma_gui.core.queue.store_forwarding import Forward, JobForwarding, settle_lost
from hma_gui.core.s3.client import S3Client, make_s3_client

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

logger = logging.getLogger(__name__)


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
        self._built: dict[str, tuple[JobQueue, S3Client]] = {}  # by queue URL setting
        self._unreachable: set[str] = set()  # queues of sent jobs that could not be opened
        self._done: dict[str, SentJob] = {}  # a done job stays done: asked no more

    @staticmethod
    def wants(settings: Settings) -> bool:
        return settings.queue_url != "local"

    def _open(self, settings: Settings, url: str | None = None) -> tuple[JobQueue, S3Client]:
        """The queue at `url` (default: the settings' shared queue), built once per URL."""
        from hma_gui.core.queue.factory import open_queue

        url = url or settings.queue_url
        with self._lock:
            built = self._built.get(url)
            if built is None:
                s3 = self._s3_factory(settings)
                queue = open_queue(
                    settings, store=lambda: self._store, s3_client=lambda: s3, url=url,
                    worker=self.sender,
                )  # fmt: skip
                built = self._built[url] = (queue, s3)
            return built

    def forwarding(self, settings: Settings, url: str | None = None) -> JobForwarding:
        """Sends the window's claimed jobs and follows them (`store_forwarding`)."""
        queue, s3 = self._open(settings, url)
        return JobForwarding(
            self._store, queue, s3, sender=self.sender, cache=self._cache, hashed=self._hashed
        )

    def forwarder(self, settings: Settings) -> Forward | None:
        """Where the window's executor sends what it claims; None without a shared queue."""
        if not self.wants(settings):
            return None
        return lambda jobs: self.forwarding(settings).forward(jobs)

    def follow(self, settings: Settings, *, failed_too: bool = True) -> int:
        """Settle the window's sent jobs whose outcome is known now (network requests).

        Each is asked of the queue it was sent to: jobs sent before the shared queue
        was turned off, or changed, still end done or failed instead of staying "Sent".
        A queue that no longer exists took their messages with it: each ends done if
        its object is in S3, else failed with that reason (retry sends it again). It
        is noticed when the queue is opened, and with `failed_too` (every few
        follows: one request) of a queue opened before. A queue that cannot be
        opened otherwise is said once (per reason) and tried again later.
        """
        current = QueueLocation.parse(settings.queue_url)
        settled = 0
        for name in self._store.shared.unsettled_queues(failed_too=failed_too):
            if name == "local":
                continue  # the window never sends to a local queue (`wants`)
            here = not current.local and current.name == name  # the shared queue set now
            url = settings.queue_url if here else f"sqs://{name}"
            try:
                forwarding = self.forwarding(settings, url)
                if failed_too:
                    self._counters(settings, url)  # still there?
            except QueueMissing:  # deleted: its messages went with it
                settled += settle_lost(self._store, lambda: self._s3_factory(settings), name)
                continue
            except Exception as exc:  # noqa: BLE001 - its jobs stay sent; asked again later
                reason = f"{name}: {exc}"
                if reason not in self._unreachable:
                    self._unreachable.add(reason)
                    logger.warning("cannot ask the queue %s about the jobs sent to it", reason)
                continue
            settled += forwarding.follow(failed_too=failed_too)
        return settled

    def send(self, jobs: list[NewJob], settings: Settings) -> int:
        queue, _ = self._open(settings)
        messages = messages_for(jobs, sender=self.sender)
        if messages:
            self.sent.add(queue.send(messages), messages)
        return len(messages)

    def snapshot(self, settings: Settings, *, sent_limit: int = 50) -> QueueSnapshot:
        """Costs a few requests, and two per unfinished job of the last `sent_limit` sent."""
        queue, s3 = self._open(settings)
        try:
            counters = self._counters(settings, settings.queue_url)
        except QueueMissing as missing:  # opened again, it settles its sent jobs (`follow`)
            self.follow(settings, failed_too=False)
            raise (missing.__cause__ or missing) from None  # SQS's own error, for the tab
        self.follow(settings, failed_too=False)
        sent = [_sent_job(link) for link in self._store.shared.recent(sent_limit)]
        for job_id, message in self.sent.recent(sent_limit):
            found = self._done.get(job_id) or state_of(job_id, message, queue, s3)
            if found is None:
                continue
            if found.state == "done":
                self._done[job_id] = found
            sent.append(found)
        return QueueSnapshot(queue.name, counters, queue.dead_letters(100), queue.workers(), sent)

    def redrive(self, settings: Settings) -> int:
        queue, _ = self._open(settings)
        return queue.redrive()

    def _counters(self, settings: Settings, url: str) -> QueueCounters:
        """The counters of the queue at `url`: one request to SQS, so a queue deleted
        since it was opened says so here (`QueueMissing`, and it is let go) — following
        its jobs asks S3 only, where the deletion would go unseen."""
        queue, _ = self._open(settings, url)
        try:
            return queue.counters()
        except bce.ClientError as exc:
            if not is_missing_queue(exc):
                raise
            self._forget(url)
            raise QueueMissing(f"the queue {url} no longer exists") from exc

    def _forget(self, url: str) -> None:
        """Let the queue at `url` go: the next use resolves it again."""
        with self._lock:
            built = self._built.pop(url, None)
        if built is not None:
            built[0].close()

    def close(self) -> None:
        with self._lock:
            built, self._built = self._built, {}
        for queue, _ in built.values():
            queue.close()


def _sent_job(link: SentLink) -> SentJob:
    """A job the window sent, as the store last settled it."""
    try:
        message = JobMessage.decode(link.message)
    except MessageError:
        message = JobMessage("", "", "", size=0, id=link.message_id)
    return SentJob(link.message_id, message, link.outcome, link.reason)
