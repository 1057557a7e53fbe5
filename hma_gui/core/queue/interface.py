"""The one queue interface every front-end and worker uses, whatever the backend.

Two backends implement it: `LocalQueue` (the SQLite job store of one machine,
the default) and `SqsQueue` (an SQS standard queue with its dead-letter queue,
shared by any number of desktops, servers and workers). Delivery is at least
once: a worker acknowledges a job only after its effect is durable, and a job
whose worker died is delivered again when its lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hma_gui.core.queue.messages import (
    DeadLetter,
    Delivery,
    JobMessage,
    QueueCounters,
    WorkerSeen,
    Written,
)


class JobQueue(Protocol):
    name: str  # for people: "local" or the SQS queue's name

    def send(self, jobs: Sequence[JobMessage]) -> list[str]:
        """Enqueue jobs; return their ids (the `JobMessage.id` for SQS, the job store's id)."""
        ...

    def receive(self, max_jobs: int, wait_seconds: float, lease_seconds: int) -> list[Delivery]:
        """Up to `max_jobs` jobs, leased for `lease_seconds`; waits up to `wait_seconds`."""
        ...

    def extend(self, deliveries: Sequence[Delivery], lease_seconds: int) -> None:
        """Renew the leases of jobs still being worked on (the heartbeat)."""
        ...

    def ack(self, delivery: Delivery, written: Written | None = None) -> None:
        """The job's effect is durable: the queue forgets it (may be batched; see `flush`)."""
        ...

    def fail(self, delivery: Delivery, reason: str, retry_in: int) -> None:
        """The attempt failed: record why, and deliver the job again after `retry_in`
        seconds — or, past the receive limit, move it to the dead letters."""
        ...

    def release(self, deliveries: Sequence[Delivery]) -> None:
        """Hand unstarted jobs back at once (visibility 0), e.g. on SIGTERM."""
        ...

    def flush(self) -> None:
        """Send what is batched (acknowledgements, counters)."""
        ...

    def counters(self) -> QueueCounters: ...

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    def redrive(self) -> int:
        """Queue every dead-lettered job again; return how many."""
        ...

    def job_status(self, job_id: str) -> tuple[str, str | None] | None:
        """What the queue knows of a job it was sent: (state, last error), or None.

        The local queue knows every job's state; SQS knows only recorded failures
        (a job is otherwise queued, or done: its object is in S3).
        """
        ...

    def workers(self) -> list[WorkerSeen]:
        """Workers that reported recently (newest first)."""
        ...

    def note_worker(self, seen: WorkerSeen) -> None:
        """A worker's periodic report of itself (its counters, that it is alive)."""
        ...

    def close(self) -> None: ...
