"""One window per data directory: a second `hma-gui` brings the first forward and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from tests.conftest import S3Env
from tests.watch_harness import wait_until

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def start_gui(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hma_gui"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_second_window_signals_the_first_and_exits(s3_env: S3Env) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    log: Path = app_dirs.data_dir() / "logs" / "hma-ingest.log"
    first = start_gui(env)
    try:
        wait_until(
            lambda: log.exists() and "the only window of data directory" in log.read_text(), 120
        )
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "hma_gui"],
            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr[-2000:]
        assert time.monotonic() - started < 60
        assert "is already running for the data directory" in second.stderr
        wait_until(lambda: "brought this window forward" in log.read_text(), 30)
        assert first.poll() is None  # the first window is still there
        first.kill()  # kill -9: its socket file stays behind
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    # nobody answers on the stale socket: the next start is the window again
    timing = subprocess.run(
        [sys.executable, "-m", "hma_gui", "--startup-timing"],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert timing.returncode == 0, timing.stderr[-2000:]
    assert "startup-timing:" in timing.stdout
    assert log.read_text().count("the only window of data directory") == 2
