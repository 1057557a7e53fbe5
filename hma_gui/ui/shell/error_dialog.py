"""The one place unexpected exceptions end up: logged, and shown in one dialog.

`install_excepthook()` replaces `sys.excepthook` and `threading.excepthook`.
An exception from any thread is logged (through the redacting filter) and
reaches the main thread by queued signal; one `ErrorDialog` shows it, with
the details copyable. While that dialog is open, further errors are appended
to it instead of stacking up more windows.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hma_gui import __version__
from hma_gui.core.logging_setup import log_file_path, redact
from hma_gui.ui import icons, theme
from hma_gui.ui.shell import fit_screen

logger = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class ErrorDialog(QDialog):
    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("HMA Ingest — unexpected error")
        self.resize(680, 420)
        icon = QLabel()
        icon.setPixmap(icons.pixmap("alert", 36, theme.DANGER))
        heading = QLabel("Something went wrong")
        heading.setProperty("role", "dialogTitle")
        self.summary = QLabel(summary)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel(
            "Your queue is safe: unfinished uploads stay in the job store. "
            f"The details below are also in the log file ({log_file_path()})."
        )
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setObjectName("logView")
        self.copy_button = QPushButton(icons.icon("copy"), "Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.addWidget(heading)
        text.addWidget(self.summary)
        text.addWidget(hint)
        top.addLayout(text, 1)
        layout = QVBoxLayout(fit_screen.scroll_body(self))
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        fit_screen.fit_to_screen(self)

    def append(self, summary: str, details: str) -> None:
        self.summary.setText(f"{self.summary.text()}\n{summary}")
        self.details.appendPlainText("\n" + details)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


def describe(info: ExcInfo) -> tuple[str, str]:
    """(one-line summary, full details), both redacted."""
    kind, value, tb = info
    summary = f"{kind.__name__}: {value}" if str(value) else kind.__name__
    details = "".join(traceback.format_exception(kind, value, tb))
    header = f"HMA Ingest {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n\n"
    return redact(summary), redact(header + details)


class ExceptHook(QObject):
    """Installed once at start-up; `uninstall()` puts the previous hooks back."""

    _raised = Signal(str, str)

    def __init__(self, parent_window: Callable[[], QWidget | None] = lambda: None) -> None:
        super().__init__()
        self._parent_window = parent_window
        self.dialog: ErrorDialog | None = None
        self._previous = sys.excepthook
        self._previous_thread = threading.excepthook
        self._raised.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> ExceptHook:
        sys.excepthook = self.handle
        threading.excepthook = self._handle_thread
        return self

    def uninstall(self) -> None:
        sys.excepthook = self._previous
        threading.excepthook = self._previous_thread

    def handle(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous(kind, value, tb)
            return
        logger.critical("unexpected error", exc_info=(kind, value, tb))
        summary, details = describe((kind, value, tb))
        self._raised.emit(summary, details)

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.append(summary, details)
            return
        self.dialog = ErrorDialog(summary, details, self._parent_window())
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.dialog.show()
        self.dialog.raise_()
