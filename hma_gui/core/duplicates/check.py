"""The duplicate check of an upload, in one call: planned jobs in, a review out.

`check_jobs` finds the local duplicate groups among the planned files and
classifies each of them against S3 (one listing per scope prefix); the
`DuplicateReview` it returns takes the decisions, which go onto the jobs with
`DuplicateReview.apply`. Front-ends do not call it directly: the duplicate
screen (`screen.screen_jobs`) runs it, then decides and applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hma_gui.core.duplicates.decisions import DuplicateReview
from hma_gui.core.duplicates.local import LocalDuplicateFinder, LocalScanResult, ScanIssue
from hma_gui.core.duplicates.s3_check import CheckItem, S3Checker, S3CheckResult
from hma_gui.core.files.file_walk import WalkedFile
from hma_gui.core.hashes.file_hasher import FileHasher
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import Job, JobState, NewJob
from hma_gui.core.progress import CancelToken, TaskProgress
from hma_gui.core.s3.client import S3Client
from hma_gui.core.s3.inventory import S3Inventory
from hma_gui.core.upload.upload_config import UploadConfig

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings


def queued(jobs: Sequence[NewJob | Job]) -> list[NewJob | Job]:
    return [j for j in jobs if j.state is JobState.QUEUED and j.bucket and j.key]


def stat_jobs(jobs: Sequence[NewJob | Job]) -> tuple[list[WalkedFile], list[ScanIssue]]:
    """(path, size, mtime_ns, inode, device, ctime_ns) of each job's file, as it is now."""
    files: list[WalkedFile] = []
    issues: list[ScanIssue] = []
    for job in jobs:
        try:
            info = Path(job.source).stat()
        except OSError as exc:
            issues.append(ScanIssue(job.source, f"cannot be read: {exc.strerror or exc}"))
            continue
        files.append(
            (job.source, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev,
             info.st_ctime_ns)
        )  # fmt: skip
    return files, issues


def identities(
    jobs: Sequence[NewJob | Job], walked: Sequence[WalkedFile]
) -> tuple[list[WalkedFile], list[ScanIssue]]:
    """Each job's file as `walked` saw it, or as it is now when the walk did not see it."""
    if not walked:
        return stat_jobs(jobs)
    seen = {f[0]: f for f in walked}
    files = [seen[j.source] for j in jobs if j.source in seen]
    stated, issues = stat_jobs([j for j in jobs if j.source not in seen])
    return files + stated, issues


def check_items(
    jobs: Sequence[NewJob | Job], files: Sequence[WalkedFile], settings: Settings
) -> list[CheckItem]:
    """What the S3 check needs per job: the file's identity, its target and listing prefix."""
    identity = {f[0]: f for f in files}
    items: list[CheckItem] = []
    for job in jobs:
        found = identity.get(job.source)
        if found is None or not job.bucket or not job.key:
            continue
        prefix = ""
        if job.scope and job.scope in settings.scopes:
            prefix = settings.scopes[job.scope].prefix
        if not job.key.startswith(prefix):
            prefix = ""
        _, size, mtime_ns, inode, _, _ = found
        items.append(
            CheckItem(job.source, size, mtime_ns, inode, job.bucket, job.key, prefix, job.scope)
        )
    return items


def check_jobs(
    jobs: Sequence[NewJob | Job],
    *,
    settings: Settings,
    client: S3Client | None,
    cache: HashCache | None = None,
    progress: TaskProgress | None = None,
    cancel: CancelToken | None = None,
    local: LocalScanResult | None = None,
    inventory: S3Inventory | None = None,
    walked: Sequence[WalkedFile] = (),
) -> DuplicateReview:
    """Local groups among the queued `jobs` and, with a `client`, their S3 classes.

    `local` is a scan of these files done already (``check-duplicates``); it is
    computed otherwise. `walked` are the files' identities from a walk done
    already (``check-duplicates``); the jobs' files not among them are stat-ed.
    `inventory` lets a caller that checks often (the watcher) reuse listings;
    it answers from what it listed, so call its `forget()` when S3 may have
    changed. Raises `UploadError` when S3 cannot be listed.
    """
    todo = queued(jobs)
    files, issues = identities(todo, walked)
    workers = settings.hash_workers
    if local is None:
        finder = LocalDuplicateFinder(
            cache=cache, workers=workers, progress=progress, cancel=cancel
        )
        local = finder.find(files)
        local.issues[:0] = issues
    s3: S3CheckResult | None = None
    taken: dict[str, set[str]] = {}
    if client is not None:
        inventory = inventory or S3Inventory(client, workers=settings.concurrency)
        hasher = FileHasher(cache=cache, workers=workers, cancel=cancel, progress=progress)
        config = UploadConfig.from_settings(settings)
        checker = S3Checker(
            inventory, hasher, part_sizes=(config.part_size,), kms_expected=config.sse == "aws:kms"
        )
        known = {f.path: g.md5 for g in local.groups for f in g.files}
        s3 = checker.check(check_items(todo, files, settings), known)
        for listing in inventory.listings():
            taken.setdefault(listing.bucket, set()).update(listing.by_key)
    return DuplicateReview(todo, local=local, s3=s3, taken_keys=taken)
