"""A scope for files outside every scope folder (jobs held as ``needs-scope``).

The window asks which scope such files belong to (at drop time, or later from
the jobs table); the key is then built as for a drop made with that scope
chosen (`resolve_target` with the job's dropped root).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hma_gui.core.errors import KeyValidationError, ScopeError
from hma_gui.core.files.key_convention import resolve_target
from hma_gui.core.jobs.store import Job, JobState, JobStore

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings


@dataclass
class ScopeResult:
    queued: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (source, why)


def set_scope(store: JobStore, jobs: Sequence[Job], scope: str, settings: Settings) -> ScopeResult:
    """Give the held jobs among `jobs` their target in `scope` and queue them."""
    result = ScopeResult()
    targets: list[tuple[int, str, str, str]] = []
    for job in jobs:
        if job.state is not JobState.NEEDS_SCOPE:
            continue
        root = Path(job.root) if job.root else None
        try:
            target = resolve_target(Path(job.source), settings, scope, root)
        except (ScopeError, KeyValidationError) as exc:
            result.problems.append((job.source, str(exc)))
            continue
        targets.append((job.id, target.scope, target.bucket, target.key))
    result.queued = store.set_targets(targets)
    return result
