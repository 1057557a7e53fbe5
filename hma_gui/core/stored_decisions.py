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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hma_gui.core.duplicate_decisions import Decision, DuplicateReview
from hma_gui.core.job_store import Job, JobState, JobStore


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
        if (job.key, job.decision, job.state) == (key, value, state) and job.error == error:
            result.queued += state is JobState.QUEUED
            result.skipped += state is JobState.SKIPPED
            continue
        if store.redecide(job.id, key=key, decision=value, state=state, error=error):
            result.queued += state is JobState.QUEUED
            result.skipped += state is JobState.SKIPPED
        else:
            result.unchanged.append(job.source)
    return result
