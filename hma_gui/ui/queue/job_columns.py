"""What the jobs table shows of a `Job`: columns, cell text, colours, sort keys, filters.

Plain functions of a job (and the in-flight byte counts), shared by the model's
`data()` and the delegate that paints cells without going through `data()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Any

from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store import Job, JobState
from hma_gui.core.logging_setup import redact
from hma_gui.core.rate_meter import format_bytes
from hma_gui.ui import theme

Inflight = dict[int, tuple[int, int]]  # job id -> (bytes sent, size)


class Column(IntEnum):
    STATE = 0
    SOURCE = 1
    TARGET = 2
    SIZE = 3
    PROGRESS = 4
    ATTEMPTS = 5
    MESSAGE = 6


HEADERS = {
    Column.STATE: "State",
    Column.SOURCE: "File",
    Column.TARGET: "S3 key",
    Column.SIZE: "Size",
    Column.PROGRESS: "Progress",
    Column.ATTEMPTS: "Tries",
    Column.MESSAGE: "Message",
}
RIGHT_ALIGNED = (Column.SIZE, Column.ATTEMPTS)

NEEDS_SCOPE_HINT = "Outside every scope folder: right-click \u203a Set scope\u2026"

STATE_ORDER = {
    JobState.RUNNING: 0,
    JobState.FAILED: 1,
    JobState.NEEDS_SCOPE: 1,
    JobState.WAITING: 2,
    JobState.QUEUED: 3,
    JobState.SKIPPED: 4,
    JobState.DONE: 5,
}


def progress_of(job: Job, inflight: Inflight) -> float | None:
    """0..1 for a bar; None where a bar means nothing (failed, skipped)."""
    if job.state is JobState.DONE:
        return 1.0
    if job.state is JobState.RUNNING:
        done, size = inflight.get(job.id, (0, job.size))
        return done / size if size else 0.0
    if job.state is JobState.QUEUED:
        return 0.0
    return None


def shown_path(job: Job) -> str:
    """The source as the user dropped it: from the dropped folder down (full path in tooltips)."""
    root, source = job.root, job.source
    if not root or root == source:
        return source
    trimmed = root.rstrip("/\\")
    cut = max(trimmed.rfind("/"), trimmed.rfind("\\"))  # the dropped folder's parent
    if cut > 0 and source.startswith(trimmed[: cut + 1]) and len(source) > cut + 1:
        return source[cut + 1 :]
    return source


@lru_cache(maxsize=4096)
def shown_error(error: str | None) -> str:
    """An error as shown: secrets masked (a password in an endpoint URL, a key in a message)."""
    return redact(error) if error else ""


def cell_text(job: Job, column: int, inflight: Inflight) -> str:
    if column == Column.STATE:
        if job.state is JobState.RUNNING and job.owner == SENT_OWNER:
            return theme.SENT_LABEL  # a shared queue's worker runs it
        return theme.STATE_LABELS[job.state]
    if column == Column.SOURCE:
        return shown_path(job)
    if column == Column.TARGET:
        return job.key or "—"
    if column == Column.SIZE:
        return format_bytes(job.size)
    if column == Column.PROGRESS:
        fraction = progress_of(job, inflight)
        return "" if fraction is None else f"{fraction * 100:.0f} %"
    if column == Column.ATTEMPTS:
        return str(job.attempts) if job.attempts else ""
    if column == Column.MESSAGE:
        if job.state is JobState.NEEDS_SCOPE:
            return NEEDS_SCOPE_HINT
        if job.state is JobState.WAITING and not job.error:
            return theme.WAITING_MESSAGE
        return shown_error(job.error)
    return ""


def cell_color(job: Job, column: int) -> str | None:
    """The text colour of a cell, or None for the default."""
    if column == Column.MESSAGE:
        if job.state is JobState.FAILED:
            return theme.DANGER
        if job.state in (JobState.SKIPPED, JobState.NEEDS_SCOPE):
            return theme.WARNING
        if job.state is JobState.WAITING:
            return theme.TO_DECIDE
    if column in RIGHT_ALIGNED or (column == Column.TARGET and not job.key):
        return theme.TEXT_MUTED
    return None


def cell_tooltip(job: Job, column: int) -> str | None:
    if column == Column.SOURCE:
        return job.source
    if column == Column.TARGET:
        return job.uri or shown_error(job.error)
    if column == Column.MESSAGE and job.error:
        return shown_error(job.error)
    if column == Column.SIZE:
        return f"{job.size:,} bytes"
    return None


def sort_key(column: int) -> Callable[[Job], Any]:
    keys: dict[int, Callable[[Job], Any]] = {
        Column.STATE: lambda j: (STATE_ORDER[j.state], j.id),
        Column.SOURCE: lambda j: (j.source.lower(), j.id),
        Column.TARGET: lambda j: (j.bucket or "", j.key or "", j.id),
        Column.SIZE: lambda j: (j.size, j.id),
        Column.PROGRESS: lambda j: (STATE_ORDER[j.state], j.id),
        Column.ATTEMPTS: lambda j: (j.attempts, j.id),
        Column.MESSAGE: lambda j: (j.error or "", j.id),
    }
    return keys.get(column, lambda j: j.id)


@dataclass(frozen=True)
class JobFilter:
    """Which jobs the table shows: some states (none: all) and a text in the file or key.

    `sent`: only the jobs out on a shared queue (True), none of them (False), or
    either (None): running jobs are uploading here or sent, by their owner.
    """

    states: frozenset[JobState] = frozenset()
    text: str = ""
    sent: bool | None = None

    @classmethod
    def of(
        cls, states: Iterable[JobState] = (), text: str = "", sent: bool | None = None
    ) -> JobFilter:
        return cls(frozenset(states), text.strip().casefold(), sent)

    @property
    def active(self) -> bool:
        return bool(self.states or self.text or self.sent is not None)

    def accepts(self, job: Job) -> bool:
        if self.states and job.state not in self.states:
            return False
        if self.sent is not None and (job.owner == SENT_OWNER) != self.sent:
            return False
        if self.text:
            return self.text in job.source.casefold() or self.text in (job.key or "").casefold()
        return True
