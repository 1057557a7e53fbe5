"""Credentials and accounts in the window: the profile picker, Test connection, the
sandbox at start (its Settings toggle and ``--no-sandbox``), and no "Upload without
the check" when the credentials were refused.

Against moto's server with key checking on (`tests.aws_accounts`): the ``default``
profile's key is unknown to it, the ``work`` profile's is an IAM user's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import load_settings
from hma_gui.core.config.settings_file import save_settings
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.connection_check import ConnectionReport
from hma_gui.ui.app import choose_mode
from hma_gui.ui.session import Session
from hma_gui.ui.settings.connection_tab import DEFAULT_PROFILE
from hma_gui.ui.settings.dialog import SettingsDialog
from hma_gui.ui.shell.first_run import FirstRunDialog
from tests.aws_accounts import (  # noqa: F401 - fixtures
    Accounts,
    accounts,
    auth_moto,
    write_profiles,
)
from tests.conftest import free_port
from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def settings_dialog(qtbot: QtBot) -> SettingsDialog:
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    return dialog


def saved() -> dict[str, object]:
    return tomllib.loads(app_dirs.settings_file().read_text())


# ------------------------------------------------------------------ profile picker


def test_the_profile_picker_lists_both_files_and_the_choice_is_used_by_the_next_client(
    qtbot: QtBot,
    accounts: Accounts,  # noqa: F811
) -> None:
    dialog = settings_dialog(qtbot)
    items = [dialog.profile.itemText(i) for i in range(dialog.profile.count())]
    # "work" is in both files, "sso-user" only in the config, "default" in both
    assert items == [DEFAULT_PROFILE, "default", "sso-user", "work"]
    dialog.profile.setCurrentText("work")
    with qtbot.waitSignal(dialog.saved) as done:
        dialog.save_button.click()
    assert done.args[0].aws_profile == "work"
    assert saved()["aws_profile"] == "work"
    client = make_s3_client(load_settings())  # moto accepts only the work profile's key
    assert client.list_objects_v2(Bucket=accounts.mba_bucket, MaxKeys=1)["KeyCount"] == 0


def test_an_unknown_profile_is_named_and_not_saved(qtbot: QtBot) -> None:
    dialog = settings_dialog(qtbot)
    dialog.profile.setCurrentText("typo")
    assert not dialog.save_button.isEnabled()
    assert "AWS profile: 'typo' is not in " in dialog.error_label.text()
    assert dialog.profile.property("invalid") is True
    dialog.profile.setCurrentText(DEFAULT_PROFILE)
    assert dialog.save_button.isEnabled()


# ------------------------------------------------------------------ Test connection


def run_test_connection(qtbot: QtBot, dialog: SettingsDialog) -> tuple[ConnectionReport, int]:
    """Click Test connection; (its report, timer ticks the GUI thread ran meanwhile)."""
    ticks = [0]
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    timer.start(20)
    reports: list[ConnectionReport] = []
    dialog.connection.tested.connect(reports.append)
    began = time.monotonic()
    dialog.connection.test_button.click()
    assert time.monotonic() - began < 0.5  # the click returned: the check runs elsewhere
    assert dialog.connection.testing and not dialog.connection.test_button.isEnabled()
    qtbot.waitUntil(lambda: bool(reports), timeout=WAIT_MS)
    timer.stop()
    assert dialog.connection.test_button.isEnabled()
    return reports[0], ticks[0]


def test_test_connection_with_the_chosen_profile_passes(
    qtbot: QtBot,
    accounts: Accounts,  # noqa: F811
) -> None:
    dialog = settings_dialog(qtbot)
    dialog.tabs.setCurrentWidget(dialog.connection)
    dialog.profile.setCurrentText("work")  # not saved: the test checks the form
    report, _ = run_test_connection(qtbot, dialog)
    text = dialog.connection.test_result.toPlainText()
    assert report.ok, text
    assert "✓ who: account 123456789012, arn:aws:iam::123456789012:user/work" in text
    assert f"✓ scope mba: s3://{accounts.mba_bucket}/mba/" in text
    assert "Connection works — checked in " in text
    assert not app_dirs.settings_file().exists()


def test_test_connection_with_a_refused_key_says_where_it_came_from(
    qtbot: QtBot,
    accounts: Accounts,  # noqa: F811
) -> None:
    dialog = settings_dialog(qtbot)
    report, _ = run_test_connection(qtbot, dialog)
    text = dialog.connection.test_result.toPlainText()
    assert not report.ok
    assert f"came from profile 'default' in {accounts.credentials_file}" in text
    assert "Connection failed" in text


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Accepts connections (into the backlog) and never answers a byte."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        yield f"http://127.0.0.1:{silent.getsockname()[1]}"


def test_test_connection_to_a_dead_endpoint_fails_clearly_and_the_window_stays_alive(
    qtbot: QtBot,
    accounts: Accounts,  # noqa: F811
    silent_endpoint: str,
) -> None:
    dialog = settings_dialog(qtbot)
    dialog.profile.setCurrentText("work")
    dead = f"http://127.0.0.1:{free_port()}"
    dialog.endpoint.setText(dead)
    report, _ = run_test_connection(qtbot, dialog)
    assert not report.ok and report.seconds < 5
    assert f"✗ cannot reach {dead}" in dialog.connection.test_result.toPlainText()

    dialog.endpoint.setText(silent_endpoint)  # the default 5 s timeout, one attempt
    report, ticks = run_test_connection(qtbot, dialog)
    assert not report.ok
    assert f"✗ cannot reach {silent_endpoint}" in dialog.connection.test_result.toPlainText()
    assert report.seconds < 12
    assert ticks >= 25  # ~5 s at 20 ms: the GUI thread kept running meanwhile


# ------------------------------------------------------------------ the sandbox at start


def click_when_modal(button: str, seen: list[str]) -> QTimer:
    """Press `button` of the first-run dialog once it is shown modally."""
    timer = QTimer()

    def poll() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, FirstRunDialog):
            seen.append(type(widget).__name__)
            getattr(widget, button).click() if button != "quit" else widget.reject()
            timer.stop()

    timer.timeout.connect(poll)
    timer.start(20)
    return timer


def test_the_sandbox_toggle_reflects_the_saved_choice_and_unticks_it_for_good(
    qtbot: QtBot,
) -> None:
    save_settings({"sandbox": True})  # "Always start in the sandbox" was ticked once
    settings = load_settings()
    assert choose_mode(settings, force_sandbox=False) == (settings, True)
    dialog = settings_dialog(qtbot)
    assert dialog.connection.sandbox.isChecked()
    dialog.connection.sandbox.setChecked(False)
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    assert saved()["sandbox"] is False

    # no credentials at all: the next start asks again
    seen: list[str] = []
    timer = click_when_modal("quit", seen)
    assert choose_mode(load_settings(), force_sandbox=False) is None
    timer.stop()
    assert seen == ["FirstRunDialog"]


def test_no_sandbox_overrides_a_saved_sandbox_for_this_start_only(
    qtbot: QtBot,
    accounts: Accounts,  # noqa: F811
) -> None:
    save_settings({"sandbox": True, "aws_profile": "work"})
    settings = load_settings()
    assert choose_mode(settings, force_sandbox=False, no_sandbox=True) == (settings, False)
    session = Session(settings, sandbox=False, store_file=app_dirs.data_dir() / "jobs.db")
    try:
        assert not session.sandboxed
        assert session.base_settings.sandbox  # the dialog still shows what is saved
        assert not session.settings.sandbox  # this run's clients use the AWS key
        session.start()
        qtbot.waitUntil(lambda: session.is_ready, timeout=WAIT_MS)
        assert session.connection().describe().endswith("profile work")
    finally:
        session.close()
    assert saved()["sandbox"] is True  # for this start only


def test_no_sandbox_without_credentials_asks_as_at_a_first_start(qtbot: QtBot) -> None:
    save_settings({"sandbox": True})
    seen: list[str] = []
    timer = click_when_modal("sandbox_button", seen)
    settings = load_settings()
    assert choose_mode(settings, force_sandbox=False, no_sandbox=True) == (settings, True)
    timer.stop()
    assert seen == ["FirstRunDialog"]


def test_help_says_how_to_leave_the_sandbox_and_both_flags_conflict() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "hma_gui", "--help"],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "--no-sandbox start on AWS this time" in text
    assert "untick it in Settings > AWS connection" in text
    both = subprocess.run(
        [sys.executable, "-m", "hma_gui", "--sandbox", "--no-sandbox"],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr


# ------------------------------------------------------------------ the duplicate check


@pytest.mark.parametrize(
    ("credentials", "reason"),
    [
        ("refused", "the AWS access key id is not known to S3: the key AKIA…0001 came from "
         "profile 'default'"),
        ("none", "no AWS credentials found"),
    ],
)  # fmt: skip
def test_no_upload_without_the_check_when_the_credentials_are_refused_or_missing(
    qtbot: QtBot,
    open_window,  # type: ignore[no-untyped-def]
    accounts: Accounts,  # noqa: F811
    tmp_path: Path,
    credentials: str,
    reason: str,
) -> None:
    if credentials == "none":  # no profile, no SSO, no AWS_ACCESS_KEY_ID
        accounts.credentials_file.unlink()
        accounts.config_file.unlink()
    folder = tmp_path / "mba" / "csv"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_bytes(b"a\n")
    window = open_window()  # the default profile: a key moto never issued (or none)
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    window.add_paths([tmp_path / "mba"])
    qtbot.waitUntil(
        lambda: window.banner.topic == "dupcheck" and window.banner.isVisible(), timeout=WAIT_MS
    )
    text = window.banner.message.text()
    assert reason in text
    assert "Uploading without the check would fail too" in text
    assert [b.text() for b in window.banner.buttons] == ["Check again"]
    assert window.session.store.counters().total == 0

    write_profiles(accounts.moto)  # the user signs in (again) and picks the work profile
    save_settings({"aws_profile": "work"})
    with qtbot.waitSignal(window.session.ready, timeout=WAIT_MS):  # the new client is built
        window.session.apply_settings(load_settings())
    window.banner.buttons[0].click()  # Check again, with the work profile's key
    qtbot.waitUntil(lambda: window.session.store.counters().done == 1, timeout=WAIT_MS)
    assert not window.duplicates.failures
