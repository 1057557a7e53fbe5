"""First start without AWS credentials: try the sandbox, or set up AWS."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hma_gui.ui import icons, theme
from hma_gui.ui.shell import fit_screen


class FirstRunChoice(Enum):
    SANDBOX = "sandbox"
    CONFIGURE = "configure"
    QUIT = "quit"


class FirstRunDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to HMA Ingest")
        self.choice = FirstRunChoice.QUIT
        icon = QLabel()
        icon.setPixmap(icons.app_icon().pixmap(56, 56))
        title = QLabel("No AWS credentials found")
        title.setProperty("role", "dialogTitle")
        text = QLabel(
            "HMA Ingest uploads with your AWS profile, SSO sign-in or environment "
            "credentials, and none were found.<br><br>"
            "<b>Try it out in the sandbox</b>: a private S3 endpoint on this computer "
            "(127.0.0.1) that lives as long as the app. Nothing leaves your machine.<br><br>"
            "<b>Or configure AWS</b>: choose a profile and region (sign in first with "
            "<code>aws sso login</code> or <code>aws configure</code>)."
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.always = QCheckBox("Always start in the sandbox")
        self.always.setToolTip(
            "Saved in the settings: untick 'Start in the sandbox' in Settings > AWS "
            "connection to undo it; hma-gui --no-sandbox starts on AWS once"
        )
        self.sandbox_button = QPushButton(icons.icon("play", "#ffffff"), "Use the sandbox")
        self.sandbox_button.setProperty("role", "primary")
        self.sandbox_button.setDefault(True)
        self.configure_button = QPushButton(icons.icon("sliders"), "Configure AWS…")
        quit_button = QPushButton("Quit")
        self.sandbox_button.clicked.connect(lambda: self._choose(FirstRunChoice.SANDBOX))
        self.configure_button.clicked.connect(lambda: self._choose(FirstRunChoice.CONFIGURE))
        quit_button.clicked.connect(lambda: self._choose(FirstRunChoice.QUIT))

        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        body = QVBoxLayout()
        body.addWidget(title)
        body.addWidget(text)
        body.addWidget(self.always)
        head.addLayout(body, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(quit_button)
        buttons.addStretch()
        buttons.addWidget(self.configure_button)
        buttons.addWidget(self.sandbox_button)
        layout = QVBoxLayout(fit_screen.scroll_body(self))  # 200 %: it scrolls
        layout.setContentsMargins(24, 22, 24, 18)
        layout.setSpacing(18)
        layout.addLayout(head)
        layout.addLayout(buttons)
        self.setStyleSheet(f"QLabel code {{ color: {theme.TEXT_SECONDARY}; }}")
        fit_screen.size_to_content(self, 560)  # as tall as the text needs, at most the screen

    def _choose(self, choice: FirstRunChoice) -> None:
        self.choice = choice
        if choice is FirstRunChoice.QUIT:
            self.reject()
        else:
            self.accept()
