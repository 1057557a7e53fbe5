"""From planned jobs to queue messages: the last step of every front-end's plan.

Discovery, keys and the duplicate screen happen first, the same way for the
window, ``produce`` and the HTTP API; what is left queued becomes one
`JobMessage` each. A decided overwrite carries the ETag the screen saw (the
worker writes it with ``If-Match``); every other job expects a free key
(``If-None-Match: *``), so two producers racing for one key never overwrite
each other silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hma_gui.core.config.settings import Settings
from hma_gui.core.jobs.store import JobState, NewJob
from hma_gui.core.queue.messages import Expect, JobMessage
from hma_gui.core.s3.client import S3Client

if TYPE_CHECKING:
    from hma_gui.core.duplicates.decisions import DuplicateReview
    from hma_gui.core.hashes.hash_cache import HashCache


def messages_for(
    jobs: Sequence[NewJob],
    *,
    review: DuplicateReview | None = None,
    sender: str = "",
) -> list[JobMessage]:
    """One message per queued job with a target; skipped and failed jobs send nothing."""
    messages: list[JobMessage] = []
    for job in jobs:
        if job.state is not JobState.QUEUED or not job.bucket or not job.key:
            continue
        expect, etag = Expect.NEW, None
        if job.decision == "overwrite":
            finding = review.finding(job.source) if review is not None else None
            etag = finding.s3_etag if finding is not None else None
            expect = Expect.OVERWRITE if etag else Expect.ANY
        messages.append(
            JobMessage(
                source=job.source,
                bucket=job.bucket,
                key=job.key,
                size=job.size,
                scope=job.scope,
                mtime_ns=job.mtime_ns,
                md5=job.md5,
                expect=expect,
                etag=etag,
                sender=sender,
            )
        )
    return messages


def screen(
    jobs: Sequence[NewJob],
    *,
    settings: Settings,
    client: S3Client | None,
    cache: HashCache | None = None,
) -> tuple[list[NewJob], DuplicateReview | None]:
    """The duplicate screen without a person: the settings' policy (``ask`` means skip).

    Returns the jobs with the decisions in, and the review (None when the
    screen is off in the settings or nothing is queued).
    """
    from hma_gui.core.duplicates.check import check_jobs
    from hma_gui.core.duplicates.decisions import decide

    if (
        not settings.check_s3
        or client is None
        or not any(job.state is JobState.QUEUED for job in jobs)
    ):
        return list(jobs), None
    review = check_jobs(jobs, settings=settings, client=client, cache=cache)
    policy = "skip" if settings.on_duplicate == "ask" else settings.on_duplicate
    decide(review, policy, None)
    return review.apply(jobs), review
