"""The uploads tab: state filter chips, a search box, the jobs table and its context menu."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    Qt,
)
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.config.settings import Settings
from hma_gui.core.jobs.store import Counters, Job, JobState
from hma_gui.ui import icons, theme
from hma_gui.ui.queue.follow_active import ActiveFollower
from hma_gui.ui.queue.job_actions import JobActions, copy_uris, reveal_in_file_manager
from hma_gui.ui.queue.job_columns import Column
from hma_gui.ui.queue.job_delegate import JobDelegate
from hma_gui.ui.queue.job_model import JOB_ROLE, JobFilterProxy, JobTableModel
from hma_gui.ui.queue.scope_choice import ScopeChooser, ask_scope
from hma_gui.ui.queue.undo_bar import CONFIRM_AT, Confirm, UndoBar, ask_confirmation
from hma_gui.ui.shell.fit_screen import wrap_row

# label, states, sent (`JobFilter.sent`: running jobs are uploading here or sent)
FILTERS: tuple[tuple[str, tuple[JobState, ...], bool | None], ...] = (
    ("All", (), None),
    ("Queued", (JobState.QUEUED,), None),
    ("Uploading", (JobState.RUNNING,), False),
    (theme.SENT_LABEL, (JobState.RUNNING,), True),
    ("Uploaded", (JobState.DONE,), None),
    ("Failed", (JobState.FAILED,), None),
    ("Skipped", (JobState.SKIPPED,), None),
    ("To decide", (JobState.WAITING,), None),
    ("Needs a scope", (JobState.NEEDS_SCOPE,), None),
)


# Columns hidden when the table is narrower than a width (the table scrolls sideways
# inside itself below that; the window does not).
NARROW_HIDES = ((Column.TARGET, 760), (Column.ATTEMPTS, 760), (Column.SIZE, 560))


class JobTable(QWidget):
    """Filter chips + search + the table. Context menu: retry, set scope, remove, reveal, copy.

    `settings` gives the settings of the moment (the scopes a held file may get);
    `choose_scope` asks which one (a dialog; tests answer it).
    """

    def __init__(
        self,
        model: JobTableModel,
        actions: JobActions,
        parent: QWidget | None = None,
        *,
        settings: Callable[[], Settings] | None = None,
        choose_scope: ScopeChooser = ask_scope,
        confirm: Confirm = ask_confirmation,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.job_actions = actions
        self._settings = settings
        self._choose_scope = choose_scope
        self._confirm = confirm
        self._queued = 0
        self.proxy = JobFilterProxy(self)
        self.proxy.setSourceModel(model)

        self.chips: dict[str, QPushButton] = {}
        self._chip_group = QButtonGroup(self)
        self._chip_group.setExclusive(True)
        for label, states, sent in FILTERS:
            chip = QPushButton(label)
            chip.setCheckable(True)
            chip.setProperty("role", "chip")
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.clicked.connect(lambda _=False, s=states, t=sent: self.proxy.set_states(s, sent=t))
            self._chip_group.addButton(chip)
            self.chips[label] = chip
        chips = wrap_row(*self.chips.values(), spacing=3, keep_lines=True)  # 2 lines if narrow
        self.chips["All"].setChecked(True)
        self.chips["Needs a scope"].setVisible(False)  # until a file needs one
        self.chips[theme.SENT_LABEL].setVisible(False)  # until a job goes to a shared queue

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by file or key")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(
            icons.icon("search", theme.TEXT_MUTED), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search.setMaximumWidth(280)
        self.search.textChanged.connect(self.proxy.set_text)

        self.retry_failed_button = QPushButton(icons.icon("retry"), "Retry failed")
        self.retry_failed_button.clicked.connect(self.job_actions.retry_failed)
        self.clear_button = QPushButton(icons.icon("broom"), "Clear finished")
        self.clear_button.setToolTip(
            "Remove uploaded and skipped files from the list (files to decide stay)"
        )
        self.clear_button.clicked.connect(self.job_actions.clear_finished)
        # Clear queue… is in the context menu and Queue menu, not in this bar: at 1024 px
        # the chips and the buttons already fill the row (the chips wrap when it is short).
        self.clear_queue_action = QAction(icons.icon("trash"), "Clear queue…", self)
        self.clear_queue_action.setToolTip("Remove every queued file from the list (with undo)")
        self.clear_queue_action.triggered.connect(self.clear_queue)
        self.clear_queue_action.setEnabled(False)
        self.undo_bar = UndoBar(self.job_actions.undo_remove)
        self.job_actions.undoable.connect(self.undo_bar.offer)

        tools = self._tools = QHBoxLayout()
        tools.setSpacing(6)
        tools.addStretch()  # right-aligned on a line of their own
        tools.addWidget(self.search)
        tools.addWidget(self.retry_failed_button)
        tools.addWidget(self.clear_button)
        bar = self._bar = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        bar.setSpacing(6)
        bar.addWidget(chips, 1)
        bar.addLayout(tools)
        self._chips_row = chips

        self.view = QTableView()
        self.view.setObjectName("jobsView")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setItemDelegate(JobDelegate(self.proxy, model, self.view))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.doubleClicked.connect(lambda index: self._reveal())
        vertical = self.view.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(30)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in (
            (Column.STATE, 108),
            (Column.SOURCE, 280),
            (Column.TARGET, 250),
            (Column.SIZE, 90),
            (Column.PROGRESS, 122),
            (Column.ATTEMPTS, 60),
        ):
            self.view.setColumnWidth(column, width)
        self.view.setSortingEnabled(True)
        self.follower = ActiveFollower(self.view, model, self.proxy)  # running rows stay in view

        self.placeholder = QLabel(self.view.viewport())
        self.placeholder.setObjectName("tablePlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._update_placeholder)
        self.view.viewport().installEventFilter(self)
        self._update_placeholder()

        self._build_actions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addWidget(self.undo_bar)
        layout.addWidget(self.view, 1)

    # ------------------------------------------------------------- placeholder

    def _update_placeholder(self, *_args: object) -> None:
        if self.proxy.rowCount() > 0:
            self.placeholder.hide()
            return
        filtering = bool(self.proxy.states or self.search.text())
        if self.model.total == 0 and not filtering:
            self.placeholder.setText(
                "No uploads yet\nDrop files or folders anywhere on this window to start"
            )
        else:
            self.placeholder.setText("Nothing matches this filter")
        self.placeholder.resize(self.view.viewport().size())
        self.placeholder.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Narrow (a 512-point window), the search and buttons go below the chips: beside
        them the chips would get a line each."""
        super().resizeEvent(event)
        room = self.width() - self._tools.sizeHint().width() - self._bar.spacing()
        beside = room >= self._chips_row.sizeHint().width() // 2  # two lines of chips at most
        direction = QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom
        if self._bar.direction() != direction:
            self._bar.setDirection(direction)
        for column, below in NARROW_HIDES:  # the state, file and progress keep the room
            hidden = self.width() < below
            if self.view.isColumnHidden(column) != hidden:
                self.view.setColumnHidden(column, hidden)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self.placeholder.resize(self.view.viewport().size())
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------- actions

    def _build_actions(self) -> None:
        def action(text: str, icon: str, slot: Callable[[], object], keys: str = "") -> QAction:
            act = QAction(icons.icon(icon), text, self)
            if keys:
                act.setShortcut(QKeySequence(keys))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.view.addAction(act)
            return act

        self.retry_action = action("Retry", "retry", self._retry, "Ctrl+R")
        self.scope_action = action("Set scope\u2026", "sliders", self.set_scope_of_selected)
        self.remove_action = action("Remove from list", "trash", self._remove, "Delete")
        self.reveal_action = action("Reveal in file manager", "folder-open", self._reveal)
        self.copy_action = action("Copy S3 URI", "copy", self._copy, "Ctrl+Shift+C")

    def selected_jobs(self) -> list[Job]:
        rows = self.view.selectionModel().selectedRows()
        jobs = [self.proxy.data(index, JOB_ROLE) for index in rows]
        return sorted((j for j in jobs if j is not None), key=lambda j: j.id)

    def _context_menu(self, position: QPoint) -> None:
        jobs = self.selected_jobs()
        if not jobs:
            return
        self._update_actions(jobs)
        menu = QMenu(self)
        menu.addAction(self.retry_action)
        if self.scope_action.isEnabled():
            menu.addAction(self.scope_action)
        menu.addAction(self.copy_action)
        menu.addAction(self.reveal_action)
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.addAction(self.clear_queue_action)
        menu.popup(self.view.viewport().mapToGlobal(position))

    def _update_actions(self, jobs: list[Job]) -> None:
        self.retry_action.setEnabled(
            any(j.state in (JobState.FAILED, JobState.SKIPPED) for j in jobs)
        )
        self.scope_action.setEnabled(
            self._settings is not None and any(j.state is JobState.NEEDS_SCOPE for j in jobs)
        )
        self.remove_action.setEnabled(any(j.state is not JobState.RUNNING for j in jobs))
        self.copy_action.setEnabled(any(j.uri for j in jobs))
        self.reveal_action.setEnabled(len(jobs) == 1)

    def _retry(self) -> None:
        ids = [j.id for j in self.selected_jobs() if j.state in (JobState.FAILED, JobState.SKIPPED)]
        if ids:
            self.job_actions.retry(ids)

    def set_scope_of_selected(self) -> None:
        """Ask for a scope for the selected needs-scope files; queue them in it."""
        ids = [j.id for j in self.selected_jobs() if j.state is JobState.NEEDS_SCOPE]
        if ids:
            self.ask_scope_for(len(ids), job_ids=ids)

    def ask_scope_for(
        self, count: int, *, job_ids: Sequence[int] | None = None, batch_id: int | None = None
    ) -> None:
        """Ask which scope `count` held files get (those of `job_ids` or of a drop's batch)."""
        if self._settings is None:
            return
        settings = self._settings()
        scope = self._choose_scope(self, sorted(settings.scopes), count)
        if scope:
            self.job_actions.set_scope(scope, settings, job_ids=job_ids, batch_id=batch_id)

    def _remove(self) -> None:
        jobs = [j for j in self.selected_jobs() if j.state is not JobState.RUNNING]
        if not jobs:
            return
        waiting = sum(1 for j in jobs if not j.state.finished)
        if len(jobs) >= CONFIRM_AT or waiting > 1:
            files = f"{len(jobs):,} files" if len(jobs) != 1 else "1 file"
            detail = f" ({waiting:,} not uploaded yet)" if waiting else ""
            if not self._confirm(self, f"Remove {files}{detail} from the list?"):
                return
        self.job_actions.remove_jobs(jobs)

    def clear_queue(self) -> None:
        """Remove every queued file (asks first; the bar above the table can undo it)."""
        if not self._queued:
            return
        files = f"{self._queued:,} queued file{'s' if self._queued != 1 else ''}"
        if self._confirm(self, f"Remove the {files} from the queue? Nothing is uploaded."):
            self.job_actions.clear_queue()

    def _reveal(self) -> None:
        jobs = self.selected_jobs()
        if len(jobs) == 1:
            reveal_in_file_manager(jobs[0].source)

    def _copy(self) -> None:
        copy_uris(self.selected_jobs())

    # ------------------------------------------------------------- counts

    def show_counts(self, counters: Counters) -> None:
        counts = {
            "All": counters.total,
            "Queued": counters.queued,
            "Uploading": counters.uploading,
            theme.SENT_LABEL: counters.sent,
            "Uploaded": counters.done,
            "Failed": counters.failed,
            "Skipped": counters.skipped,
            "To decide": counters.waiting,
            "Needs a scope": counters.needs_scope,
        }
        for label, count in counts.items():
            text = f"{label}  {count:,}" if count else label
            chip = self.chips[label]
            if chip.text() != text:
                chip.setText(text)
        for label, count in (
            ("Needs a scope", counters.needs_scope),
            (theme.SENT_LABEL, counters.sent),
        ):
            chip = self.chips[label]  # shown while there are such jobs (or it is chosen)
            chip.setVisible(bool(count) or chip.isChecked())
        self._queued = counters.queued
        self.clear_queue_action.setEnabled(counters.queued > 0)
        self.retry_failed_button.setEnabled(counters.failed > 0)
        self.clear_button.setEnabled(counters.done + counters.skipped > 0)
