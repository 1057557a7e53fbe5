"""The log tab: the bounded in-memory log, polled every 250 ms, coloured by level.

The records were redacted by `logging_setup`'s filter before they reached the
memory handler, so nothing secret arrives here.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core import app_dirs
from hma_gui.core.logging_setup import MemoryLogHandler
from hma_gui.ui import icons, theme

MAX_LINES = 5000
_COLORS = {
    logging.DEBUG: theme.TEXT_MUTED,
    logging.INFO: theme.TEXT,
    logging.WARNING: theme.WARNING,
    logging.ERROR: theme.DANGER,
    logging.CRITICAL: theme.DANGER,
}


class LogPanel(QWidget):
    problems = Signal(int)  # warnings and errors seen so far (for the tab's badge)

    def __init__(self, handler: MemoryLogHandler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._handler = handler
        self._seq = 0
        self._problems = 0
        self._records: list[tuple[int, str]] = []
        self.text = QPlainTextEdit()
        self.text.setObjectName("logView")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.problems_only = QCheckBox("Warnings and errors only")
        self.problems_only.toggled.connect(self._refill)
        open_folder = QPushButton(icons.icon("folder-open"), "Open log folder")
        open_folder.clicked.connect(self._open_folder)
        clear = QPushButton(icons.icon("trash"), "Clear")
        clear.clicked.connect(self.clear)
        bar = QHBoxLayout()
        bar.addWidget(self.problems_only)
        bar.addStretch()
        bar.addWidget(open_folder)
        bar.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    def poll(self) -> None:
        records = self._handler.since(self._seq)
        if not records:
            return
        self._seq = records[-1][0]
        problems_before = self._problems
        lines = []
        for _, level, text in records:
            self._records.append((level, text))
            if level >= logging.WARNING:
                self._problems += 1
            if self._shown(level):
                lines.append(_html(level, text))
        del self._records[:-MAX_LINES]
        if lines:
            self.text.appendHtml("<br>".join(lines))
        if self._problems != problems_before:
            self.problems.emit(self._problems)

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def clear(self) -> None:
        self._records.clear()
        self.text.clear()
        self._problems = 0
        self.problems.emit(0)

    def stop(self) -> None:
        self._timer.stop()

    def _shown(self, level: int) -> bool:
        return level >= logging.WARNING or not self.problems_only.isChecked()

    def _refill(self) -> None:
        self.text.clear()
        lines = [_html(level, text) for level, text in self._records if self._shown(level)]
        if lines:
            self.text.appendHtml("<br>".join(lines))

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(app_dirs.ensure_dir(app_dirs.log_dir()))))


def _html(level: int, text: str) -> str:
    color = _COLORS.get(level, theme.TEXT)
    weight = "600" if level >= logging.ERROR else "400"
    body = html.escape(text).replace("\n", "<br>")
    return f'<span style="color:{color}; font-weight:{weight}; white-space:pre">{body}</span>'
