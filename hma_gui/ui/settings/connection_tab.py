"""The settings dialog's *AWS connection* tab: profile, region, endpoint, encryption,
the sandbox at start, and *Test connection*.

The profile picker lists the profiles of the user's AWS config and credentials
files (botocore's ``available_profiles``) after the default chain. *Test
connection* checks what the form says, saved or not (`check_connection`: who,
and whether each scope's bucket and prefix can be listed; read-only) on a
background thread through `run_task`, so a dead endpoint never freezes the
dialog; the report comes back line by line with the time taken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from hma_gui.core.config.settings import Settings
from hma_gui.core.s3.connection_check import CHECK_TIMEOUT, ConnectionReport, check_connection
from hma_gui.core.s3.credential_source import profile_files
from hma_gui.ui import icons
from hma_gui.ui.tasks import run_task

logger = logging.getLogger(__name__)

DEFAULT_PROFILE = "(default credential chain)"
SSE_CHOICES = (("AES256", "S3-managed keys (AES256)"), ("aws:kms", "AWS KMS"), ("none", "None"))
LABELS = {
    "aws_profile": "AWS profile",
    "region": "Region",
    "s3_endpoint_url": "S3 endpoint",
    "sse": "Encryption",
    "sse_kms_key_id": "KMS key id",
    "sandbox": "Start in the sandbox",
}


def aws_profiles() -> list[str]:
    """Profiles from the user's AWS config and credentials files."""
    from hma_gui.core.s3.client import AwsSession  # botocore: 0.2 s start-up need not pay

    try:
        return sorted(AwsSession().available_profiles)
    except Exception as exc:  # noqa: BLE001 - a broken AWS config must not block the dialog
        logger.warning("cannot read the AWS profiles: %s", exc)
        return []


class ConnectionTab(QWidget):
    changed = Signal()
    tested = Signal(object)  # a finished Test connection: its ConnectionReport (or exception)

    def __init__(
        self,
        settings: Settings,
        settings_to_test: Callable[[], Settings | None],
        parent: QWidget | None = None,
        *,
        timeout: float = CHECK_TIMEOUT,
    ) -> None:
        super().__init__(parent)
        self._settings_to_test = settings_to_test
        self._timeout = timeout
        self._running = 0  # the test whose answer is awaited (0: none)
        self.known_profiles = aws_profiles()
        self.profile = QComboBox()
        self.profile.setEditable(True)
        self.profile.addItem(DEFAULT_PROFILE)
        self.profile.addItems(self.known_profiles)
        self.profile.setCurrentText(settings.aws_profile or DEFAULT_PROFILE)
        config, credentials = profile_files()
        self.profile.setToolTip(f"Profiles from {config} and {credentials}")
        self.region = QLineEdit(settings.region or "")
        self.region.setPlaceholderText("from the AWS profile (e.g. eu-west-1)")
        self.endpoint = QLineEdit(settings.s3_endpoint_url or "")
        self.endpoint.setPlaceholderText("AWS S3 (set for MinIO, LocalStack, …)")
        self.sse = QComboBox()
        for value, label in SSE_CHOICES:
            self.sse.addItem(label, value)
        self.sse.setCurrentIndex(max(0, self.sse.findData(settings.sse)))
        self.kms_key = QLineEdit(settings.sse_kms_key_id or "")
        self.kms_key.setPlaceholderText("the account's default aws/s3 key")
        self.sandbox = QCheckBox("Start in the sandbox (a private S3 endpoint on this computer)")
        self.sandbox.setChecked(settings.sandbox)
        self.sandbox.setToolTip(
            "Takes effect at the next start. hma-gui --no-sandbox starts on AWS once "
            "without changing it; hma-gui --sandbox starts in the sandbox once."
        )
        note = QLabel(
            "Credentials come from the AWS profile, SSO or the environment; "
            "HMA Ingest never stores them. The sandbox choice takes effect at the next start."
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")

        self.test_button = QPushButton(icons.icon("upload-cloud"), "Test connection")
        self.test_button.setToolTip(
            "Who am I, and can each scope's bucket and prefix be listed? Read-only: "
            "nothing is written."
        )
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QPlainTextEdit()
        self.test_result.setObjectName("connectionTestResult")
        self.test_result.setReadOnly(True)
        self.test_result.setPlaceholderText(
            "Test connection checks the values above, saved or not."
        )
        self.test_result.setMinimumHeight(140)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setVerticalSpacing(10)
        for name, widget in self.fields().items():  # the check box names itself
            form.addRow("" if widget is self.sandbox else LABELS[name], widget)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addLayout(test_row)
        layout.addWidget(self.test_result, 1)
        for edit in (self.region, self.endpoint, self.kms_key):
            edit.textChanged.connect(self.changed)
        self.profile.currentTextChanged.connect(self.changed)
        self.sse.currentIndexChanged.connect(self.changed)
        self.sandbox.toggled.connect(self.changed)

    def values(self) -> dict[str, Any]:
        profile = self.profile.currentText().strip()
        return {
            "aws_profile": None if profile in ("", DEFAULT_PROFILE) else profile,
            "region": self.region.text().strip() or None,
            "s3_endpoint_url": self.endpoint.text().strip() or None,
            "sse": self.sse.currentData(),
            "sse_kms_key_id": self.kms_key.text().strip() or None,
            "sandbox": self.sandbox.isChecked(),
        }

    def fields(self) -> dict[str, QWidget]:
        return {
            "aws_profile": self.profile,
            "region": self.region,
            "s3_endpoint_url": self.endpoint,
            "sse": self.sse,
            "sse_kms_key_id": self.kms_key,
            "sandbox": self.sandbox,
        }

    def problems(self) -> dict[str, str]:
        """What the settings model cannot know: a profile no AWS file has."""
        self.kms_key.setEnabled(self.sse.currentData() == "aws:kms")
        profile = self.values()["aws_profile"]
        if profile is None or profile in self.known_profiles:
            return {}
        config, credentials = profile_files()
        return {"aws_profile": f"AWS profile: {profile!r} is not in {config} or {credentials}"}

    # ------------------------------------------------------------- Test connection

    def test_connection(self) -> None:
        """Check the form's values on a background thread; `tested` brings the report."""
        settings = self._settings_to_test()
        if settings is None:
            self.test_result.setPlainText("Fix the values named below first.")
            return
        self._running += 1
        number, timeout = self._running, self._timeout
        self.test_button.setEnabled(False)
        self.test_result.setPlainText(
            f"Testing {settings.effective_endpoint() or 'AWS S3'} "
            f"(each request gives up after {timeout:g} s)…"
        )
        run_task(
            QThreadPool.globalInstance(),  # not the dialog's: closing it must not wait
            lambda: check_connection(settings, timeout=timeout),
            lambda report: self._tested(number, report),
            lambda exc: self._tested(number, exc),
        )

    @property
    def testing(self) -> bool:
        return not self.test_button.isEnabled()

    def _tested(self, number: int, outcome: ConnectionReport | BaseException) -> None:
        if not isValid(self) or number != self._running:
            return  # the dialog is gone, or a newer test runs
        self.test_button.setEnabled(True)
        if isinstance(outcome, BaseException):
            logger.error("the connection test failed: %s", outcome)
            self.test_result.setPlainText(f"✗ the test itself failed: {outcome}")
        else:
            self.test_result.setPlainText(outcome.text())
            logger.info("connection test: %s", "works" if outcome.ok else "failed")
        self.tested.emit(outcome)
