"""A review's decisions written onto jobs already in the store, after the fact.

`DuplicateReview.apply` decides jobs before they are enqueued and `.record`
marks queued ones; `update_stored_jobs` also takes a skip back (the job is
queued again, retargeted for "keep both") and skips a queued job. The desktop
app uses it when its review dialog is answered after the drop was enqueued
(the files wait as skipped jobs), or reopened to change decisions. Each job is
changed in one conditional write: one that started or finished meanwhile is
left as it is, and named in the result.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hma_gui.core.config.settings import Settings
from hma_gui.core.duplicates.check import check_jobs
from hma_gui.core.duplicates.decisions import Decision, DuplicateReview, decide
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import Job, JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client

logger = logging.getLogger(__name__)

# The error of a job that waits (skipped, at its planned key) for a decision in the review.
WAITING_REASON = "waiting for your duplicate decision (Duplicates tab: Review duplicates…)"


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


def update_stored_jobs(
    review: DuplicateReview,
    store: JobStore,
    jobs: Sequence[Job],
    paths: Iterable[str] | None = None,
) -> StoredUpdate:
    """Write `review`'s decisions for `paths` (default: the reviewed ones) onto `jobs`."""
    outcome = {d.path: d for d in review.resolve()}
    wanted = set(review.paths if paths is None else paths)
    result = StoredUpdate()
    for job in jobs:
        decided = outcome.get(job.source)
        planned = review.jobs.get(job.source)
        if decided is None or planned is None or job.source not in wanted:
            continue
        if job.state not in (JobState.QUEUED, JobState.SKIPPED):
            result.unchanged.append(job.source)
            continue
        value: str | None
        error: str | None
        if decided.decision is Decision.SKIP:
            key, value, state, error = str(planned.key), "skip", JobState.SKIPPED, decided.reason
        else:
            value = None if decided.decision is Decision.UPLOAD else decided.decision.value
            key, state, error = str(decided.key), JobState.QUEUED, None
        expected = None if state is JobState.SKIPPED else decided.expected
        now = (job.key, job.decision, job.state, job.error, job.expected_etag)
        if now == (key, value, state, error, expected):
            result.queued += state is JobState.QUEUED
            result.skipped += state is JobState.SKIPPED
            continue
        if store.redecide(
            job.id, key=key, decision=value, state=state, error=error, expected_etag=expected
        ):
            result.queued += state is JobState.QUEUED
            result.skipped += state is JobState.SKIPPED
        else:
            result.unchanged.append(job.source)
    return result


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
    cache: HashCache | None = None,
    cancel: CancelToken | None = None,
) -> list[WaitingBatch]:
    """Check again the files left waiting for a decision (by an earlier run of the app).

    S3 or the files may have changed since: each batch's waiting files are
    checked as a new drop would be. With the ``ask`` policy (the one that left
    them waiting) a file the check no longer questions is settled now — queued
    when it is new — and the others come back as `WaitingBatch` reviews,
    preselected as ``skip`` does; with any other policy (changed since) the
    policy decides them all and nothing waits. A file that is gone fails and
    says so. Raises `UploadError` when S3 cannot be listed.
    """
    policy = settings.on_duplicate
    by_batch: dict[int, list[Job]] = {}
    for job in store.skipped_because(WAITING_REASON):
        by_batch.setdefault(job.batch_id, []).append(job)
    waiting: list[WaitingBatch] = []
    for batch_id, jobs in by_batch.items():
        present = [j for j in jobs if Path(j.source).is_file()]
        kept = {j.id for j in present}
        for gone in (j for j in jobs if j.id not in kept):
            store.redecide(
                gone.id, key=str(gone.key), decision=None, state=JobState.FAILED,
                error="the file is gone: it was waiting for a duplicate decision",
            )  # fmt: skip
        planned = [
            NewJob(
                j.source, j.size, mtime_ns=j.mtime_ns, root=j.root, scope=j.scope,
                bucket=j.bucket, key=j.key, md5=j.md5,
            )
            for j in present
        ]  # fmt: skip
        review = check_jobs(planned, settings=settings, client=client, cache=cache, cancel=cancel)
        decide(review, "skip" if policy == "ask" else policy)
        in_question = set(review.paths) if policy == "ask" else set()
        settled = [j.source for j in present if j.source not in in_question]
        update = update_stored_jobs(review, store, present, settled)
        logger.info(
            "%d file(s) waiting for a duplicate decision checked again: %s; %d still to decide",
            len(jobs), update.describe(), len(in_question),
        )  # fmt: skip
        if in_question:
            waiting.append(WaitingBatch(batch_id, review, update))
    return waiting
