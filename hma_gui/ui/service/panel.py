"""The *Service* tab: the shared queue seen from this desktop.

Counters (queued, in flight, processed, failed, dead-lettered), the dead letters
with their reasons and a *Redrive* button, the workers seen recently, and the
jobs this desktop sent with their outcome. A look costs network requests, so it
runs on the tab's own one-thread pool every few seconds while the tab is shown,
never on the window's thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QThreadPool, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.config.settings import Settings
from hma_gui.core.queue.snapshot import QueueSnapshot, SharedQueueClient
from hma_gui.ui.tasks import run_task

REFRESH_MS = 5000


def _table(headers: Sequence[str]) -> tuple[QTableView, QStandardItemModel]:
    model = QStandardItemModel(0, len(headers))
    model.setHorizontalHeaderLabels(list(headers))
    view = QTableView()
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view, model


def _fill(model: QStandardItemModel, rows: Sequence[Sequence[object]]) -> None:
    model.removeRows(0, model.rowCount())
    for row in rows:
        items = []
        for value in row:
            item = QStandardItem("" if value is None else str(value))
            item.setToolTip(item.text())
            items.append(item)
        model.appendRow(items)


class ServicePanel(QWidget):
    refreshed = Signal(object)  # QueueSnapshot, after it is shown
    failed = Signal(str)

    def __init__(
        self, client: SharedQueueClient, settings: Settings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._settings = settings
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._busy = False

        self.counters = QLabel()
        self.counters.setObjectName("serviceCounters")
        self.counters.setWordWrap(True)
        self.redrive_button = QPushButton("Redrive")
        self.redrive_button.setToolTip("Put every dead-lettered job back on the queue")
        self.redrive_button.clicked.connect(self.redrive)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.counters, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.redrive_button)

        self.dead_view, self.dead = _table(("File", "Target", "Reason", "Receives"))
        self.workers_view, self.workers = _table(("Worker", "Last seen", "Processed", "Failed"))
        self.sent_view, self.sent = _table(("File", "Target", "Outcome", "Reason"))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        self._queue_widgets: list[QWidget] = []  # shown only with a shared queue
        for title, view in (
            ("Dead letters (failed too often; fix the reason, then Redrive)", self.dead_view),
            ("Workers seen recently", self.workers_view),
            ("Jobs this desktop sent", self.sent_view),
        ):
            label = QLabel(title)
            label.setProperty("role", "muted")
            layout.addWidget(label)
            layout.addWidget(view, 1)
            self._queue_widgets += [label, view]
        layout.addStretch(0)  # without a queue the message stays at the top

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._show_local()

    # ------------------------------------------------------------- settings

    def set_settings(self, settings: Settings) -> None:
        self._settings = settings
        self._show_local()
        self.refresh()

    def _show_local(self) -> bool:
        local = not self._client.wants(self._settings)
        if local:
            self.counters.setText(
                "No shared queue: this window uploads what you drop. "
                "Set one in Settings → Shared queue."
            )
        self.redrive_button.setEnabled(not local)
        self.refresh_button.setEnabled(not local)
        for widget in self._queue_widgets:  # no empty tables of a queue there is not
            widget.setVisible(not local)
        return local

    # ------------------------------------------------------------- refresh

    def _tick(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if self._busy or self._show_local():
            return
        self._busy = True
        settings = self._settings
        run_task(self._pool, lambda: self._client.snapshot(settings), self._shown, self._failed)

    def redrive(self) -> None:
        if self._show_local():
            return
        settings = self._settings
        self.redrive_button.setEnabled(False)
        run_task(self._pool, lambda: self._client.redrive(settings), self._redriven, self._failed)

    def _redriven(self, moved: int) -> None:
        self.redrive_button.setEnabled(True)
        self.counters.setText(f"{moved} dead-lettered jobs put back on the queue")
        self.refresh()

    def _shown(self, snapshot: QueueSnapshot) -> None:
        self._busy = False
        c = snapshot.counters
        self.counters.setText(
            f"{snapshot.queue}: {c.queued:,} queued · {c.in_flight:,} in flight · "
            f"{c.processed:,} processed · {c.failed:,} failed · {c.dead_lettered:,} dead-lettered"
        )
        _fill(
            self.dead,
            [(d.source, d.uri, d.reason, d.receive_count or "") for d in snapshot.dead_letters],
        )
        now = time.time()
        _fill(
            self.workers,
            [
                (w.worker, "stopped" if w.stopped else f"{now - w.last_seen:.0f} s ago",
                 w.processed, w.failed)
                for w in snapshot.workers
            ],
        )  # fmt: skip
        _fill(
            self.sent,
            [(j.message.source, j.message.uri, j.state, j.error) for j in snapshot.sent],
        )
        self.refreshed.emit(snapshot)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.redrive_button.setEnabled(True)
        self.counters.setText(f"The shared queue cannot be read: {exc}")
        self.failed.emit(str(exc))

    def shutdown(self) -> None:
        self._timer.stop()
        self._pool.waitForDone(10_000)
