"""A short smoke run of bench/crash_harness.py, one run of each scenario (the full 20
runs are recorded in bench/RESULTS.md): kill -9 during upload (with and without the
duplicate check), resume and watch; everything lands intact and is written once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_kill_9_during_upload_and_resume_loses_nothing_and_sends_nothing_twice() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "crash_harness.py"),
         "--runs", "4", "--files", "12", "--seed", "7"],
        capture_output=True, text=True, timeout=600, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "runs with a problem: 0" in done.stdout
