"""Removing jobs, as file managers do it: ask before a big removal, offer Undo after.

`UndoBar` is a slim bar above the jobs table ("1,376 files removed · Undo"),
hidden again after `UNDO_SECONDS` or at the next removal's offer.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

CONFIRM_AT = 20  # removing this many jobs (or more than one not yet uploaded) asks first
UNDO_SECONDS = 20

# (parent, question) -> yes
Confirm = Callable[[QWidget, str], bool]


def ask_confirmation(parent: QWidget, question: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Remove from the list",
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class UndoBar(QFrame):
    def __init__(self, undo: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        self.message = QLabel()
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(undo)
        self.undo_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 10, 4)
        row.addWidget(self.message, 1)
        row.addWidget(self.undo_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UNDO_SECONDS * 1000)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def offer(self, count: int) -> None:
        if count <= 0:
            return
        self.message.setText(f"{count:,} file{'s' if count != 1 else ''} removed from the list")
        self.show()
        self._timer.start()
