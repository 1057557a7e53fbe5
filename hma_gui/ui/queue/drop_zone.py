"""Where files come in: the drop zone card, the Add buttons, and the upload options.

Drops are accepted as copy actions and handed on with `QTimer.singleShot(0, …)`,
so the drop returns to the source application at once; the walk itself runs in
`Intake`. `FileDropMixin` gives any widget (the main window) the same handling.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.config.settings import Settings
from hma_gui.core.files.file_filter import normalize_extensions
from hma_gui.core.files.key_convention import AUTO_SCOPE
from hma_gui.core.jobs.plan import PlanOptions
from hma_gui.ui import icons, theme
from hma_gui.ui.shell.folds import fold_button


def local_paths(mime: QMimeData) -> list[str]:
    """The local files and folders in a drag, in order, without repeats."""
    if not mime.hasUrls():
        return []
    paths: list[str] = []
    for url in mime.urls():
        if url.isLocalFile():
            path = url.toLocalFile()
            if path and path not in paths:
                paths.append(path)
    return paths


def accept_drag(event: QDragEnterEvent | QDragMoveEvent) -> bool:
    if local_paths(event.mimeData()):
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        return True
    event.ignore()
    return False


def take_drop(event: QDropEvent, handler: Callable[[list[str]], None]) -> None:
    """Accept a drop as a copy and call `handler(paths)` once the drop has returned."""
    paths = local_paths(event.mimeData())
    if not paths:
        event.ignore()
        return
    event.setDropAction(Qt.DropAction.CopyAction)
    event.accept()
    QTimer.singleShot(0, lambda: handler(paths))


class DropZone(QFrame):
    """The dashed card that says "drop here"; also the home of Add files / Add folder."""

    paths_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setProperty("dragging", False)
        self.setMinimumHeight(104)

        self._icon = QLabel()
        self._icon.setPixmap(icons.pixmap("upload-cloud", 40, theme.ACCENT, 1.6))
        self._icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel("Drop files or folders here")
        self.title.setObjectName("dropTitle")
        self.hint = QLabel("Keys follow the folders: …/mba/csv/x.csv → mba/csv/x.csv")
        self.hint.setObjectName("dropHint")
        self.add_files_button = QPushButton(icons.icon("file-plus"), "Add files…")
        self.add_folder_button = QPushButton(icons.icon("folder-plus"), "Add folder…")
        for button in (self.add_files_button, self.add_folder_button):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.fold_button = fold_button("Fold the drop zone to one line (View menu)")

        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.hint)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch()
        # top to bottom; folded, left to right: one line
        self._text = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._text.setSpacing(8)
        self._text.addStretch()
        self._text.addLayout(titles)
        self._text.addLayout(buttons)
        self._text.addStretch()

        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(24, 10, 12, 10)
        self._layout.setSpacing(18)
        self._layout.addWidget(self._icon)
        self._layout.addLayout(self._text, 1)
        self._layout.addWidget(self.fold_button, 0, Qt.AlignmentFlag.AlignTop)
        self.folded = False

    def set_folded(self, folded: bool) -> None:
        """Folded: a one-line strip (the title and the Add buttons)."""
        self.folded = folded
        self._icon.setVisible(not folded)
        self.hint.setVisible(not folded)
        self._text.setDirection(
            QBoxLayout.Direction.LeftToRight if folded else QBoxLayout.Direction.TopToBottom
        )
        self._layout.setContentsMargins(*((14, 4, 8, 4) if folded else (24, 10, 12, 10)))
        self._layout.setAlignment(
            self.fold_button,
            Qt.AlignmentFlag.AlignVCenter if folded else Qt.AlignmentFlag.AlignTop,
        )
        self.setMinimumHeight(0 if folded else 104)

    # ------------------------------------------------------------- dialogs

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files to upload")
        if files:
            self.paths_dropped.emit(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to upload")
        if folder:
            self.paths_dropped.emit([folder])

    # ------------------------------------------------------------- drops

    def _set_dragging(self, on: bool) -> None:
        self.setProperty("dragging", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if accept_drag(event):
            self._set_dragging(True)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        accept_drag(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_dragging(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_dragging(False)
        take_drop(event, self.paths_dropped.emit)


class WindowDrops:
    """Drops anywhere on the window (a `QWidget` with `drop_zone` and `add_paths`)."""

    drop_zone: DropZone

    def add_paths(self, paths: list[str]) -> None:
        raise NotImplementedError

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if accept_drag(event):
            self.drop_zone._set_dragging(True)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        accept_drag(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_zone._set_dragging(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_zone._set_dragging(False)
        take_drop(event, self.add_paths)


class UploadOptions(QFrame):
    """Scope and extension filters for the next drop, defaulting to the settings."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("optionsCard")
        self.setProperty("role", "card")
        self.scope = QComboBox()
        self.include = QLineEdit()
        self.exclude = QLineEdit()
        self.include.setToolTip("Only these extensions, comma-separated (csv, pdf). Empty: all.")
        self.exclude.setToolTip("Never these extensions, comma-separated.")
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(6)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.scope.setToolTip(
            "Where the next drop goes: detected from the folder names, or one scope"
        )
        form.addRow("Scope", self.scope)
        form.addRow("Include", self.include)
        form.addRow("Exclude", self.exclude)
        self._form = form
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.addStretch()
        layout.addLayout(form)
        layout.addStretch()
        self.setMinimumWidth(300)
        self.set_settings(settings)

    def set_folded(self, folded: bool) -> None:
        """Folded: the scope only (the filters keep their values)."""
        for row in (1, 2):
            self._form.setRowVisible(row, not folded)
        self._layout.setContentsMargins(*((16, 4, 16, 4) if folded else (16, 10, 16, 10)))

    def set_settings(self, settings: Settings) -> None:
        """Refresh the scope list and the filter defaults; keep what the user picked."""
        current = self.scope.currentData()
        self.scope.clear()
        self.scope.addItem("Auto — from the folder names", AUTO_SCOPE)
        for name, scope in sorted(settings.scopes.items()):
            self.scope.addItem(f"{name} → s3://{scope.bucket}/{scope.prefix}", name)
        index = self.scope.findData(current) if current else 0
        self.scope.setCurrentIndex(max(index, 0))
        self.include.setPlaceholderText(", ".join(settings.include) or "all file types")
        self.exclude.setPlaceholderText(", ".join(settings.exclude) or "none")

    def plan_options(self, settings: Settings) -> PlanOptions:
        """The options of the next drop: the fields, or the settings' defaults when empty."""
        include = normalize_extensions([self.include.text()]) or None
        exclude = normalize_extensions([self.exclude.text()]) or None
        scope = self.scope.currentData() or AUTO_SCOPE
        return PlanOptions.from_settings(
            settings, scope=scope, include=include, exclude=exclude, hold_unscoped=True
        )  # files outside every scope folder wait: the window asks for their scope
