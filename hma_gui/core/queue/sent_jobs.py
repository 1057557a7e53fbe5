"""The jobs one sender (a desktop, the API) put on a shared queue, and what became of them.

SQS forgets a message once it is done, so the sender remembers what it sent and
asks: a failure recorded for the job (the queue's `job_status`) → failed, with
the reason; its object in S3 is the job's → done; else queued.

"The job's object" means the object at the key has the job's MD5 (the worker
stores it as metadata; a single-part ETag is the MD5 too). Only a job whose MD5
the sender does not know falls back to time: an object written since the job
was sent, that is not the object an overwrite was to replace — and never for a
job with a recorded failure, whose object may be somebody else's (an overwrite
refused because the object changed meanwhile must not read as done).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import Expect, JobMessage
from hma_gui.core.s3.client import S3Client
from hma_gui.core.upload.upload_config import MD5_METADATA_KEY


@dataclass(frozen=True, slots=True)
class SentJob:
    id: str
    message: JobMessage
    state: str  # "queued", "done" or "failed" (the local queue: the job store's states)
    error: str | None = None
    etag: str | None = None  # done: the object's ETag, when S3 was asked


class SentJobs:
    """Thread-safe: sending threads add, a view or the API asks."""

    def __init__(self, limit: int = 10_000) -> None:
        self._sent: dict[str, JobMessage] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def add(self, ids: Sequence[str], messages: Sequence[JobMessage]) -> None:
        with self._lock:
            self._sent.update(zip(ids, messages, strict=True))
            while len(self._sent) > self._limit:  # the oldest go first
                del self._sent[next(iter(self._sent))]

    def get(self, job_id: str) -> JobMessage | None:
        with self._lock:
            return self._sent.get(job_id)

    def recent(self, limit: int = 200) -> list[tuple[str, JobMessage]]:
        with self._lock:
            return list(self._sent.items())[-limit:][::-1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._sent)


def state_of(
    job_id: str, message: JobMessage | None, queue: JobQueue, s3: S3Client
) -> SentJob | None:
    """What became of a sent job (None when neither the queue nor the sender knows it)."""
    status = queue.job_status(job_id)
    if status is None and message is None:
        return None
    state, error = status if status is not None else ("queued", None)
    if message is None:
        return SentJob(job_id, JobMessage("", "", "", size=0, id=job_id), state, error)
    if state in ("queued", "failed"):
        etag = written_etag(message, s3, failed=state == "failed")
        if etag is not None:
            return SentJob(job_id, message, "done", None, etag)  # (a later attempt succeeded)
    return SentJob(job_id, message, state, error)


def written_etag(message: JobMessage, s3: S3Client, *, failed: bool = False) -> str | None:
    """The ETag of the object at the message's key when it is the job's; else None."""
    try:
        head = s3.head_object(Bucket=message.bucket, Key=message.key)
    except Exception:  # noqa: BLE001 - not there (or not readable): not known to be done
        return None
    etag = clean_etag(head.get("ETag"))
    there = head.get("Metadata", {}).get(MD5_METADATA_KEY) or ("" if "-" in etag else etag)
    if message.md5:
        return etag if there and there.lower() == message.md5.lower() else None
    if failed or (message.expect is Expect.OVERWRITE and etag == clean_etag(message.etag)):
        return None
    return etag if head["LastModified"].timestamp() >= message.sent_at - 1 else None
