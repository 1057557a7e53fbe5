"""Finished uploads recorded a group per transaction: all written, none lost, a failure kept."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from hma_gui.core.jobs.grouped_done import GroupedDone
from hma_gui.core.jobs.lifecycle import DoneMark
from hma_gui.core.jobs.records import JobState, NewJob
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.upload.job_source import StoreQueue
from hma_gui.core.upload.upload_config import UploadResult


def test_marks_from_many_threads_share_transactions_and_all_are_written(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        batch = store.new_batch("t")
        store.enqueue_files(
            [NewJob(f"/d/f{n}.csv", 10, 1, bucket="b", key=f"k{n}") for n in range(64)],
            batch, requeue_done=False,
        )  # fmt: skip
        queue = StoreQueue(store, batch)
        jobs = queue.claim(64)

        def finish(part: Sequence[int]) -> None:
            for n in part:
                queue.done(jobs[n], UploadResult(f"e{n}", f"m{n}", 10, 1, 0, None))

        threads = [threading.Thread(target=finish, args=(range(t, 64, 8),)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        queue.flush()
        done = store.jobs(state=JobState.DONE, batch_id=batch)
        assert sorted(j.etag or "" for j in done) == sorted(f"e{n}" for n in range(64))
        assert store.counters(batch).done == 64
        assert len({j.rev for j in done}) == queue._done.transactions < 64


def test_a_failed_write_keeps_its_marks_raises_once_and_the_next_flush_writes_them() -> None:
    written: list[int] = []
    failing = threading.Event()
    failing.set()

    def write(marks: Sequence[DoneMark]) -> None:
        if failing.is_set():
            raise sqlite3.OperationalError("database or disk is full")
        written.extend(m.job_id for m in marks)

    grouped = GroupedDone(write, linger=0.001)
    grouped.add(DoneMark(1, "e", "m"))
    with pytest.raises(sqlite3.OperationalError):
        grouped.flush()  # the disk is full: the mark stays
    failing.clear()
    grouped.add(DoneMark(2, "e", "m"))
    grouped.flush()
    assert sorted(written) == [1, 2]


def test_the_writer_s_failure_reaches_the_next_upload_thread() -> None:
    attempts: list[int] = []

    def write(marks: Sequence[DoneMark]) -> None:
        attempts.append(len(marks))
        raise sqlite3.OperationalError("database or disk is full")

    grouped = GroupedDone(write, linger=0.001)
    grouped.add(DoneMark(1, "e", "m"))
    deadline = threading.Event()
    while not attempts and not deadline.wait(0.01):
        pass
    with pytest.raises(sqlite3.OperationalError):
        for n in range(2, 200):  # the writer's error comes with the next add
            grouped.add(DoneMark(n, "e", "m"))
            deadline.wait(0.005)
