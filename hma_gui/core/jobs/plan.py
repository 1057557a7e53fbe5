"""From paths (or a walk of them) to jobs: discovery + scope + key, before anything is enqueued.

Every path ends as a `NewJob`: queued with its target, or failed with the
reason (unreadable, vanished, no scope folder, invalid key). The duplicate
check, when it runs, looks at these jobs before they are enqueued.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hma_gui.core.errors import KeyValidationError, NoScopeFolderError, ScopeError
from hma_gui.core.files.discovery import DiscoveryStats, FoundFile, Problem, discover, discovered
from hma_gui.core.files.file_filter import FileFilter
from hma_gui.core.files.file_walk import WalkedFile, WalkResult
from hma_gui.core.files.key_convention import AUTO_SCOPE, resolve_target
from hma_gui.core.files.path_text import NOT_UTF8, is_valid_text
from hma_gui.core.jobs.records import JobState, NewJob
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.limits import object_size_problem

if TYPE_CHECKING:  # annotations only: a local duplicate check may run without pydantic
    from hma_gui.core.config.settings import Settings


@dataclass(frozen=True)
class PlanOptions:
    """What the user chose for one drop or one command: scope and filters."""

    scope: str = AUTO_SCOPE
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    skip_hidden: bool = True
    follow_symlinks: bool = False
    # Files outside every scope folder wait as ``needs-scope`` jobs for a person to
    # choose (the window); otherwise they fail (the CLI, which has --scope).
    hold_unscoped: bool = False

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        scope: str = AUTO_SCOPE,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        follow_symlinks: bool | None = None,
        hold_unscoped: bool = False,
    ) -> PlanOptions:
        return cls(
            scope=scope,
            include=tuple(settings.include if include is None else include),
            exclude=tuple(settings.exclude if exclude is None else exclude),
            skip_hidden=settings.skip_hidden,
            follow_symlinks=settings.follow_symlinks
            if follow_symlinks is None
            else follow_symlinks,
            hold_unscoped=hold_unscoped,
        )

    def file_filter(self) -> FileFilter:
        return FileFilter.build(
            self.include,
            self.exclude,
            skip_hidden=self.skip_hidden,
            follow_symlinks=self.follow_symlinks,
        )


@dataclass
class Plan:
    """The planned jobs of one drop or command, and what discovery saw on the way."""

    jobs: list[NewJob] = field(default_factory=list)
    stats: DiscoveryStats = field(default_factory=DiscoveryStats)
    # The found files as the walk saw them: the duplicate check that follows need
    # not stat them again (`check_jobs`' `walked`).
    walked: list[WalkedFile] = field(default_factory=list)

    @property
    def queued(self) -> list[NewJob]:
        return [job for job in self.jobs if job.state is JobState.QUEUED]

    @property
    def failed(self) -> list[NewJob]:
        return [job for job in self.jobs if job.state is JobState.FAILED]

    @property
    def needs_scope(self) -> list[NewJob]:
        return [job for job in self.jobs if job.state is JobState.NEEDS_SCOPE]


def iter_planned_jobs(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings,
    options: PlanOptions,
    *,
    stats: DiscoveryStats | None = None,
    cancel: CancelToken | None = None,
    walked: list[WalkedFile] | None = None,
) -> Iterator[NewJob]:
    """Yield one `NewJob` per discovered file or problem, as discovery finds them.

    `walked` receives the identity the walk saw of each file (`Plan.walked`).
    """
    found = discover(paths, options.file_filter(), stats=stats, cancel=cancel)
    if walked is not None:
        found = _noting(found, walked)
    return planned_jobs(found, settings, options)


def planned_jobs(
    found: Iterable[FoundFile | Problem], settings: Settings, options: PlanOptions
) -> Iterator[NewJob]:
    """One `NewJob` per found file or problem: queued with its target, or failed with why.

    Two files that the key convention sends to the same key (``mba/x.csv`` and
    ``mba/csv/x.csv``) would overwrite each other: the second one fails with the
    reason instead, so nothing is lost silently.
    """
    claimed: dict[tuple[str, str], Path] = {}
    for item in found:
        if not isinstance(item, FoundFile):
            yield _failed(item.path, item.root, item.reason)
            continue
        too_large = object_size_problem(item.size)
        if not is_valid_text(str(item.path)):
            yield _failed(item.path, item.root, NOT_UTF8, item)
            continue
        if too_large:
            yield _failed(item.path, item.root, too_large, item)
            continue
        try:
            target = resolve_target(item.path, settings, options.scope, item.root)
        except NoScopeFolderError as exc:
            held = JobState.NEEDS_SCOPE if options.hold_unscoped else JobState.FAILED
            yield _failed(item.path, item.root, str(exc), item, held)
            continue
        except (ScopeError, KeyValidationError) as exc:
            yield _failed(item.path, item.root, str(exc), item)
            continue
        first = claimed.setdefault((target.bucket, target.key), item.path)
        if first != item.path:
            reason = (
                f"{first} goes to the same key ({target.uri}) in this upload; "
                "rename or move one of them"
            )
            yield _failed(item.path, item.root, reason, item)
            continue
        yield NewJob(
            source=str(item.path),
            root=str(item.root),
            size=item.size,
            mtime_ns=item.mtime_ns,
            scope=target.scope,
            bucket=target.bucket,
            key=target.key,
        )


def _failed(
    path: Path,
    root: Path,
    reason: str,
    found: FoundFile | None = None,
    state: JobState = JobState.FAILED,
) -> NewJob:
    return NewJob(
        source=str(path),
        root=str(root),
        size=found.size if found else 0,
        mtime_ns=found.mtime_ns if found else None,
        state=state,
        error=reason,
    )


def plan(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings,
    options: PlanOptions,
    *,
    cancel: CancelToken | None = None,
) -> Plan:
    result = Plan()
    result.jobs = list(
        iter_planned_jobs(
            paths, settings, options, stats=result.stats, cancel=cancel, walked=result.walked
        )
    )
    return result


def _noting(
    found: Iterable[FoundFile | Problem], walked: list[WalkedFile]
) -> Iterator[FoundFile | Problem]:
    """`found`, with the identity of each file the walk stat-ed added to `walked`."""
    for item in found:
        if isinstance(item, FoundFile) and item.ctime_ns is not None:
            walked.append(
                (str(item.path), item.size, item.mtime_ns, item.inode, item.device,
                 item.ctime_ns)
            )  # fmt: skip
        yield item


def plan_walked(
    walked: WalkResult,
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings,
    options: PlanOptions,
) -> Plan:
    """`plan` from a walk of `paths` done already with `options.file_filter()`.

    ``check-duplicates --check-s3`` walks once: the same walk gives the local
    groups, this plan and the files' identities for the S3 check.
    """
    result = Plan()
    found = discovered(walked, paths, stats=result.stats)
    result.jobs = list(planned_jobs(found, settings, options))
    return result
