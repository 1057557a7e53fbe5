"""The "ETL" tab: one button loads the MBA CSV files from S3 into the database.

Above: where the files come from and where they go (the database address,
never its password), *Force reload* and *Dry run*, **Run ETL** and **Stop**.
Below: the files of the current run (status, progress, row counts), a line
summing up the run with a button that opens its rejects report, and the latest
``etl_runs`` rows with the tables' sizes. The work is `EtlService`'s; this
widget only shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPainter, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.errors import ConfigError
from hma_gui.core.etl.pipeline import MBA_SCOPE, EtlOptions
from hma_gui.core.etl.planning import CSV_FOLDER
from hma_gui.core.etl.results import FileStatus, RunResult
from hma_gui.core.jobs.store import JobState
from hma_gui.ui import icons, theme
from hma_gui.ui.etl.history import RECORD_ROLE, EtlHistoryModel, HistoryColumn, HistorySnapshot
from hma_gui.ui.etl.model import (
    PROGRESS_ROLE,
    STATUS_ROLE,
    BoardChanges,
    EtlFileModel,
    FileColumn,
    status_state,
    summarize,
)
from hma_gui.ui.etl.rejects_dialog import RejectsDialog
from hma_gui.ui.etl.service import EtlService, Target
from hma_gui.ui.progress_paint import ProgressPainter
from hma_gui.ui.shell.fit_screen import FlowLayout, wrap_row

logger = logging.getLogger(__name__)

HISTORY_TIP = "The latest rows of etl_runs (double-click: rejects report)"
COMPACT_BELOW = 330  # the panel's height (px) under which the controls card is one line

ModelIndex = QModelIndex | QPersistentModelIndex
UrlOpener = Callable[[QUrl], object]

_SUMMARY_ICONS = {
    "ok": lambda: icons.state_icon(JobState.DONE).pixmap(18, 18),
    "warning": lambda: icons.pixmap("alert", 18, theme.WARNING),
    "error": lambda: icons.state_icon(JobState.FAILED).pixmap(18, 18),
    "info": lambda: icons.pixmap("info", 18, theme.ACCENT),
}


class ProgressDelegate(QStyledItemDelegate):
    """A thin bar in the status colour and the percentage, as in the Uploads tab."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._painter = ProgressPainter()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, option.palette.highlight())
        fraction = index.data(PROGRESS_ROLE)
        if fraction is None:
            return
        state = status_state(index.data(STATUS_ROLE))
        self._painter.paint(painter, option.rect.adjusted(8, 0, -8, 0), fraction, state, selected)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return QSize(130, 30)


def _table(model: EtlFileModel | EtlHistoryModel, stretch: int) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(30)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setShowGrid(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


class EtlPanel(QWidget):
    def __init__(
        self,
        service: EtlService,
        parent: QWidget | None = None,
        open_url: UrlOpener = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self._open_url = open_url
        self._history_shown = False
        self.rejects_path: Path | None = None
        self.rejects_dialog: RejectsDialog | None = None
        self.file_model = EtlFileModel(self)
        self.history_model = EtlHistoryModel(self)
        self.history_snapshot: HistorySnapshot | None = None

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(10)
        self.compact = False
        layout.addWidget(self._build_controls())
        layout.addLayout(self._build_summary())
        layout.addLayout(self._build_switch())

        self.files_view = _table(self.file_model, FileColumn.MESSAGE)
        self.files_view.setItemDelegateForColumn(FileColumn.PROGRESS, ProgressDelegate(self))
        self.files_view.horizontalHeader().setSectionResizeMode(
            FileColumn.PROGRESS, QHeaderView.ResizeMode.Fixed
        )
        self.files_view.setColumnWidth(FileColumn.PROGRESS, 150)
        self.files_placeholder = QLabel(
            "Run ETL loads the new CSV files of the mba scope into the database."
        )
        self.files_placeholder.setObjectName("tablePlaceholder")
        self.files_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.files_placeholder.setWordWrap(True)
        files = QWidget()
        files_layout = QVBoxLayout(files)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(self.files_view, 1)
        files_layout.addWidget(self.files_placeholder, 1)

        self.history_view = _table(self.history_model, HistoryColumn.MESSAGE)
        self.history_view.doubleClicked.connect(self._history_double_clicked)

        self.pages = QStackedWidget()
        self.pages.addWidget(files)
        self.pages.addWidget(self.history_view)
        layout.addWidget(self.pages, 1)

        service.busy_changed.connect(self._busy_changed)
        service.can_run_changed.connect(lambda _ok: self._update_buttons())
        service.changes.connect(self._apply_changes)
        service.run_finished.connect(self._run_finished)
        service.run_failed.connect(self._run_failed)
        service.history_loaded.connect(self._history_loaded)
        service.history_failed.connect(self._history_failed)
        service.target_changed.connect(self._show_target)
        self._show_target(service.target())
        self._show_files()
        self._update_buttons()

    # ------------------------------------------------------------- layout

    def _build_controls(self) -> QFrame:
        card = self._card = QFrame()
        card.setProperty("role", "card")
        title = QLabel("Load the MBA files into the database")
        title.setProperty("role", "cardTitle")
        self.target_label = QLabel()
        self.target_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source_label = QLabel()
        self.source_label.setProperty("role", "muted")
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        texts = QVBoxLayout()
        texts.setSpacing(3)
        texts.addWidget(title)
        texts.addWidget(self.target_label)
        texts.addWidget(self.source_label)
        self._card_icon = QLabel(pixmap=icons.pixmap("database", 30, theme.ACCENT))
        self.force_box = QCheckBox("Force reload")
        self.force_box.setToolTip("Load again the files whose version was loaded before")
        self.dry_run_box = QCheckBox("Dry run")
        self.dry_run_box.setToolTip(
            "Read and validate every file; write nothing but the rejects report"
        )
        self.stop_button = QPushButton(icons.icon("stop", theme.DANGER), "Stop")
        self.stop_button.setToolTip("Stop: the file being loaded is rolled back")
        self.stop_button.clicked.connect(self.service.stop)
        self.run_button = QPushButton(icons.icon("play", "#ffffff"), "Run ETL")
        self.run_button.setProperty("role", "primary")
        self.run_button.clicked.connect(lambda: self.run())
        row = self._card_row = QHBoxLayout(card)
        row.setContentsMargins(18, 14, 18, 14)
        row.setSpacing(12)
        row.addWidget(self._card_icon)
        row.addSpacing(4)
        row.addLayout(texts, 2)
        self._card_buttons = wrap_row(
            self.force_box, self.dry_run_box, self.stop_button, self.run_button, align_right=True
        )  # they wrap when the card is narrow (512 points: 1024 px at 200 %)
        row.addWidget(self._card_buttons, 1)
        return card

    def _build_summary(self) -> QHBoxLayout:
        self.summary_icon = QLabel()
        self.summary = QLabel()
        self.summary.setObjectName("etlSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rejects_button = QPushButton(icons.icon("log"), "Open rejects report")
        self.rejects_button.clicked.connect(self.open_rejects)
        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.summary_icon)
        row.addWidget(self.summary, 1)
        row.addWidget(self.rejects_button)
        self._set_summary("info", "No run yet in this session.")
        self.rejects_button.hide()
        return row

    def _build_switch(self) -> QHBoxLayout:
        """Chips: the files of this run, or the history; the tables' sizes and Refresh."""
        self.run_chip = QPushButton("This run")
        self.history_chip = QPushButton("History")
        group = QButtonGroup(self)
        group.setExclusive(True)
        for page, chip in enumerate((self.run_chip, self.history_chip)):
            chip.setCheckable(True)
            chip.setProperty("role", "chip")
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.clicked.connect(lambda _=False, p=page: self.show_page(p))
            group.addButton(chip)
        self.run_chip.setChecked(True)
        self.history_chip.setToolTip(HISTORY_TIP)
        self.counts_label = QLabel()
        self.counts_label.setProperty("role", "muted")
        self.refresh_button = QPushButton(icons.icon("retry"), "Refresh")
        self.refresh_button.setToolTip("Read etl_runs and the table sizes again")
        self.refresh_button.clicked.connect(self.service.refresh_history)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.run_chip)
        row.addWidget(self.history_chip)
        self._compact_buttons = wrap_row(keep_lines=True)  # compact: the card's boxes, buttons
        self._compact_buttons.hide()
        row.addWidget(self._compact_buttons, 1)
        row.addWidget(self.counts_label)
        row.addSpacing(6)
        row.addWidget(self.refresh_button)
        self._switch_row = row
        return row

    def show_page(self, page: int) -> None:
        """0: the files of this run; 1: the history."""
        self.pages.setCurrentIndex(page)
        (self.run_chip if page == 0 else self.history_chip).setChecked(True)

    # ------------------------------------------------------------- actions

    def options(self) -> EtlOptions:
        return EtlOptions(force=self.force_box.isChecked(), dry_run=self.dry_run_box.isChecked())

    def run(self, options: EtlOptions | None = None) -> bool:
        """Start a run with `options` (default: the boxes' choices)."""
        return self.service.run(options or self.options())

    def open_rejects(self) -> None:
        if self.rejects_path is not None and self.rejects_path.exists():
            self.show_rejects(self.rejects_path)

    def show_rejects(self, path: Path) -> RejectsDialog:
        """The report in a table of the app (no CSV handler needed)."""
        if self.rejects_dialog is not None:
            self.rejects_dialog.close()
        self.rejects_dialog = RejectsDialog(path, self._open_url, self)
        self.rejects_dialog.open()
        return self.rejects_dialog

    def _history_double_clicked(self, index: QModelIndex) -> None:
        record = index.data(RECORD_ROLE)
        if record is not None and record.rejects_path and Path(record.rejects_path).exists():
            self.show_rejects(Path(record.rejects_path))

    def set_compact(self, compact: bool) -> None:
        """Compact (a short window): the card goes, its boxes and buttons join the
        This run / History row (the table sizes go to History's tooltip), the spacing
        tightens: the tables keep the room."""
        self.compact = compact
        moved: tuple[QAbstractButton, ...] = (
            self.force_box, self.dry_run_box, self.stop_button, self.run_button
        )  # fmt: skip
        source, target = (self._card_buttons, self._compact_buttons)
        if not compact:
            source, target = target, source
        order = reversed(moved) if compact else moved  # Run ETL first in sight when compact
        taken, given = source.layout(), target.layout()
        assert isinstance(taken, FlowLayout) and isinstance(given, FlowLayout)
        for widget in order:
            taken.take_widget(widget)
            given.addWidget(widget)
        if compact:  # Refresh too: beside the chips, the boxes and buttons then need two
            self._switch_row.removeWidget(self.refresh_button)  # lines at 512 points, not
            given.addWidget(self.refresh_button)  # three (Force reload was cut off)
        else:
            taken.take_widget(self.refresh_button)
            self._switch_row.addWidget(self.refresh_button)
        self._compact_buttons.setVisible(compact)
        self._card.setVisible(not compact)
        self.counts_label.setVisible(not compact)
        self.history_chip.setToolTip(self.counts_label.text() if compact else HISTORY_TIP)
        self._layout.setContentsMargins(0, 4 if compact else 10, 0, 0)
        self._layout.setSpacing(4 if compact else 10)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        compact = self.height() < COMPACT_BELOW
        if compact != self.compact:
            self.set_compact(compact)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._history_shown:  # read the database only once the tab is looked at
            self._history_shown = True
            self.service.refresh_history()

    # ------------------------------------------------------------- feedback

    def _show_target(self, target: Target) -> None:
        self.target_label.setText(f"Database: {target.text}")
        self.target_label.setProperty("role", "error" if target.problem else "")
        self.target_label.setToolTip(
            "HMA_DB_URL or db_url in the settings file (unset: a SQLite file in the data folder)"
        )
        settings = self.service.session.settings
        try:
            scope = settings.scope(MBA_SCOPE)
            source = f"From: s3://{scope.bucket}/{scope.prefix}{CSV_FOLDER}"
        except ConfigError as exc:
            source = f"From: {exc}"
        if self.service.session.sandboxed:
            source += "  (sandbox)"
        self.source_label.setText(source)

    def _update_buttons(self) -> None:
        busy = self.service.busy
        self.run_button.setEnabled(self.service.can_run)
        self.stop_button.setEnabled(busy)
        self.force_box.setEnabled(not busy)
        self.dry_run_box.setEnabled(not busy)
        if busy:
            self.run_button.setToolTip("A run is going")
        elif not self.service.can_run:
            self.run_button.setToolTip("Waiting for the sandbox S3 endpoint…")
        else:
            self.run_button.setToolTip("Load every new CSV file of the mba scope (Ctrl+E)")

    def _busy_changed(self, busy: bool) -> None:
        self._update_buttons()
        if busy:
            self.show_page(0)
            self.rejects_path = None
            self.rejects_button.hide()
            self.file_model.clear()
            self._show_files()
            self._set_summary("info", "Listing the CSV files…")

    def _apply_changes(self, changes: BoardChanges) -> None:
        self.file_model.apply(changes)
        self._show_files()
        if self.service.busy:
            rows = self.file_model.rows
            done = sum(1 for r in rows if r.status not in (None, FileStatus.RUNNING))
            current = next((r for r in rows if r.status is FileStatus.RUNNING), None)
            text = f"Running: {done} of {len(rows)} files done"
            if current is not None:
                noun = "row" if current.rows_read == 1 else "rows"
                text += f" · {current.name}: {current.rows_read:,} {noun} read"
            self._set_summary("info", text)

    def _run_finished(self, result: RunResult) -> None:
        kind, text = summarize(result)
        self._set_summary(kind, text)
        path = result.rejects_path
        self.rejects_path = path if path is not None and path.exists() else None
        if self.rejects_path is not None:
            self.rejects_button.setToolTip(str(self.rejects_path))
            self.rejects_button.setText(
                f"Open rejects report ({result.rows_rejected:,} "
                f"{'row' if result.rows_rejected == 1 else 'rows'})"
                if result.rows_rejected
                else "Open rejects report"
            )
        self.rejects_button.setVisible(self.rejects_path is not None)
        self._show_files()

    def _run_failed(self, message: str) -> None:
        self._set_summary("error", f"The run did not start: {message}")

    def _history_loaded(self, snapshot: HistorySnapshot) -> None:
        self.history_snapshot = snapshot
        self.history_model.set_records(snapshot.records)
        self.counts_label.setText(snapshot.describe_counts())
        if self.compact:
            self.history_chip.setToolTip(self.counts_label.text())
        count = len(snapshot.records)
        self.history_chip.setText(f"History  {count:,}" if count else "History")

    def _history_failed(self, message: str) -> None:
        self.counts_label.setText(f"Cannot read the history: {message}")

    def _set_summary(self, kind: str, text: str) -> None:
        self.summary_icon.setPixmap(_SUMMARY_ICONS[kind]())
        self.summary.setText(text)
        self.summary.setProperty("kind", kind)
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)

    def _show_files(self) -> None:
        count = self.file_model.rowCount()
        self.files_view.setVisible(count > 0)
        self.files_placeholder.setVisible(count == 0)
        self.run_chip.setText(f"This run  {count:,}" if count else "This run")
