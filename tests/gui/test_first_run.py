"""First start without AWS credentials: the choice offered, and when it is offered."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import load_settings
from hma_gui.ui.app import choose_mode
from hma_gui.ui.shell.first_run import FirstRunChoice, FirstRunDialog

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(
    ("button", "choice", "result"),
    [
        ("sandbox_button", FirstRunChoice.SANDBOX, QDialog.DialogCode.Accepted),
        ("configure_button", FirstRunChoice.CONFIGURE, QDialog.DialogCode.Accepted),
    ],
)
def test_the_buttons_say_what_was_chosen(
    qtbot: QtBot, button: str, choice: FirstRunChoice, result: QDialog.DialogCode
) -> None:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    getattr(dialog, button).click()
    assert dialog.choice is choice
    assert dialog.result() == result.value


def test_no_question_when_credentials_exist_or_the_sandbox_is_wanted(qtbot: QtBot) -> None:
    settings = load_settings()
    assert choose_mode(settings, force_sandbox=True) == (settings, True)
    sandboxed = load_settings(sandbox=True)
    assert choose_mode(sandboxed, force_sandbox=False) == (sandboxed, True)
    with open(os.environ["AWS_SHARED_CREDENTIALS_FILE"], "w") as credentials:
        credentials.write("[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n")
    assert choose_mode(settings, force_sandbox=False) == (settings, False)
