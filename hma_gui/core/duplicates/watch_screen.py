"""The duplicate check of watched folders: a `FolderWatcher` ``prepare`` hook.

The files a watcher found go through the duplicate screen like any upload
(`screen_jobs`: local copies among them, each one's class in S3, the policy's
decisions, copies of pending uploads), without asking: a watcher has nobody
to ask, so ``ask`` falls back to ``skip`` (with a note, once), as the CLI does
for a setting. Two rules keep a watcher from fighting itself:

* an object at a file's key that this job store uploaded **from that same
  file** (the ledger names it, and its ETag is unchanged) is the file's
  earlier version: a changed file replaces it, whatever the policy (that is
  what a watched folder is for); an object someone else put there is a
  conflict like any other;
* a file whose content this store already uploaded from the same path under
  another key (an earlier "keep both") is not uploaded again.

With the ``skip`` policy a copy of a file that is still queued or uploading is
skipped too (the screen's pending copies): an export that writes two copies in
a row does not get both uploaded because the first had not landed yet.

One `S3Inventory` is kept between checks (a watcher checks every few
seconds): it lists each prefix once per `max_age` seconds and learns in
between what this store uploaded meanwhile from the ledger (`uploaded_since`),
so the watcher's own uploads are seen at their keys at once. When S3 cannot be
listed, nothing is uploaded: the files become failed jobs that say why
(retrying one uploads it without the check).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from hma_gui.core.config.settings import Settings
from hma_gui.core.duplicates.decisions import Decision, DuplicateReview
from hma_gui.core.duplicates.s3_check import S3Class, S3Finding
from hma_gui.core.duplicates.screen import screen_jobs
from hma_gui.core.errors import Cancelled, HmaError
from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.s3.client import S3Client
from hma_gui.core.s3.inventory import S3Inventory, S3Object

logger = logging.getLogger(__name__)

# The settings and S3 client to check with, now (the GUI's change; the CLI's do not).
Connector = Callable[[], tuple[Settings, S3Client]]
ReviewListener = Callable[[DuplicateReview, list[NewJob]], None]

LEDGER_MARGIN = 5.0  # seconds: uploads this close to a listing may be in it or not
_EXISTING = (S3Class.CONFLICT, S3Class.UNDECIDED)


class WatchDuplicateCheck:
    """Callable as ``prepare(jobs) -> jobs``; used by one watcher thread at a time."""

    def __init__(
        self,
        store: JobStore,
        connect: Connector,
        *,
        cache: HashCache | None = None,
        policy: str | None = None,
        max_age: float = 60.0,
        on_review: ReviewListener | None = None,
        uploads_batch: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._connect = connect
        self._cache = cache
        self._policy = policy  # None: the settings' on_duplicate
        self._max_age = max_age
        self._on_review = on_review
        self._uploads_batch = uploads_batch  # the batch this process uploads; None: all
        self._clock = clock
        self._wall = wall
        self._inventory: S3Inventory | None = None
        self._client: S3Client | None = None
        self._listed_at = 0.0
        self._ledger_from = 0.0
        self._noted_ask = False
        self.last_review: DuplicateReview | None = None

    @property
    def inventory(self) -> S3Inventory | None:
        return self._inventory

    def policy(self, settings: Settings) -> str:
        policy = self._policy or settings.on_duplicate
        if policy == "ask":
            if not self._noted_ask:
                logger.warning("watched folders cannot ask about duplicates: using skip")
                self._noted_ask = True
            return "skip"
        return policy

    def __call__(self, jobs: list[NewJob]) -> list[NewJob]:
        if not any(j.state is JobState.QUEUED and j.bucket and j.key for j in jobs):
            return jobs
        try:
            settings, client = self._connect()
        except Cancelled:
            raise  # the watcher is stopping: its next start catches up
        except HmaError as exc:
            return _not_checked(jobs, str(exc))
        if not settings.check_s3:
            return jobs
        policy = self.policy(settings)
        started = self._wall()
        inventory = self._current_inventory(client, settings.concurrency)
        try:
            screened = screen_jobs(
                jobs, settings=settings, client=client, policy=policy, cache=self._cache,
                pending=self._store, pending_batch=self._uploads_batch,
                adjust=self._own_uploads, inventory=inventory,
            )  # fmt: skip
        except HmaError as exc:  # S3 unreachable, bucket missing, listing denied
            self._inventory = None
            logger.error("watched folders: the duplicate check failed: %s", exc)
            return _not_checked(jobs, f"the duplicate check could not list S3: {exc}")
        self._ledger_from = started - LEDGER_MARGIN
        review, result = screened.review, screened.jobs
        self.last_review = review
        for job in result:
            if job.state is JobState.SKIPPED:
                logger.info("watched folders: skipped %s: %s", job.source, job.error)
        if self._on_review is not None and review.needs_review:
            self._on_review(review, result)
        return result

    # ------------------------------------------------------------------ the inventory

    def _current_inventory(self, client: S3Client, workers: int) -> S3Inventory:
        """The kept inventory, or a new one when it is old or for another client."""
        now = self._clock()
        stale = now - self._listed_at > self._max_age
        if self._inventory is None or client is not self._client or stale:
            self._inventory = S3Inventory(client, workers=workers)
            self._client = client
            self._listed_at = now
            self._ledger_from = self._wall() - LEDGER_MARGIN
            return self._inventory
        for record in self._store.uploaded_since(self._ledger_from):
            if record.etag:
                modified = datetime.fromtimestamp(record.uploaded_at, tz=UTC)
                self._inventory.note_put(
                    S3Object(
                        record.bucket, record.key, record.size, clean_etag(record.etag), modified
                    )
                )
        return self._inventory

    # ------------------------------------------------------------------ own uploads

    def _own_uploads(self, review: DuplicateReview) -> dict[str, str]:
        """Apply the two rules above; return the skip reasons they give."""
        reasons: dict[str, str] = {}
        for path in review.paths:
            finding = review.finding(path)
            if finding is None or finding.s3_class is S3Class.NEW:
                continue
            earlier = self._earlier_copy(finding)
            if earlier is not None:
                review.set_file(path, Decision.SKIP)
                reasons[path] = (
                    f"already uploaded from this file as s3://{finding.bucket}/{earlier}"
                )
            elif finding.s3_class in _EXISTING and self._is_earlier_version(finding):
                review.set_file(path, Decision.OVERWRITE)
        return reasons

    def _is_earlier_version(self, finding: S3Finding) -> bool:
        record = self._store.uploaded_record(finding.bucket, finding.key)
        return (
            record is not None
            and record.source == finding.path
            and bool(record.etag)
            and clean_etag(record.etag) == clean_etag(finding.s3_etag)
        )

    def _earlier_copy(self, finding: S3Finding) -> str | None:
        """Another key holding this content that this store uploaded from this same file."""
        for key in finding.other_keys:
            record = self._store.uploaded_record(finding.bucket, key)
            if record is not None and record.source == finding.path:
                return key
        return None


def _not_checked(jobs: list[NewJob], reason: str) -> list[NewJob]:
    """Nothing goes up unchecked: each file becomes a failed job that says why."""
    error = f"not uploaded: {reason}; retry to upload it without the check"
    return [
        dataclasses.replace(j, state=JobState.FAILED, error=error)
        if j.state is JobState.QUEUED
        else j
        for j in jobs
    ]
