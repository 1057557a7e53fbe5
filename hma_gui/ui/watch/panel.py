"""The "Watched folders" tab: which folders are watched, what they did last, add, edit,
remove; and the copies the watcher skipped (not uploaded: S3 or the queue has them)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.config.settings import Settings, WatchFolderSettings
from hma_gui.core.errors import ConfigError
from hma_gui.core.files.file_filter import normalize_extensions
from hma_gui.core.files.key_convention import AUTO_SCOPE
from hma_gui.ui import icons, theme
from hma_gui.ui.shell import fit_screen
from hma_gui.ui.watch.service import SkippedCopy, WatchRow, WatchService

COLUMNS = ("Folder", "Scope", "Filters", "Status", "Last activity", "Queued", "Skipped")
SKIPPED_COLUMNS = ("Skipped copy", "Why", "When")
# Columns hidden while the table is narrower than a width (a 512-point window)
NARROW_HIDES = ((2, 760), (4, 760), (5, 600), (6, 600))  # filters, last activity, counts


def describe_filters(folder: WatchFolderSettings) -> str:
    parts = []
    if folder.include:
        parts.append("only " + ", ".join(folder.include))
    if folder.exclude:
        parts.append("not " + ", ".join(folder.exclude))
    return "; ".join(parts) or "all file types"


def describe_work(to_upload: int, to_decide: int) -> str:
    """A watched folder's state: what of it is still to be done, or "watching"."""
    parts = []
    if to_upload:
        parts.append(f"uploading, {to_upload} left")
    if to_decide:
        parts.append(f"{to_decide} to decide (Duplicates tab)")
    return "; ".join(parts) or "watching"


def describe_age(moment: float | None, now: float | None = None) -> str:
    if moment is None:
        return "—"
    seconds = max(0, int((now or time.time()) - moment))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return time.strftime("%H:%M", time.localtime(moment))


class WatchFolderDialog(QDialog):
    """Folder, scope and filters of a folder to watch (`existing`: of one watched already)."""

    def __init__(
        self,
        path: str,
        scopes: list[str],
        parent: QWidget | None = None,
        existing: WatchFolderSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit watched folder" if existing else "Watch a folder")
        self.path = QLineEdit(path)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.scope = QComboBox()
        self.scope.addItem("Auto — from the folder names", AUTO_SCOPE)
        for name in scopes:
            self.scope.addItem(name, name)
        self.include = QLineEdit()
        self.include.setPlaceholderText("all file types")
        self.exclude = QLineEdit()
        self.exclude.setPlaceholderText("none")
        note = QLabel(
            "Every finished file that appears in this folder (or its subfolders) is uploaded: "
            "files still being written, and temporary names (*.part, *.tmp, ~$…), wait."
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Folder", row)
        form.addRow("Scope", self.scope)
        form.addRow("Include extensions", self.include)
        form.addRow("Exclude extensions", self.exclude)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Save" if existing else "Watch")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(fit_screen.scroll_body(self))
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.result_folder: WatchFolderSettings | None = None
        self.existing = existing
        if existing is not None:
            self.path.setText(str(existing.path))
            self.scope.setCurrentIndex(max(0, self.scope.findData(existing.scope)))
            self.include.setText(", ".join(existing.include))
            self.exclude.setText(", ".join(existing.exclude))
        fit_screen.size_to_content(self, 560)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder to watch", self.path.text())
        if chosen:
            self.path.setText(chosen)

    def folder(self) -> WatchFolderSettings:
        return WatchFolderSettings(
            path=Path(self.path.text().strip()).expanduser(),
            scope=str(self.scope.currentData()),
            include=normalize_extensions([self.include.text()]),
            exclude=normalize_extensions([self.exclude.text()]),
        )

    def _accept(self) -> None:
        folder = self.folder()
        if not self.path.text().strip() or not folder.path.is_dir():
            self.error.setText("Choose an existing folder.")
            self.error.show()
            return
        self.result_folder = folder
        self.accept()


class WatchPanel(QWidget):
    """Lists the watched folders; adding, removing, pausing one writes the settings file."""

    settings_changed = Signal(object)  # the Settings with the new watch list
    problem = Signal(str)

    def __init__(self, service: WatchService, scopes: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.scopes = scopes
        self.dialog: WatchFolderDialog | None = None
        intro = fit_screen.WrapLabel(
            "Files that appear in these folders are uploaded once they are complete. "
            "Files added while HMA Ingest was closed are found at the next start."
        )
        intro.setProperty("role", "muted")
        self.add_button = QPushButton(
            icons.icon("folder-plus", theme.TEXT_SECONDARY), "Watch a folder…"
        )
        self.add_button.clicked.connect(self.choose_folder)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Change the folder's scope or extensions")
        self.edit_button.clicked.connect(self.edit_selected)
        self.pause_button = QPushButton("Pause watching")
        self.pause_button.clicked.connect(self.toggle_selected)
        self.remove_button = QPushButton("Stop watching")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(intro, 1)
        actions = (self.add_button, self.edit_button, self.pause_button, self.remove_button)
        wrapped = fit_screen.wrap_row(*actions, align_right=True, keep_lines=True)
        buttons.addWidget(wrapped)  # they wrap at 512 points
        fit_screen.stack_when_narrow(self, buttons, 700)  # the intro above them
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        fit_screen.hide_columns_when_narrow(self.table, NARROW_HIDES)
        self.empty = QLabel("No watched folders yet — “Watch a folder…” adds one.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "muted")
        self.skipped_label = QLabel("Not uploaded: copies S3 or the queue already has")
        self.skipped_label.setProperty("role", "muted")
        self.skipped_table = _skipped_table()
        self._skipped_shown: list[SkippedCopy] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.skipped_label)
        layout.addWidget(self.skipped_table, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        service.changed.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------- view

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # the folders' work is counted only while the tab is shown

    def refresh(self) -> None:
        rows = self.service.rows(work=self.isVisible())
        selected = self.selected_path()
        skipped = self.service.skipped
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            count = _skipped_in(row.config.path, skipped)
            for column, text in enumerate([*self._cells(row), str(count)]):
                item = self.table.item(index, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(index, column, item)
                if item.text() != text:
                    item.setText(text)
                if column == 0:
                    item.setData(Qt.ItemDataRole.UserRole, str(row.config.path))
            if selected and str(row.config.path) == str(selected):
                self.table.selectRow(index)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self._show_skipped(skipped)
        self._update_buttons()

    def _show_skipped(self, skipped: list[SkippedCopy]) -> None:
        self.skipped_label.setVisible(bool(skipped))
        self.skipped_table.setVisible(bool(skipped))
        if skipped == self._skipped_shown:
            return
        self._skipped_shown = skipped
        self.skipped_table.setRowCount(len(skipped))
        for index, copy in enumerate(skipped):
            when = time.strftime("%H:%M:%S", time.localtime(copy.at))
            for column, text in enumerate((str(copy.path), copy.reason, when)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.skipped_table.setItem(index, column, item)

    @staticmethod
    def _cells(row: WatchRow) -> list[str]:
        config, activity = row.config, row.activity
        if row.problem:
            status = row.problem
        elif not config.enabled:
            status = "paused"
        elif activity is None:
            status = "starting"
        else:
            status = describe_work(row.to_upload, row.to_decide)
        last = "—"
        if activity is not None and activity.last_event is not None:
            last = f"{activity.last_message}, {describe_age(activity.last_event)}"
        return [
            str(config.path),
            config.scope,
            describe_filters(config),
            status,
            last,
            str(activity.queued) if activity else "0",
        ]

    def selected_path(self) -> Path | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _selected_config(self) -> WatchFolderSettings | None:
        path = self.selected_path()
        return next((f for f in self.service.folders if f.path == path), None)

    def _update_buttons(self) -> None:
        config = self._selected_config()
        self.remove_button.setEnabled(config is not None)
        self.edit_button.setEnabled(config is not None)
        self.pause_button.setEnabled(config is not None)
        self.pause_button.setText(
            "Resume watching" if config is not None and not config.enabled else "Pause watching"
        )

    # ------------------------------------------------------------- actions

    def choose_folder(self, path: str = "") -> None:
        self.dialog = WatchFolderDialog(path or str(Path.home()), self.scopes, self)
        self.dialog.accepted.connect(self._dialog_done)
        self.dialog.open()

    def edit_selected(self) -> None:
        config = self._selected_config()
        if config is None:
            return
        self.dialog = WatchFolderDialog(str(config.path), self.scopes, self, existing=config)
        self.dialog.accepted.connect(self._dialog_done)
        self.dialog.open()

    def _dialog_done(self) -> None:
        dialog = self.dialog
        folder = dialog.result_folder if dialog is not None else None
        if dialog is None or folder is None:
            return
        existing = dialog.existing
        if existing is not None:
            self._apply(lambda: self.service.replace_folder(existing.path, folder))
        else:
            self._apply(lambda: self.service.add_folder(folder))

    def remove_selected(self) -> None:
        path = self.selected_path()
        if path is not None:
            self._apply(lambda: self.service.remove_folder(path))

    def toggle_selected(self) -> None:
        config = self._selected_config()
        if config is not None:
            self._apply(lambda: self.service.set_enabled(config.path, not config.enabled))

    def _apply(self, change: Callable[[], Settings]) -> None:
        try:
            settings = change()
        except ConfigError as exc:
            self.problem.emit(str(exc))
            return
        self.settings_changed.emit(settings)
        self.refresh()


def _skipped_table() -> QTableWidget:
    table = QTableWidget(0, len(SKIPPED_COLUMNS))
    table.setObjectName("watchSkipped")
    table.setHorizontalHeaderLabels(SKIPPED_COLUMNS)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setTextElideMode(Qt.TextElideMode.ElideLeft)
    table.setShowGrid(False)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
    table.hide()
    return table


def _skipped_in(folder: Path, skipped: list[SkippedCopy]) -> int:
    root = folder.expanduser().resolve()
    return sum(1 for copy in skipped if copy.path == root or root in copy.path.parents)
