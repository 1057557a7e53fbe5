"""Copies of files that are still on their way to S3.

The duplicate check compares a new file with what S3 holds and with the other
files of its own batch. A copy that arrives while its original is still queued
or uploading (an export that writes ``members.csv`` and then
``members-final.csv``, a folder dropped twice in a row) would pass both: the
original is not in S3 yet. `skip_pending_copies` closes that gap for the
``skip`` policy, the one that skips copies: a queued file with the same size
and MD5 as a pending job to the same bucket is skipped, and says which upload
it is a copy of.

Only same-size pairs are hashed, through the hash cache, so the uploader then
reuses the MD5. A file that cannot be read here is left queued: the upload
reports it properly.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from hma_gui.core.errors import Cancelled
from hma_gui.core.hashes.digests import Md5Cache, NoMd5Cache, md5_file
from hma_gui.core.jobs.store import Decision, Job, JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken

logger = logging.getLogger(__name__)


def skip_pending_copies(
    jobs: Sequence[NewJob],
    store: JobStore,
    *,
    batch_id: int | None = None,
    cache: Md5Cache | None = None,
    cancel: CancelToken | None = None,
) -> list[NewJob]:
    """`jobs` with each queued copy of a pending job's file turned into a skipped job.

    A pending job counts when it is uploading, or queued where it will be
    uploaded: in `batch_id` when this process runs only that batch (``hma-ingest
    watch``), anywhere when it runs every queued job (the desktop app, None).
    """
    hasher = _Md5s(cache or NoMd5Cache(), cancel)
    queued_by_bucket: dict[str, list[NewJob]] = defaultdict(list)
    for job in jobs:
        if job.state is JobState.QUEUED and job.bucket and job.key:
            queued_by_bucket[job.bucket].append(job)
    copies: dict[str, NewJob] = {}
    for bucket, queued in queued_by_bucket.items():
        pending = store.pending_of_sizes(bucket, (j.size for j in queued), batch_id)
        by_size: dict[int, list[Job]] = defaultdict(list)
        for other in pending:
            by_size[other.size].append(other)
        for job in queued:
            original = _pending_original(job, by_size.get(job.size, ()), hasher)
            if original is not None:
                copies[job.source] = dataclasses.replace(
                    job,
                    state=JobState.SKIPPED,
                    decision=Decision.SKIP,
                    md5=hasher.of(job.source, job.md5),
                    error=f"same content as {original.source}, "
                    f"on its way to s3://{original.bucket}/{original.key}",
                )
    if copies:
        logger.info("%d file(s) are copies of uploads still in the queue: skipped", len(copies))
    return [copies.get(job.source, job) if job.state is JobState.QUEUED else job for job in jobs]


def _pending_original(job: NewJob, candidates: Sequence[Job], hasher: _Md5s) -> Job | None:
    others = [c for c in candidates if c.source != job.source]
    if not others:
        return None
    md5 = hasher.of(job.source, job.md5)
    if md5 is None:
        return None
    for other in others:
        if hasher.of(other.source, None) == md5:  # the file now: its job's MD5 may be older
            return other
    return None


class _Md5s:
    """MD5 by path: the job's own, the cache's, or read once (None when unreadable)."""

    def __init__(self, cache: Md5Cache, cancel: CancelToken | None) -> None:
        self._cache = cache
        self._cancel = cancel
        self._known: dict[str, str | None] = {}

    def of(self, source: str, known: str | None) -> str | None:
        if known:
            return known
        if source not in self._known:
            self._known[source] = self._read(Path(source))
        return self._known[source]

    def _read(self, path: Path) -> str | None:
        try:
            info = path.stat()
            md5 = self._cache.lookup(path, info)
            if md5 is None:
                read_at = time.time()
                md5 = md5_file(path, cancel=self._cancel)
                self._cache.store(path, info, md5, read_at)
            return md5
        except Cancelled:
            raise
        except OSError as exc:
            logger.debug("cannot hash %s to compare it with the queue: %s", path, exc)
            return None
