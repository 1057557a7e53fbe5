"""The one upload executor through its seams: a job source and sink in memory, a fake uploader.

Pause, resume, cancel, concurrency changes and the dead-endpoint pause, without a
server (the same behaviours against moto's server are in tests/gui/test_upload_queue.py
and tests/test_upload_faults.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.errors import Cancelled, UploadError
from hma_gui.core.jobs.records import Job, JobState
from hma_gui.core.progress import ByteSink, CancelToken
from hma_gui.core.upload.executor import QueueMode, UploadExecutor
from hma_gui.core.upload.job_run import JobOutcome
from hma_gui.core.upload.uploader import UploadResult


def make_job(n: int) -> Job:
    return Job(
        id=n, batch_id=0, source=f"/src/f{n}", root=None, size=10, mtime_ns=0, md5=None,
        scope="mba", bucket="b", key=f"k/{n}", state=JobState.RUNNING, attempts=1, error=None,
        retryable=False, etag=None, decision=None, owner="me", rev=0, created_at=0.0,
        updated_at=0.0, started_at=None, finished_at=None,
    )  # fmt: skip


class MemoryQueue:
    """A `JobSource` and `JobSink` in memory: what a queue worker would provide."""

    def __init__(self, count: int) -> None:
        self.lock = threading.Lock()
        self.waiting = [make_job(n) for n in range(count)]
        self.done_ids: list[int] = []
        self.failed_ids: list[tuple[int, str]] = []
        self.released_ids: list[int] = []
        self.claims = 0

    def add(self, count: int) -> None:
        with self.lock:
            start = len(self.waiting) + len(self.done_ids) + len(self.failed_ids) + 1000
            self.waiting.extend(make_job(start + n) for n in range(count))

    def claim(self, limit: int) -> list[Job]:
        with self.lock:
            self.claims += 1
            taken, self.waiting = self.waiting[:limit], self.waiting[limit:]
            return taken

    def unclaim(self, jobs: Sequence[Job]) -> None:
        with self.lock:
            self.waiting[:0] = list(jobs)

    def done(self, job: Job, result: UploadResult) -> None:
        with self.lock:
            self.done_ids.append(job.id)

    def failed(self, job: Job, error: str, *, retryable: bool) -> None:
        with self.lock:
            self.failed_ids.append((job.id, error))

    def released(self, job: Job) -> None:
        with self.lock:
            self.released_ids.append(job.id)
            self.waiting.insert(0, job)

    def journal(self, job: Job) -> None:
        return None  # no multipart state kept: every try starts a new upload

    def look_first(self, job: Job) -> bool:
        return False

    def flush(self) -> None:
        return None  # every report is kept when it is made


class FakeUploader:
    """Uploads that hold while `gate` is closed; `error` makes every upload fail."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.permits: threading.Semaphore | None = None  # set: each upload takes one
        self.error: Exception | None = None
        self.lock = threading.Lock()
        self.running = 0
        self.started = 0
        self.closed = False

    def upload(
        self,
        path: Path,
        bucket: str,
        key: str,
        *,
        progress: ByteSink,
        cancel: CancelToken,
        expected: object = None,
        journal: object = None,
        earlier_attempt: bool = False,
    ) -> UploadResult:
        with self.lock:
            self.running += 1
            self.started += 1
        try:
            while not self.gate.wait(0.01):
                if cancel.cancelled:
                    raise Cancelled(cancel.reason)
            permits = self.permits
            while permits is not None and not permits.acquire(timeout=0.01):
                if cancel.cancelled:
                    raise Cancelled(cancel.reason)
            if self.error is not None:
                raise self.error
            return UploadResult(etag="e", md5="m", size=10, mtime_ns=0, parts=0, sse=None)
        finally:
            with self.lock:
                self.running -= 1

    def close(self) -> None:
        self.closed = True


class Events:
    def __init__(self) -> None:
        self.outcomes: list[JobOutcome] = []
        self.modes: list[tuple[QueueMode, str | None]] = []
        self.idles = 0

    def on_outcome(self, outcome: JobOutcome) -> None:
        self.outcomes.append(outcome)

    def on_mode(self, mode: QueueMode, reason: str | None) -> None:
        self.modes.append((mode, reason))

    def on_idle(self) -> None:
        self.idles += 1


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def build(
    count: int, concurrency: int = 2, **kwargs: Any
) -> tuple[UploadExecutor, MemoryQueue, FakeUploader, Events]:
    queue, uploader, events = MemoryQueue(count), FakeUploader(), Events()
    executor = UploadExecutor(
        queue,
        queue,
        uploader,
        concurrency=concurrency,
        listener=events,
        **kwargs,  # type: ignore[arg-type]
    )
    return executor, queue, uploader, events


def test_runs_every_job_then_leaves_no_thread() -> None:
    executor, queue, _uploader, events = build(20, concurrency=3, claim_batch=4)
    executor.run_until_idle()
    assert sorted(queue.done_ids) == list(range(20))
    assert executor.active_workers == 0 and events.idles >= 1
    assert len(events.outcomes) == 20 and executor.started_jobs == 20
    assert queue.claims <= 20 // 4 + 3 + 3  # claimed four at a time (plus each worker's last look)


def test_pause_starts_nothing_new_and_resume_finishes() -> None:
    executor, queue, uploader, _events = build(6, concurrency=1)
    uploader.gate.clear()
    executor.start()
    wait_until(lambda: uploader.running == 1)
    executor.pause()
    uploader.gate.set()
    assert executor.wait_idle(10)
    assert (len(queue.done_ids), len(queue.waiting), uploader.started) == (1, 5, 1)
    executor.resume()
    wait_until(lambda: len(queue.done_ids) == 6)


def test_cancel_releases_the_uploads_in_flight_and_a_new_start_runs_them() -> None:
    executor, queue, uploader, _events = build(4, concurrency=2)
    uploader.gate.clear()
    executor.start()
    wait_until(lambda: uploader.running == 2)
    executor.cancel()
    assert executor.wait_idle(10)
    assert executor.mode is QueueMode.STOPPED
    assert sorted(queue.released_ids) == [0, 1] and queue.done_ids == []
    assert len(queue.waiting) == 4  # nothing lost
    uploader.gate.set()
    executor.start()
    wait_until(lambda: len(queue.done_ids) == 4)
    assert not executor.cancel_token.cancelled  # a fresh token for the new run


def test_concurrency_goes_up_at_once_and_down_after_the_current_jobs() -> None:
    executor, queue, uploader, _events = build(12, concurrency=1)
    uploader.permits = threading.Semaphore(0)
    executor.start()
    wait_until(lambda: uploader.running == 1)
    executor.set_concurrency(4)
    wait_until(lambda: uploader.running == 4)
    executor.set_concurrency(2)
    uploader.permits.release(4)  # the four finish; two workers leave, two go on
    wait_until(lambda: len(queue.done_ids) == 4 and uploader.running == 2)
    time.sleep(0.05)
    assert uploader.running == 2 and executor.active_workers == 2  # not all of them left
    uploader.permits.release(100)
    assert executor.wait_idle(10)
    assert len(queue.done_ids) == 12


def test_a_dead_endpoint_pauses_instead_of_failing_every_job() -> None:
    executor, queue, uploader, events = build(30, concurrency=1)
    uploader.error = UploadError(
        "cannot reach http://x: refused", retryable=True, code="connection"
    )
    executor.run_until_idle()
    assert executor.mode is QueueMode.PAUSED
    assert len(queue.failed_ids) == 3 and len(queue.waiting) == 27
    assert executor.pause_reason is not None and executor.pause_reason.startswith("cannot reach")
    assert (QueueMode.PAUSED, executor.pause_reason) in events.modes
    uploader.error = None
    executor.run_until_idle()
    assert len(queue.done_ids) == 27


def test_wake_picks_up_jobs_added_later() -> None:
    executor, queue, _uploader, _events = build(2, concurrency=2)
    executor.start()
    wait_until(lambda: len(queue.done_ids) == 2)
    assert executor.wait_idle(10)
    queue.add(5)
    executor.wake()
    wait_until(lambda: len(queue.done_ids) == 7)


def test_shutdown_releases_and_closes_the_uploader() -> None:
    executor, queue, uploader, _events = build(3, concurrency=1)
    uploader.gate.clear()
    executor.start()
    wait_until(lambda: uploader.running == 1)
    assert executor.shutdown(timeout=10)
    assert uploader.closed and queue.released_ids == [0] and len(queue.waiting) == 3


@pytest.mark.parametrize("claim_batch", [1, 5])
def test_claimed_jobs_that_never_started_go_back_on_pause(claim_batch: int) -> None:
    executor, queue, uploader, _events = build(10, concurrency=1, claim_batch=claim_batch)
    uploader.gate.clear()
    executor.start()
    wait_until(lambda: uploader.running == 1)
    executor.pause()
    uploader.gate.set()
    assert executor.wait_idle(10)
    assert len(queue.done_ids) == 1 and len(queue.waiting) == 9


class SlowClaims(MemoryQueue):
    """Claims that take a moment: every worker is inside one at the same time."""

    def claim(self, limit: int) -> list[Job]:
        time.sleep(0.05)
        return super().claim(limit)


def test_a_claim_that_takes_the_whole_queue_still_runs_every_worker() -> None:
    queue, uploader = SlowClaims(10), FakeUploader()
    executor = UploadExecutor(queue, queue, uploader, concurrency=4, claim_batch=64)  # type: ignore[arg-type]
    uploader.gate.clear()
    executor.start()
    wait_until(lambda: uploader.running == 4)  # one claim took all ten; four upload them
    uploader.gate.set()
    assert executor.wait_idle(10)
    assert sorted(queue.done_ids) == list(range(10))
