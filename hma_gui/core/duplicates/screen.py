"""The duplicate screen: the one path from planned jobs to the jobs to enqueue.

Every front-end that uploads runs its planned jobs through `screen_jobs`:

1. **check** — local copies among the files, each file's class in S3
   (`check_jobs`: one listing per prefix);
2. **decide** — the policy preselects (`DuplicateReview.preselect`), a caller's
   own rules may adjust (`adjust`), and with ``ask`` a person decides through a
   `DecisionCallback` (the CLI's prompt, a producer's callback) or, when nobody
   can answer now, the questioned files are **held**: they become ``waiting``
   jobs at their planned keys (the desktop app's drops, its restart re-check);
   without a callback and without holding, ``ask`` decides like ``skip``;
3. **apply** — skipped files become skipped jobs that say why, "keep both"
   files are retargeted (`DuplicateReview.apply`);
4. **pending copies** — with ``skip`` or ``ask`` and a job store, a copy of a
   file still queued or uploading is skipped too (`skip_pending_copies`).

The callers and what they pass:

==========================  ========================================================
the window's drops          hold, the session's store (``ui/duplicates/drop_screen``)
watched folders             policy without ``ask``, own-upload rules, the inventory
                            kept between checks, the watcher's batch (`watch_screen`)
waiting files at restart    hold, the store (`stored_decisions.recheck_waiting`)
``upload``                  the terminal prompt as `ask` (``cli/dupes_cmd``)
``check-duplicates``        its one walk and the local scan of it; only the review is used
a queue producer            ``screen_jobs(jobs, settings=…, client=…, ask=callback)``
==========================  ========================================================

Raises `UploadError` (an `HmaError`) when S3 cannot be listed and `Cancelled`
when `cancel` fires: what then happens to the files is the caller's choice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hma_gui.core.duplicates.check import check_jobs
from hma_gui.core.duplicates.decisions import POLICIES, DecisionCallback, DuplicateReview
from hma_gui.core.duplicates.local import LocalScanResult
from hma_gui.core.duplicates.pending_copies import skip_pending_copies
from hma_gui.core.duplicates.s3_check import S3Finding
from hma_gui.core.files.file_walk import WalkedFile
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken, TaskProgress
from hma_gui.core.s3.client import S3Client
from hma_gui.core.s3.inventory import S3Inventory

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

# A caller's own rules, run after the policy preselected: it may change decisions
# in the review and returns the skip reasons that replace the review's own (by path).
Adjuster = Callable[[DuplicateReview], Mapping[str, str]]


@dataclass
class Screened:
    """What the screen made of one set of planned jobs."""

    jobs: list[NewJob]  # to enqueue: queued, retargeted, skipped, waiting (and failed as planned)
    review: DuplicateReview
    policy: str  # the policy that decided (``ask`` stays ``ask``)
    waiting: frozenset[str] = field(default_factory=frozenset)  # held for a decision
    cancelled: bool = False  # the person asked chose to upload nothing

    @property
    def unresolved(self) -> list[S3Finding]:
        """Conflicts left un-uploaded by the decisions (not those still waiting)."""
        return [f for f in self.review.unresolved() if f.path not in self.waiting]

    def count(self, state: JobState) -> int:
        return sum(1 for j in self.jobs if j.state is state)


def screen_jobs(
    jobs: Sequence[NewJob],
    *,
    settings: Settings,
    client: S3Client | None,
    policy: str | None = None,
    ask: DecisionCallback | None = None,
    hold: bool = False,
    cache: HashCache | None = None,
    pending: JobStore | None = None,
    pending_batch: int | None = None,
    adjust: Adjuster | None = None,
    progress: TaskProgress | None = None,
    cancel: CancelToken | None = None,
    local: LocalScanResult | None = None,
    inventory: S3Inventory | None = None,
    walked: Sequence[WalkedFile] = (),
) -> Screened:
    """Check `jobs`, decide by `policy` (default: the settings'), apply, skip pending copies.

    `client` None checks local copies only. `pending` is the job store whose
    queued and running jobs count as "on their way" (`pending_batch`: only
    that batch's queued ones, for a process that runs one batch). `local`,
    `inventory` and `walked` are passed to `check_jobs`.
    """
    policy = policy or settings.on_duplicate
    if policy not in POLICIES:
        raise ValueError(f"unknown duplicate policy {policy!r} (known: {', '.join(POLICIES)})")
    review = check_jobs(
        jobs, settings=settings, client=client, cache=cache, progress=progress, cancel=cancel,
        local=local, inventory=inventory, walked=walked,
    )  # fmt: skip
    review.preselect(policy)
    reasons = adjust(review) if adjust is not None else {}
    asking = policy == "ask" and review.needs_review
    if asking and ask is not None and not ask.review(review):
        return Screened([], review, policy, cancelled=True)
    result = review.apply(jobs)
    if reasons:
        result = [
            dataclasses.replace(j, error=reasons[j.source])
            if j.source in reasons and j.state is JobState.SKIPPED
            else j
            for j in result
        ]
    if policy in ("skip", "ask") and pending is not None:
        result = skip_pending_copies(
            result, pending, batch_id=pending_batch, cache=cache, cancel=cancel
        )
    waiting: frozenset[str] = frozenset()
    if asking and ask is None and hold:
        waiting = frozenset(review.paths)
        result = held(jobs, result, waiting)
    return Screened(result, review, policy, waiting)


def held(planned: Sequence[NewJob], decided: list[NewJob], waiting: frozenset[str]) -> list[NewJob]:
    """The files in `waiting` wait at their planned keys, undecided; the rest as decided."""
    original = {j.source: j for j in planned}
    result = []
    for job in decided:
        first = original.get(job.source)
        if job.source in waiting and first is not None and first.state is JobState.QUEUED:
            job = dataclasses.replace(
                first, state=JobState.WAITING, error=None, decision=None, md5=job.md5
            )
        result.append(job)
    return result
