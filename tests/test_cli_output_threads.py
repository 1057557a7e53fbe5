"""The command line's output from many threads at once: one write at a time.

Upload and worker threads print their outcomes concurrently; a text stream is not
thread-safe (io docs), and on CI a ``resume`` whose stdout pipe was full printed
bytes that were not UTF-8. A stream that notices overlapping writes stands in for
the pipe here (it sleeps inside ``write``, as a write on a full pipe blocks).
"""

from __future__ import annotations

import argparse
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from hma_gui.cli.context import CliContext
from hma_gui.cli.upload_cmd import outcome_printer
from hma_gui.core.jobs.records import JobState
from hma_gui.core.upload.job_run import JobOutcome
from tests.test_upload_executor import make_job


class OverlapWatch(io.StringIO):
    """A text stream that counts writes and flushes that began while another was running."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.overlaps = 0
        self._count = threading.Lock()

    def _enter(self) -> None:
        with self._count:
            self.inside += 1
            self.overlaps += self.inside > 1
        time.sleep(0.001)  # a write that blocks: the GIL is free for the others
        with self._count:
            self.inside -= 1

    def write(self, text: str) -> int:
        self._enter()
        return super().write(text)

    def flush(self) -> None:
        self._enter()
        super().flush()


def _ctx(stream: OverlapWatch) -> CliContext:
    return CliContext(argparse.Namespace(json=False), stream, io.StringIO())


def _outcome(n: int) -> JobOutcome:
    job = replace(make_job(n), source=f"/data/f{n}.csv", key=f"k/f{n}.csv")
    return JobOutcome(job=job, state=JobState.DONE)


def test_outcome_lines_from_many_upload_threads_never_overlap() -> None:
    stream = OverlapWatch()
    show = outcome_printer(_ctx(stream), always=True)  # a flush after every line
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: show(_outcome(n)), range(400)))
    lines = stream.getvalue().splitlines()
    assert sorted(lines) == sorted(
        f"uploaded /data/f{n}.csv → s3://b/k/f{n}.csv" for n in range(400)
    )
    assert stream.overlaps == 0


def test_lines_said_by_many_threads_never_overlap() -> None:
    stream = OverlapWatch()
    ctx = _ctx(stream)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: ctx.out(f"line {n}"), range(400)))
    assert sorted(stream.getvalue().splitlines()) == sorted(f"line {n}" for n in range(400))
    assert stream.overlaps == 0
