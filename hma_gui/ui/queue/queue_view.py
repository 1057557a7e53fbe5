"""The upload queue's view wired to a `Session`: the one wiring the window and the tests use.

`QueueView` builds the jobs model, its table, the job actions and the live
feed, and connects them to the session: snapshots into the model, new jobs from
the intake wake the queue, retried jobs start it, removed jobs reload the feed.
`MainWindow` builds one; so do the GUI tests' harness (without the rest of the
window), so that they exercise this wiring rather than a copy of it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from hma_gui.ui.queue.job_actions import JobActions
from hma_gui.ui.queue.job_model import JobTableModel
from hma_gui.ui.queue.job_table import JobTable
from hma_gui.ui.queue.live_feed import INTERVAL_MS, FeedSnapshot, LiveFeed
from hma_gui.ui.session import Session


class QueueView:
    def __init__(
        self,
        session: Session,
        *,
        start_queue: Callable[[], None] | None = None,  # the window clears its banners first
        parent: QObject | None = None,
        interval_ms: int = INTERVAL_MS,
    ) -> None:
        self.session = session
        self.model = JobTableModel(parent)
        self.job_actions = JobActions(session.store, session.pools)
        self.feed = LiveFeed(
            session.store, session.progress, session.pools.feed, parent, interval_ms=interval_ms
        )
        self.table = JobTable(self.model, self.job_actions, settings=lambda: session.settings)
        start = start_queue or session.queue.start
        self.feed.snapshot.connect(self.apply_snapshot)
        session.intake.enqueued.connect(lambda _n: session.queue.kick())
        self.job_actions.queued_again.connect(lambda _n: start())
        self.job_actions.removed.connect(lambda _n: self.feed.reload())

    def apply_snapshot(self, snapshot: FeedSnapshot) -> None:
        if snapshot.full:
            self.model.reset_jobs(snapshot.changed)
        else:
            self.model.queue_changes(snapshot.changed)
            self.model.maybe_resort()
        self.model.set_inflight(snapshot.inflight)
