"""A message bar across the top of the window, with up to a few action buttons.

For things that need the user's attention but not a modal box: unfinished
uploads from last time, a paused queue, the sandbox starting, missing credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from hma_gui.ui import icons, theme

_KINDS = {
    "info": ("info", theme.ACCENT),
    "warning": ("alert", theme.WARNING),
    "error": ("alert", theme.DANGER),
}


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.kind = "info"
        self.topic = ""
        self._icon = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._buttons: list[QPushButton] = []
        close = QToolButton()
        close.setIcon(icons.icon("close"))
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(14, 8, 8, 8)
        self._layout.setSpacing(10)
        self._layout.addWidget(self._icon)
        self._layout.addWidget(self.message, 1)
        self._close = close
        self._layout.addWidget(close)
        self.hide()

    @property
    def buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def show_message(
        self,
        kind: str,
        text: str,
        actions: Sequence[tuple[str, Callable[[], None]]] = (),
        topic: str = "",
    ) -> None:
        self.kind = kind
        self.topic = topic
        icon_name, color = _KINDS[kind]
        self._icon.setPixmap(icons.pixmap(icon_name, 20, color))
        self.message.setText(text)
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = []
        for label, callback in actions:
            button = QPushButton(label)
            button.clicked.connect(callback)
            button.clicked.connect(self.hide)
            self._layout.insertWidget(self._layout.count() - 1, button)
            self._buttons.append(button)
        self.show()

    def clear(self, topic: str | None = None) -> None:
        """Hide the bar (only if it is about `topic`, when given)."""
        if topic is None or self.topic == topic:
            self.hide()
