"""The run in front of the user: what progress and ETA are measured against.

The job store remembers every upload ever made, so a bar over the whole store
said 100 % with 2,496 files still queued behind 8,000 old uploads. A run is
what was pending when it began plus what was added while it went on: it
starts when the window first looks (files resumed from the last session are
part of it) and again when work arrives after the queue had emptied. Paused
files are still in front of the user, so they stay in the run; so do files
waiting for a duplicate decision (not finished: the bar stays below 100 %).
Files that need a scope are not: they have no target until one is chosen.

Qt-free so the counters card, the CLI summary and tests share it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hma_gui.core.jobs.records import Counters


@dataclass(frozen=True, slots=True)
class RunFigures:
    files_done: int  # finished in this run: uploaded, failed or skipped
    files_total: int  # finished in this run + still pending or waiting for a decision
    bytes_done: int  # uploaded in this run, with the bytes of uploads under way
    bytes_total: int  # uploaded in this run + still to upload (waiting files too)

    @property
    def files_left(self) -> int:
        return self.files_total - self.files_done

    @property
    def bytes_left(self) -> int:
        return max(0, self.bytes_total - self.bytes_done)

    @property
    def fraction(self) -> float:
        """By bytes (files when the run has no bytes); 1.0 for a run with nothing left."""
        if not self.files_left:
            return 1.0 if self.files_total else 0.0
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        return self.files_done / self.files_total

    @property
    def percent(self) -> int:
        """Whole percent, never 100 while a file is left (99.6 % is not done)."""
        whole = int(self.fraction * 100)
        return min(whole, 99) if self.files_left else whole


def _finished(counters: Counters) -> int:
    return counters.done + counters.failed + counters.skipped


class RunWindow:
    """Turns store-wide `Counters` into the figures of the current run."""

    def __init__(self) -> None:
        self._base: tuple[int, int] | None = None  # (finished, bytes done) when the run began
        self._idle: tuple[int, int] | None = None  # the same when the queue last had nothing

    def observe(self, counters: Counters, inflight_bytes: int = 0) -> RunFigures:
        now = (_finished(counters), counters.bytes_done)
        if self._base is None:
            self._base = now
        if not counters.pending:
            self._idle = now
        elif self._idle is not None:  # work arrived after the queue emptied: a new run
            self._base, self._idle = self._idle, None
        # Finished jobs removed or retried: the run cannot have finished fewer than none.
        self._base = (min(self._base[0], now[0]), min(self._base[1], now[1]))
        files_done = now[0] - self._base[0]
        uploaded = now[1] - self._base[1]
        to_upload = max(0, counters.bytes_total - counters.bytes_done - counters.bytes_failed)
        return RunFigures(
            files_done=files_done,
            files_total=files_done + counters.pending + counters.waiting,
            bytes_done=uploaded + inflight_bytes,
            bytes_total=uploaded + to_upload,
        )
