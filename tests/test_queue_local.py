"""The `local` queue backend: the job store shared by worker processes on one machine.

The same crash test as for SQS, with 10,000 jobs: three worker processes, one
killed with -9 mid-run, a fresh worker with --drain finishes. The killed
worker's jobs come back because their owner is dead (the local lease).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import cast

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.queue.local_queue import LocalQueue
from hma_gui.core.queue.messages import Delivery, JobMessage
from hma_gui.core.queue.upload_job import DeliveryCheck
from hma_gui.core.queue.worker import QueueWorker, WorkerOptions
from hma_gui.core.s3.client import S3Client
from hma_gui.core.upload.uploader import UploadConfig, Uploader
from tests.cli_runner import run_cli
from tests.conftest import MotoServer
from tests.queue_harness import (
    make_files,
    make_queue_env,
    queue_moto,  # noqa: F401 - fixture
    start_worker,
    wait_until,
)


def test_a_job_failing_max_receives_times_becomes_a_dead_letter(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        queue = LocalQueue(store, max_receives=2)
        [job_id] = queue.send([JobMessage("/nowhere/x.csv", "b", "mba/csv/x.csv", size=1)])
        for attempt in (1, 2):
            [delivery] = queue.receive(10, 0, 60)
            assert delivery.receive_count == attempt and delivery.job_id == job_id
            queue.fail(delivery, f"failure {attempt}", retry_in=0)
        assert queue.receive(10, 0, 60) == []
        counters = queue.counters()
        assert (counters.queued, counters.dead_lettered) == (0, 1)
        [letter] = queue.dead_letters()
        assert (letter.reason, letter.receive_count) == ("failure 2", 2)
        assert queue.job_status(job_id) == ("failed", "failure 2")
        assert queue.redrive() == 1 and queue.counters().queued == 1


def test_released_jobs_come_back_without_counting_an_attempt(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        queue = LocalQueue(store)
        queue.send([JobMessage(f"/x/{n}.csv", "b", f"mba/csv/{n}.csv", size=1) for n in range(3)])
        got = queue.receive(10, 0, 60)
        assert len(got) == 3 and queue.counters().in_flight == 3
        queue.release(got)
        again = queue.receive(10, 0, 60)
        assert [d.receive_count for d in again] == [1, 1, 1]


@pytest.mark.integration
@pytest.mark.slow
def test_kill_9_of_one_of_three_workers_on_10000_local_jobs(
    queue_moto: MotoServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    env = make_queue_env(queue_moto, monkeypatch)
    monkeypatch.setenv("HMA_QUEUE_URL", "local")
    env.s3.put_bucket_versioning(  # every write of a key is a version: writes are counted
        Bucket=env.bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    files = make_files(tmp_path / "data", 10_000, size=32)
    produced = run_cli("produce", str(tmp_path / "data"), "--scope", "mba", "--no-check-s3")
    assert produced.code == 0, produced.err
    store = JobStore(app_dirs.data_dir() / "jobs.db")
    try:
        assert store.counters().queued == 10_000
        workers = [
            start_worker(tmp_path / f"worker{n}.log", "--concurrency", "4", "--json")
            for n in range(3)
        ]
        wait_until(lambda: store.counters().done >= 1500, 300, "1,500 uploads")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        wait_until(lambda: store.counters().done >= 6000, 300, "6,000 uploads")
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        for n, worker in enumerate(workers[1:], 1):
            assert worker.wait(60) == 0, (tmp_path / f"worker{n}.log").read_text()[-2000:]
        assert store.counters().running > 0  # the killed worker's jobs, owner gone

        drained = run_cli("worker", "--drain", "--concurrency", "4", "--json")
        assert drained.code == 0, drained.out[-2000:] + drained.err
        summary = json.loads(drained.out.splitlines()[-1])
        assert summary["stopped"] == "drained" and summary["failed"] == 0

        counters = store.counters()
        assert (counters.done, counters.queued, counters.running, counters.failed) == (
            10_000, 0, 0, 0,
        )  # fmt: skip
    finally:
        store.close()
    versions: dict[str, int] = {}
    for page in env.s3.get_paginator("list_object_versions").paginate(Bucket=env.bucket):
        for version in page.get("Versions", []):
            versions[version["Key"]] = versions.get(version["Key"], 0) + 1
    assert set(versions) == set(files)
    assert max(versions.values()) == 1  # no key written twice
    for key, data in files.items():
        assert env.read(key) == data, key


class _DeletedQueue(LocalQueue):
    """The local queue, as if it had been deleted under the worker: every receive fails."""

    def receive(self, max_jobs: int, wait_seconds: float, lease_seconds: int) -> list[Delivery]:
        raise RuntimeError("the queue does not exist")


def test_a_worker_that_cannot_receive_stops_with_the_reason(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        client = cast(S3Client, object())  # never reached: nothing is received
        check = DeliveryCheck(client)
        options = WorkerOptions(concurrency=2, receive_retry_seconds=0.001)
        worker = QueueWorker(_DeletedQueue(store), Uploader(client, UploadConfig()), check, options)
        report = worker.run()
    assert report.stop_reason == "cannot receive from the queue: the queue does not exist"
    assert (report.uploaded, report.failed) == (0, 0)
