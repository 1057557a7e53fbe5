"""Batched claims: fewer store transactions, and nothing lost or miscounted on a stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.executor import UploadExecutor
from hma_gui.core.upload.job_run import JobOutcome
from hma_gui.core.upload.job_source import StoreQueue
from hma_gui.core.upload.store_run import (
    CLAIM_BYTES,
    CLAIM_JOBS,
    RunReport,
    run_to_end,
    store_executor,
    upload_queued,
)
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader


def _queue(store: JobStore, root: Path, bucket: str, count: int) -> int:
    batch = store.new_batch("test")
    jobs = []
    for n in range(count):
        path = root / f"f{n}.txt"
        path.write_bytes(f"file {n}\n".encode() * (n + 1))
        jobs.append(NewJob(source=str(path), size=path.stat().st_size, bucket=bucket, key=f"k/{n}"))
    store.enqueue(jobs, batch)
    return batch


def _run(store: JobStore, batch: int, **executor: Any) -> RunReport:
    """Upload the batch to moto with `store_executor(**executor)` to the end."""
    settings = load_settings()
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    try:
        return run_to_end(store_executor(store, uploader, batch_id=batch, **executor), store, batch)
    finally:
        uploader.close()


def test_unclaim_returns_claimed_jobs_without_counting_an_attempt(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    batch = store.new_batch()
    store.enqueue(
        [NewJob(source=f"/s/{n}", size=n, bucket="b", key=f"k{n}") for n in range(4)], batch
    )
    claimed = store.claim(3, batch)
    assert [job.attempts for job in claimed] == [1, 1, 1]
    assert store.unclaim([claimed[1].id, claimed[2].id, 999]) == 2
    by_id = {job.id: job for job in store.jobs()}
    assert by_id[claimed[0].id].state is JobState.RUNNING
    for job in claimed[1:]:
        assert by_id[job.id].state is JobState.QUEUED
        assert by_id[job.id].attempts == 0
        assert by_id[job.id].owner is None
    counters = store.counters(batch)
    assert (counters.queued, counters.running) == (3, 1)


def test_unclaim_leaves_jobs_of_another_process_alone(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    store.enqueue([NewJob(source="/s/x", size=1, bucket="b", key="k")])
    other = JobStore(tmp_path / "jobs.db")
    other.identity = "elsewhere:1:1"
    job = other.claim(1)[0]
    assert store.unclaim([job.id]) == 0
    assert store.get(job.id).state is JobState.RUNNING  # type: ignore[union-attr]


@pytest.mark.integration
def test_runner_claims_in_batches_and_uploads_everything(s3_env: Any, tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    batch = _queue(store, tmp_path, s3_env.mba_bucket, 10)
    rev_before = store.current_rev()
    report = _run(store, batch, concurrency=2, claim_batch=5)
    assert report.counters.done == 10
    assert all(job.attempts == 1 for job in store.jobs(batch_id=batch))
    # two claims of five (one claim each would be 10), and the finished jobs recorded in
    # groups (`GroupedDone`): fewer transactions than jobs, every one of them counted
    writes = store.current_rev() - rev_before
    assert 2 + 1 <= writes < 2 + 10
    assert len({job.rev for job in store.jobs(batch_id=batch)}) == writes - 2
    assert s3_env.keys(s3_env.mba_bucket) == sorted(f"k/{n}" for n in range(10))


@pytest.mark.integration
def test_a_stop_hands_back_claimed_jobs_that_never_started(s3_env: Any, tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    batch = _queue(store, tmp_path, s3_env.mba_bucket, 8)
    settings = load_settings()
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    stop: list[UploadExecutor] = []

    def stop_after_first(outcome: JobOutcome) -> None:
        stop[0].cancel("test stop")

    executor = store_executor(
        store, uploader, concurrency=1, batch_id=batch, on_outcome=stop_after_first, claim_batch=5
    )
    stop.append(executor)
    report = run_to_end(executor, store, batch)
    uploader.close()
    jobs = store.jobs(batch_id=batch)
    done = [job for job in jobs if job.state is JobState.DONE]
    queued = [job for job in jobs if job.state is JobState.QUEUED]
    assert len(done) == 1 and len(queued) == 7
    assert report.counters.running == 0
    assert all(job.attempts == 0 and job.owner is None for job in queued)
    assert s3_env.keys(s3_env.mba_bucket) == [done[0].key]


@pytest.mark.integration
def test_a_run_logs_one_summary_line_not_one_line_per_file(
    s3_env: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = JobStore(tmp_path / "jobs.db")
    batch = _queue(store, tmp_path, s3_env.mba_bucket, 6)
    settings = load_settings()
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    with caplog.at_level("INFO", logger="hma_gui"):
        upload_queued(store, uploader, concurrency=2, batch_id=batch)
    uploader.close()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("hma_gui")]
    assert len(lines) == 1
    assert "6 uploaded, 0 failed, 0 skipped, 0 not started" in lines[0]


def test_a_claim_stops_at_its_byte_budget_but_takes_one_job_at_least(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    batch = store.new_batch()
    sizes = [5, 5, 20, 1, 1]
    store.enqueue(
        [
            NewJob(source=f"/s/{n}", size=size, bucket="b", key=f"k{n}")
            for n, size in enumerate(sizes)
        ],
        batch,
    )
    claims = []
    while claimed := store.claim(64, batch, max_bytes=12):
        claims.append([job.size for job in claimed])
    assert claims == [[5, 5], [20], [1, 1]]
    assert store.counters(batch).running == 5


def test_the_store_queue_claims_small_files_many_at_a_time_and_large_ones_alone(
    tmp_path: Path,
) -> None:
    store = JobStore(tmp_path / "jobs.db")
    batch = store.new_batch()
    mib = 1024 * 1024
    small = [
        NewJob(source=f"/s/small{n}", size=30_000, bucket="b", key=f"s{n}") for n in range(100)
    ]
    large = [
        NewJob(source=f"/s/large{n}", size=CLAIM_BYTES + mib, bucket="b", key=f"l{n}")
        for n in range(3)
    ]
    store.enqueue(small + large, batch)
    queue = StoreQueue(store, batch, claim_bytes=CLAIM_BYTES)
    sizes = []
    while claimed := queue.claim(CLAIM_JOBS):
        sizes.append(len(claimed))
    assert sizes == [CLAIM_JOBS, 100 - CLAIM_JOBS, 1, 1, 1]


@pytest.mark.integration
def test_a_run_of_small_files_claims_them_dozens_at_a_time(s3_env: Any, tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    batch = _queue(store, tmp_path, s3_env.mba_bucket, 100)
    report = _run(store, batch, concurrency=4)
    assert report.counters.done == 100
    started = sorted({job.started_at for job in store.jobs(batch_id=batch)})
    assert len(started) == 2  # two claims (64 + 36); four at a time took 25
