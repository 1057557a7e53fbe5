"""Watched folders: finished files only, each exactly once, catching up after a restart."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.watch.folder_watcher import FolderWatcher, watch_folders_from_paths
from hma_gui.core.watch.settle_tracker import SettleTracker
from tests.cli_runner import cli_command
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.watch_harness import WatchSession, wait_until

# ----------------------------------------------------------------- the settle rules


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_due_only_after_it_stopped_changing(tmp_path: Path) -> None:
    clock = FakeClock()
    tracker = SettleTracker(2.0, clock)
    path = tmp_path / "a.csv"
    path.write_bytes(b"1")
    tracker.touch(path)
    assert tracker.due() == []  # first look: remembered
    clock.now = 1.9
    assert tracker.due() == []
    with path.open("ab") as handle:  # still being written
        handle.write(b"2")
    clock.now = 3.0
    assert tracker.due() == []  # changed: the wait starts again
    clock.now = 4.9
    assert tracker.due() == []
    clock.now = 5.1
    [(due_path, info)] = tracker.due()
    assert due_path == path and info is not None and info.st_size == 2
    assert len(tracker) == 0


def test_a_vanished_file_is_forgotten(tmp_path: Path) -> None:
    clock = FakeClock()
    tracker = SettleTracker(1.0, clock)
    path = tmp_path / "a.csv"
    path.write_bytes(b"1")
    tracker.touch(path)
    tracker.due()
    path.unlink()
    clock.now = 5
    assert tracker.due() == [] and len(tracker) == 0


def test_an_unopenable_file_is_reported_after_a_few_tries() -> None:
    from tests.unreadable import as_nobody, unreadable_tree

    clock = FakeClock()
    tracker = SettleTracker(1.0, clock)
    with unreadable_tree() as root:
        locked = root / "mba/locked.csv"
        tracker.touch(locked)
        results = []
        with as_nobody():
            for step in range(1, 12):
                clock.now = step * 1.1
                results.extend(tracker.due())
    assert results == [(locked, None)]


# ----------------------------------------------------------------- a live watcher


def write_slowly(path: Path, chunks: list[bytes], gap: float, via_part: bool) -> None:
    target = path.with_name(path.name + ".part") if via_part else path
    with target.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            handle.flush()
            time.sleep(gap)
    if via_part:
        target.rename(path)


@pytest.mark.integration
@pytest.mark.slow
def test_files_written_slowly_are_uploaded_once_complete(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    rng = random.Random(11)
    finals: dict[str, bytes] = {}
    plans = []
    for n in range(200):
        chunks = [os.urandom(rng.randint(200, 4000)) for _ in range(rng.randint(4, 7))]
        name = f"sub{n % 3}/member_{n:03d}.csv" if n % 5 else f"member_{n:03d}.csv"
        finals[f"mba/csv/exports/{name}"] = b"".join(chunks)
        plans.append((folder / name, chunks, n % 4 == 0))
    for sub in ("sub0", "sub1", "sub2"):
        (folder / sub).mkdir()
    with WatchSession(folder, tmp_path / "jobs.db", settle=1.0) as session:
        with ThreadPoolExecutor(40) as writers:
            for path, chunks, via_part in plans:
                writers.submit(write_slowly, path, chunks, 0.4, via_part)
        session.wait_done(200)
        time.sleep(2.0)  # settle time and more: nothing else may be uploaded
        assert session.store.counters(session.batch).done == 200
    puts = proxy.puts(s3_env.mba_bucket)
    assert sorted(puts) == sorted(finals)  # no *.part key, nothing missing
    assert set(puts.values()) == {1}  # each exactly once
    for key, data in finals.items():
        assert s3_env.read(s3_env.mba_bucket, key) == data, key


@pytest.mark.integration
def test_restart_catches_up_and_reuploads_only_changed_content(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.csv").write_text(f"{name} v1\n")
    store_path = tmp_path / "jobs.db"
    with WatchSession(folder, store_path, settle=0.3) as session:
        session.wait_done(3)
    assert proxy.puts(s3_env.mba_bucket) == {
        "mba/csv/a.csv": 1,
        "mba/csv/b.csv": 1,
        "mba/csv/c.csv": 1,
    }
    # While the watcher is closed: a new file, a changed one, a touched one.
    (folder / "d.csv").write_text("d v1\n")
    (folder / "b.csv").write_text("b v2\n")  # same size, new content
    stat = (folder / "c.csv").stat()
    os.utime(folder / "c.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    with WatchSession(folder, store_path, settle=0.3) as session:
        session.wait_done(2)
        # While it runs: touch a without changing it, change c's content.
        stat = (folder / "a.csv").stat()
        os.utime(folder / "a.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 7_000_000_000))
        (folder / "c.csv").write_text("c version 2, longer\n")
        session.wait_done(3)
        time.sleep(1.0)
    assert proxy.puts(s3_env.mba_bucket) == {
        "mba/csv/a.csv": 1,
        "mba/csv/b.csv": 2,
        "mba/csv/c.csv": 2,
        "mba/csv/d.csv": 1,
    }
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/b.csv") == b"b v2\n"
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/c.csv") == b"c version 2, longer\n"


@pytest.mark.integration
def test_the_watch_command_runs_as_a_service(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "early.csv").write_text("there before the watcher\n")
    process = subprocess.Popen(
        cli_command("watch", str(folder), "--scope", "mba", "--settle", "0.5"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        wait_until(lambda: any("early.csv" in line for line in lines), 60)
        write_slowly(folder / "late.csv", [b"part one,", b"part two\n"], 0.2, via_part=True)
        (folder / "scratch.tmp").write_text("never uploaded")
        (folder / "bad.part").write_text("left unfinished")
        wait_until(lambda: any("late.csv" in line for line in lines), 60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        reader.join(10)
    finally:
        if process.poll() is None:
            process.kill()
    uploaded = [line for line in lines if line.startswith("uploaded ")]
    assert len(uploaded) == 2, lines
    assert f"uploaded {folder}/late.csv → s3://{s3_env.mba_bucket}/mba/csv/drop/late.csv\n" in lines
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/drop/early.csv", "mba/csv/drop/late.csv"]
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/drop/late.csv") == b"part one,part two\n"
    assert "stopped: 2 uploaded, 0 failed" in (process.stderr.read() if process.stderr else "")


def test_a_failing_duplicate_check_loses_no_file(tmp_path: Path) -> None:
    """When the prepare hook (the duplicate check) fails, the settled files are retried."""
    folder = tmp_path / "mba"
    folder.mkdir()
    store = JobStore(tmp_path / "jobs.db")
    clock = FakeClock()
    calls: list[int] = []

    def flaky(jobs: list) -> list:  # type: ignore[type-arg]
        calls.append(len(jobs))
        if len(calls) == 1:
            raise ConnectionError("S3 listing failed")
        return jobs

    watcher = FolderWatcher(
        watch_folders_from_paths([folder], scope="mba"),
        load_settings(),
        store,
        prepare=flaky,
        settle_seconds=1.0,
        clock=clock,
    )
    (folder / "a.csv").write_text("a\n")
    watcher.catch_up()
    watcher.poll_once()  # first look
    clock.now = 2.0
    with pytest.raises(ConnectionError):
        watcher.poll_once()
    assert store.counters().total == 0
    watcher.poll_once()  # remembered again
    clock.now = 4.0
    ids = watcher.poll_once()
    assert len(ids) == 1 and calls == [1, 1]
    assert store.counters().queued == 1
