"""From planned jobs to queue messages: the last step of every front-end's plan.

Discovery, keys and the duplicate screen happen first, the same way for the
window, ``produce`` and the HTTP API; what is left queued becomes one
`JobMessage` each. The write's precondition is the one the screen put on the
job (`NewJob.expected_etag`): a decided overwrite carries the ETag the screen
saw (the worker writes it with ``If-Match``), a key seen free expects it still
free (``If-None-Match: *``). A job the screen did not look at expects a free key
too, so two producers racing for one key never overwrite each other silently;
only an overwrite whose ETag is unknown travels without a precondition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hma_gui.core.jobs.records import Decision
from hma_gui.core.jobs.store import Job, JobState, NewJob
from hma_gui.core.queue.messages import Expect, JobMessage, expectation_of
from hma_gui.core.s3.client import S3Client

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings
    from hma_gui.core.duplicates.decisions import DuplicateReview
    from hma_gui.core.hashes.hash_cache import HashCache


def expectation(job: NewJob | Job) -> tuple[Expect, str | None]:
    """The message's precondition (and the ETag an overwrite replaces) for `job`."""
    if job.expected_etag is None and job.decision is not Decision.OVERWRITE:
        return Expect.NEW, None  # not screened: the key must still be free
    return expectation_of(job.expected_etag)


def messages_for(jobs: Sequence[NewJob], *, sender: str = "") -> list[JobMessage]:
    """One message per queued job with a target; skipped and failed jobs send nothing."""
    messages: list[JobMessage] = []
    for job in jobs:
        if job.state is not JobState.QUEUED or not job.bucket or not job.key:
            continue
        expect, etag = expectation(job)
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


def message_for(job: Job, *, sender: str = "", md5: str | None = None) -> JobMessage:
    """The message of a job claimed from the store (it has a target): the window's sends.

    `md5`: the file's, when known (else the job's).
    """
    if not job.bucket or not job.key:
        raise ValueError(f"job {job.id} has no target")
    expect, etag = expectation(job)
    return JobMessage(
        source=job.source, bucket=job.bucket, key=job.key, size=job.size, scope=job.scope,
        mtime_ns=job.mtime_ns, md5=md5 or job.md5, expect=expect, etag=etag,
        sender=sender,
    )  # fmt: skip


def screen(
    jobs: Sequence[NewJob],
    *,
    settings: Settings,
    client: S3Client | None,
    cache: HashCache | None = None,
) -> tuple[list[NewJob], DuplicateReview | None]:
    """The duplicate screen without a person: the settings' policy (``ask`` means skip).

    Returns the jobs with the decisions (and their preconditions) in, and the
    review (None when the screen is off in the settings or nothing is queued).
    """
    from hma_gui.core.duplicates.screen import screen_jobs

    if (
        not settings.check_s3
        or client is None
        or not any(job.state is JobState.QUEUED for job in jobs)
    ):
        return list(jobs), None
    policy = "skip" if settings.on_duplicate == "ask" else settings.on_duplicate
    screened = screen_jobs(jobs, settings=settings, client=client, policy=policy, cache=cache)
    return screened.jobs, screened.review
