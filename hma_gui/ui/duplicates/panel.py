"""The "Duplicates" tab: the latest findings of recent drops and watched folders.

Above: what happens before an upload (check S3 or not, and what to do when
something is found: ask, skip, overwrite, keep both; saved to the settings),
**Export…** and **Review duplicates…**. Below: a choice of the recent
findings, their numbers and state, and read-only tables: the S3 findings and
the local copies (the same models as the review dialog's).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.duplicates.summary import Findings
from hma_gui.ui import icons, theme
from hma_gui.ui.duplicates.groups_model import GroupsModel
from hma_gui.ui.duplicates.models import DecisionBoard, FindingsModel
from hma_gui.ui.duplicates.views import findings_view, groups_view
from hma_gui.ui.shell import fit_screen

POLICY_LABELS = (
    ("ask", "Ask me (review dialog)"),
    ("skip", "Skip them"),
    ("overwrite", "Overwrite in S3"),
    ("keep-both", "Keep both (new name)"),
)
PLACEHOLDER = (
    "Before files upload, they are checked for copies among themselves and against what S3 "
    "already holds. What a drop or a watched folder brings that S3 has, or that conflicts "
    "with an object, is listed here."
)

STACK_BELOW = 640  # the card's controls under its texts below this width (side by side: 591)


class DuplicatesPanel(QWidget):
    review_requested = Signal(object)  # Findings
    export_requested = Signal(object)  # Findings
    policy_changed = Signal(str, bool)  # on_duplicate, check_s3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.findings: list[Findings] = []
        self.board: DecisionBoard | None = None
        self.findings_model: FindingsModel | None = None
        self.groups_model: GroupsModel | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self._build_controls())
        layout.addLayout(self._build_switch())
        self.pages = QStackedWidget()
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setObjectName("tablePlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)  # its lines break where the tab ends (512 points)
        self.pages.addWidget(self.placeholder)
        layout.addWidget(self.pages, 1)
        self._show_current()

    # ------------------------------------------------------------- layout

    def _build_controls(self) -> QFrame:
        card = QFrame()
        card.setProperty("role", "card")
        title = QLabel("Duplicates before upload")
        title.setProperty("role", "cardTitle")
        self.summary = fit_screen.WrapLabel("Nothing checked yet in this session.")
        self.summary.setProperty("role", "muted")
        texts = QVBoxLayout()
        texts.setSpacing(3)
        texts.addWidget(title)
        texts.addWidget(self.summary)
        self.check_box = QCheckBox("Check S3 first")
        self.check_box.setToolTip(
            "Before uploading, compare the files with each other and with S3 "
            "(one listing per scope; files are hashed only when S3 has an object of their size)"
        )
        self.policy = QComboBox()
        for value, text in POLICY_LABELS:
            self.policy.addItem(text, value)
        self.policy.setToolTip(
            "What happens to files S3 already holds, conflicts and extra local copies"
        )
        when = QLabel("When found:")
        when.setProperty("role", "muted")
        self.export_button = QPushButton(icons.icon("log"), "Export…")
        self.export_button.setToolTip("Save the findings shown as CSV or JSON")
        self.review_button = QPushButton(icons.icon("copy", "#ffffff"), "Review duplicates…")
        self.review_button.setProperty("role", "primary")
        self.review_button.setToolTip("Open the review dialog on the findings shown (Ctrl+D)")
        row = QHBoxLayout(card)
        row.setContentsMargins(18, 14, 18, 14)
        row.setSpacing(12)
        icon = QLabel(pixmap=icons.pixmap("copy", 30, theme.ACCENT))
        row.addWidget(icon)
        fit_screen.when_narrow(card, STACK_BELOW, icon.setHidden)
        row.addSpacing(4)
        row.addLayout(texts, 1)
        policy = QWidget()  # "When found: [policy]" stays on one line
        policy_row = QHBoxLayout(policy)
        policy_row.setContentsMargins(0, 0, 0, 0)
        policy_row.addWidget(when)
        policy_row.addWidget(self.policy)
        controls = (self.check_box, policy, self.export_button, self.review_button)
        wrapped = fit_screen.wrap_row(*controls, spacing=10, align_right=True, keep_lines=True)
        row.addWidget(wrapped)  # it wraps at 1024 px already
        fit_screen.stack_when_narrow(card, row, STACK_BELOW)  # 512 points: controls below
        self.check_box.toggled.connect(self._policy_edited)
        self.policy.activated.connect(lambda _i: self._policy_edited())
        self.review_button.clicked.connect(self._review_clicked)
        self.export_button.clicked.connect(self._export_clicked)
        return card

    def _build_switch(self) -> QHBoxLayout:
        self.choice = QComboBox()
        self.choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.choice.setMinimumContentsLength(24)  # ~260 px; a longer title shows in the list
        self.choice.setToolTip("The findings of recent drops and of the watched folders")
        self.choice.currentIndexChanged.connect(lambda _i: self._show_current())
        self.s3_chip = QPushButton("S3 findings")
        self.local_chip = QPushButton("Local copies")
        group = QButtonGroup(self)
        for page, chip in enumerate((self.s3_chip, self.local_chip)):
            chip.setCheckable(True)
            chip.setProperty("role", "chip")
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.clicked.connect(lambda _=False, p=page: self.show_page(p))
            group.addButton(chip)
        self.s3_chip.setChecked(True)
        self.state_label = fit_screen.WrapLabel()
        self.state_label.setObjectName("findingsState")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout()
        row.setSpacing(14)
        chosen = (self.choice, self.s3_chip, self.local_chip)
        self.choice_row = fit_screen.wrap_row(*chosen, keep_lines=True)
        row.addWidget(self.choice_row, 3)  # the chips go under the choice when narrow
        row.addWidget(self.state_label, 1)
        return row

    # ------------------------------------------------------------- content

    def set_policy(self, on_duplicate: str, check_s3: bool) -> None:
        for widget in (self.check_box, self.policy):
            widget.blockSignals(True)
        self.check_box.setChecked(check_s3)
        self.policy.setCurrentIndex(max(0, self.policy.findData(on_duplicate)))
        self.policy.setEnabled(check_s3)
        for widget in (self.check_box, self.policy):
            widget.blockSignals(False)

    def set_findings(self, findings: list[Findings], current: Findings | None = None) -> None:
        """The recent findings, newest first; show `current` (default: the one shown, or newest)."""
        keep = current or self.current()
        self.findings = list(findings)
        self.choice.blockSignals(True)
        self.choice.clear()
        for entry in self.findings:
            self.choice.addItem(entry.title(), entry.id)
        index = self.choice.findData(keep.id) if keep is not None else -1
        self.choice.setCurrentIndex(index if index >= 0 else 0)
        self.choice.blockSignals(False)
        self._show_current()

    def current(self) -> Findings | None:
        entry_id = self.choice.currentData()
        return next((f for f in self.findings if f.id == entry_id), None)

    def refresh(self) -> None:
        """The decisions of the findings shown changed (the dialog applied them)."""
        if self.board is not None:
            self.board.changed.emit()
        self._show_state()

    def show_page(self, page: int) -> None:
        if self.current() is None:
            self.pages.setCurrentWidget(self.placeholder)
            return
        self.pages.setCurrentIndex(1 + page)
        (self.s3_chip if page == 0 else self.local_chip).setChecked(True)

    def _show_current(self) -> None:
        entry = self.current()
        for index in range(self.pages.count() - 1, 0, -1):
            widget = self.pages.widget(index)
            if widget is not None:
                self.pages.removeWidget(widget)
                widget.deleteLater()
        enabled = entry is not None
        for widget in (self.review_button, self.export_button, self.choice):
            widget.setEnabled(enabled)
        self.s3_chip.setVisible(enabled)
        self.local_chip.setVisible(enabled)
        if entry is None:
            self.board = self.findings_model = self.groups_model = None
            self.state_label.setText("")
            self.pages.setCurrentWidget(self.placeholder)
            return
        self.board = DecisionBoard(entry.review, self)
        self.findings_model = FindingsModel(
            self.board, editable=False, parent=self, paths=entry.paths()
        )
        self.groups_model = GroupsModel(self.board, editable=False, parent=self)
        self.findings_view = findings_view(self.findings_model)
        self.groups_view = groups_view(self.groups_model)
        if len(self.groups_model.groups) <= 200:
            self.groups_view.expandAll()
        self.pages.addWidget(self.findings_view)
        self.pages.addWidget(self.groups_view)
        s3_rows, groups = len(self.findings_model.all_rows), len(self.groups_model.groups)
        self.s3_chip.setText(f"S3 findings  {s3_rows:,}")
        self.local_chip.setText(f"Local copies  {groups:,}")
        self.show_page(0 if s3_rows or not groups else 1)
        self._show_state()

    def _show_state(self) -> None:
        entry = self.current()
        if entry is None:
            return
        summary = entry.summary()
        text = summary.describe()
        self.summary.setText(text[:1].upper() + text[1:])
        if entry.waiting:
            text, kind = f"{summary.files:,} files wait for your decision", "warning"
        else:
            text, kind = summary.outcome(), "ok"
        self.state_label.setText(text)
        self.state_label.setProperty("kind", kind)
        self.state_label.style().unpolish(self.state_label)
        self.state_label.style().polish(self.state_label)

    def _policy_edited(self) -> None:
        self.policy.setEnabled(self.check_box.isChecked())
        self.policy_changed.emit(self.policy.currentData(), self.check_box.isChecked())

    def _review_clicked(self) -> None:
        entry = self.current()
        if entry is not None:
            self.review_requested.emit(entry)

    def _export_clicked(self) -> None:
        entry = self.current()
        if entry is not None:
            self.export_requested.emit(entry)
