"""The durable job store: transitions, de-duplication, counters, crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hma_gui.core.jobs.store import Decision, JobState, JobStore, NewJob, owner_is_alive


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.db")


def job(name: str, size: int = 10, **kw: object) -> NewJob:
    return NewJob(source=f"/data/mba/{name}", size=size, bucket="b", key=f"mba/csv/{name}", **kw)  # type: ignore[arg-type]


def test_a_job_goes_from_queued_to_done(store: JobStore) -> None:
    [(job_id, created)] = store.enqueue([job("a.csv", 100)])
    assert created
    [claimed] = store.claim()
    assert (claimed.id, claimed.state, claimed.attempts) == (job_id, JobState.RUNNING, 1)
    assert store.claim() == []
    store.mark_done(job_id, etag="abc", md5="abc")
    done = store.get(job_id)
    assert done is not None
    assert (done.state, done.etag, done.error, done.owner) == (JobState.DONE, "abc", None, None)
    assert done.finished_at is not None and done.started_at is not None
    record = store.uploaded_record("b", "mba/csv/a.csv")
    assert record is not None
    assert (record.source, record.size, record.md5, record.etag) == (
        "/data/mba/a.csv",
        100,
        "abc",
        "abc",
    )


def test_enqueuing_a_pending_file_twice_makes_one_job(store: JobStore) -> None:
    [(first, _)] = store.enqueue([job("a.csv")])
    [(second, created)] = store.enqueue([job("a.csv")])
    assert (second, created) == (first, False)
    store.claim()
    [(third, created)] = store.enqueue([job("a.csv")])
    assert (third, created) == (first, False)  # running: still the same job
    store.mark_done(first, etag="e", md5="m")
    [(fourth, created)] = store.enqueue([job("a.csv")])
    assert created and fourth != first  # a finished job does not block a new upload
    assert store.counters().total == 2


def test_a_failed_job_is_queued_again_when_enqueued_again(store: JobStore) -> None:
    [(job_id, _)] = store.enqueue([job("a.csv")])
    store.claim()
    store.mark_failed(job_id, "boom", retryable=False)
    batch = store.new_batch()
    [(again, created)] = store.enqueue([job("a.csv")], batch)
    assert (again, created) == (job_id, False)
    requeued = store.get(job_id)
    assert requeued is not None
    assert (requeued.state, requeued.error, requeued.batch_id) == (JobState.QUEUED, None, batch)


def test_counters_follow_every_transition(store: JobStore) -> None:
    batch = store.new_batch()
    ids = [i for i, _ in store.enqueue([job(f"{n}.csv", 10 * (n + 1)) for n in range(5)], batch)]
    store.enqueue([NewJob(source="/gone", size=0, state=JobState.FAILED, error="missing")], batch)
    c = store.counters(batch)
    assert (c.queued, c.running, c.done, c.failed, c.skipped) == (5, 0, 0, 1, 0)
    assert c.bytes_total == 150
    claimed = store.claim(3, batch)
    store.mark_done(claimed[0].id, etag="e", md5="m")
    store.mark_failed(claimed[1].id, "x", retryable=True)
    store.mark_skipped(ids[4], "already uploaded")
    c = store.counters(batch)
    assert (c.queued, c.running, c.done, c.failed, c.skipped) == (1, 1, 1, 2, 1)
    assert c.bytes_done == 10
    assert c.bytes_total == 150 - 50  # the skipped job's bytes are not to be uploaded
    assert store.counters().total == 6
    assert store.counters(batch + 1).total == 0
    store.remove([ids[3]])
    assert store.counters(batch).queued == 0
    assert store.clear_finished() == 2  # done + skipped
    assert store.counters(batch).total == 3


def test_counters_equal_a_full_count(store: JobStore) -> None:
    """The trigger-kept counters agree with counting the rows, after random work."""
    import random

    rng = random.Random(7)
    store.enqueue([job(f"{n}.csv", n) for n in range(300)])
    for _ in range(200):
        claimed = store.claim(rng.randint(1, 3))
        for j in claimed:
            action = rng.choice(["done", "failed", "skipped", "release"])
            if action == "done":
                store.mark_done(j.id, etag="e", md5="m")
            elif action == "failed":
                store.mark_failed(j.id, "x", retryable=rng.random() < 0.5)
            elif action == "skipped":
                store.mark_skipped(j.id, "dup")
            else:
                store.release([j.id])
        if rng.random() < 0.2:
            store.retry_failed(only_retryable=True)
    counted = dict.fromkeys(JobState, 0)
    for j in store.jobs():
        counted[j.state] += 1
    c = store.counters()
    assert (c.queued, c.running, c.done, c.failed, c.skipped) == (
        counted[JobState.QUEUED],
        counted[JobState.RUNNING],
        counted[JobState.DONE],
        counted[JobState.FAILED],
        counted[JobState.SKIPPED],
    )
    assert c.bytes_done == sum(j.size for j in store.jobs(state=JobState.DONE))


def test_retry_and_retry_failed(store: JobStore) -> None:
    ids = [i for i, _ in store.enqueue([job("a.csv"), job("b.csv"), job("c.csv")])]
    store.claim(3)
    store.mark_failed(ids[0], "network", retryable=True)
    store.mark_failed(ids[1], "denied", retryable=False)
    store.mark_skipped(ids[2], "dup")
    assert store.retry_failed(only_retryable=True) == 1
    assert store.get(ids[0]).state is JobState.QUEUED  # type: ignore[union-attr]
    assert store.get(ids[1]).state is JobState.FAILED  # type: ignore[union-attr]
    assert store.retry([ids[1], ids[2]]) == 2
    assert store.counters().queued == 3


def test_changed_since_returns_only_what_changed(store: JobStore) -> None:
    ids = [i for i, _ in store.enqueue([job("a.csv"), job("b.csv")])]
    rev = store.current_rev()
    changed, rev2 = store.changed_since(rev)
    assert changed == [] and rev2 == rev
    store.claim(1)
    changed, rev3 = store.changed_since(rev2)
    assert [j.id for j in changed] == [ids[0]] and rev3 > rev2


def test_running_jobs_of_a_dead_process_are_recovered(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    store = JobStore(path)
    store.enqueue([job("a.csv"), job("b.csv")])
    # Another process claims one job and dies without finishing it.
    code = (
        "import os, sys; from pathlib import Path; from hma_gui.core.jobs.store import JobStore;"
        f"s = JobStore(Path({str(path)!r})); s.claim(1); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))
    assert store.counters().running == 1
    [mine] = store.claim(1)  # ours, alive: must not be taken back
    assert store.recover_orphans() == 1
    c = store.counters()
    assert (c.queued, c.running) == (1, 1)
    assert store.get(mine.id).state is JobState.RUNNING  # type: ignore[union-attr]


def test_owner_liveness(store: JobStore) -> None:
    assert owner_is_alive(store.identity) is True
    host = store.identity.split(":")[0]
    assert owner_is_alive(f"{host}:999999:0") is False
    assert owner_is_alive("some-other-host:1:0") is None


def test_claims_from_many_threads_never_hand_out_a_job_twice(store: JobStore) -> None:
    store.enqueue([job(f"{n}.csv") for n in range(400)])
    seen: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        while claimed := store.claim(1):
            with lock:
                seen.extend(j.id for j in claimed)
            store.mark_done(claimed[0].id, etag="e", md5="m")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 400 == len(set(seen))
    assert store.counters().done == 400


def test_two_processes_share_the_store_without_double_claims(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    store = JobStore(path)
    store.enqueue([job(f"{n}.csv") for n in range(300)])
    code = (
        "import sys; from pathlib import Path; from hma_gui.core.jobs.store import JobStore;"
        f"s = JobStore(Path({str(path)!r}))\n"
        "while c := s.claim(1):\n"
        "    s.mark_done(c[0].id, etag='e', md5='m'); print(c[0].id)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    ids = [int(x) for out in outputs for x in out]
    assert len(ids) == 300 == len(set(ids))
    assert store.counters().done == 300


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "jobs.db"
    JobStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(Exception, match="newer HMA Ingest"):
        JobStore(path)


def test_the_stores_parts_share_one_database(tmp_path: Path) -> None:
    """`JobStore` is its parts put together: each part works on the same file on its own."""
    from hma_gui.core.jobs.decision_writes import DecisionWrites
    from hma_gui.core.jobs.queries import JobQueries
    from hma_gui.core.jobs.store_db import StoreDb

    with JobStore(tmp_path / "jobs.db") as store:
        ((job_id, _),) = store.enqueue([NewJob(source="/s/a.csv", size=3, bucket="b", key="k")])
        db = StoreDb(tmp_path / "jobs.db")
        try:
            DecisionWrites(db).retarget(job_id, key="k__2", decision=Decision.KEEP_BOTH)
            assert JobQueries(db).get(job_id).key == "k__2"  # type: ignore[union-attr]
        finally:
            db.close()
        job = store.get(job_id)
        assert job is not None and (job.key, job.decision) == ("k__2", Decision.KEEP_BOTH)
        assert store.counters().queued == 1


def test_done_marks_in_one_group_fill_the_ledger_from_the_updated_rows(store: JobStore) -> None:
    from hma_gui.core.jobs.lifecycle import DoneMark

    [(a, _), (b, _)] = store.enqueue([job("a.csv", 10), job("b.csv", 20)])
    store.claim(limit=2)
    # b's upload found the file grown (size and mtime given); 999 is a job cleared meanwhile
    store.mark_done_many(
        [DoneMark(a, "ea", "ma"), DoneMark(999, "ex", "mx"), DoneMark(b, "eb", None, 25, 7)]
    )
    assert [store.get(i).state for i in (a, b)] == [JobState.DONE, JobState.DONE]  # type: ignore[union-attr]
    first = store.uploaded_record("b", "mba/csv/a.csv")
    second = store.uploaded_record("b", "mba/csv/b.csv")
    assert first is not None and second is not None
    assert (first.size, first.md5, first.etag) == (10, "ma", "ea")
    assert (second.size, second.mtime_ns, second.md5, second.etag) == (25, 7, None, "eb")
    assert store.counters().done == 2
