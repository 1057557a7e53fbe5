"""Unexpected exceptions: logged, one dialog with copyable details, secrets masked."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from hma_gui.ui.shell.error_dialog import ExceptHook

pytestmark = pytest.mark.gui


def raise_and_capture(message: str) -> tuple[type[BaseException], BaseException, object]:
    try:
        raise RuntimeError(message)
    except RuntimeError:
        kind, value, tb = sys.exc_info()
        assert kind is not None and value is not None
        return kind, value, tb


def test_an_unexpected_error_shows_one_dialog_with_copyable_details(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    hook = ExceptHook().install()
    try:
        assert sys.excepthook == hook.handle
        secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        with caplog.at_level(logging.CRITICAL):
            hook.handle(*raise_and_capture(f"disk on fire; secret={secret}"))  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: hook.dialog is not None and hook.dialog.isVisible())
        dialog = hook.dialog
        assert dialog is not None
        qtbot.addWidget(dialog)
        assert "RuntimeError: disk on fire" in dialog.summary.text()
        details = dialog.details.toPlainText()
        assert "Traceback" in details and "raise_and_capture" in details
        assert secret not in details and secret not in dialog.summary.text()
        dialog.copy_button.click()
        assert QGuiApplication.clipboard().text() == details
        assert "unexpected error" in caplog.text

        # a second error joins the open dialog instead of stacking windows
        hook.handle(*raise_and_capture("second"))  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: "second" in dialog.details.toPlainText())
        assert hook.dialog is dialog
    finally:
        hook.uninstall()
    assert sys.excepthook is not hook.handle


def test_errors_in_worker_threads_reach_the_dialog(qtbot: QtBot) -> None:
    hook = ExceptHook().install()
    try:
        worker = threading.Thread(target=lambda: 1 / 0)
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: hook.dialog is not None and hook.dialog.isVisible())
        assert hook.dialog is not None
        qtbot.addWidget(hook.dialog)
        assert "ZeroDivisionError" in hook.dialog.summary.text()
    finally:
        hook.uninstall()
