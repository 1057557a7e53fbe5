"""Duplicate decisions written onto jobs already in the store.

Decisions reach jobs one way, `DuplicateReview.apply`; this module writes its
outcome onto stored jobs (`write_decided`). Two callers:

* `update_stored_jobs` — the desktop app's review dialog, answered after the
  drop was enqueued (its questioned files wait as ``waiting`` jobs) or reopened
  to change decisions: a skip can be taken back (the job is queued again,
  retargeted for "keep both") and a queued job skipped;
* `recheck_waiting` — at the next start, the files still waiting go through
  the duplicate screen again (`screen_jobs`).

Each job is changed in one conditional write: one that started or finished
meanwhile is left as it is, and named in the result.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hma_gui.core.duplicates.decisions import DuplicateReview
from hma_gui.core.duplicates.screen import screen_jobs
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import Job, JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

logger = logging.getLogger(__name__)

GONE = "the file is gone: it was waiting for a duplicate decision"
_DECIDABLE = (JobState.QUEUED, JobState.SKIPPED, JobState.WAITING)


@dataclass
class StoredUpdate:
    queued: int = 0  # jobs now queued for upload (again, or with a new target)
    skipped: int = 0  # jobs now skipped
    unchanged: list[str] = field(default_factory=list)  # uploading or finished already

    def describe(self) -> str:
        parts = [f"{self.queued:,} to upload", f"{self.skipped:,} skipped"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged):,} already uploading or done (left as they are)")
        return ", ".join(parts)


def write_decided(
    store: JobStore, stored: Sequence[Job], decided: Iterable[NewJob]
) -> StoredUpdate:
    """Write each decided job (by source) onto its stored job: target, decision, state, reason."""
    by_source = {j.source: j for j in decided}
    result = StoredUpdate()
    for job in stored:
        new = by_source.get(job.source)
        if new is None or new.state is JobState.WAITING:
            continue
        if job.state not in _DECIDABLE:
            result.unchanged.append(job.source)
            continue
        expected = None if new.state is JobState.SKIPPED else new.expected_etag
        same = (job.key, job.decision, job.state, job.error, job.expected_etag) == (
            new.key, new.decision, new.state, new.error, expected,
        )  # fmt: skip
        if same or store.redecide(
            job.id, key=str(new.key), decision=new.decision, state=new.state, error=new.error,
            expected_etag=expected,
        ):  # fmt: skip
            result.queued += new.state is JobState.QUEUED
            result.skipped += new.state is JobState.SKIPPED
        else:
            result.unchanged.append(job.source)
    return result


def update_stored_jobs(
    review: DuplicateReview,
    store: JobStore,
    jobs: Sequence[Job],
    paths: Iterable[str] | None = None,
) -> StoredUpdate:
    """Write `review`'s decisions for `paths` (default: the reviewed ones) onto `jobs`."""
    wanted = set(review.paths if paths is None else paths)
    planned = [
        _replanned(job, review.jobs[job.source])
        for job in jobs
        if job.source in wanted and job.source in review.jobs
    ]
    return write_decided(store, jobs, review.apply(planned))


def _replanned(job: Job, planned: NewJob | Job) -> NewJob:
    """A stored job as planned again: at its planned target, queued, undecided."""
    return NewJob(
        job.source, job.size, mtime_ns=job.mtime_ns, root=job.root, scope=job.scope,
        bucket=planned.bucket, key=planned.key, md5=job.md5,
    )  # fmt: skip


@dataclass
class WaitingBatch:
    """The files of one batch that still wait for a decision after `recheck_waiting`."""

    batch_id: int
    review: DuplicateReview
    update: StoredUpdate  # what the check settled without asking


def recheck_waiting(
    store: JobStore,
    settings: Settings,
    client: S3Client,
    *,
    policy: str | None = None,
    cache: HashCache | None = None,
    cancel: CancelToken | None = None,
) -> list[WaitingBatch]:
    """Screen again the files left waiting for a decision (by an earlier run).

    S3 or the files may have changed since: each batch's waiting files go
    through the duplicate screen as a new drop would. With the ``ask`` policy
    (the one that left them waiting; default: the settings') a file the check
    no longer questions is settled now — queued when it is new — and the others
    wait again and come back as `WaitingBatch` reviews, preselected as ``skip``
    does; with any other policy (changed since, or ``hma-ingest resume
    --on-duplicate``) the policy decides them all and nothing waits. A file
    that is gone fails and says so. Raises `UploadError` when S3 cannot be listed.
    """
    by_batch: dict[int, list[Job]] = {}
    for job in store.jobs(state=JobState.WAITING):
        by_batch.setdefault(job.batch_id, []).append(job)
    waiting: list[WaitingBatch] = []
    for batch_id, jobs in by_batch.items():
        present = [j for j in jobs if Path(j.source).is_file()]
        kept = {j.id for j in present}
        for gone in (j for j in jobs if j.id not in kept):
            store.redecide(
                gone.id, key=str(gone.key), decision=None, state=JobState.FAILED, error=GONE
            )
        planned = [_replanned(j, j) for j in present]
        screened = screen_jobs(
            planned, settings=settings, client=client, policy=policy, hold=True, cache=cache,
            pending=store, cancel=cancel,
        )  # fmt: skip
        update = write_decided(store, present, screened.jobs)
        logger.info(
            "%d file(s) waiting for a duplicate decision checked again: %s; %d still to decide",
            len(jobs), update.describe(), len(screened.waiting),
        )  # fmt: skip
        if screened.waiting:
            waiting.append(WaitingBatch(batch_id, screened.review, update))
    return waiting
