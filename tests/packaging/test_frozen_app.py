"""hma_gui.core.frozen_app: what a packaged app fixes up before it starts."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from hma_gui.core import frozen_app
from tests.conftest import REPO_ROOT

BUNDLE = "/opt/hma-ingest/_internal"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", BUNDLE, raising=False)


def test_children_get_the_users_library_path_back(frozen: None) -> None:
    env = {
        "LD_LIBRARY_PATH": BUNDLE,
        "LD_LIBRARY_PATH_ORIG": "/usr/local/lib",
        "QT_PLUGIN_PATH": f"{BUNDLE}/PySide6/Qt/plugins",
        "QML2_IMPORT_PATH": f"{BUNDLE}/PySide6/Qt/qml",
        "PATH": "/usr/bin",
    }
    changed = frozen_app.restore_child_environment(env)
    assert env == {"LD_LIBRARY_PATH": "/usr/local/lib", "PATH": "/usr/bin"}
    assert set(changed) == {"LD_LIBRARY_PATH", "QT_PLUGIN_PATH", "QML2_IMPORT_PATH"}


def test_a_library_path_the_bootloader_set_alone_is_removed(frozen: None) -> None:
    env = {"LD_LIBRARY_PATH": BUNDLE}
    frozen_app.restore_child_environment(env)
    assert env == {}


def test_the_users_own_qt_plugin_path_is_kept(frozen: None) -> None:
    env = {"QT_PLUGIN_PATH": "/home/me/qt-plugins", "LD_LIBRARY_PATH": "/home/me/lib"}
    assert frozen_app.restore_child_environment(env) == []
    assert env == {"QT_PLUGIN_PATH": "/home/me/qt-plugins", "LD_LIBRARY_PATH": "/home/me/lib"}


def test_missing_console_streams_become_writable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    frozen_app.ensure_std_streams()
    assert sys.stdout.write("lost") == 4
    print("also lost", file=sys.stderr)
    assert not frozen_app.has_console()


def test_the_entry_point_survives_closed_stdout_and_stderr() -> None:
    # As a windowed build on Windows: Python starts with sys.stdout/stderr = None.
    code = (
        "import sys; assert sys.stdout is None\n"
        "from hma_gui.app_entry import main; main(['--help'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, close_fds=True, check=False,
        cwd=REPO_ROOT, preexec_fn=_close_stdout, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _close_stdout() -> None:
    import os

    os.close(1)


def test_process_age_is_known_on_linux() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("read from /proc")
    started = time.monotonic()
    age = frozen_app.seconds_since_process_start()
    assert age is not None
    assert 0 < age < time.monotonic() - started + 3600  # this test process runs for a while
    code = "from hma_gui.core.frozen_app import seconds_since_process_start as s; print(s())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 0 < float(done.stdout) < 30  # a fresh interpreter: seconds, not the test's age
