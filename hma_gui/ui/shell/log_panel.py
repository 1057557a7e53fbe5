"""The log tab: the bounded in-memory log, polled every 250 ms, coloured by level.

The records were redacted by `logging_setup`'s filter before they reached the
memory handler, so nothing secret arrives here. Lines are appended as plain
text and coloured by a highlighter (HTML would be parsed on the main thread),
and only while the tab is visible: a hidden log just keeps its last lines.
"""

from __future__ import annotations

import collections
import logging

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QFontDatabase,
    QShowEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
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
_LEVEL_WORDS = (
    (" CRITICAL ", theme.DANGER, True),
    (" ERROR ", theme.DANGER, True),
    (" WARNING ", theme.WARNING, False),
    (" DEBUG ", theme.TEXT_MUTED, False),
)


class _LevelHighlighter(QSyntaxHighlighter):
    """Colours a line by the level word the log format puts after the time."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats = []
        for word, color, bold in _LEVEL_WORDS:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            if bold:
                fmt.setFontWeight(QFont.Weight.DemiBold)
            self._formats.append((word, fmt))

    def highlightBlock(self, text: str) -> None:
        head = text[:20]
        for word, fmt in self._formats:
            if word in head:
                self.setFormat(0, len(text), fmt)
                return


class LogPanel(QWidget):
    problems = Signal(int)  # warnings and errors seen so far (for the tab's badge)

    def __init__(self, handler: MemoryLogHandler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._handler = handler
        self._seq = 0
        self._problems = 0
        self._records: collections.deque[tuple[int, str]] = collections.deque(maxlen=MAX_LINES)
        self._stale = False  # lines arrived while hidden
        self.text = QPlainTextEdit()
        self.text.setObjectName("logView")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._highlighter = _LevelHighlighter(self.text.document())
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
                lines.append(text)
        if lines:
            if self.isVisible():
                self.text.appendPlainText("\n".join(lines))
            else:
                self._stale = True
        if self._problems != problems_before:
            self.problems.emit(self._problems)

    def plain_text(self) -> str:
        if self._stale:
            self._refill()
        return self.text.toPlainText()

    def clear(self) -> None:
        self._records.clear()
        self.text.clear()
        self._problems = 0
        self.problems.emit(0)

    def stop(self) -> None:
        self._timer.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._refill()

    def _shown(self, level: int) -> bool:
        return level >= logging.WARNING or not self.problems_only.isChecked()

    def _refill(self) -> None:
        self._stale = False
        self.text.setPlainText("\n".join(t for level, t in self._records if self._shown(level)))
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(app_dirs.ensure_dir(app_dirs.log_dir()))))
