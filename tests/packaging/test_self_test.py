"""``--self-test`` and quitting on signals, from the source tree (the bundle: test_bundle.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from hma_gui.core import app_dirs
from tests.conftest import REPO_ROOT
from tests.packaging.conftest import (
    alive,
    children_of,
    sandbox_children,
    wait_for,
    write_settings,
)

pytestmark = pytest.mark.gui

STEPS = (
    "start the app",
    "find the app's resources",
    "load the settings",
    "build AWS clients",
    "open the main window",
    "start the sandbox S3 endpoint",
    "upload a generated file",
    "read it back",
    "close the window",
)


def self_test(**popen: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "hma_gui", "--self-test"],
        text=True, timeout=180, check=False, stdin=subprocess.DEVNULL, env=env,
        **popen,  # type: ignore[arg-type]
    )  # fmt: skip


def assert_passed(text: str) -> None:
    for step in STEPS:
        assert f"self-test: {step} ... ok" in text, f"step {step!r} missing in:\n{text}"
    assert "self-test: passed in" in text


def test_self_test_passes_and_leaves_the_users_queue_alone() -> None:
    done = self_test(capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert_passed(done.stdout)
    assert "bytes to s3://hma-mba-bucket/mba/csv/self-test-" in done.stdout
    assert "FAILED" not in done.stdout
    # its own store in a temporary folder: neither the AWS nor the sandbox queue was touched
    assert not (app_dirs.data_dir() / "jobs.db").exists()
    assert not (app_dirs.data_dir() / "sandbox" / "jobs.db").exists()


def test_self_test_reports_a_broken_settings_file_and_exits_1() -> None:
    write_settings(app_dirs.config_dir(), ["concurrency = 0"])
    done = self_test(capture_output=True)
    assert done.returncode == 1, done.stdout
    assert "self-test: load the settings ... FAILED:" in done.stdout
    assert "concurrency" in done.stdout
    assert "open the main window" not in done.stdout  # stopped at the first failure
    assert "self-test: FAILED (load the settings:" in done.stdout


def test_without_stdout_the_steps_still_reach_the_log() -> None:
    # A windowed build on Windows starts with sys.stdout and sys.stderr set to None.
    done = self_test(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_close_std)
    assert done.returncode == 0
    assert_passed((app_dirs.log_dir() / "hma-ingest.log").read_text())


def _close_std() -> None:
    os.close(1)
    os.close(2)


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_a_quit_signal_closes_the_app_cleanly(signal_number: int) -> None:
    write_settings(app_dirs.config_dir(), ["sandbox = true"])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    app = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "main.py")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=env, text=True,
    )  # fmt: skip
    try:
        log = app_dirs.log_dir() / "hma-ingest.log"
        wait_for(
            lambda: log.exists() and "sandbox S3 endpoint running" in log.read_text(),
            120, "the sandbox to start",
        )  # fmt: skip
        children = sandbox_children(app.pid)
        assert len(children) == 1
        time.sleep(0.3)  # the window is up and idle
        app.send_signal(signal_number)
        _, stderr = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            for child in children_of(app.pid):
                os.kill(child, signal.SIGKILL)
            app.kill()
            app.wait()
    assert app.returncode == 0, stderr[-2000:]
    assert not alive(children[0])  # the sandbox stopped with the app, not seconds later
    text = log.read_text()
    assert f"{signal.Signals(signal_number).name} received: quitting" in text
    assert "session closed" in text
    assert (app_dirs.config_dir() / "window.ini").exists()  # closed as by Ctrl+Q: state saved


def test_startup_timing_reports_the_first_expose_and_quits() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AWS_ACCESS_KEY_ID="x")
    env["AWS_SECRET_ACCESS_KEY"] = "x"  # credentials found: no first-run question
    done = subprocess.run(
        [sys.executable, "-m", "hma_gui", "--startup-timing"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("startup-timing:"))
    seconds = float(line.split("shown ")[1].split()[0])
    assert 0 < seconds < 120


def test_the_aws_client_step_builds_clients_as_the_app_does_without_boto3() -> None:
    """The step checks the service models the app's own clients need (botocore's session)."""
    probe = (
        "import sys; from hma_gui.ui.shell.self_test import _build_aws_clients; "
        "_build_aws_clients(); print('boto3' in sys.modules, 'botocore.client' in sys.modules)"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
        check=False, env=env, cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
