"""A watcher meets odd things in its folder and keeps going: FIFOs, undecodable names."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import cli_command
from tests.conftest import S3Env
from tests.watch_harness import wait_until

pytestmark = pytest.mark.integration


class WatchProcess:
    """`hma-ingest watch` as a real process, its output lines collected as they come."""

    def __init__(self, *argv: str) -> None:
        self.process = subprocess.Popen(
            cli_command("watch", *argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, lines: list[str]) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            lines.append(raw.decode("utf-8", "backslashreplace"))

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        wait_until(lambda: any(needle in line for line in self.out), timeout)

    def terminate(self, timeout: float = 20) -> int:
        self.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = self.process.wait(timeout)
        assert time.monotonic() - started < timeout
        for reader in self._readers:
            reader.join(10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def watch_procs() -> Iterator[list[WatchProcess]]:
    started: list[WatchProcess] = []
    yield started
    for proc in started:
        proc.kill()


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
