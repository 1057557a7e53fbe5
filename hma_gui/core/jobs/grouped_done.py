"""Finished uploads recorded in groups: one job-store transaction for the few that end together.

A transaction per finished file cost ~0.10 ms of CPU with one upload thread and
0.15–0.17 ms with eight (`bench/RESULTS.md`): each one writes the job's row, its
index entries, the counters and the ledger's row to the WAL. `GroupedDone` lets
an upload thread hand its job's mark over and go on to the next file; a writer
thread waits `LINGER` for the marks of the other threads to join and writes them
all in one transaction (`JobLifecycle.mark_done_many`).

What a crash costs is unchanged in kind: a job whose mark was not written yet is
still *running* in the store, exactly as when a process is killed between a PUT
and its own transaction; `resume` takes it back and its conditional PUT finds the
same bytes there ("already uploaded"). `flush` writes what is pending at once:
the executor calls it when its last worker leaves, so a run that ends has every
mark written before its counters are read. A write that fails (a full disk) keeps
its marks for the next try and raises from the next `add` or `flush`, so the run
stops as it did when each thread wrote its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from hma_gui.core.jobs.lifecycle import DoneMark

LINGER = 0.1  # seconds the writer waits for more marks before a transaction
IDLE_EXIT = 2.0  # seconds without marks before the writer thread ends


class GroupedDone:
    """Done marks written by one thread, a group per transaction. Thread-safe."""

    def __init__(
        self, write: Callable[[Sequence[DoneMark]], None], *, linger: float = LINGER
    ) -> None:
        self._write = write
        self._linger = linger
        self._cond = threading.Condition()
        self._pending: list[DoneMark] = []
        self._writing = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.transactions = 0  # written groups (tests, benchmarks)

    def add(self, mark: DoneMark) -> None:
        """Hand a mark over; raises what the last failed write met (the mark stays)."""
        with self._cond:
            self._pending.append(mark)
            error, self._error = self._error, None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="done-marks", daemon=True)
                self._thread.start()
            else:
                self._cond.notify_all()
        if error is not None:
            raise error

    def flush(self) -> None:
        """Write every pending mark now (a failed group's too); raise what the write meets."""
        with self._cond:
            self._error = None  # its marks are pending: this write tries them again
            batch = self._take()
        if batch:
            self._write_group(batch)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._pending and not self._cond.wait_for(
                    lambda: bool(self._pending), IDLE_EXIT
                ):
                    self._thread = None
                    return
            time.sleep(self._linger)  # the marks of the other upload threads join
            with self._cond:
                batch = self._take()
            if not batch:
                continue
            try:
                self._write_group(batch)
            except BaseException as exc:  # noqa: BLE001 - raised from the next add or flush
                with self._cond:
                    self._error = exc
                    self._thread = None  # the next add starts a writer that tries again
                return

    def _take(self) -> list[DoneMark]:
        """The pending marks, once no other group is being written (call with the lock)."""
        self._cond.wait_for(lambda: not self._writing)
        batch, self._pending = self._pending, []
        self._writing = bool(batch)
        return batch

    def _write_group(self, batch: list[DoneMark]) -> None:
        try:
            self._write(batch)
        except BaseException:
            with self._cond:
                self._pending[:0] = batch  # kept, in order, for the next try
                self._writing = False
                self._cond.notify_all()
            raise
        with self._cond:
            self.transactions += 1
            self._writing = False
            self._cond.notify_all()
