"""What an ETL run reports: typed results per file and per run, and the progress seam."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from hma_gui.core.etl.s3_source import SourceObject
from hma_gui.core.progress import TaskProgress


class FileStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # good rows committed (rows may still have been rejected)
    VALIDATED = "validated"  # dry run: read and checked, nothing written
    SKIPPED = "skipped"  # this ETag was loaded successfully before
    NO_TABLE = "no_table"  # "skipped: no table": the file name matches no table
    REJECTED = "rejected"  # the whole file breaks the contract (missing column, empty...)
    FAILED = "failed"  # S3 or the database failed; the table is unchanged
    CANCELLED = "cancelled"  # the user stopped the run; the table is unchanged
    BUSY = "busy"  # another loader held the table's lock for too long; try again later
    DEFERRED = "deferred"  # a parent table's file is not in yet (or did not load); try later
    MISSING = "missing"  # the object named by an event no longer exists: nothing to load

    @property
    def label(self) -> str:
        return "skipped: no table" if self is FileStatus.NO_TABLE else self.value

    @property
    def retryable(self) -> bool:
        """Whether an event for this file should be delivered again (a later try may load it).

        A file rejected as a whole is retried too: its message then ends in the
        dead-letter queue after the queue's receive limit, where someone looks at it.
        """
        return self not in _SETTLED


_SETTLED = frozenset(
    {
        FileStatus.SUCCEEDED,
        FileStatus.VALIDATED,
        FileStatus.SKIPPED,
        FileStatus.NO_TABLE,
        FileStatus.MISSING,
    }
)


class EtlSource(StrEnum):
    """Which front-end started a load (``etl_runs.source``)."""

    WINDOW = "window"
    CLI = "cli"
    WORKER = "worker"
    LAMBDA = "lambda"


@dataclass
class FileResult:
    source: SourceObject
    table: str | None
    status: FileStatus
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_superseded: int = 0
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    audit_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.status.retryable

    def to_dict(self) -> dict[str, object]:
        return {
            "bucket": self.source.bucket,
            "key": self.source.key,
            "etag": self.source.etag,
            "size": self.source.size,
            "table": self.table,
            "status": self.status.value,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rows_superseded": self.rows_superseded,
            "encoding": self.encoding,
            "notes": list(self.notes),
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RunResult:
    run_id: str
    target: str
    dry_run: bool
    started_at: dt.datetime
    files: list[FileResult] = field(default_factory=list)
    finished_at: dt.datetime | None = None
    rejects_path: Path | None = None
    rejects_uri: str | None = None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(f.ok for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "target": self.target,
            "dry_run": self.dry_run,
            "cancelled": self.cancelled,
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "rejects_report": str(self.rejects_path) if self.rejects_path else None,
            "rejects_uri": self.rejects_uri,
            "files": [f.to_dict() for f in self.files],
        }


class EtlProgress(Protocol):
    """Per-file progress of a run; called from the thread that runs it.

    Calls are cheap and infrequent (one per batch of a few thousand rows); a GUI
    stores them in a lock-protected place and repaints on its own timer.
    """

    def file_started(self, source: SourceObject, table: str | None, index: int, count: int) -> None:
        """File `index` (0-based) of `count` is starting."""

    def file_progress(self, source: SourceObject, bytes_done: int, rows_read: int) -> None:
        """`bytes_done` of ``source.size`` read so far; `rows_read` data rows."""

    def file_finished(self, result: FileResult) -> None:
        """The file's final result (also in the `RunResult`)."""


class NullEtlProgress:
    def file_started(self, source: SourceObject, table: str | None, index: int, count: int) -> None:
        return None

    def file_progress(self, source: SourceObject, bytes_done: int, rows_read: int) -> None:
        return None

    def file_finished(self, result: FileResult) -> None:
        return None


class TaskProgressAdapter:
    """Feeds a plain `TaskProgress` (done/total bytes of the current file, and a message)."""

    def __init__(self, progress: TaskProgress) -> None:
        self._progress = progress
        self._prefix = ""

    def file_started(self, source: SourceObject, table: str | None, index: int, count: int) -> None:
        self._prefix = f"[{index + 1}/{count}] {source.name}"
        self._progress.update(0, source.size, self._prefix)

    def file_progress(self, source: SourceObject, bytes_done: int, rows_read: int) -> None:
        self._progress.update(bytes_done, source.size, f"{self._prefix}: {rows_read:,} rows")

    def file_finished(self, result: FileResult) -> None:
        self._progress.update(
            result.source.size, result.source.size, f"{self._prefix}: {result.status.label}"
        )
