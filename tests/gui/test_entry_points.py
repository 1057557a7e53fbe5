"""The ways to start the app: main.py, python -m hma_gui, the sandbox-server child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.gui


def run(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, timeout=timeout, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_entry_module_loads_no_qt_before_it_must() -> None:
    code = (
        "import sys, hma_gui.app_entry, hma_gui.__main__\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))\n"
    )
    done = run("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_version_from_python_dash_m() -> None:
    done = run("-m", "hma_gui", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hma-ingest ")


def test_the_app_entry_runs_the_sandbox_server_when_asked() -> None:
    env = dict(os.environ, HMA_SANDBOX_PARENT=str(os.getpid()))
    child = subprocess.Popen(
        [sys.executable, "-m", "hma_gui", "--hma-sandbox-server", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        ready = json.loads(child.stdout.readline())
        assert ready["port"] > 0
    finally:
        child.terminate()
        child.wait(10)


@pytest.mark.slow
def test_main_py_starts_the_window_in_the_sandbox() -> None:
    done = run(str(REPO_ROOT / "main.py"), "--smoke-test")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (app_dirs.data_dir() / "sandbox" / "jobs.db").exists()
    log = (app_dirs.log_dir() / "hma-ingest.log").read_text()
    assert "smoke test ok: Sandbox S3 at http://127.0.0.1:" in log
    assert Path(app_dirs.config_dir() / "window.ini").exists()  # geometry remembered
