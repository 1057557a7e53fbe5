"""The settings dialog: scopes, AWS connection, uploads; validated as you type.

Every edit runs the values through the core's settings model. A bad value is
named under the form and its field is marked; Save stays disabled until the
values are valid, so a bad value is never written. Saving merges the values
into ``settings.toml`` (`core.settings_file.save_settings`), keeping every key
the dialog does not show (database, watched folders).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import (
    DEFAULT_SCOPES,
    Settings,
    describe_validation_error,
    load_settings,
)
from hma_gui.core.config.settings_file import save_settings
from hma_gui.core.errors import ConfigError
from hma_gui.core.files.file_filter import normalize_extensions
from hma_gui.ui import icons
from hma_gui.ui.settings.connection_tab import LABELS as CONNECTION_LABELS
from hma_gui.ui.settings.connection_tab import ConnectionTab
from hma_gui.ui.settings.shared_queue_tab import LABELS as QUEUE_LABELS
from hma_gui.ui.settings.shared_queue_tab import SharedQueueTab
from hma_gui.ui.shell import fit_screen

logger = logging.getLogger(__name__)

RESUME_CHOICES = (
    ("resume", "Resume them"),
    ("ask", "Ask me"),
    ("keep", "Keep them queued until I press Start"),
)
TAB_SCOPES, TAB_CONNECTION, TAB_UPLOADS = range(3)
LABELS = {
    **CONNECTION_LABELS,
    "concurrency": "Parallel uploads",
    "include": "Include extensions",
    "exclude": "Exclude extensions",
    "resume_on_start": "Unfinished uploads at start",
    **QUEUE_LABELS,
}


def describe_errors(exc: ValidationError) -> list[str]:
    """The model's complaints in the dialog's words: "Parallel uploads: must be ≥ 1 (got 0)"."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        message = str(error["msg"]).removeprefix("Value error, ")
        got = error.get("input")
        shown = f" (got {got!r})" if loc and not isinstance(got, dict | list) else ""
        if loc[:1] == ["scopes"] and len(loc) >= 3:
            where = f"Scope {loc[1]}, {loc[2]}"
        elif loc[:1] == ["scopes"] and len(loc) == 2:
            where = f"Scope {loc[1]}"
        elif loc:
            where = LABELS.get(loc[0], loc[0])
        else:
            lines.append(message)
            continue
        lines.append(f"{where}: {message}{shown}")
    return lines or [describe_validation_error(exc)]


class SettingsDialog(QDialog):
    saved = Signal(object)  # the Settings after saving

    def __init__(self, settings: Settings, parent: QWidget | None = None, tab: int = 0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(720, 660)  # no minimum: fit_to_screen caps it at 200 % scale
        self.result_settings: Settings | None = None
        self._fields: dict[str, QWidget] = {}

        self.tabs = QTabWidget()
        self.tabs.addTab(self._scopes_tab(settings), "Destinations")
        self.connection = ConnectionTab(settings, self.settings_to_test)
        self.tabs.addTab(self.connection, "AWS connection")
        # the fields tests and the window reach as the dialog's own
        self.profile, self.region, self.endpoint = (
            self.connection.profile,
            self.connection.region,
            self.connection.endpoint,
        )
        self.sse, self.kms_key = self.connection.sse, self.connection.kms_key
        self._fields.update(self.connection.fields())
        self.connection.changed.connect(self.validate)
        self.tabs.addTab(self._uploads_tab(settings), "Uploads")
        self.shared_queue = SharedQueueTab(settings)
        self.tabs.addTab(self.shared_queue, "Shared queue")
        self._fields.update(self.shared_queue.fields())
        self.shared_queue.changed.connect(self.validate)
        self.tabs.setCurrentIndex(tab)

        self.error_label = QLabel()
        self.error_label.setObjectName("errorText")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.env_note = QLabel()
        self.env_note.setWordWrap(True)
        self.env_note.setProperty("role", "muted")
        self.env_note.setVisible(False)
        file_note = QLabel(f"Saved to {app_dirs.settings_file()}")
        file_note.setProperty("role", "muted")
        file_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(fit_screen.scroll_body(self))  # scrolls on a short screen
        layout.setContentsMargins(18, 18, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.env_note)
        layout.addWidget(file_note)
        layout.addWidget(self.buttons)
        self._show_env_overrides()
        self.validate()
        fit_screen.fit_to_screen(self)

    # ------------------------------------------------------------- tabs

    def _scopes_tab(self, settings: Settings) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "A scope is a folder name that decides where a file goes: a file under "
            "…/mba/… is uploaded to the mba scope's bucket, below its prefix."
        )
        intro.setWordWrap(True)
        intro.setProperty("role", "muted")
        self.scopes = QTableWidget(0, 3)
        self.scopes.setHorizontalHeaderLabels(["Scope", "Bucket", "Key prefix"])
        self.scopes.verticalHeader().setVisible(False)
        self.scopes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.scopes.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.scopes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for name, scope in sorted(settings.scopes.items()):
            self._add_scope_row(name, scope.bucket, scope.prefix)
        self.scopes.itemChanged.connect(lambda _item: self.validate())
        self.scopes.itemSelectionChanged.connect(self._update_remove_button)
        self.add_scope_button = QPushButton(icons.icon("plus"), "Add scope")
        self.add_scope_button.clicked.connect(self.add_scope)
        self.remove_scope_button = QPushButton(icons.icon("minus"), "Remove scope")
        self.remove_scope_button.clicked.connect(self.remove_scope)
        self._update_remove_button()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_scope_button)
        buttons.addWidget(self.remove_scope_button)
        buttons.addStretch()
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.scopes, 1)
        layout.addLayout(buttons)
        self._fields["scopes"] = self.scopes
        return page

    def _uploads_tab(self, settings: Settings) -> QWidget:
        page = QWidget()
        self.concurrency = QSpinBox()
        self.concurrency.setRange(0, 256)  # the model says what is allowed, not the spin box
        self.concurrency.setValue(settings.concurrency)
        self.concurrency.setSuffix(" at a time")
        self.include = QLineEdit(", ".join(settings.include))
        self.include.setPlaceholderText("all file types")
        self.exclude = QLineEdit(", ".join(settings.exclude))
        self.exclude.setPlaceholderText("none")
        self.skip_hidden = QCheckBox("Skip hidden files and folders")
        self.skip_hidden.setChecked(settings.skip_hidden)
        self.resume = QComboBox()
        for value, label in RESUME_CHOICES:
            self.resume.addItem(label, value)
        self.resume.setCurrentIndex(max(0, self.resume.findData(settings.resume_on_start)))
        self.settle = QDoubleSpinBox()
        self.settle.setRange(0.0, 3600.0)  # the model says what is allowed
        self.settle.setDecimals(1)
        self.settle.setSingleStep(0.5)
        self.settle.setSuffix(" s unchanged")
        self.settle.setValue(settings.watch_settle_seconds)
        self.settle.setToolTip(
            "A file in a watched folder is uploaded once its size and time stay the same "
            "this long (and it can be opened)"
        )
        self.keep_in_tray = QCheckBox("Keep running in the tray when the window is closed")
        self.keep_in_tray.setChecked(settings.keep_in_tray)
        self.bucket_allow_delete = QCheckBox("Bucket tab: allow deleting objects (asks first)")
        self.bucket_allow_delete.setChecked(settings.bucket_allow_delete)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Parallel uploads", self.concurrency)
        form.addRow("Include extensions", self.include)
        form.addRow("Exclude extensions", self.exclude)
        form.addRow("", self.skip_hidden)
        form.addRow("Unfinished uploads at start", self.resume)
        form.addRow("Watched folders: a file is done after", self.settle)
        form.addRow("", self.keep_in_tray)
        form.addRow("", self.bucket_allow_delete)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addStretch()
        self._fields.update(
            concurrency=self.concurrency,
            include=self.include,
            exclude=self.exclude,
            resume_on_start=self.resume,
            watch_settle_seconds=self.settle,
        )
        self.concurrency.valueChanged.connect(self.validate)
        self.settle.valueChanged.connect(self.validate)
        self.keep_in_tray.toggled.connect(self.validate)
        self.include.textChanged.connect(self.validate)
        self.exclude.textChanged.connect(self.validate)
        self.skip_hidden.toggled.connect(self.validate)
        self.resume.currentIndexChanged.connect(self.validate)
        return page

    # ------------------------------------------------------------- scopes

    def _add_scope_row(self, name: str, bucket: str, prefix: str) -> int:
        row = self.scopes.rowCount()
        self.scopes.insertRow(row)
        for column, text in enumerate((name, bucket, prefix)):
            item = QTableWidgetItem(text)
            if column == 0 and name in DEFAULT_SCOPES:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setToolTip("a built-in scope: change its bucket or prefix")
            self.scopes.setItem(row, column, item)
        return row

    def add_scope(self) -> None:
        taken = set(self._scope_names())
        number = 1
        while f"scope{number}" in taken:
            number += 1
        name = f"scope{number}"
        row = self._add_scope_row(name, f"{name}-bucket", f"{name}/")
        self.scopes.setCurrentCell(row, 0)
        item = self.scopes.item(row, 0)
        if item is not None:
            self.scopes.editItem(item)
        self.validate()

    def remove_scope(self) -> None:
        row = self.scopes.currentRow()
        if row >= 0 and self._cell(row, 0) not in DEFAULT_SCOPES:
            self.scopes.removeRow(row)
            self.validate()

    def _update_remove_button(self) -> None:
        row = self.scopes.currentRow()
        built_in = row < 0 or self._cell(row, 0) in DEFAULT_SCOPES
        self.remove_scope_button.setEnabled(not built_in)
        self.remove_scope_button.setToolTip(
            "Built-in scopes cannot be removed" if row >= 0 and built_in else ""
        )

    def _cell(self, row: int, column: int) -> str:
        item = self.scopes.item(row, column)
        return item.text().strip() if item is not None else ""

    def _scope_names(self) -> list[str]:
        return [self._cell(row, 0) for row in range(self.scopes.rowCount())]

    # ------------------------------------------------------------- values

    def values(self) -> dict[str, Any]:
        """The dialog's values, as the settings file holds them (None: use the default)."""
        scopes = {
            self._cell(row, 0): {"bucket": self._cell(row, 1), "prefix": self._cell(row, 2)}
            for row in range(self.scopes.rowCount())
        }
        return {
            "scopes": scopes,
            **self.connection.values(),
            "concurrency": self.concurrency.value(),
            "include": normalize_extensions([self.include.text()]),
            "exclude": normalize_extensions([self.exclude.text()]),
            "skip_hidden": self.skip_hidden.isChecked(),
            "resume_on_start": self.resume.currentData(),
            "watch_settle_seconds": self.settle.value(),
            "keep_in_tray": self.keep_in_tray.isChecked(),
            "bucket_allow_delete": self.bucket_allow_delete.isChecked(),
            **self.shared_queue.values(),
        }

    def validate(self) -> bool:
        """Check the values with the settings model; show what is wrong. True when valid."""
        values = self.values()
        connection = self.connection.problems()
        problems: list[str] = list(connection.values())
        bad: set[str] = set(connection)
        names = self._scope_names()
        if any(not n for n in names):
            problems.append("every scope needs a name")
            bad.add("scopes")
        duplicated = sorted({n for n in names if n and names.count(n) > 1})
        if duplicated:
            problems.append(f"scope names must be unique: {', '.join(duplicated)}")
            bad.add("scopes")
        if not problems:
            try:
                Settings(**values)
            except ValidationError as exc:
                problems.extend(describe_errors(exc))
                for error in exc.errors():
                    if error["loc"]:
                        bad.add(str(error["loc"][0]))
                    else:  # a cross-field check: mark the fields its message names
                        bad.update(name for name in self._fields if name in str(error["msg"]))
        for name, widget in self._fields.items():
            widget.setProperty("invalid", name in bad)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.error_label.setText("\n".join(problems))
        self.error_label.setVisible(bool(problems))
        self.save_button.setEnabled(not problems)
        return not problems

    def settings_to_test(self) -> Settings | None:
        """The settings the form's values give (saved or not); None while one is invalid."""
        if not self.validate():
            return None
        return Settings(**self.values())

    def save(self) -> None:
        if not self.validate():
            return
        try:
            save_settings(self.values(), replace=["scopes", "queue_path_map"])
            self.result_settings = load_settings()
        except ConfigError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        self.saved.emit(self.result_settings)
        self.accept()

    def _show_env_overrides(self) -> None:
        names = [
            f"HMA_{field.upper()}" for field in self._fields if f"HMA_{field.upper()}" in os.environ
        ]
        names += sorted(
            n for n in os.environ if n.startswith("HMA_") and n.endswith(("_BUCKET", "_PREFIX"))
        )
        if names:
            self.env_note.setText(
                "Set in the environment, which wins over this file: " + ", ".join(names)
            )
            self.env_note.setVisible(True)
