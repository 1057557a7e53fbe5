"""The `local` queue backend: the job store (SQLite, WAL) of this machine.

The store is already a durable queue: ``claim`` leases jobs to this process
atomically, even against other processes on the same store, and a job whose
owner died goes back to queued (`JobStore.recover_orphans`), which is what the
lease running out means here; `extend` has nothing to renew. A job that failed
`max_receives` times stays failed: the local queue's dead letters are its failed
jobs, and `redrive` queues them again (like ``hma-ingest retry-failed``).

A message's precondition is kept as the job's expected ETag (`Job.expected_etag`:
``*`` for `Expect.NEW`, the ETag for `Expect.OVERWRITE`, none for `Expect.ANY`),
the same column the desktop's own uploads use.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from hma_gui.core.jobs.records import Decision
from hma_gui.core.jobs.store import Job, JobState, JobStore, NewJob
from hma_gui.core.queue.messages import (
    DeadLetter,
    Delivery,
    Expect,
    JobMessage,
    QueueCounters,
    WorkerSeen,
    Written,
    expectation_of,
)

POLL_SECONDS = 0.2  # how often an idle receive looks at the store again
ORPHAN_CHECK_SECONDS = 2.0


class LocalQueue:
    name = "local"

    def __init__(self, store: JobStore, *, max_receives: int = 5) -> None:
        self._store = store
        self._max_receives = max_receives
        self._orphans_checked = 0.0

    # ------------------------------------------------------------- producing

    def send(self, jobs: Sequence[JobMessage]) -> list[str]:
        batch = self._store.new_batch("queue")
        created = self._store.enqueue((_new_job(m) for m in jobs), batch)
        return [str(job_id) for job_id, _ in created]

    # ------------------------------------------------------------- consuming

    def receive(self, max_jobs: int, wait_seconds: float, lease_seconds: int) -> list[Delivery]:
        deadline = time.monotonic() + wait_seconds
        while True:
            jobs = self._store.claim(max_jobs)
            if jobs:
                return [_delivery(job) for job in jobs]
            self._recover_orphans()
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            time.sleep(min(POLL_SECONDS, left))  # a short wait is not stretched to a poll

    def _recover_orphans(self) -> None:
        now = time.monotonic()
        if now - self._orphans_checked >= ORPHAN_CHECK_SECONDS:
            self._orphans_checked = now
            self._store.recover_orphans()

    def extend(self, deliveries: Sequence[Delivery], lease_seconds: int) -> None:
        return None  # a local lease lasts as long as its process

    def ack(self, delivery: Delivery, written: Written | None = None) -> None:
        job_id = int(delivery.handle)
        if written is None:
            job = self._store.get(job_id)
            etag = job.etag if job is not None and job.etag else ""
            self._store.mark_done(job_id, etag=etag, md5=None)
            return
        self._store.mark_done(
            job_id,
            etag=written.etag,
            md5=written.md5,
            size=written.size,
            mtime_ns=written.mtime_ns,
        )

    def fail(self, delivery: Delivery, reason: str, retry_in: int) -> None:
        job_id = int(delivery.handle)
        final = delivery.receive_count >= self._max_receives
        self._store.mark_failed(job_id, reason, retryable=not final)
        if not final:
            self._store.retry([job_id])

    def release(self, deliveries: Sequence[Delivery]) -> None:
        self._store.unclaim(int(d.handle) for d in deliveries)

    def flush(self) -> None:
        return None

    # ------------------------------------------------------------- looking

    def counters(self) -> QueueCounters:
        counts = self._store.counters()
        return QueueCounters(
            queued=counts.queued,
            in_flight=counts.running,
            processed=counts.done,
            failed=counts.failed,
            dead_lettered=counts.failed,
        )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return [
            DeadLetter(
                job_id=str(job.id),
                source=job.source,
                uri=job.uri,
                reason=job.error,
                receive_count=job.attempts,
                failed_at=job.finished_at,
            )
            for job in self._store.jobs(state=JobState.FAILED, limit=limit)
        ]

    def redrive(self) -> int:
        return self._store.retry_failed()

    def job_status(self, job_id: str) -> tuple[str, str | None] | None:
        job = self._store.get(int(job_id)) if job_id.isdigit() else None
        return (job.state.value, job.error) if job is not None else None

    def workers(self) -> list[WorkerSeen]:
        return []  # one machine: the job store's owners are its workers

    def note_worker(self, seen: WorkerSeen) -> None:
        return None

    def close(self) -> None:
        return None  # the store belongs to whoever opened it


def _new_job(message: JobMessage) -> NewJob:
    return NewJob(
        source=message.source,
        size=message.size,
        mtime_ns=message.mtime_ns,
        scope=message.scope,
        bucket=message.bucket,
        key=message.key,
        md5=message.md5,
        decision=Decision.OVERWRITE if message.expect is Expect.OVERWRITE else None,
        expected_etag=message.expected_etag,
    )


def _delivery(job: Job) -> Delivery:
    expect, etag = expectation_of(job.expected_etag)
    message = JobMessage(
        id=str(job.id),
        source=job.source,
        bucket=job.bucket or "",
        key=job.key or "",
        size=job.size,
        scope=job.scope,
        mtime_ns=job.mtime_ns,
        md5=job.md5,
        expect=expect,
        etag=etag,
        sent_at=job.created_at,
    )
    problem = None if job.bucket and job.key else (job.error or "the job has no S3 target")
    return Delivery(
        handle=str(job.id),
        message_id=str(job.id),
        receive_count=job.attempts,
        message=message if problem is None else None,
        problem=problem,
    )
