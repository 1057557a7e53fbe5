"""The window's header: the app's name, where uploads go, the sandbox badge, buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hma_gui import APP_NAME
from hma_gui.ui import icons


class HeaderBar(QWidget):
    """`actions` is where later features put their buttons (left of Settings)."""

    def __init__(self, sandboxed: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(34, 34))
        title = QLabel(APP_NAME)
        title.setObjectName("appTitle")
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connectionLabel")
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(title)
        titles.addWidget(self.connection_label)
        self.sandbox_badge = QLabel("SANDBOX")
        self.sandbox_badge.setObjectName("sandboxBadge")
        self.sandbox_badge.setToolTip(
            "Uploads go to a private S3 endpoint on this computer (127.0.0.1), "
            "not to AWS. Its objects are kept in memory while the app runs."
        )
        self.sandbox_badge.setVisible(sandboxed)
        self.sandboxed = sandboxed
        self.small_badge = QLabel("SANDBOX")  # in the status bar while the header is hidden
        self.small_badge.setObjectName("sandboxBadge")
        self.small_badge.setToolTip(self.sandbox_badge.toolTip())
        self.small_badge.hide()
        self.actions_layout = QHBoxLayout()
        self.actions_layout.setSpacing(8)
        self.settings_button = QPushButton(icons.icon("sliders"), "Settings")
        self.settings_button.setToolTip("Settings (Ctrl+,)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(logo)
        layout.addLayout(titles)
        layout.addSpacing(6)
        layout.addWidget(self.sandbox_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addStretch()
        layout.addLayout(self.actions_layout)
        layout.addWidget(self.settings_button)

    def set_connection(self, text: str) -> None:
        self.connection_label.setText(text)
        self.small_badge.setToolTip(f"{text}\n{self.sandbox_badge.toolTip()}")

    def set_hidden_for_room(self, hidden: bool) -> None:
        """A very short window: the header goes (its buttons are in the menus); the
        sandbox badge stays in sight, in the status bar."""
        self.setVisible(not hidden)
        self.small_badge.setVisible(hidden and self.sandboxed)
