"""The duplicate check of watched folders, and the store and inventory pieces it stands on."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview
from hma_gui.core.duplicates.s3_check import Comparison, S3CheckResult, S3Class, S3Finding
from hma_gui.core.duplicates.stored_decisions import update_stored_jobs
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.s3.inventory import PrefixListing, S3Object
from tests.cli_runner import cli_command
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.watch_harness import WatchSession, wait_until

# ----------------------------------------------------------------- small pieces


def test_a_put_replaces_the_listed_object_at_its_key() -> None:
    listing = PrefixListing("b", "mba/")
    listing.add(S3Object("b", "mba/a.csv", 10, "e1"))
    listing.add(S3Object("b", "mba/b.csv", 10, "e2"))
    listing.put(S3Object("b", "mba/a.csv", 12, "e3"))
    assert listing.by_key["mba/a.csv"].etag == "e3"
    assert [o.key for o in listing.by_size[10]] == ["mba/b.csv"]
    assert [o.key for o in listing.by_size[12]] == ["mba/a.csv"]
    listing.put(S3Object("b", "mba/b.csv", 12, "e4"))
    assert 10 not in listing.by_size and len(listing.by_size[12]) == 2


def test_the_ledger_answers_what_was_uploaded_since(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        [(first, _), (second, _)] = store.enqueue(
            [NewJob(f"/d/{n}.csv", 5, bucket="b", key=f"k/{n}.csv") for n in ("a", "b")]
        )
        store.claim(2)
        store.mark_done(first, etag="e1", md5="m1")
        between = time.time()
        time.sleep(0.01)
        store.mark_done(second, etag="e2", md5="m2")
        assert [r.key for r in store.uploaded_since(0)] == ["k/a.csv", "k/b.csv"]
        assert [r.key for r in store.uploaded_since(between)] == ["k/b.csv"]


def test_redecide_leaves_a_job_that_started_meanwhile(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        ids = [i for i, _ in store.enqueue(
            [NewJob(f"/d/{n}.csv", 5, bucket="b", key=f"k/{n}.csv") for n in ("a", "b")]
        )]  # fmt: skip
        [running] = store.claim(1)
        assert not store.redecide(
            running.id, key="k/x.csv", decision=Decision.SKIP, state=JobState.SKIPPED, error="no"
        )
        assert store.get(running.id).key == "k/a.csv"  # type: ignore[union-attr]
        assert store.redecide(
            ids[1], key="k/b__2.csv", decision=Decision.KEEP_BOTH, state=JobState.QUEUED, error=None
        )
        job = store.get(ids[1])
        assert job is not None and (job.key, job.decision) == ("k/b__2.csv", Decision.KEEP_BOTH)


def _finding(name: str, s3_class: S3Class) -> S3Finding:
    return S3Finding(
        path=f"/d/{name}", size=5, md5="a" * 32, bucket="b", key=f"k/{name}",
        s3_class=s3_class, how=Comparison.ETAG_MD5, detail="compared",
    )  # fmt: skip


def test_stored_jobs_take_changed_decisions(tmp_path: Path) -> None:
    names = ("same.csv", "conflict.csv", "other.csv", "started.csv")
    planned = [NewJob(f"/d/{n}", 5, bucket="b", key=f"k/{n}") for n in names]
    review = DuplicateReview(
        planned,
        s3=S3CheckResult(
            findings=[
                _finding("same.csv", S3Class.ALREADY_UPLOADED),
                _finding("conflict.csv", S3Class.CONFLICT),
                _finding("other.csv", S3Class.CONFLICT),
                _finding("started.csv", S3Class.CONFLICT),
            ]
        ),
        taken_keys={"b": ["k/conflict.csv", "k/other.csv", "k/started.csv", "k/same.csv"]},
    )
    review.preselect("ask")
    with JobStore(tmp_path / "jobs.db") as store:
        waiting = [
            NewJob(j.source, 5, bucket="b", key=j.key, state=JobState.SKIPPED, error="waiting")
            for j in planned[:3]
        ]
        store.enqueue([*waiting, planned[3]])
        store.claim(1)  # started.csv is uploading
        review.set_file("/d/conflict.csv", Decision.KEEP_BOTH)
        review.set_file("/d/other.csv", Decision.OVERWRITE)
        review.set_file("/d/started.csv", Decision.SKIP)
        result = update_stored_jobs(review, store, store.jobs())
        jobs = {j.source: j for j in store.jobs()}
    assert (result.queued, result.skipped, result.unchanged) == (2, 1, ["/d/started.csv"])
    assert jobs["/d/conflict.csv"].state is JobState.QUEUED
    conflict, other = jobs["/d/conflict.csv"], jobs["/d/other.csv"]
    assert (conflict.key, conflict.decision) == ("k/conflict__2.csv", Decision.KEEP_BOTH)
    assert (other.key, other.decision) == ("k/other.csv", Decision.OVERWRITE)
    assert jobs["/d/same.csv"].state is JobState.SKIPPED
    assert jobs["/d/same.csv"].error.startswith("already in S3")  # type: ignore[union-attr]
    assert jobs["/d/started.csv"].state is JobState.RUNNING


# ----------------------------------------------------------------- a watched folder


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def checked_watch(folder: Path, tmp: Path, **settings: object) -> WatchSession:
    """A watcher with the duplicate check as its `prepare` hook, and a runner."""
    return WatchSession(
        folder, tmp / "jobs.db", 0.3, hash_cache=tmp / "hashes.db", concurrency=2, **settings
    )


@pytest.fixture
def proxy(s3_env: S3Env, monkeypatch: pytest.MonkeyPatch) -> FaultProxy:
    counting = FaultProxy(s3_env.endpoint)
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", counting.endpoint)
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "1")
    yield counting  # type: ignore[misc]
    counting.close()


@pytest.mark.integration
def test_a_watched_folder_skips_what_s3_holds_and_updates_its_own_uploads(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    bucket, client = s3_env.mba_bucket, s3_env.client
    folder = tmp_path / "mba"
    folder.mkdir()
    files = {
        "same.csv": b"already there\n",
        "moved.csv": b"there under another name\n",
        "conflict.csv": b"mine\n",
        "new.csv": b"new here\n",
    }
    client.put_object(Bucket=bucket, Key="mba/csv/same.csv", Body=files["same.csv"])  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key="mba/csv/2023/moved.csv", Body=files["moved.csv"])  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key="mba/csv/conflict.csv", Body=b"theirs\n")  # type: ignore[attr-defined]
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with checked_watch(folder, tmp_path) as watch:
        watch.settled(4)
        states = watch.states()
        assert states == {
            "same.csv": [JobState.SKIPPED],
            "moved.csv": [JobState.SKIPPED],
            "conflict.csv": [JobState.SKIPPED],
            "new.csv": [JobState.DONE],
        }
        lists = watch.check.inventory.requests.list_calls  # type: ignore[union-attr]
        # The watcher's own upload, changed: replaced (it is not a conflict with itself).
        (folder / "new.csv").write_bytes(b"new here, version 2\n")
        watch.settled(5)
        # A copy of what it uploaded: known at once from the ledger, without listing again.
        (folder / "new-copy.csv").write_bytes(b"new here, version 2\n")
        watch.settled(6)
        assert watch.check.inventory.requests.list_calls == lists  # type: ignore[union-attr]
        [activity] = watch.watcher.activity.values()
        assert activity.last_message == "skipped new-copy.csv (a copy)"  # the window's words
        assert activity.queued == 2  # new.csv twice; the three copies S3 had and this one not
        states = watch.states()
        [skipped] = [j for j in watch.store.jobs() if j.source.endswith("new-copy.csv")]
    assert states["new.csv"] == [JobState.DONE, JobState.DONE]
    assert states["new-copy.csv"] == [JobState.SKIPPED]
    assert skipped.error == f"same content already in S3 at s3://{bucket}/mba/csv/new.csv"
    assert proxy.puts(bucket) == {"mba/csv/new.csv": 2}  # nothing else was put
    assert s3_env.read(bucket, "mba/csv/new.csv") == b"new here, version 2\n"
    assert s3_env.read(bucket, "mba/csv/conflict.csv") == b"theirs\n"
    assert s3_env.keys(bucket) == [
        "mba/csv/2023/moved.csv", "mba/csv/conflict.csv", "mba/csv/new.csv", "mba/csv/same.csv",
    ]  # fmt: skip


@pytest.mark.integration
def test_a_copy_that_settles_while_its_original_uploads_is_skipped(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    bucket = s3_env.mba_bucket
    folder = tmp_path / "mba"
    folder.mkdir()
    data = b"member_id,plan_id\nM-0001,P-1\n"
    proxy.hold("PUT")  # the original's upload stays in flight; listings go through
    with checked_watch(folder, tmp_path) as watch:
        (folder / "export.csv").write_bytes(data)
        wait_until(lambda: proxy.held == 1, 30)
        (folder / "export-final.csv").write_bytes(data)  # the export's second copy
        (folder / "other.csv").write_bytes(b"member_id,plan_id\nM-0002,P-2\n")  # same size
        wait_until(lambda: watch.store.counters(watch.batch).total == 3, 30)
        proxy.release()
        watch.settled(3)
        jobs = {Path(j.source).name: j for j in watch.store.jobs()}
    assert {name: j.state for name, j in jobs.items()} == {
        "export.csv": JobState.DONE,
        "export-final.csv": JobState.SKIPPED,
        "other.csv": JobState.DONE,
    }
    assert jobs["export-final.csv"].error == (
        f"same content as {folder / 'export.csv'}, on its way to s3://{bucket}/mba/csv/export.csv"
    )
    assert proxy.puts(bucket) == {"mba/csv/export.csv": 1, "mba/csv/other.csv": 1}


@pytest.mark.integration
def test_keep_both_is_not_repeated_when_the_watcher_restarts(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    bucket = s3_env.mba_bucket
    s3_env.client.put_object(Bucket=bucket, Key="mba/csv/report.csv", Body=b"theirs\n")  # type: ignore[attr-defined]
    folder = tmp_path / "mba"
    folder.mkdir()
    (folder / "report.csv").write_bytes(b"mine\n")
    with checked_watch(folder, tmp_path, on_duplicate="keep-both") as watch:
        watch.settled(1)
    stat = (folder / "report.csv").stat()  # touched while the watcher was closed
    os.utime(folder / "report.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 3_000_000_000))
    with checked_watch(folder, tmp_path, on_duplicate="keep-both") as watch:
        watch.settled(1)
        wait_until(lambda: len(watch.store.jobs()) == 2, 30)
        watch.settled(1)
        jobs = watch.store.jobs()
    assert [(j.state, j.key) for j in jobs] == [
        (JobState.DONE, "mba/csv/report__2.csv"),
        (JobState.SKIPPED, "mba/csv/report.csv"),
    ]
    assert (
        jobs[1].error == f"already uploaded from this file as s3://{bucket}/mba/csv/report__2.csv"
    )
    assert proxy.puts(bucket) == {"mba/csv/report__2.csv": 1}


@pytest.mark.integration
def test_when_s3_cannot_be_listed_nothing_is_uploaded_unchecked(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    proxy.down()
    (folder / "a.csv").write_bytes(b"a\n")
    caplog.set_level(logging.WARNING)
    with checked_watch(folder, tmp_path, on_duplicate="ask") as watch:
        watch.settled(1)
        [job] = watch.store.jobs()
    assert job.state is JobState.FAILED
    assert job.error is not None and job.error.startswith(
        "not uploaded: the duplicate check could not list S3: cannot reach"
    )
    assert job.error.endswith("retry to upload it without the check")
    assert "watched folders cannot ask about duplicates: using skip" in caplog.text


@pytest.mark.integration
def test_the_watch_command_skips_a_file_already_in_s3(s3_env: S3Env, tmp_path: Path) -> None:
    bucket = s3_env.mba_bucket
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "there.csv").write_bytes(b"already uploaded\n")
    (folder / "fresh.csv").write_bytes(b"fresh\n")
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=bucket, Key="mba/csv/drop/there.csv", Body=b"already uploaded\n"
    )
    etag = s3_env.head(bucket, "mba/csv/drop/there.csv")["ETag"]
    process = subprocess.Popen(
        cli_command("watch", str(folder), "--scope", "mba", "--settle", "0.3"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stdout is not None
        reader = threading.Thread(
            target=lambda: lines.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        wait_until(lambda: len(lines) >= 2, 60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        reader.join(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert sorted(lines) == [
        f"skipped {folder}/there.csv: already in S3: s3://{bucket}/mba/csv/drop/there.csv has "
        "the same content (the ETag equals the local MD5)\n",
        f"uploaded {folder}/fresh.csv → s3://{bucket}/mba/csv/drop/fresh.csv\n",
    ]
    assert s3_env.head(bucket, "mba/csv/drop/there.csv")["ETag"] == etag
    assert s3_env.keys(bucket) == ["mba/csv/drop/fresh.csv", "mba/csv/drop/there.csv"]
