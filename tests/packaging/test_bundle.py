"""The bundle we ship (dist/hma-ingest): it starts, works and stays lean.

The first test to ask for the `bundle` fixture builds it (~40 s) unless a
fresh one is there; see conftest.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from hma_gui import APP_ID, __version__
from hma_gui.core import app_dirs
from tests.conftest import REPO_ROOT
from tests.packaging.conftest import (
    alive,
    clean_env,
    run_bundle,
    sandbox_children,
    wait_for,
    write_settings,
)
from tests.packaging.test_self_test import assert_passed

pytestmark = [pytest.mark.packaged, pytest.mark.slow, pytest.mark.timeout(900)]

SIZE_LIMIT_MB = 200


def test_the_bundle_passes_its_self_test(executable: Path) -> None:
    done = run_bundle(executable, "--self-test", cwd="/")
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert_passed(done.stdout)
    assert "(packaged, Python 3." in done.stdout
    resources = executable.parent / "_internal" / "resources"
    assert f"find the app's resources ... ok ({resources})" in done.stdout
    # the sandbox was this very binary in --hma-sandbox-server mode
    assert (app_dirs.log_dir() / "sandbox-server.log").exists()


def test_without_stdout_the_bundle_still_logs_its_self_test(executable: Path) -> None:
    done = subprocess.run(
        [str(executable), "--self-test"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=clean_env(QT_QPA_PLATFORM="offscreen"), preexec_fn=_close_std, timeout=180,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert_passed((app_dirs.log_dir() / "hma-ingest.log").read_text())


def _close_std() -> None:
    os.close(1)
    os.close(2)


def test_version_and_help_need_no_display(executable: Path) -> None:
    env = {k: v for k, v in clean_env().items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    version = run_bundle(executable, "--version", env=env, timeout=60)
    assert (version.returncode, version.stdout.strip()) == (0, f"{APP_ID} {__version__}")
    helped = run_bundle(executable, "--help", env=env, timeout=60)
    assert helped.returncode == 0
    assert "--self-test" in helped.stdout
    assert "--startup-timing" not in helped.stdout  # a benchmark hook, not for users


def test_the_sandbox_child_serves_s3_and_dies_with_a_killed_parent(executable: Path) -> None:
    write_settings(app_dirs.config_dir(), ["sandbox = true"])
    app = subprocess.Popen(
        [str(executable)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=clean_env(QT_QPA_PLATFORM="offscreen"),
    )  # fmt: skip
    children: list[int] = []
    try:
        log = app_dirs.log_dir() / "hma-ingest.log"
        wait_for(lambda: log.exists() and "sandbox S3 endpoint" in log.read_text(), 120, "sandbox")
        children = sandbox_children(app.pid)
        assert len(children) == 1
        endpoint = log.read_text().split("sandbox S3 endpoint running at ")[1].split()[0]
        import urllib.request

        with urllib.request.urlopen(endpoint + "/", timeout=10) as answer:  # noqa: S310
            assert b"ListAllMyBucketsResult" in answer.read()  # moto's S3, from the bundle
        app.send_signal(signal.SIGKILL)  # a crash: no clean-up runs
        app.wait(10)
        wait_for(lambda: not alive(children[0]), 15, "the orphaned sandbox to exit")
    finally:
        for child in children:
            if alive(child):
                os.kill(child, signal.SIGKILL)
        if app.poll() is None:
            app.kill()
            app.wait()


def test_sigterm_quits_the_bundle_cleanly(executable: Path) -> None:
    write_settings(app_dirs.config_dir(), ["sandbox = true"])
    app = subprocess.Popen(
        [str(executable)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env=clean_env(QT_QPA_PLATFORM="offscreen"), text=True,
    )  # fmt: skip
    try:
        log = app_dirs.log_dir() / "hma-ingest.log"
        wait_for(lambda: log.exists() and "sandbox S3 endpoint" in log.read_text(), 120, "sandbox")
        children = sandbox_children(app.pid)
        assert len(children) == 1
        app.send_signal(signal.SIGTERM)
        _, stderr = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == 0, stderr[-2000:]
    assert not alive(children[0])
    assert "SIGTERM received: quitting" in log.read_text()


def _files(bundle: Path) -> list[str]:
    return [p.relative_to(bundle).as_posix() for p in bundle.rglob("*")]


def test_the_bundle_is_lean(bundle: Path) -> None:
    files = _files(bundle)
    regular = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    size_mb = sum(p.stat().st_size for p in regular) / 1e6
    assert size_mb <= SIZE_LIMIT_MB, f"{size_mb:.0f} MB"

    def having(fragment: str) -> list[str]:
        return [f for f in files if fragment in f]

    assert not having("libqgtk3"), "the GTK theme plugin"
    assert not having("libgtk-3"), "the host's GTK"
    assert not having("WebEngine")
    assert not having("Qt/translations/")
    assert not having("/pytest") and not having("_pytest/") and not having("hypothesis")
    assert not having("PySide6/QtDBus.")
    assert having("PySide6/QtNetwork."), "QtNetwork: one window per data directory"
    assert not having("sample_data")
    assert not having("botocore/data/ec2/")
    # what the app needs is there
    for needed in (
        "_internal/PySide6/Qt/plugins/platforms/libqxcb.so",
        "_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "_internal/PySide6/Qt/plugins/platforms/libqwayland.so",
        "_internal/PySide6/Qt/plugins/imageformats/libqsvg.so",
        "_internal/PySide6/QtSvg.abi3.so",
        "_internal/resources/styles/app.qss",
        "_internal/resources/icons/hma-ingest.svg",
        "_internal/resources/icons/hicolor/256x256/apps/hma-ingest.png",
        "_internal/resources/hma-ingest.desktop",
        "_internal/moto/s3/2006-03-01/service-2.moto-extras.json.gz",
        "_internal/botocore/data/s3/2006-03-01/service-2.json.gz",
        "_internal/botocore/data/sso-oidc/2019-06-10/service-2.json.gz",
    ):
        assert needed in files, needed
    dangling = [f for f in files if (bundle / f).is_symlink() and not (bundle / f).exists()]
    assert not dangling


def test_the_stamp_names_this_version(bundle: Path) -> None:
    info = json.loads((bundle / "_internal" / "build-info.json").read_text())
    assert info["version"] == __version__
    assert info["exclusions_off"] == []


def test_install_and_uninstall_for_a_user(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in clean_env(HOME=str(home)).items() if not k.startswith("XDG_")}
    script = str(REPO_ROOT / "packaging" / "install-linux.sh")
    done = subprocess.run(
        ["bash", script, "--bundle", str(bundle)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    installed = home / ".local" / "opt" / APP_ID / APP_ID
    share = home / ".local" / "share"
    desktop = share / "applications" / f"{APP_ID}.desktop"
    assert installed.is_file() and os.access(installed, os.X_OK)
    entry = dict(
        line.split("=", 1) for line in desktop.read_text().splitlines() if "=" in line
    )  # fmt: skip
    assert entry["Exec"] == str(installed)
    assert entry["TryExec"] == str(installed)
    assert entry["Icon"] == APP_ID
    for size in (16, 32, 48, 128, 256, 512):
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    # the installed copy works on its own
    ran = run_bundle(installed, "--version", timeout=60)
    assert ran.stdout.strip() == f"{APP_ID} {__version__}"
    # installing again replaces the copy; uninstalling takes everything away
    again = subprocess.run(["bash", script, "--bundle", str(bundle)], env=env, check=False,
                           capture_output=True, timeout=300)  # fmt: skip
    assert again.returncode == 0
    removed = subprocess.run(["bash", script, "--uninstall"], env=env, check=False,
                             capture_output=True, timeout=60)  # fmt: skip
    assert removed.returncode == 0
    assert not installed.exists() and not desktop.exists()
    assert not list((share / "icons").rglob(f"{APP_ID}.*"))
