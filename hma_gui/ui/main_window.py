"""The main window: header, drop zone, counters, the uploads and log tabs.

It wires the parts together and holds no upload logic itself: the `Session`
owns the store, the queue and the intake; the `LiveFeed` brings the store's
changes to the table and the counters on a timer.

Where later features plug in:

* ``self.tabs`` — the Uploads and Log tabs; the Duplicates tab goes at index 1
  (`duplicates_tab.install`), the ETL tab is after it (`_build_etl`);
* ``self.header_actions`` — buttons in the header (the Run ETL button);
* ``self.counters.add_tile`` — more counters (duplicates); the queue's buttons are
  ``self.queue_controls``;
* ``self.add_paths`` — what a drop, the Add buttons or a watched folder call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hma_gui import APP_NAME
from hma_gui.core.config.settings import Settings
from hma_gui.core.etl.pipeline import EtlOptions
from hma_gui.core.etl.results import RunResult
from hma_gui.core.logging_setup import MemoryLogHandler, redact
from hma_gui.ui import icons
from hma_gui.ui.bucket import tab as bucket_tab
from hma_gui.ui.duplicates import tab as duplicates_tab
from hma_gui.ui.duplicates.flow import DuplicateFlow
from hma_gui.ui.etl.model import summarize
from hma_gui.ui.etl.panel import EtlPanel
from hma_gui.ui.etl.service import EtlService
from hma_gui.ui.gc_policy import IDLE_CHECK_MS, GcGovernor
from hma_gui.ui.queue.controls import QueueControls
from hma_gui.ui.queue.counters_panel import CountersPanel
from hma_gui.ui.queue.drop_zone import DropZone, UploadOptions, WindowDrops
from hma_gui.ui.queue.intake import IntakeSummary
from hma_gui.ui.queue.last_session import deal_with_last_session
from hma_gui.ui.queue.live_feed import FeedSnapshot
from hma_gui.ui.queue.queue_view import QueueView
from hma_gui.ui.queue.resume_gate import ResumeGate
from hma_gui.ui.queue.scope_choice import needs_scope_message
from hma_gui.ui.queue.upload_queue import QueueMode
from hma_gui.ui.service.panel import ServicePanel
from hma_gui.ui.session import Session
from hma_gui.ui.settings.dialog import SettingsDialog
from hma_gui.ui.shell import fit_screen, folds, window_state
from hma_gui.ui.shell.banner import Banner
from hma_gui.ui.shell.endpoint_banners import EndpointBanners
from hma_gui.ui.shell.header_bar import HeaderBar
from hma_gui.ui.shell.log_panel import LogPanel
from hma_gui.ui.shell.menu_bar import MenuBar, WindowCommands
from hma_gui.ui.shell.tray import Tray
from hma_gui.ui.watch.panel import WatchPanel
from hma_gui.ui.watch.service import WatchService

logger = logging.getLogger(__name__)


class MainWindow(WindowDrops, QMainWindow):
    def __init__(self, session: Session, log_handler: MemoryLogHandler | None = None) -> None:
        super().__init__()
        self.session = session
        self._closed = False
        self._quitting = False
        # Qt appends " — <application display name>" to a title that is not the name itself.
        self.setWindowTitle("Sandbox" if session.sandboxed else APP_NAME)
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.setMinimumSize(320, 240)  # below the content's size the scroll area scrolls

        self.queue_view = QueueView(session, start_queue=lambda: self.start_queue(), parent=self)
        self.model = self.queue_view.model
        self.job_actions = self.queue_view.job_actions
        self.feed = self.queue_view.feed
        self.table = self.queue_view.table
        self.last_snapshot: FeedSnapshot | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.tray = Tray(icons.app_icon(), self)
        self.gc_governor = GcGovernor(self._busy_for_gc)
        self._gc_timer = QTimer(self)
        self._gc_timer.setInterval(IDLE_CHECK_MS)
        self._gc_timer.timeout.connect(self.gc_governor.tick)

        central = window_state.scrolling_central(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(12)
        self.header = HeaderBar(session.sandboxed)
        self.header.settings_button.clicked.connect(self.open_settings)
        self.header_actions = self.header.actions_layout  # later features add buttons here
        self.connection_label = self.header.connection_label
        self.sandbox_badge = self.header.sandbox_badge
        layout.addWidget(self.header)
        self.banner = Banner()
        layout.addWidget(self.banner)

        self.drop_zone = DropZone()
        self.options = UploadOptions(session.settings)
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.drop_zone, 3)
        top.addWidget(self.options, 2)
        layout.addLayout(top)

        self.counters = CountersPanel()
        self.resume_gate = ResumeGate(
            session.queue, session.store, session.pools.store, lambda: session.settings, parent=self
        )
        self.queue_controls = QueueControls(
            session.queue, self.counters, self.banner, self, self.resume_gate
        )
        self.queue_controls.show_bwlimit(int(session.settings.bwlimit))
        self.queue_controls.remember_with(session.update_settings)  # Parallel survives restarts
        self.endpoint_banners = EndpointBanners(
            session, self.banner, self.resume_gate, self.job_actions, self.start_queue, self
        )
        layout.addWidget(self.counters)

        self.log_panel = LogPanel(log_handler or MemoryLogHandler())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.table, icons.icon("list"), "Uploads")
        self.tabs.addTab(self.log_panel, icons.icon("log"), "Log")
        self.duplicates = DuplicateFlow(
            session, self.banner, start_queue=self.start_queue, parent=self
        )  # the check of drops and watched folders, the review
        self.watch_service = WatchService(
            session.store,
            self,
            check=self.duplicates.watch_connection,
            cache=session.hash_cache,
            update_settings=session.update_settings,
        )
        self.watch_panel = WatchPanel(self.watch_service, sorted(session.settings.scopes))
        self.tabs.insertTab(
            self.tabs.indexOf(self.log_panel),
            self.watch_panel,
            icons.icon("folder-open"),
            "Watched folders",
        )
        self._build_etl()
        self.service_panel = ServicePanel(self.session.shared_queue, self.session.settings)
        service_page = folds.scrolled(self.service_panel)  # a tall page: it scrolls
        self.add_tab(service_page, "Service", self.tabs.indexOf(self.etl_panel))
        self.bucket_tab = bucket_tab.install(self.tabs, session, before=service_page)
        duplicates_tab.install(self.tabs, 1, self.counters, self.duplicates)
        fit_screen.width_of_shown_tab(self.tabs)  # a wide hidden page does not widen it
        layout.addWidget(self.tabs, 1)

        self.scan_label = QLabel()
        self.store_label = QLabel(f"Job store: {session.store.path}")
        self.store_label.setProperty("role", "muted")
        self.statusBar().addWidget(self.scan_label, 1)
        self.statusBar().addPermanentWidget(self.header.small_badge)  # a very short window
        self.statusBar().addPermanentWidget(self.store_label)
        self.statusBar().setSizeGripEnabled(False)

        self._build_shortcuts()
        self._connect()
        self.folds = folds.install(
            self, self.centralWidget(), self.menus.view_menu,
            self.drop_zone, self.drop_zone.fold_button, self.options, self.counters, self.header,
        )  # fmt: skip
        self.folds.restore(window_state.restore(self, self.table.view.horizontalHeader()))
        window_state.fit_to_screen(self)
        self._show_connection()

    # ------------------------------------------------------------- layout

    def _build_shortcuts(self) -> None:
        """The menu bar holds every shortcut (File, Queue, View, Help)."""
        self.menus = MenuBar(
            self,
            self.tabs,
            WindowCommands(
                add_files=self.drop_zone.add_files_button.click,
                add_folder=self.drop_zone.add_folder_button.click,
                settings=self.open_settings,
                quit=self.quit,
                start=self.start_queue,
                pause=self.toggle_pause,
                cancel=self.session.queue.cancel,
                retry_failed=self.job_actions.retry_failed,
                clear_finished=self.job_actions.clear_finished,
                clear_queue=self.table.clear_queue,
                review_duplicates=self.duplicates.open_review,
                run_etl=self.run_etl,
                find=self._focus_search,
            ),
        )

    def _build_etl(self) -> None:
        """The ETL tab and the header's Run ETL button (Ctrl+E), both disabled during a run."""
        self.etl = EtlService(self.session, self)
        self.etl_panel = EtlPanel(self.etl)
        self.tabs.setTabIcon(self.add_tab(self.etl_panel, "ETL"), icons.icon("database"))
        self.etl_button = QPushButton(icons.icon("database"), "Run ETL")
        self.etl_button.setToolTip("Load the new MBA CSV files from S3 into the database (Ctrl+E)")
        self.header_actions.addWidget(self.etl_button)
        self.etl_button.clicked.connect(self.run_etl)
        self.etl.can_run_changed.connect(self.etl_button.setEnabled)
        self.etl.busy_changed.connect(self._on_etl_busy)
        self.etl.run_failed.connect(self._on_etl_failed)
        self.etl.run_finished.connect(self._on_etl_finished)
        self.etl_button.setEnabled(self.etl.can_run)

    def run_etl(self) -> None:
        """One click: show the ETL tab and run with the default options."""
        self.tabs.setCurrentWidget(self.etl_panel)
        self.etl.run(EtlOptions())

    def _on_etl_busy(self, busy: bool) -> None:
        if busy:
            self.banner.clear("etl")

    def _on_etl_failed(self, message: str) -> None:
        self.banner.show_message(
            "error", f"ETL: {redact(message)}", [("Retry", self.run_etl)], topic="etl"
        )

    def _on_etl_finished(self, result: RunResult) -> None:
        self.statusBar().showMessage(f"ETL: {summarize(result)[1]}", 15_000)

    def add_tab(self, widget: QWidget, title: str, index: int = -1) -> int:
        """Add a tab (Duplicates, ETL); -1 appends before the Log tab."""
        if index < 0:
            index = self.tabs.indexOf(self.log_panel)
        return self.tabs.insertTab(index, widget, title)

    # ------------------------------------------------------------- wiring

    def _connect(self) -> None:
        session, queue, intake = self.session, self.session.queue, self.session.intake
        self.drop_zone.paths_dropped.connect(self.add_paths)
        self.feed.snapshot.connect(self._on_snapshot)
        intake.busy_changed.connect(self._on_scan_busy)
        self.bucket_tab.busy_changed.connect(lambda on: self.gc_governor.set_busy("bucket", on))
        intake.progress.connect(self._on_scan_progress)
        intake.finished.connect(self._on_scan_finished)
        queue.mode_changed.connect(lambda mode: self.tray.set_paused(mode is QueueMode.PAUSED))
        session.ready.connect(self._on_ready)
        session.start_failed.connect(self._on_start_failed)
        session.settings_changed.connect(self._on_settings_changed)
        session.settings_changed.connect(self.service_panel.set_settings)
        self.log_panel.problems.connect(self._show_problem_count)
        self.watch_service.enqueued.connect(self._on_watch_enqueued)
        self.watch_service.reviewed.connect(self.duplicates.add_findings)
        self.duplicates.status.connect(self.statusBar().showMessage)
        self.duplicates.scan_status.connect(self.scan_label.setText)
        self.watch_panel.settings_changed.connect(self._watch_list_saved)
        self.watch_panel.problem.connect(
            lambda message: self.banner.show_message("error", message, topic="watch")
        )
        self.tray.show_requested.connect(self.show_from_tray)
        self.tray.quit_requested.connect(self.quit)
        self.tray.pause_toggled.connect(self.toggle_pause)

    def start(self) -> None:
        """After `show()`: connect, start the feed, and deal with last time's jobs."""
        self.feed.start()
        self.gc_governor.install()
        self._gc_timer.start()
        self.session.start()
        self.watch_service.apply(self.session.settings)
        if self.session.sandboxed and not self.session.is_ready:
            self.banner.show_message("info", "Starting the sandbox S3 endpoint…", topic="connect")
        deal_with_last_session(
            self.session, self.banner, self.start_queue, self.statusBar().showMessage
        )

    # ------------------------------------------------------------- actions

    def add_paths(self, paths: Sequence[str | Path]) -> None:
        """Scan `paths` in the background and queue what they hold."""
        settings = self.session.settings
        options = self.options.plan_options(settings)
        self.session.intake.submit(list(paths), settings, options, self.duplicates.checker)
        if self.session.queue.mode is QueueMode.STOPPED:
            self.start_queue()

    def _busy_for_gc(self) -> bool:
        """A full garbage collection would be felt: a drop is scanned or files upload
        (the Bucket tab's listing tells the governor itself: `busy_changed`)."""
        return self.session.intake.busy or self.session.queue.active_workers > 0

    def _on_watch_enqueued(self, count: int) -> None:
        logger.info("watched folders: %d file(s) queued", count)
        if self.session.queue.mode is QueueMode.STOPPED:
            self.start_queue()
        else:
            self.session.queue.kick()

    def _watch_list_saved(self, _settings: Settings) -> None:
        # the session has the new list already (WatchService saves through update_settings)
        self.statusBar().showMessage("Watched folders saved", 5000)

    def start_queue(self) -> None:
        self.queue_controls.start()

    def toggle_pause(self) -> None:
        self.queue_controls.toggle_pause()

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.session.base_settings, self)
        dialog.saved.connect(self._settings_saved)
        dialog.open()
        self.settings_dialog = dialog

    def _settings_saved(self, settings: Settings) -> None:
        self.queue_controls.set_default_concurrency(settings.concurrency)
        self.session.apply_settings(settings)
        self.statusBar().showMessage("Settings saved", 5000)

    def _focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.table)
        self.table.search.setFocus()
        self.table.search.selectAll()

    # ------------------------------------------------------------- feedback

    def _on_snapshot(self, snapshot: FeedSnapshot) -> None:
        """What the window adds to the queue view's own handling of a snapshot."""
        self.last_snapshot = snapshot
        self.counters.show_snapshot(snapshot)
        self.tray.observe(snapshot.counters)
        self.table.show_counts(snapshot.counters)
        self.queue_controls.show_counters(snapshot.counters)

    def _on_ready(self) -> None:
        self.banner.clear("connect")
        self._show_connection()

    def _on_start_failed(self, message: str) -> None:
        what = "start the sandbox" if self.session.sandboxed else "connect to S3"
        self.banner.show_message(
            "error",
            f"Cannot {what}: {redact(message)}",
            [("Settings…", self.open_settings)],
            topic="connect",
        )

    def _on_settings_changed(self, settings: Settings) -> None:
        self.options.set_settings(settings)
        self.watch_panel.scopes = sorted(settings.scopes)
        self.watch_service.apply(settings)
        self._show_connection()

    def _show_connection(self) -> None:
        self.header.set_connection(self.session.connection().describe())

    def _on_scan_busy(self, busy: bool) -> None:
        self.scan_label.setText("Scanning…" if busy else "")

    def _on_scan_progress(self, files: int) -> None:
        self.scan_label.setText(f"Scanning… {files:,} files found")

    def _on_scan_finished(self, summary: IntakeSummary) -> None:
        self.statusBar().showMessage(summary.describe(), 10_000)
        if summary.needs_scope:  # asked at drop time; the table's Set scope… asks later
            count, batch = summary.needs_scope, summary.batch_id
            scopes = sorted(self.session.settings.scopes)
            self.banner.show_message(
                "warning",
                needs_scope_message(count, scopes),
                [
                    ("Set scope…", lambda: self.table.ask_scope_for(count, batch_id=batch)),
                    ("Later", lambda: None),
                ],
                topic="scope",
            )

    def _show_problem_count(self, count: int) -> None:
        index = self.tabs.indexOf(self.log_panel)
        self.tabs.setTabText(index, f"Log  ({count})" if count else "Log")

    # ------------------------------------------------------------- geometry & close

    @property
    def keeps_running_in_tray(self) -> bool:
        return bool(self.session.settings.keep_in_tray and self.tray.available)

    def _stop_gc_governor(self) -> None:
        """The governor's callback is process-wide: a closed window must not leave it behind."""
        self._gc_timer.stop()
        self.gc_governor.uninstall()

    def show_from_tray(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def quit(self) -> None:
        """Close for good, even when the window would otherwise go to the tray."""
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keeps_running_in_tray and not self._quitting:
            event.ignore()
            self.hide()
            logger.info("window hidden; still running in the tray")
            return
        if not self._closed:
            self._closed = True
            window_state.save(self, self.table.view.horizontalHeader(), self.folds.chosen())
            self.hide()
            self.tray.hide()
            self.duplicates.close()
            self.watch_service.stop()
            self.etl.shutdown()
            self.service_panel.shutdown()
            self.bucket_tab.shutdown()
            self.feed.stop()
            self.log_panel.stop()
            self._stop_gc_governor()
            self.session.close()
        event.accept()
