"""The enqueue rule every process follows on a shared job store (`jobs.enqueue`).

A file done and unchanged (size, mtime, ctime) is not queued again; a file queued
or running for a live process is left to it; a dead process's is adopted. The
other process is a real one: alive while it waits on its stdin, then gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hma_gui.core.jobs.enqueue import Enqueued, EnqueueResult, EnqueueSummary
from hma_gui.core.jobs.store import JobState, JobStore, NewJob, default_store_path
from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.file_clock import rewrite_keeping_size_and_mtime, settle


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore(tmp_path / "jobs.db") as opened:
        yield opened


def new_job(path: Path) -> NewJob:
    info = path.stat()
    return NewJob(
        source=str(path), size=info.st_size, mtime_ns=info.st_mtime_ns, bucket="b",
        key=f"mba/csv/{path.name}",
    )  # fmt: skip


def uploaded(store: JobStore, path: Path) -> int:
    """`path` enqueued, claimed and done, as an upload leaves it."""
    batch = store.new_batch("first")
    [result] = store.enqueue_files([new_job(path)], batch, requeue_done=False)
    [claimed] = store.claim(1, batch)
    info = path.stat()
    store.mark_done(claimed.id, etag="e", md5="m", size=info.st_size, mtime_ns=info.st_mtime_ns)
    return result.job_id


def enqueue_again(store: JobStore, path: Path, *, requeue_done: bool = False) -> Enqueued:
    batch = store.new_batch("again")
    [result] = store.enqueue_files([new_job(path)], batch, requeue_done=requeue_done)
    return result.outcome


def test_a_done_unchanged_file_is_not_queued_again(store: JobStore, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    settle()
    job_id = uploaded(store, path)
    batch = store.new_batch("again")
    [result] = store.enqueue_files([new_job(path)], batch, requeue_done=False)
    assert (result.job_id, result.outcome, result.queued_here) == (
        job_id,
        Enqueued.DONE_BEFORE,
        False,
    )
    assert store.counters(batch).total == 0
    assert EnqueueSummary.of([result]) == EnqueueSummary(done_before=1)


def test_asked_again_a_done_file_gets_a_new_job(store: JobStore, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    uploaded(store, path)
    assert enqueue_again(store, path, requeue_done=True) is Enqueued.NEW


def test_a_done_file_with_another_size_or_mtime_is_queued(store: JobStore, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    uploaded(store, path)
    path.write_bytes(b"longer\n")
    assert enqueue_again(store, path) is Enqueued.NEW
    other = tmp_path / "b.csv"
    other.write_bytes(b"two\n")
    uploaded(store, other)
    info = other.stat()
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns - 1_000_000_000))
    assert enqueue_again(store, other) is Enqueued.NEW


def test_a_done_file_rewritten_in_place_is_queued(store: JobStore, tmp_path: Path) -> None:
    """Same size and mtime (cp -p, rsync -t --inplace): only the ctime tells (issue 12 item 4).

    No pause: a rewrite in the same tick of the kernel's coarse clock as the upload's end
    is caught too. Before, its ctime could read as older than the upload's end, so it
    looked unchanged (CI on 0acadb7).
    """
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    settle()
    uploaded(store, path)
    rewrite_keeping_size_and_mtime(path, b"two\n")
    assert enqueue_again(store, path) is Enqueued.NEW


def test_a_file_changed_while_it_was_uploading_is_queued(store: JobStore, tmp_path: Path) -> None:
    """The change lands after the upload began and well before it ended: the bytes sent
    may be the old ones, so the file is not "uploaded and unchanged since"."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    settle()
    batch = store.new_batch("first")
    store.enqueue_files([new_job(path)], batch, requeue_done=False)
    [claimed] = store.claim(1, batch)
    info = path.stat()
    rewrite_keeping_size_and_mtime(path, b"two\n")
    time.sleep(0.05)  # the upload goes on: its end is clearly after the change
    store.mark_done(claimed.id, etag="e", md5="m", size=info.st_size, mtime_ns=info.st_mtime_ns)
    assert enqueue_again(store, path) is Enqueued.NEW


def test_a_file_changed_just_before_its_upload_began_is_checked_again(
    store: JobStore, tmp_path: Path
) -> None:
    """Within the clock-grain margin the ctime cannot tell before from after: the file gets
    a new job (whose S3 check skips it if S3 holds the same bytes); once settled, the
    next upload counts it as unchanged."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    uploaded(store, path)
    assert enqueue_again(store, path) is Enqueued.NEW
    settle()
    [claimed] = store.claim(1)
    info = path.stat()
    store.mark_done(claimed.id, etag="e", md5="m", size=info.st_size, mtime_ns=info.st_mtime_ns)
    assert enqueue_again(store, path) is Enqueued.DONE_BEFORE


def test_a_vanished_done_file_is_queued_for_the_upload_to_report(
    store: JobStore, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    uploaded(store, path)
    job = new_job(path)
    path.unlink()
    [result] = store.enqueue_files([job], store.new_batch(), requeue_done=False)
    assert result.outcome is Enqueued.NEW


def test_a_failed_or_own_queued_job_is_queued_in_this_batch(
    store: JobStore, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"one\n")
    first = store.new_batch()
    [queued] = store.enqueue_files([new_job(path)], first, requeue_done=False)
    second = store.new_batch()  # this process's too: its jobs move along
    [moved] = store.enqueue_files([new_job(path)], second, requeue_done=False)
    assert (moved.job_id, moved.outcome) == (queued.job_id, Enqueued.REQUEUED)
    [claimed] = store.claim(1, second)
    store.mark_failed(claimed.id, "boom", retryable=True)
    third = store.new_batch()
    [again] = store.enqueue_files([new_job(path)], third, requeue_done=False)
    assert (again.job_id, again.outcome) == (queued.job_id, Enqueued.REQUEUED)
    job = store.get(queued.job_id)
    assert job is not None and (job.state, job.batch_id) == (JobState.QUEUED, third)


OTHER_PROCESS = """
import sys
from pathlib import Path
from hma_gui.core.jobs.store import JobStore, NewJob

store = JobStore(Path(sys.argv[1]))
batch = store.new_batch("the other process")
jobs = [
    NewJob(source=s, size=1, mtime_ns=1, bucket="b", key="mba/csv/" + Path(s).name)
    for s in sys.argv[2:]
]
store.enqueue_files(jobs, batch, requeue_done=False)
store.claim(1, batch)  # the first runs, the others wait in its batch
print(batch, store.identity, flush=True)
sys.stdin.read()  # alive until its stdin closes
"""


class OtherProcess:
    """A real process that queued files into its own batch and claimed the first."""

    def __init__(self, path: Path, sources: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", OTHER_PROCESS, str(path), *sources],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ),
        )  # fmt: skip
        assert self.process.stdout is not None
        batch, self.identity = self.process.stdout.readline().split()
        self.batch = int(batch)

    def end(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


def test_a_live_process_keeps_its_jobs_and_a_dead_ones_are_adopted(
    store: JobStore, tmp_path: Path
) -> None:
    sources = [str(tmp_path / "mba" / name) for name in ("run.csv", "wait.csv")]
    other = OtherProcess(store.path, sources)
    try:
        mine = store.new_batch("mine")
        jobs = [
            NewJob(source=s, size=1, mtime_ns=1, bucket="b", key="mba/csv/" + Path(s).name)
            for s in sources
        ]
        held = store.enqueue_files(jobs, mine, requeue_done=False)
        assert [(r.outcome, r.owner) for r in held] == [(Enqueued.HELD, other.identity)] * 2
        assert store.counters(mine).total == 0
        assert store.counters(other.batch).running == store.counters(other.batch).queued == 1
        assert store.adopt([str(tmp_path / "mba")], mine) == []  # a watcher starting: neither
        assert store.claim(5, mine) == []
        summary = EnqueueSummary.of(held)
        assert (summary.held, summary.holders) == (2, (other.identity,))
        assert summary.holder_names() == f"process {other.process.pid}"
    finally:
        other.end()
    adopted = store.enqueue_files(jobs, mine, requeue_done=False)
    assert [(r.job_id, r.outcome) for r in adopted] == [(r.job_id, Enqueued.ADOPTED) for r in held]
    counters = store.counters(mine)
    assert (counters.queued, counters.running) == (2, 0)
    assert store.counters(other.batch).total == 0
    assert all(store.get(r.job_id).owner is None for r in adopted)  # type: ignore[union-attr]


def test_a_watcher_adopts_the_queued_jobs_of_a_dead_process(
    store: JobStore, tmp_path: Path
) -> None:
    sources = [str(tmp_path / "mba" / name) for name in ("run.csv", "wait.csv")]
    other = OtherProcess(store.path, sources)
    other.end()
    watcher = store.new_batch("watch")
    store.recover_orphans()
    assert len(store.adopt([str(tmp_path / "mba")], watcher)) == 2
    assert store.counters(watcher).queued == 2


@pytest.mark.integration
def test_upload_leaves_out_what_it_uploaded_unless_asked_again(
    s3_env: S3Env, tmp_path: Path
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    for name in ("a.csv", "b.csv"):
        (folder / name).write_bytes(name.encode() * 10)
    settle()
    first = run_cli("upload", str(folder), "--json", "--no-check-s3")
    assert first.code == 0, first.err
    assert json.loads(first.out)["uploaded"] == 2
    again = run_cli("upload", str(folder), "--no-check-s3")
    assert again.code == 0, again.err
    assert "0 uploaded" in again.out
    assert "2 already uploaded and unchanged since: not uploaded again" in again.out
    forced = run_cli("upload", str(folder), "--json", "--no-check-s3", "--again")
    assert forced.code == 0, forced.err
    summary = json.loads(forced.out)
    assert (summary["uploaded"], summary["already_uploaded"], summary["elsewhere"]) == (2, 0, 0)


def test_a_job_out_on_the_shared_queue_is_left_to_its_worker(
    store: JobStore, tmp_path: Path
) -> None:
    """A window sent the job to a shared queue (running, owner `SENT_OWNER`): another
    process enqueuing the same file must not take it over and upload it too."""
    path = tmp_path / "mba" / "sent.csv"
    path.parent.mkdir()
    path.write_text("a,b\n1,2\n")
    window = store.new_batch("window")
    [first] = store.enqueue_files([new_job(path)], window, requeue_done=False)
    [claimed] = store.claim(1, window)
    assert store.shared.record_sent([(claimed.id, "m-1", "{}")], "sqs://q", "sent") == 1
    counters = store.counters()
    assert (counters.running, counters.sent, counters.uploading) == (1, 1, 0)
    assert store.counters(window).sent == 1
    cli = store.new_batch("cli upload")
    [again] = store.enqueue_files([new_job(path)], cli, requeue_done=False)
    assert (again.job_id, again.outcome) == (first.job_id, Enqueued.HELD)
    assert store.counters(cli).total == 0
    assert store.get(first.job_id).state is JobState.RUNNING  # type: ignore[union-attr]


def test_status_tells_jobs_on_a_shared_queue_from_those_running_here(tmp_path: Path) -> None:
    path = tmp_path / "mba" / "sent.csv"
    path.parent.mkdir()
    path.write_text("a,b\n1,2\n")
    with JobStore(default_store_path(False)) as store:
        window = store.new_batch("window")
        store.enqueue_files([new_job(path)], window, requeue_done=False)
        [claimed] = store.claim(1, window)
        store.shared.record_sent([(claimed.id, "m-1", "{}")], "sqs://q", "sent")
    text = run_cli("status")
    assert "1 running (1 of them on a shared queue)" in text.out, text.out
    summary = json.loads(run_cli("status", "--json").out)
    assert (summary["running"], summary["sent"]) == (1, 1)


def test_one_call_with_many_files_finds_each_earlier_job_and_makes_no_double(
    store: JobStore,
) -> None:
    """The earlier jobs are looked up for all files at once (in chunks): every file
    that had one still finds it, and a file named twice in one call is one job."""

    def job(n: int) -> NewJob:
        return NewJob(source=f"/data/mba/f{n}.csv", size=n, bucket="b", key=f"mba/csv/f{n}.csv")

    first = store.new_batch()
    before = store.enqueue_files([job(n) for n in range(0, 1200, 2)], first, requeue_done=False)
    second = store.new_batch()
    results = store.enqueue_files(
        [*(job(n) for n in range(1200)), job(1001), job(2)], second, requeue_done=False
    )
    outcomes = [r.outcome for r in results]
    assert outcomes[:1200] == [
        Enqueued.REQUEUED if n % 2 == 0 else Enqueued.NEW for n in range(1200)
    ]
    assert results[1200].job_id == results[1001].job_id  # named twice: the same job
    assert results[1201].job_id == results[2].job_id == before[1].job_id
    assert store.counters(second).total == 1200


def test_the_new_jobs_of_one_call_get_the_ids_their_rows_have(store: JobStore) -> None:
    """Each result's id names its own file, in order: also after the newest jobs were
    removed (SQLite gives their ids again) and beside requeued and failed jobs."""
    first = store.new_batch()
    old = store.enqueue_files(
        [NewJob(source=f"/data/mba/old{n}.csv", size=n, bucket="b", key=f"k/old{n}")
         for n in range(5)],
        first, requeue_done=False,
    )  # fmt: skip
    store.remove([old[-1].job_id, old[-2].job_id])
    jobs = [
        NewJob(source="/data/mba/old0.csv", size=0, bucket="b", key="k/old0"),  # requeued
        *(NewJob(source=f"/data/mba/new{n}.csv", size=n, bucket="b", key=f"k/new{n}")
          for n in range(300)),
        NewJob(source="/data/mba/bad.csv", size=0, state=JobState.FAILED, error="unreadable"),
    ]  # fmt: skip
    second = store.new_batch()
    results = store.enqueue_files(jobs, second, requeue_done=False)
    assert results[0] == EnqueueResult(old[0].job_id, Enqueued.REQUEUED)
    new_ids = [r.job_id for r in results[1:]]
    assert new_ids == list(range(old[-2].job_id, old[-2].job_id + 301))
    for job, result in zip(jobs, results, strict=True):
        stored = store.get(result.job_id)
        assert stored is not None
        assert (stored.source, stored.key, stored.batch_id) == (job.source, job.key, second)
    assert store.get(results[-1].job_id).state is JobState.FAILED  # type: ignore[union-attr]
    assert store.counters(second).total == 302
