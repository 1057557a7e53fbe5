"""The jobs one sender (a desktop, the API) put on a shared queue, and what became of them.

SQS forgets a message once it is done, so the sender remembers what it sent and
asks: a failure recorded for the job (the queue's `job_status`) → failed, with
the reason; its object in S3, written after it was sent → done; else queued.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from hma_gui.core.queue.interface import JobQueue
from hma_gui.core.queue.messages import JobMessage
from hma_gui.core.s3.client import S3Client


@dataclass(frozen=True, slots=True)
class SentJob:
    id: str
    message: JobMessage
    state: str  # "queued", "done" or "failed" (the local queue: the job store's states)
    error: str | None = None


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
    if state in ("queued", "failed") and _written_since_sent(message, s3):
        state, error = "done", None  # (a later attempt succeeded)
    return SentJob(job_id, message, state, error)


def _written_since_sent(message: JobMessage, s3: S3Client) -> bool:
    try:
        head = s3.head_object(Bucket=message.bucket, Key=message.key)
    except Exception:  # noqa: BLE001 - not there (or not readable): not known to be done
        return False
    return head["LastModified"].timestamp() >= message.sent_at - 1
