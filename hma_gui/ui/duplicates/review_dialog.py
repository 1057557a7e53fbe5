"""The duplicate review dialog: what the check found, and a decision per file.

S3 findings as a table (local file, S3 key, what was found, the object's size
and date, how the content was compared) and local copies as a tree (group →
files with size, date, MD5, wasted bytes), each with a Decision column (a
combo box while a cell is edited; no widget per row). Decisions per file or
group (the buttons act on the selection), "apply to all", "keep one per
group", and back to the suggestion (skip what S3 has, keep one copy). The
findings export as CSV or JSON through the core's report writer.

It implements the core's `DecisionCallback` (`review(review) -> bool`, modal);
the window opens it non-modal instead (`open_for`), so drops go on meanwhile.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview
from hma_gui.core.duplicates.s3_check import S3Class
from hma_gui.core.duplicates.summary import summarize_review
from hma_gui.ui import icons, theme
from hma_gui.ui.duplicates.groups_model import GroupColumn, GroupsModel
from hma_gui.ui.duplicates.models import (
    CLASS_LABELS,
    DECISION_LABELS,
    GROUP_ROLE,
    PATH_ROLE,
    DecisionBoard,
    FindingColumn,
    FindingsModel,
)
from hma_gui.ui.duplicates.views import (
    DecisionDelegate,
    SavePathChooser,
    ask_save_path,
    export_path,
    findings_view,
    groups_view,
    write_report,
)
from hma_gui.ui.shell import fit_screen
from hma_gui.ui.shell.fit_screen import FlowLayout

logger = logging.getLogger(__name__)


def button_group(*widgets: QWidget) -> QWidget:
    """Widgets that stay together on one line of a wrapping row."""
    group = QWidget()
    row = QHBoxLayout(group)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(6)
    for widget in widgets:
        row.addWidget(widget)
    return group


class DuplicateReviewDialog(QDialog):
    """Decide what happens to the files of one check. Accept: apply the decisions."""

    def __init__(
        self,
        review: DuplicateReview,
        *,
        label: str = "",
        applied: bool = False,
        parent: QWidget | None = None,
        choose_path: SavePathChooser = ask_save_path,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review duplicates")
        self.setObjectName("reviewDialog")
        self.resize(1080, 660)
        self.label = label
        self.applied = applied
        self.choose_path = choose_path
        self.last_export: Path | None = None

        self.title = QLabel("Review duplicates")
        self.title.setProperty("role", "dialogTitle")
        self.subtitle = QLabel()
        self.subtitle.setProperty("role", "muted")
        self.subtitle.setWordWrap(True)
        head = QVBoxLayout()
        head.setSpacing(2)
        head.addWidget(self.title)
        head.addWidget(self.subtitle)
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(QLabel(pixmap=icons.pixmap("copy", 30, theme.ACCENT)))
        top.addLayout(head, 1)

        self.s3_chip = QPushButton()
        self.local_chip = QPushButton()
        chips = QButtonGroup(self)
        for page, chip in enumerate((self.s3_chip, self.local_chip)):
            chip.setCheckable(True)
            chip.setProperty("role", "chip")
            chip.clicked.connect(lambda _=False, p=page: self.show_page(p))
            chips.addButton(chip)
        self.class_filter = QComboBox()
        self.class_filter.setToolTip("Show only the files of one kind")
        self.class_filter.currentIndexChanged.connect(self._filter_changed)
        self.select_shown_button = QPushButton("Select all shown")
        self.select_shown_button.setToolTip(
            "Select every row the filter shows (Ctrl+A), then decide for them below"
        )
        self.select_shown_button.clicked.connect(self.select_shown)
        switch = FlowLayout(spacing=6)  # wraps on a narrow screen
        for widget in (self.s3_chip, self.local_chip, self.class_filter):
            switch.addWidget(widget)
        switch.addWidget(self.select_shown_button)

        self.pages = QStackedWidget()
        self.pages.setMinimumHeight(150)  # a few rows even when the dialog scrolls (200 %)
        self.findings_view = QTableView()
        self.groups_view = QTreeView()
        self.pages.addWidget(self.findings_view)
        self.pages.addWidget(self.groups_view)

        self.outcome = QLabel()
        self.outcome.setObjectName("reviewOutcome")
        self.outcome.setWordWrap(True)
        self.waiting_label = QLabel()
        self.waiting_label.setProperty("role", "muted")
        self.waiting_label.hide()
        self.error_label = QLabel()
        self.error_label.setProperty("role", "error")
        self.error_label.hide()

        layout = QVBoxLayout(fit_screen.scroll_body(self))  # scrolls when the screen is short
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addLayout(switch)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self._build_tools())
        layout.addWidget(self.outcome)
        layout.addWidget(self.error_label)
        layout.addWidget(self.waiting_label)
        layout.addLayout(self._build_buttons())
        self.set_review(review, label=label, applied=applied)
        fit_screen.fit_to_screen(self)  # a 1024×700 screen, QT_SCALE_FACTOR=2

    # ------------------------------------------------------------- layout

    def _build_tools(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("decisionBar")
        row = FlowLayout(bar, spacing=14)  # groups of buttons that wrap, not one long row
        row.setContentsMargins(12, 8, 12, 8)
        caption = QLabel("Selected:")
        caption.setProperty("role", "muted")
        self.selected_buttons: dict[Decision, QPushButton] = {}
        for decision in Decision:
            button = QPushButton(DECISION_LABELS[decision])
            button.setToolTip(f"{DECISION_LABELS[decision]}: the selected files or groups")
            button.clicked.connect(lambda _=False, d=decision: self.decide_selected(d))
            self.selected_buttons[decision] = button
        row.addWidget(button_group(caption, *self.selected_buttons.values()))
        self.keep_one_button = QPushButton("Keep one per group")
        self.keep_one_button.setToolTip(
            "Upload the reference file (\u2605) of each local group (or of the selected groups), "
            "skip its copies. The reference is the original: no \u201c(1)\u201d or "
            "\u201ccopy\u201d in its name, the shortest name, the oldest file"
        )
        self.keep_one_button.clicked.connect(self.keep_one)
        self.reference_button = QPushButton("Keep this one")
        self.reference_button.setToolTip(
            "Mark the selected file as its group's reference (\u2605): it is uploaded, "
            "its copies are skipped"
        )
        self.reference_button.clicked.connect(self.mark_reference)
        row.addWidget(button_group(self.keep_one_button, self.reference_button))
        self.all_choice = QComboBox()
        for decision in Decision:
            self.all_choice.addItem(DECISION_LABELS[decision], decision)
        self.all_choice.setCurrentIndex(self.all_choice.findData(Decision.SKIP))
        self.apply_all_button = QPushButton("Apply to all")
        self.apply_all_button.setToolTip(
            "The same decision for every file listed (overwrite and keep both apply to files "
            "S3 holds at their key; the others are uploaded)"
        )
        self.apply_all_button.clicked.connect(
            lambda: self.apply_to_all(self.all_choice.currentData())
        )
        self.suggest_button = QPushButton(icons.icon("retry"), "Suggested")
        self.suggest_button.setToolTip("Skip what S3 already has, keep one copy per local group")
        self.suggest_button.clicked.connect(lambda: self.board.suggest())
        row.addWidget(button_group(self.all_choice, self.apply_all_button))
        row.addWidget(self.suggest_button)
        return bar

    def _build_buttons(self) -> FlowLayout:
        self.export_button = QPushButton(icons.icon("log"), "Export…")
        self.export_button.setToolTip("Save the findings and decisions as CSV or JSON")
        self.export_button.clicked.connect(self.export)
        self.later_button = QPushButton("Decide later")
        self.later_button.clicked.connect(self.reject)
        self.apply_button = QPushButton(icons.icon("play", "#ffffff"), "")
        self.apply_button.setProperty("role", "primary")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.accept)
        row = FlowLayout(spacing=6, align_right=True)
        for button in (self.export_button, self.later_button, self.apply_button):
            row.addWidget(button)
        return row

    # ------------------------------------------------------------- content

    def set_review(
        self, review: DuplicateReview, *, label: str = "", applied: bool = False
    ) -> None:
        self.label, self.applied = label, applied
        self.board = DecisionBoard(review, self)
        self.findings_model = FindingsModel(self.board, editable=True, parent=self)
        self.groups_model = GroupsModel(self.board, editable=True, parent=self)
        self._replace_views()
        summary = summarize_review(review)
        self.subtitle.setText((f"{label} — " if label else "") + summary.describe())
        self.s3_chip.setText(f"S3 findings  {len(self.findings_model.all_rows):,}")
        self.local_chip.setText(f"Local copies  {len(self.groups_model.groups):,}")
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem("All findings", None)
        counts = Counter(f.s3_class for f in self.findings_model.all_rows)
        for s3_class in S3Class:
            if counts[s3_class]:
                self.class_filter.addItem(
                    f"{CLASS_LABELS[s3_class]} ({counts[s3_class]:,})", s3_class
                )
        self.class_filter.blockSignals(False)
        self.apply_button.setText("Apply changes" if applied else "Upload with these decisions")
        self.later_button.setText("Close" if applied else "Decide later")
        self.show_page(0 if self.findings_model.all_rows or not self.groups_model.groups else 1)
        self.board.changed.connect(self._show_outcome)
        self._show_outcome()

    @property
    def review_data(self) -> DuplicateReview:
        return self.board.review

    def _replace_views(self) -> None:
        old_findings, old_groups = self.findings_view, self.groups_view
        self.findings_view = findings_view(self.findings_model)
        self.groups_view = groups_view(self.groups_model)
        self.findings_view.setItemDelegateForColumn(
            FindingColumn.DECISION, DecisionDelegate(self.findings_view)
        )
        self.groups_view.setItemDelegateForColumn(
            GroupColumn.DECISION, DecisionDelegate(self.groups_view)
        )
        for view in (self.findings_view, self.groups_view):
            view.setEditTriggers(
                QAbstractItemView.EditTrigger.DoubleClicked
                | QAbstractItemView.EditTrigger.SelectedClicked
                | QAbstractItemView.EditTrigger.EditKeyPressed
            )
        self.pages.insertWidget(0, self.findings_view)
        self.pages.insertWidget(1, self.groups_view)
        for view in (old_findings, old_groups):
            self.pages.removeWidget(view)
            view.deleteLater()
        if len(self.groups_model.groups) <= 200:
            self.groups_view.expandAll()

    def show_page(self, page: int) -> None:
        """0: the S3 findings; 1: the local copies."""
        self.pages.setCurrentIndex(page)
        (self.s3_chip if page == 0 else self.local_chip).setChecked(True)
        self.class_filter.setVisible(page == 0)
        self.keep_one_button.setEnabled(bool(self.groups_model.groups))
        self.reference_button.setEnabled(page == 1 and bool(self.groups_model.groups))

    def set_waiting(self, count: int) -> None:
        """How many more checks wait for a review after this one."""
        self.waiting_label.setVisible(count > 0)
        self.waiting_label.setText(
            f"{count} more {'drop waits' if count == 1 else 'drops wait'} for a review"
            if count
            else ""
        )

    # ------------------------------------------------------------- deciding

    def selected_paths(self) -> tuple[list[str], list[Any]]:
        """The selected files and groups of the page shown."""
        view = self.findings_view if self.pages.currentIndex() == 0 else self.groups_view
        paths: list[str] = []
        groups: list[Any] = []
        for index in view.selectionModel().selectedRows(0):
            path = index.data(PATH_ROLE)
            if path is not None:
                paths.append(path)
            elif (group := index.data(GROUP_ROLE)) is not None:
                groups.append(group)
        return paths, groups

    def decide_selected(self, decision: Decision) -> None:
        paths, groups = self.selected_paths()
        decision = Decision(decision)
        for group in groups:
            self.review_data.set_group(group, decision)
        self.board.set_files(paths, decision)

    def keep_one(self) -> None:
        _, groups = self.selected_paths() if self.pages.currentIndex() == 1 else ([], [])
        self.board.keep_one(groups or self.groups_model.groups)

    def mark_reference(self) -> int:
        """The selected files become their groups' references (kept, copies skipped)."""
        paths, _ = self.selected_paths() if self.pages.currentIndex() == 1 else ([], [])
        return self.board.set_references(paths)

    def select_shown(self) -> None:
        """Select every row the page shows (the filter's rows on the S3 page)."""
        view = self.findings_view if self.pages.currentIndex() == 0 else self.groups_view
        view.setFocus()
        view.selectAll()

    def apply_to_all(self, decision: Decision) -> None:
        self.board.set_all(decision)

    def _filter_changed(self) -> None:
        self.findings_model.set_class_filter(self.class_filter.currentData())

    def _show_outcome(self) -> None:
        self.outcome.setText(summarize_review(self.review_data).outcome())

    # ------------------------------------------------------------- export

    def export(self) -> Path | None:
        suggested = str(Path.home() / "duplicates.csv")
        path = export_path(*self.choose_path(self, suggested))
        return self.export_to(path) if path is not None else None

    def export_to(self, path: Path, fmt: str | None = None) -> Path | None:
        try:
            write_report(self.review_data, self.label, path, fmt)
        except OSError as exc:
            self.error_label.setText(f"Cannot write {path}: {exc.strerror or exc}")
            self.error_label.show()
            return None
        self.error_label.hide()
        self.last_export = path
        logger.info("duplicate findings exported to %s", path)
        return path

    # ------------------------------------------------------------- DecisionCallback

    def review(self, review: DuplicateReview) -> bool:
        """The core's `DecisionCallback`: modal; False when the user decides later."""
        self.set_review(review, label=self.label)
        return self.exec() == QDialog.DialogCode.Accepted
