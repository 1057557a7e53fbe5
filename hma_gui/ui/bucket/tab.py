"""The *Bucket* tab: what is in S3 under a scope's bucket and prefix.

A scope picker, a filter box, the table (`BucketModel`) and a status line. The
listing comes 1,000 keys at a time (`core.s3.bucket_listing.BucketLister`): the
first page when the tab is first shown, the next ones on *Load more* or when the
table is scrolled to its end. Encryption and our MD5 need a HEAD per object:
asked only for the rows on screen, a few at a time, remembered. Every S3 request
runs on the tab's own thread pools, never on the window's thread; a result that
arrives after the scope or filter changed is dropped (`_generation`). While any
listing or HEAD task is under way the tab is busy (`busy_changed`): the window's
garbage-collection governor then puts off its full collection (a 100–400 ms pause).

The actions (Download…, Copy URI, Reveal local source, Delete…) are `BucketActions`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.config.settings import Settings
from hma_gui.core.s3.bucket_listing import (
    BucketLister,
    HeadCache,
    ListingPage,
    NameFilter,
    ObjectHead,
    local_sources,
)
from hma_gui.core.s3.client import S3Client, make_s3_client
from hma_gui.ui import icons
from hma_gui.ui.bucket.actions import BucketActions
from hma_gui.ui.bucket.model import ENCRYPTION, MD5, MODIFIED, NAME, SOURCE, BucketModel, fit_widths
from hma_gui.ui.session import Session
from hma_gui.ui.shell import fit_screen
from hma_gui.ui.tasks import run_task

HEADS_PER_TASK = 8
HEAD_THREADS = 4
FILTER_DELAY_MS = 350
DETAILS_DELAY_MS = 120
PREFETCH_ROWS = 10  # HEAD a few rows beyond the last one on screen
NARROW_HIDES = ((ENCRYPTION, 760), (MD5, 760), (SOURCE, 600), (MODIFIED, 600))  # 512 points


class ClientHolder:
    """One S3 client (and its HEAD cache) per effective settings; built off the GUI thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None
        self._client: S3Client | None = None
        self._heads: HeadCache | None = None

    def get(self, settings: Settings) -> tuple[S3Client, HeadCache]:
        with self._lock:
            if self._settings is not settings or self._client is None or self._heads is None:
                self._client = make_s3_client(settings)
                self._heads = HeadCache(self._client)
                self._settings = settings
            return self._client, self._heads

    def forget_heads(self) -> None:
        """Ask S3 again for every object's details (Refresh: they may have changed)."""
        with self._lock:
            if self._client is not None:
                self._heads = HeadCache(self._client)


class BucketTab(QWidget):
    listed = Signal(object)  # ListingPage, after its rows are shown
    details_shown = Signal(int)  # rows whose HEAD arrived
    failed = Signal(str)
    busy_changed = Signal(bool)  # a listing or details fetch is under way / all are done

    def __init__(
        self,
        session: Session,
        *,
        pick_folder: Callable[[QWidget], Path | None] | None = None,
        reveal: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.clients = ClientHolder()
        self.list_pool = QThreadPool(self)
        self.list_pool.setMaxThreadCount(1)
        self.head_pool = QThreadPool(self)
        self.head_pool.setMaxThreadCount(HEAD_THREADS)
        self._generation = 0
        self._cursor: str | None = None
        self._complete = False
        self._scanned = 0
        self._busy = False
        self._tasks = 0  # listing and HEAD tasks under way (of any generation)
        self._wanted = False  # a listing was asked for before the connection was ready
        self._loaded = False
        self._asked: set[str] = set()  # keys whose HEAD is on its way
        self.bucket = ""
        self.prefix = ""
        self.name_filter = NameFilter()
        self._listed_where: tuple[str | None, ...] = ()
        self._closed = False  # shut down: nothing more is asked of S3

        self.scope_box = QComboBox()
        self.scope_box.setToolTip("The scope whose bucket and prefix are listed")
        self.filter_edit = QLineEdit()
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter_edit.setPlaceholderText("Filter by name (csv/2024/ lists that folder)")
        self.refresh_button = QPushButton(icons.icon("retry"), "Refresh")
        self.refresh_button.setToolTip("List again, and read the details of what is shown again")
        self.location = QLabel()
        self.location.setProperty("role", "muted")
        top = QHBoxLayout()
        top.addWidget(QLabel("Scope"))
        top.addWidget(self.scope_box)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.refresh_button)

        self.model = BucketModel()
        self.view = QTableView()
        self.view.setObjectName("bucketTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(NAME, 360)
        fit_widths(self.view)
        header.setSortIndicator(NAME, Qt.SortOrder.AscendingOrder)  # S3's own listing order
        self.view.setSortingEnabled(True)  # the objects listed so far; pages join the order
        fit_screen.hide_columns_when_narrow(self.view, NARROW_HIDES)

        self.status = fit_screen.WrapLabel()
        self.status.setObjectName("bucketStatus")
        self.more_button = QPushButton("Load more")
        self.more_button.setToolTip("List the next 1,000 objects")
        self.commands = BucketActions(self, pick_folder=pick_folder, reveal=reveal)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        buttons = (self.more_button, *self.commands.buttons, self.commands.stop_button)
        bottom.addWidget(fit_screen.wrap_row(*buttons, align_right=True, keep_lines=True))
        fit_screen.stack_when_narrow(self, bottom, 700)  # the status above them

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.location)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

        self._filter_timer = _single_shot(self, FILTER_DELAY_MS, self.reload)
        self._details_timer = _single_shot(self, DETAILS_DELAY_MS, self.request_visible_details)
        self.filter_edit.textChanged.connect(lambda _text: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self.reload)
        self.scope_box.currentIndexChanged.connect(lambda _index: self.reload())
        self.refresh_button.clicked.connect(self.refresh)
        self.more_button.clicked.connect(self.fetch_more)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        session.ready.connect(self._on_ready)
        session.settings_changed.connect(self.set_settings)
        self.set_settings(session.settings)

    # ------------------------------------------------------------- settings

    def set_settings(self, settings: Settings) -> None:
        """New scopes, buckets or the delete opt-in; lists again if the place changed."""
        current = self.scope_box.currentText()
        names = sorted(settings.scopes)
        self.scope_box.blockSignals(True)
        self.scope_box.clear()
        self.scope_box.addItems(names)
        if current in names:
            self.scope_box.setCurrentText(current)
        self.scope_box.blockSignals(False)
        self.commands.set_delete_allowed(settings.bucket_allow_delete)
        if self._loaded and self._where(settings) != self._listed_where:
            self.reload()

    def _place(self, settings: Settings) -> tuple[str, str]:
        scope = settings.scopes.get(self.scope_box.currentText())
        return (scope.bucket, scope.prefix) if scope else ("", "")

    def _where(self, settings: Settings) -> tuple[str | None, ...]:
        """What decides what a listing shows: the place, and the endpoint and account."""
        return (*self._place(settings), settings.effective_endpoint(), settings.aws_profile)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def _on_ready(self) -> None:
        if self._wanted:
            self.reload()

    # ------------------------------------------------------------- listing

    def refresh(self) -> None:
        """Refresh: list again, and HEAD again what is shown (objects may have changed)."""
        self.clients.forget_heads()
        self.reload()

    def reload(self) -> None:
        """List the chosen scope from its start, with the filter as it is now."""
        if self._closed:
            return
        self._filter_timer.stop()
        self._generation += 1
        self._loaded = True
        self._busy = False
        self._cursor, self._complete, self._scanned = None, False, 0
        self._asked.clear()
        self.model.clear()
        self.bucket, self.prefix = self._place(self.session.settings)
        self._listed_where = self._where(self.session.settings)
        self.name_filter = NameFilter.parse(self.filter_edit.text())
        where = f"s3://{self.bucket}/{self.name_filter.list_prefix(self.prefix)}"
        self.location.setText(where if self.bucket else "")
        self.commands.update_buttons()
        if not self.bucket:
            self.show_status("No scope is configured: add one in Settings → Destinations.")
            self._complete = True
            return
        self.fetch_more()

    def fetch_more(self) -> None:
        """The next 1,000 (matching) objects, in the background."""
        if self._busy or self._complete or not self.bucket or self._closed:
            return
        if not self.session.is_ready:
            self._wanted = True
            self.show_status("Waiting for the S3 connection…")
            return
        self._wanted = False
        self._busy = True
        self.more_button.setEnabled(False)
        generation, settings, store = self._generation, self.session.settings, self.session.store
        bucket, prefix, name_filter, after = (
            self.bucket,
            self.prefix,
            self.name_filter,
            self._cursor,
        )
        self.show_status(f"Listing s3://{bucket}/{name_filter.list_prefix(prefix)}…")

        def fetch() -> tuple[ListingPage, dict[str, str]]:
            client, _heads = self.clients.get(settings)
            page = BucketLister(client).fetch(bucket, prefix, name_filter, after=after)
            return page, local_sources(store, bucket, [o.key for o in page.objects])

        self._task_started()
        run_task(
            self.list_pool,
            fetch,
            lambda result: self._task_done(self._listed, generation, *result),
            lambda exc: self._task_done(self._list_failed, generation, exc),
        )

    @property
    def busy(self) -> bool:
        return self._tasks > 0

    def _task_started(self) -> None:
        self._tasks += 1
        if self._tasks == 1:
            self.busy_changed.emit(True)

    def _task_done(self, then: Callable[..., None], *args: object) -> None:
        try:
            then(*args)
        finally:
            if self._tasks > 0:  # 0: answered after `shutdown`
                self._tasks -= 1
                if self._tasks == 0:
                    self.busy_changed.emit(False)

    def _listed(self, generation: int, page: ListingPage, sources: dict[str, str]) -> None:
        if generation != self._generation:
            return  # the scope or the filter changed meanwhile
        self._busy = False
        self._cursor, self._complete = page.cursor, page.complete
        self._scanned += page.scanned
        self.model.append(page.objects, sources)
        self.show_status(self.describe())
        self.more_button.setEnabled(not self._complete)
        if sources:
            self.view.resizeColumnToContents(SOURCE)
        self._details_timer.start()
        self.listed.emit(page)

    def _list_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._busy = False
        self.more_button.setEnabled(not self._complete)
        where = f"s3://{self.bucket}/{self.name_filter.list_prefix(self.prefix)}"
        message = f"Cannot list {where}: {exc}"
        self.show_status(message, error=True)
        self.failed.emit(message)

    def describe(self) -> str:
        """The status line: how many rows, whether the bucket holds more."""
        shown = self.model.rowCount()
        more = not self._complete
        if self.name_filter.needle:
            matches = f"{shown:,} match{'es' if shown != 1 else ''}"
            text = f"{matches} in {self._scanned:,} objects looked at"
            return text + (" · more to look at: scroll or Load more" if more else " (all)")
        if more:
            return f"{shown:,} of many… scroll or Load more for the next 1,000"
        return f"{shown:,} objects" if shown != 1 else "1 object"

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "muted")
        self.status.setObjectName("errorText" if error else "bucketStatus")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def is_error_shown(self) -> bool:
        return self.status.objectName() == "errorText"

    def _scrolled(self, value: int) -> None:
        self._details_timer.start()
        bar = self.view.verticalScrollBar()
        if value >= bar.maximum() - 2 and bar.maximum() > 0:
            self.fetch_more()

    # ------------------------------------------------------------- details

    def visible_rows(self) -> tuple[int, int]:
        """The first and last row on screen (-1, -1 with none)."""
        rows = self.model.rowCount()
        if not rows:
            return -1, -1
        first = max(0, self.view.rowAt(0))
        last = self.view.rowAt(self.view.viewport().height() - 1)
        return first, rows - 1 if last < 0 else last

    def request_visible_details(self) -> None:
        """HEAD the rows on screen (and a few after) that have no details yet."""
        first, last = self.visible_rows()
        if first < 0 or self._closed:
            return
        keys = [
            k
            for k in self.model.missing_details(first, last + PREFETCH_ROWS)
            if k not in self._asked
        ]
        if not keys:
            return
        self._asked.update(keys)
        generation, settings, bucket = self._generation, self.session.settings, self.bucket
        for start in range(0, len(keys), HEADS_PER_TASK):
            chunk = keys[start : start + HEADS_PER_TASK]

            def fetch(chunk: list[str] = chunk) -> tuple[dict[str, ObjectHead], dict[str, str]]:
                _client, heads = self.clients.get(settings)
                found: dict[str, ObjectHead] = {}
                errors: dict[str, str] = {}
                for key in chunk:
                    try:
                        found[key] = heads.get(bucket, key)
                    except Exception as exc:  # noqa: BLE001 - shown on the row
                        errors[key] = str(exc)
                return found, errors

            self._task_started()
            run_task(
                self.head_pool,
                fetch,
                functools.partial(self._task_done, self._heads_arrived, generation),
                functools.partial(self._task_done, self._heads_failed, generation),
            )

    def _heads_arrived(
        self, generation: int, result: tuple[dict[str, ObjectHead], dict[str, str]]
    ) -> None:
        if generation != self._generation:
            return
        heads, errors = result
        self.model.set_heads(heads, errors)
        if errors:
            self.show_status(
                f"Some details cannot be read: {next(iter(errors.values()))}", error=True
            )
        self.details_shown.emit(len(heads) + len(errors))

    def _heads_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:  # no client (the per-key errors are caught)
            self.show_status(f"Details cannot be read: {exc}", error=True)

    # ------------------------------------------------------------- close

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Stop asking S3 and wait for what is under way; later answers are dropped."""
        self._closed = True
        self._generation += 1
        self._filter_timer.stop()
        self._details_timer.stop()
        self.commands.shutdown(timeout_ms)
        self.list_pool.waitForDone(timeout_ms)
        self.head_pool.waitForDone(timeout_ms)
        if self._tasks:  # their answers, still queued for this thread, change nothing now
            self._tasks = 0
            self.busy_changed.emit(False)


def _single_shot(parent: QWidget, interval: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval)
    timer.timeout.connect(slot)
    return timer


def install(tabs: QTabWidget, session: Session, *, before: QWidget) -> BucketTab:
    """Put a Bucket tab into `tabs` before the tab `before` (the window's one line)."""
    tab = BucketTab(session)
    tabs.insertTab(tabs.indexOf(before), tab, icons.icon("upload-cloud"), "Bucket")
    return tab
