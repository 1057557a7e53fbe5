"""A watcher meets odd things in its folder and keeps going: FIFOs, another watcher."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import S3Env
from tests.watch_harness import wait_until
from tests.watch_process import WatchProcess, watch_procs_fixture  # noqa: F401 - a fixture

pytestmark = pytest.mark.integration


def test_a_fifo_in_a_watched_folder_is_reported_and_the_watcher_goes_on(
    s3_env: S3Env, tmp_path: Path, watch_procs: list[WatchProcess]
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    proc = WatchProcess(str(folder), "--scope", "mba", "--settle", "0.3")
    watch_procs.append(proc)
    wait_until(lambda: any("watching" in line for line in proc.err + proc.out), 60)
    os.mkfifo(folder / "pipe.csv")
    time.sleep(1.0)  # the FIFO settles first
    (folder / "after.csv").write_text("arrived after the pipe\n")
    proc.wait_for("after.csv")
    proc.wait_for("pipe.csv")
    assert proc.terminate() == 0
    failed = [line for line in proc.out if "pipe.csv" in line]
    assert failed and failed[0].startswith("FAILED"), proc.out
    assert "not a regular file" in failed[0]
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/drop/after.csv"]


def test_a_second_watcher_of_the_same_folder_refuses_naming_the_first(
    s3_env: S3Env, tmp_path: Path, watch_procs: list[WatchProcess]
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    first = WatchProcess(str(folder), "--scope", "mba", "--settle", "0.3")
    watch_procs.append(first)
    wait_until(lambda: any("watching" in line for line in first.err), 60)
    second = WatchProcess(str(folder / ".." / "drop"), "--scope", "mba")
    watch_procs.append(second)
    assert second.process.wait(60) == 2
    second.terminate(10)
    message = "".join(second.err)
    assert f"is already watched by hma-ingest watch (pid {first.process.pid})" in message
    (folder / "once.csv").write_text("uploaded by the first watcher only\n")
    first.wait_for("once.csv")
    # kill -9 frees the folder: the OS drops the lock with the process
    first.process.kill()
    first.process.wait(10)
    third = WatchProcess(str(folder), "--scope", "mba", "--settle", "0.3")
    watch_procs.append(third)
    wait_until(lambda: any("watching" in line for line in third.err), 60)
    assert third.terminate() == 0
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/drop/once.csv"]
