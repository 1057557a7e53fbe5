"""Older job stores open with today's code: waiting files become waiting jobs (schema 2),
files outside every scope folder become needs-scope jobs (schema 4), batches get an
owner (schema 5; those of older stores have none: any process may take their jobs).

``tests/data/jobs-v1-waiting.db`` was made by ``tests/data/make_v1_store.py`` run
with the code of ``main`` at 8a810e3 (schema 1): two files waiting for a
duplicate decision (skipped jobs with the error text that meant it), and jobs
in every other state, decisions among them.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from hma_gui.core.errors import HmaError
from hma_gui.core.jobs.enqueue import Enqueued
from hma_gui.core.jobs.schema import (
    _V1,
    _V3,
    _V6,
    SCHEMA_VERSION,
    V1_WAITING_ERROR,
    _split,
    _to_v2,
    _to_v4,
)
from hma_gui.core.jobs.store import Decision, JobState, JobStore, NewJob

V1_STORE = Path(__file__).parent / "data" / "jobs-v1-waiting.db"


@pytest.fixture
def v1_store(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.db"
    shutil.copy(V1_STORE, path)
    return path


# The columns schema 1 had (later schemas add columns after these).
V1_COLUMNS = (
    "id, batch_id, source, root, size, mtime_ns, md5, scope, bucket, key, state, attempts,"
    " error, retryable, etag, decision, owner, rev, created_at, updated_at, started_at,"
    " finished_at"
)


def raw_rows(path: Path) -> dict[str, tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"SELECT {V1_COLUMNS} FROM jobs ORDER BY id").fetchall()
    return {Path(str(r[2])).name: r for r in rows}


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_the_file_is_what_schema_1_wrote(v1_store: Path) -> None:
    assert user_version(v1_store) == 1
    rows = raw_rows(v1_store)
    assert [n for n, r in rows.items() if V1_WAITING_ERROR in r] == [
        "waiting-a.csv",
        "waiting-b.csv",
    ]


def test_waiting_jobs_become_waiting_and_the_others_are_unchanged(v1_store: Path) -> None:
    before = raw_rows(v1_store)
    with JobStore(v1_store) as store:
        jobs = {Path(j.source).name: j for j in store.jobs()}
        counters = store.counters()
        assert store.has_waiting()
    assert user_version(v1_store) == SCHEMA_VERSION == 7
    with sqlite3.connect(v1_store) as conn:  # schema 3: no write condition, no multipart yet
        assert (
            conn.execute("SELECT COUNT(*) FROM jobs WHERE expected_etag IS NOT NULL").fetchone()[0]
            == 0
        )
        assert conn.execute("SELECT COUNT(*) FROM multipart_uploads").fetchone()[0] == 0

    for name in ("waiting-a.csv", "waiting-b.csv"):
        job = jobs[name]
        assert (job.state, job.error, job.decision, job.finished_at) == (
            JobState.WAITING, None, None, None,
        )  # fmt: skip
        assert job.key == f"mba/csv/{name}"  # at its planned key
    after = raw_rows(v1_store)
    others = [n for n in before if not n.startswith("waiting-")]
    assert others == [
        "same.csv",
        "queued.csv",
        "conflict.csv",
        "over.csv",
        "failed.csv",
        "done.csv",
    ]
    for name in others:
        assert after[name] == before[name], name  # every column as it was
    assert jobs["same.csv"].decision is Decision.SKIP
    assert jobs["conflict.csv"].decision is Decision.KEEP_BOTH
    assert jobs["conflict.csv"].key == "mba/csv/conflict__2.csv"
    assert jobs["over.csv"].decision is Decision.OVERWRITE
    assert jobs["failed.csv"].state is JobState.FAILED and jobs["failed.csv"].retryable
    assert jobs["done.csv"].state is JobState.DONE
    assert (counters.waiting, counters.skipped, counters.queued) == (2, 1, 3)
    assert (counters.failed, counters.done, counters.total) == (1, 1, 8)


def test_the_migrated_store_works_on(v1_store: Path) -> None:
    with JobStore(v1_store) as store:
        waiting = store.jobs(state=JobState.WAITING)
        assert store.clear_finished() == 2  # done and skipped; waiting jobs stay
        assert [j.id for j in store.jobs(state=JobState.WAITING)] == [j.id for j in waiting]
        assert store.redecide(
            waiting[0].id, key="mba/csv/waiting-a__2.csv", decision=Decision.KEEP_BOTH,
            state=JobState.QUEUED, error=None,
        )  # fmt: skip
        store.enqueue([NewJob("/data/x.csv", 7, bucket="hma-mba", key="mba/csv/x.csv")])
        counters = store.counters()
        assert (counters.waiting, counters.queued) == (1, 5)  # the triggers count again
    with sqlite3.connect(v1_store) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE jobs SET decision = 'maybe'")  # only decision codes are stored
    with JobStore(v1_store) as store:  # opened again: nothing more to migrate
        assert store.counters().waiting == 1
    assert user_version(v1_store) == SCHEMA_VERSION


def schema_3_store(path: Path) -> None:
    """A store at schema 3 (the code of ``main`` at 0552bb6), built by its own steps."""
    db = sqlite3.connect(path)
    cur = db.cursor()
    for statement in _split(_V1):
        cur.execute(statement)
    _to_v2(cur)
    for statement in _split(_V3):
        cur.execute(statement)
    cur.execute("PRAGMA user_version = 3")
    insert = (
        "INSERT INTO jobs(source, size, state, error, bucket, key, decision, expected_etag,"
        " created_at, updated_at) VALUES (?, 5, ?, ?, ?, ?, ?, ?, 0, 0)"
    )
    no_scope = "no scope folder (mba, policy) in the path of 'README.md'; choose a scope"
    db.executemany(
        insert,
        [
            ("/x/README.md", "failed", no_scope, None, None, None, None),
            ("/x/gone.csv", "failed", "the file vanished", "b", "mba/csv/gone.csv", None, None),
            ("/x/new.csv", "queued", None, "b", "mba/csv/new.csv", None, "*"),
            ("/x/over.csv", "queued", None, "b", "mba/csv/over.csv", "overwrite", '"e1"'),
            ("/x/held.csv", "waiting", None, "b", "mba/csv/held.csv", None, None),
        ],
    )
    db.execute(
        "INSERT INTO multipart_uploads VALUES ('u1', 3, 'b', 'mba/csv/new.csv', 5, 5, 1, 1,"
        " 'abc', 0)"
    )
    db.commit()
    db.close()


def test_a_schema_3_store_holds_its_no_scope_failures_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    schema_3_store(path)
    assert user_version(path) == 3
    with JobStore(path) as store:
        jobs = {Path(j.source).name: j for j in store.jobs()}
        counters = store.counters()
    assert user_version(path) == SCHEMA_VERSION == 7
    assert {n: j.state for n, j in jobs.items()} == {
        "README.md": JobState.NEEDS_SCOPE,
        "gone.csv": JobState.FAILED,
        "new.csv": JobState.QUEUED,
        "over.csv": JobState.QUEUED,
        "held.csv": JobState.WAITING,
    }
    assert jobs["README.md"].error is not None  # the reason stays readable
    assert (jobs["new.csv"].expected_etag, jobs["over.csv"].expected_etag) == ("*", '"e1"')
    assert jobs["over.csv"].decision is Decision.OVERWRITE
    assert (counters.needs_scope, counters.failed, counters.queued, counters.waiting) == (
        1, 1, 2, 1,
    )  # fmt: skip
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM multipart_uploads").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE jobs SET state = 'maybe'")  # the CHECK constraint is kept
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE jobs SET decision = 'maybe'")
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"jobs_state", "jobs_rev", "jobs_target", "jobs_count_update"} <= names


def schema_4_store(path: Path) -> None:
    """A store at schema 4 (the code of ``main`` at 6a39432): a batch with a queued job."""
    schema_3_store(path)
    db = sqlite3.connect(path)
    cur = db.cursor()
    _to_v4(cur)
    cur.execute("PRAGMA user_version = 4")
    cur.execute("INSERT INTO batches(id, created_at, label) VALUES (7, 0, 'cli upload: /x')")
    cur.execute("UPDATE jobs SET batch_id = 7 WHERE source = '/x/new.csv'")
    db.commit()
    db.close()


def test_a_schema_4_store_gets_batch_owners_and_its_batches_have_none(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    schema_4_store(path)
    assert user_version(path) == 4
    with sqlite3.connect(path) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(batches)")]
    assert "owner" not in columns
    with JobStore(path) as store:
        before = {Path(j.source).name: j for j in store.jobs()}
        batch = store.new_batch("after the migration")
        queued = before["new.csv"]
        [result] = store.enqueue_files(
            [NewJob(source=queued.source, size=5, bucket="b", key="mba/csv/new.csv")],
            batch,
            requeue_done=False,
        )
        after = {Path(j.source).name: j for j in store.jobs()}
    assert user_version(path) == SCHEMA_VERSION == 7
    with sqlite3.connect(path) as conn:
        owners = dict(conn.execute("SELECT id, owner FROM batches").fetchall())
    assert owners[7] is None  # made before owners were recorded
    assert owners[batch] == store.identity
    # nobody runs an old batch: its queued job is taken over, not left waiting
    assert (result.job_id, result.outcome) == (queued.id, Enqueued.ADOPTED)
    assert after["new.csv"].batch_id == batch
    assert {n: j.state for n, j in after.items()} == {n: j.state for n, j in before.items()}


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    JobStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HmaError, match="newer HMA Ingest"):
        JobStore(path)


def test_a_schema_5_store_gains_the_shared_queue_links_and_keeps_its_owners(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.db"
    schema_4_store(path)
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE batches ADD COLUMN owner TEXT")
    db.execute("UPDATE batches SET owner = 'host:1:2' WHERE id = 7")
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "shared_sent" not in tables
    with JobStore(path) as store:
        jobs = {Path(j.source).name: j for j in store.jobs()}
    assert user_version(path) == SCHEMA_VERSION == 7
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        owners = dict(conn.execute("SELECT id, owner FROM batches").fetchall())
    assert "shared_sent" in tables
    assert owners[7] == "host:1:2"
    assert jobs["new.csv"].batch_id == 7


def test_a_schema_6_ledger_row_is_judged_by_when_it_was_written_until_uploaded_again(
    tmp_path: Path,
) -> None:
    """Schema 7 records when each upload began (``uploaded.read_at``); a row written before
    has none, and the watcher judges a later change by the row's ``uploaded_at``."""
    path = tmp_path / "jobs.db"
    schema_4_store(path)
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE batches ADD COLUMN owner TEXT")
    for statement in _split(_V6):
        db.execute(statement)
    db.execute(
        "INSERT INTO uploaded(bucket, key, source, size, mtime_ns, md5, etag, uploaded_at)"
        " VALUES ('b', 'mba/csv/old.csv', '/x/old.csv', 5, 1, 'm', '\"e\"', 100.0)"
    )
    db.execute("PRAGMA user_version = 6")
    db.commit()
    db.close()
    with JobStore(path) as store:
        before = store.uploaded_record("b", "mba/csv/old.csv")
        batch = store.new_batch("again")
        store.enqueue([NewJob(source="/x/old.csv", size=5, bucket="b", key="mba/csv/old.csv")],
                      batch)  # fmt: skip
        [claimed] = store.claim(1, batch)
        store.mark_done(claimed.id, etag='"f"', md5="n")
        after = store.uploaded_record("b", "mba/csv/old.csv")
    assert user_version(path) == SCHEMA_VERSION == 7
    assert before is not None and (before.read_at, before.upload_began) == (None, 100.0)
    assert after is not None and after.read_at == claimed.started_at
    assert after.upload_began == claimed.started_at <= after.uploaded_at
