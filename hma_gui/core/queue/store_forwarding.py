"""With a shared queue set, whatever the window would upload goes to the queue instead.

Jobs become runnable in a window by many routes: a drop, a watched folder, a
duplicate decision made later (overwrite, keep both, upload), "Upload again",
"Retry failed", a waiting job released by the re-check, a scope chosen for a
needs-scope job. All of them end the same way: the job is ``queued`` in the job
store and the window's executor claims it. `ForwardingStoreQueue` is the
executor's `JobSource` over the store that, while a shared queue is set, sends
what it claims instead of handing it to the uploads — so every route is
covered in one place, and the window's executor uploads none.

`JobForwarding` does the sending (one `JobMessage` per job, with the job's
precondition: ``If-Match`` the ETag of a decided overwrite, ``If-None-Match``
for a key believed free; the desktop's path, which a worker maps with its
``queue_path_map``) and links each job to its message in the store
(`SharedLinks`); the job shows as sent. `follow` asks the queue and S3 what
became of the sent jobs and settles them: done, failed with the worker's
reason, or dead-lettered. A send that fails leaves the jobs failed (retryable)
with the reason: "Retry failed" sends them again.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hma_gui.core.hashes.digests import md5_file
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.records import Job
from hma_gui.core.jobs.shared_links import SentLink
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import JobMessage, MessageError
from hma_gui.core.queue.producer import message_for
from hma_gui.core.queue.sent_jobs import state_of, written_etag
from hma_gui.core.s3.client import S3Client
from hma_gui.core.upload.job_source import StoreQueue

logger = logging.getLogger(__name__)

SEND_BATCH = 10  # one SendMessageBatch; each is linked in the store as soon as it is sent
CLAIM_CHUNK = 50
FOLLOW_BATCH = 50  # sent jobs looked at per `follow` (two requests each)

Forward = Callable[[Sequence[Job]], None]


class ForwardingStoreQueue(StoreQueue):
    """A `StoreQueue` whose claims go to a shared queue while `forward_to()` names one."""

    def __init__(
        self,
        store: JobStore,
        forward_to: Callable[[], Forward | None],
        batch_id: int | None = None,
    ) -> None:
        super().__init__(store, batch_id)
        self._forward_to = forward_to

    def claim(self, limit: int) -> list[Job]:
        forward = self._forward_to()
        if forward is None:
            return super().claim(limit)
        while True:  # everything runnable now goes; the executor gets nothing to upload
            jobs = self.store.claim(CLAIM_CHUNK, self.batch_id)
            if not jobs:
                return []
            try:
                forward(jobs)
            except Exception as exc:  # a bug must not leave them running here for good
                logger.exception("forwarding %d jobs failed", len(jobs))
                for job in jobs:
                    self.store.mark_failed(job.id, f"not sent to the shared queue: {exc}",
                                           retryable=True)  # fmt: skip


class JobForwarding:
    """Sends claimed jobs to a shared queue and follows them to their outcome (thread-safe)."""

    def __init__(
        self,
        store: JobStore,
        queue: JobQueue,
        s3: S3Client,
        *,
        sender: str = "",
        cache: HashCache | None = None,
        hashed: dict[str, str | None] | None = None,
    ) -> None:
        """`cache`: MD5s already known (the duplicate check's); `hashed`: message id → the
        MD5 `follow` computed for a message sent without one (kept by the caller)."""
        self._store = store
        self._queue = queue
        self._s3 = s3
        self.sender = sender
        self._cache = cache
        self._hashed = {} if hashed is None else hashed

    def forward(self, jobs: Sequence[Job]) -> None:
        """Send `jobs` (running, claimed by this process); each batch is linked once sent."""
        queue = self._queue
        note = f"sent to the shared queue {queue.name}; waiting for a worker"
        for start in range(0, len(jobs), SEND_BATCH):
            chunk = jobs[start : start + SEND_BATCH]
            messages = [
                message_for(job, sender=self.sender, md5=job.md5 or self._cached_md5(job.source))
                for job in chunk
            ]
            try:
                ids = queue.send(messages)  # SQS: the messages' ids; local: its store's
            except Exception as exc:  # noqa: BLE001 - unreachable, denied: the jobs say so
                logger.warning("could not send %d jobs to %s: %s", len(chunk), queue.name, exc)
                for job in chunk:
                    self._store.mark_failed(
                        job.id, f"could not send to the shared queue {queue.name}: {exc}",
                        retryable=True,
                    )  # fmt: skip
                continue
            self._store.shared.record_sent(
                [
                    (job.id, sent_id, m.encode())
                    for job, sent_id, m in zip(chunk, ids, messages, strict=True)
                ],
                queue.name,
                note,
            )
            logger.info("sent %d jobs to the shared queue %s", len(chunk), queue.name)

    def follow(self, limit: int = FOLLOW_BATCH, *, failed_too: bool = True) -> int:
        """Settle the sent jobs whose outcome changed; returns how many were settled.

        Looks at up to `limit` jobs (two requests each), the longest unchecked
        first, so that every sent job gets its turn; `failed_too`: also the
        failed and dead-lettered ones (a later attempt may still succeed).
        """
        links = self._store.shared.unsettled(
            limit, failed_too=failed_too, queue=self._queue.name
        )  # another queue's jobs are asked of that queue (`SharedQueueClient.follow`)
        if not links:
            return 0
        dead: dict[str, str | None] = {}
        if any(link.outcome != "sent" for link in links):  # only a failed job is dead-lettered
            dead = {d.job_id: d.reason for d in self._queue.dead_letters(100)}
        settled = 0
        for link in links:
            try:
                settled += self._follow_one(link, dead)
            except Exception as exc:  # noqa: BLE001 - asked again at the next look
                logger.warning("could not follow job %d: %s", link.job_id, exc)
        self._store.shared.checked([link.job_id for link in links])
        return settled

    def _follow_one(self, link: SentLink, dead: dict[str, str | None]) -> bool:
        try:
            message = JobMessage.decode(link.message)
        except MessageError as exc:
            return self._store.shared.settle(link.job_id, link.message_id, "failed", str(exc))
        if message.md5 is None:  # what "our bytes" are, to tell our object from another's
            if message.id not in self._hashed:
                self._hashed[message.id] = self._local_md5(message.source)
            message = dataclasses.replace(message, md5=self._hashed[message.id])
        found = state_of(link.message_id, message, self._queue, self._s3)
        if found is None or (found.state == "queued" and link.message_id not in dead):
            return False
        if found.state == "done":
            return self._store.shared.settle(
                link.job_id, link.message_id, "done", etag=found.etag, md5=message.md5
            )
        outcome, reason = "failed", found.error or "failed on a worker"
        if link.message_id in dead:
            outcome, reason = "dead-lettered", f"dead-lettered: {dead[link.message_id] or reason}"
        if (outcome, reason) == (link.outcome, link.reason):
            return False
        return self._store.shared.settle(link.job_id, link.message_id, outcome, reason)

    def _cached_md5(self, source: str) -> str | None:
        """The MD5 the hash cache knows for `source` (no reading): None when it does not."""
        if self._cache is None:
            return None
        try:
            return self._cache.lookup(Path(source), Path(source).stat())
        except OSError:
            return None

    def _local_md5(self, source: str) -> str | None:
        """The MD5 of the sent file as this desktop sees it (cached, else read once)."""
        path = Path(source)
        try:
            info = path.stat()
            known = self._cache.lookup(path, info) if self._cache is not None else None
            if known is not None:
                return known
            read_at = time.time()
            md5 = md5_file(path)
        except OSError:
            return None  # gone or unreadable here: the time rule decides (`written_etag`)
        if self._cache is not None:
            self._cache.store(path, info, md5, read_at)
        return md5


def settle_lost(
    store: JobStore, s3_client: Callable[[], S3Client], queue_name: str, limit: int = FOLLOW_BATCH
) -> int:
    """Settle the jobs sent to `queue_name`, which no longer exists; how many were settled.

    Their messages went with the queue, so no worker will report on them: a job
    whose object S3 holds (a worker wrote it before the queue went) is done, every
    other one fails saying so, and "retry failed" sends or uploads it again.
    """
    links = store.shared.unsettled(limit, failed_too=False, queue=queue_name)
    if not links:
        return 0
    s3 = s3_client()
    settled = 0
    for link in links:
        try:
            message = JobMessage.decode(link.message)
        except MessageError as exc:
            settled += store.shared.settle(link.job_id, link.message_id, "failed", str(exc))
            continue
        etag = written_etag(message, s3)
        if etag is not None:
            settled += store.shared.settle(
                link.job_id, link.message_id, "done", etag=etag, md5=message.md5
            )
        else:
            reason = (
                f"the shared queue {queue_name!r} no longer exists and its message went with "
                "it: retry the job to send or upload it again"
            )
            settled += store.shared.settle(link.job_id, link.message_id, "failed", reason)
    store.shared.checked([link.job_id for link in links])
    if settled:
        logger.warning("%d jobs sent to the deleted queue %s settled", settled, queue_name)
    return settled
