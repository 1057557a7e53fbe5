"""Duplicates in the window: the check before a drop is queued, the review, the tab's content.

Wiring only; the duplicate logic is the core's (`screen_jobs`, through `DropCheck`,
`WatchDuplicateCheck` and `recheck_waiting`):

* **Drops** — `checker` (a `DropChecker`) is the screen the window hands the
  intake with each drop: each drop is checked on the scan thread before it is
  enqueued, decided by the ``on_duplicate`` policy (skipped with the reason,
  retargeted for "keep both"). With ``ask`` and something to decide, the files
  in question wait as ``waiting`` jobs, the others upload at once, and the
  review dialog opens, non-modal: more drops go on meanwhile and their reviews
  wait in line behind it. Applying writes the decisions onto the waiting jobs
  (`update_stored_jobs`).
* **S3 cannot be listed** — as the CLI: nothing of that drop is queued; the
  banner gives the reason, **Upload without the check** and **Check again**
  (only **Check again** when the credentials were refused or missing: the
  upload would fail alike).
* **Watched folders** — the window's `WatchService` checks with
  `watch_connection` (it never asks: ``ask`` means skip there); what it finds
  comes to `add_findings` and is listed like a drop's findings.
* **Left waiting last time** — at start, files that still wait for a decision
  are checked again (`recheck_waiting`): what S3 settled meanwhile is settled,
  the rest is back in the tab with a bar offering the review.
* **Tab and tiles** — the recent findings (`panel`, which the window puts in
  its Duplicates tab) and `counts_changed`: files skipped as duplicates this
  session, and files to decide (waiting, or conflicts left un-uploaded).

What it needs comes in when it is built: the session (store, pools, settings,
queue, intake), the banner, a way to start the queue and a parent for the
dialog; what it tells the window goes out as signals (`status`, `scan_status`,
`counts_changed`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from hma_gui.core.config.settings import Settings
from hma_gui.core.duplicates.connection import CheckConnection
from hma_gui.core.duplicates.drop_check import CheckFailure
from hma_gui.core.duplicates.stored_decisions import (
    StoredUpdate,
    WaitingBatch,
    recheck_waiting,
    update_stored_jobs,
)
from hma_gui.core.duplicates.summary import Findings, FindingsState
from hma_gui.core.errors import Cancelled, ConfigError
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client
from hma_gui.ui.duplicates.drop_screen import DropChecker
from hma_gui.ui.duplicates.panel import DuplicatesPanel
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.duplicates.views import SavePathChooser, ask_save_path, export_path, write_report
from hma_gui.ui.queue.intake import IntakeSummary
from hma_gui.ui.queue.upload_queue import QueueMode
from hma_gui.ui.session import Session
from hma_gui.ui.shell.banner import Banner
from hma_gui.ui.tasks import run_task

logger = logging.getLogger(__name__)

RECENT = 12  # findings kept for the tab (those waiting for a decision always are)


class DuplicateFlow(QObject):
    dialog_opened = Signal(object)  # DuplicateReviewDialog
    decisions_applied = Signal(object)  # StoredUpdate
    counts_changed = Signal(int, int)  # skipped as duplicates this session, to decide
    status = Signal(str, int)  # a status-bar message, and how long it shows (ms)
    scan_status = Signal(str)  # the check's progress, for the scan label

    def __init__(
        self,
        session: Session,
        banner: Banner,
        *,
        start_queue: Callable[[], None],
        parent: QWidget,
        choose_path: SavePathChooser = ask_save_path,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.banner = banner
        self._start_queue = start_queue
        self._parent = parent
        self.connection = CheckConnection()
        self.checker = DropChecker(self.connection, session.hash_cache, session.store)
        self.choose_path = choose_path
        self.recent: list[Findings] = []
        self.failures: list[CheckFailure] = []
        self.dialog: DuplicateReviewDialog | None = None
        self._queue: list[Findings] = []
        self._snapshot: tuple[dict[str, Any], dict[str, str]] | None = None
        self._closing = CancelToken()  # stops a check of last time's waiting files
        self.checker.progress.connect(self._show_progress)
        self.panel = DuplicatesPanel()

        session.intake.finished.connect(self._intake_finished)
        session.ready.connect(lambda: self.connection.set(session.settings))
        session.ready.connect(self.recheck_waiting)  # decisions left open last time
        session.settings_changed.connect(self._settings_changed)
        if not session.sandboxed:
            self.connection.set(session.settings)
        self.panel.set_policy(session.settings.on_duplicate, session.settings.check_s3)
        self.panel.policy_changed.connect(self.save_policy)
        self.panel.review_requested.connect(self.open_review)
        self.panel.export_requested.connect(self.export)

    def watch_connection(self) -> tuple[Settings, S3Client]:
        """The settings and client the watched folders' check uses (the watcher's thread)."""
        return self.connection.get(None)

    def close(self) -> None:
        self._closing.cancel("the window is closing")
        self.connection.close()
        if self.dialog is not None:
            self.dialog.close()

    def _show_progress(self, done: int, total: int | None, message: str) -> None:
        count = f" {done:,} of {total:,}" if total else ""
        self.scan_status.emit(f"Checking for duplicates: {message}{count}…")

    # ------------------------------------------------------------- outcomes (main thread)

    def _intake_finished(self, summary: IntakeSummary) -> None:
        label = "drop: " + ", ".join(Path(p).name for p in summary.paths[:3])
        if len(summary.paths) > 3:
            label += f" and {len(summary.paths) - 3} more"
        self._take_outcome(summary.batch_id, label)

    def _take_outcome(self, batch_id: int, label: str) -> None:
        outcome = self.checker.take(batch_id)
        if isinstance(outcome, CheckFailure):
            outcome.label = label
            self.failures.append(outcome)
            self._show_failures()
        elif isinstance(outcome, Findings):
            outcome.label = label
            self.add_findings(outcome)
            if outcome.waiting:
                self._queue.append(outcome)
                self._show_next()
            else:
                self.status.emit(
                    f"Duplicate check of {label}: {outcome.summary().outcome()}", 15_000
                )

    def add_findings(self, findings: Findings) -> None:
        """A check's findings for the tab (a drop's, the watched folders', last time's)."""
        self.recent.insert(0, findings)
        while len(self.recent) > RECENT:
            old = next((f for f in reversed(self.recent) if not f.waiting), None)
            if old is None:
                break
            self.recent.remove(old)
        self.panel.set_findings(self.recent, findings)
        self._update_counts()

    def _update_counts(self) -> None:
        self.counts_changed.emit(*self.counts())

    def counts(self) -> tuple[int, int]:
        """(Files skipped as duplicates this session, files to decide.)"""
        summaries = [(f.waiting, f.summary()) for f in self.recent]
        skipped = sum(s.skipped_as_duplicates for waiting, s in summaries if not waiting)
        to_decide = sum(s.files if waiting else s.unresolved for waiting, s in summaries)
        return skipped, to_decide

    # ------------------------------------------------------------- the review dialog

    def open_review(self, findings: Findings | None = None) -> DuplicateReviewDialog | None:
        """Review `findings` (default: those the tab shows, or the latest)."""
        findings = findings or self.panel.current() or (self.recent[0] if self.recent else None)
        if findings is None:
            self.status.emit("No duplicate findings yet in this session", 5000)
            return None
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            if self.dialog.review_data is not findings.review:
                self.status.emit("Finish the review that is open first", 5000)
            return self.dialog
        if findings in self._queue:
            self._queue.remove(findings)
        return self._open(findings)

    def _review_later(self, findings: Findings) -> None:
        self.open_review(findings)

    def _show_next(self) -> None:
        if self.dialog is not None:
            self.dialog.set_waiting(len(self._queue))
        elif self._queue:
            self._open(self._queue.pop(0))

    def _open(self, findings: Findings) -> DuplicateReviewDialog:
        review = findings.review
        self._snapshot = (
            None if findings.waiting else (dict(review.decisions), dict(review.copy_of))
        )
        dialog = DuplicateReviewDialog(
            review, label=findings.title(), applied=not findings.waiting, parent=self._parent,
            choose_path=self.choose_path,
        )  # fmt: skip
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.set_waiting(len(self._queue))
        dialog.accepted.connect(lambda: self._apply(findings))
        dialog.rejected.connect(lambda: self._later(findings))
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        self.dialog_opened.emit(dialog)
        return dialog

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _apply(self, findings: Findings) -> None:
        self._close_dialog()
        review, store = findings.review, self.session.store
        paths, batch = set(review.paths), findings.batch_id

        def write() -> StoredUpdate:
            latest = {j.source: j for j in store.jobs(batch_id=batch) if j.source in paths}
            return update_stored_jobs(review, store, list(latest.values()))

        def done(result: StoredUpdate) -> None:
            findings.state = FindingsState.APPLIED
            findings.recount()
            self.panel.refresh()
            self._update_counts()
            if not any(f.waiting for f in self.recent):
                self.banner.clear("duplicates")
            self._kick()
            message = f"Duplicate decisions for {findings.label}: {result.describe()}"
            self.status.emit(message, 15_000)
            logger.info(message)
            self.decisions_applied.emit(result)

        run_task(self.session.pools.store, write, done, self._apply_failed)
        self._show_next()

    def _apply_failed(self, exc: BaseException) -> None:
        logger.error("cannot write the duplicate decisions: %s", exc)
        self.banner.show_message(
            "error", f"The duplicate decisions were not saved: {exc}", topic="duplicates"
        )

    def _later(self, findings: Findings) -> None:
        self._close_dialog()
        if self._snapshot is not None:  # an applied review: its changes were not applied
            findings.review.decisions, findings.review.copy_of = self._snapshot
            self._snapshot = None
        findings.recount()
        self.panel.refresh()
        self._update_counts()
        if findings.waiting:
            count = findings.summary().files
            self.banner.show_message(
                "info",
                f"{count:,} {'file' if count == 1 else 'files'} of {findings.label} "
                f"{'waits' if count == 1 else 'wait'} for your duplicate decision.",
                [("Review…", lambda: self._review_later(findings))],
                topic="duplicates",
            )
        self._show_next()

    def _kick(self) -> None:
        if self.session.queue.mode is QueueMode.STOPPED:
            self._start_queue()
        else:
            self.session.queue.kick()

    # ------------------------------------------------------------- left waiting last time

    def recheck_waiting(self) -> None:
        """Files that waited for a decision when the app last closed: check them again.

        What S3 settled meanwhile is settled now; the rest comes back to the
        Duplicates tab as "waiting since last time", with a bar offering the review.
        """
        session = self.session
        store, cache = session.store, session.hash_cache

        def work() -> list[WaitingBatch]:
            if not store.has_waiting():
                return []
            settings, client = self.connection.get(self._closing)
            return recheck_waiting(store, settings, client, cache=cache, cancel=self._closing)

        run_task(session.pools.scan, work, self._waiting_rechecked, self._recheck_failed)

    def _waiting_rechecked(self, batches: list[WaitingBatch]) -> None:
        if not batches:
            return
        restored = [
            Findings("waiting since last time", b.review, b.batch_id, FindingsState.WAITING)
            for b in batches
        ]
        for findings in restored:
            self.add_findings(findings)
        self._queue.extend(restored[1:])  # reviewed one after the other, as drops are
        self.session.queue.kick()  # files S3 settled as new are queued again
        count = sum(f.summary().files for f in restored)
        self.banner.show_message(
            "info",
            f"{count:,} {'file' if count == 1 else 'files'} from last time "
            f"{'waits' if count == 1 else 'wait'} for your duplicate decision.",
            [("Review…", lambda: self._review_later(restored[0]))],
            topic="duplicates",
        )

    def _recheck_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            return  # the window is closing
        logger.error("cannot check the files waiting for a duplicate decision: %s", exc)
        self.banner.show_message(
            "error",
            f"Files from last time wait for your duplicate decision, but the check "
            f"could not run: {exc}",
            [("Check again", self.recheck_waiting)],
            topic="duplicates",
        )

    # ------------------------------------------------------------- S3 could not be listed

    def _show_failures(self) -> None:
        if not self.failures:
            self.banner.clear("dupcheck")
            return
        last = self.failures[-1]
        files = sum(f.files for f in self.failures)
        where = last.label if len(self.failures) == 1 else f"{len(self.failures)} drops"
        text = (
            f"The duplicate check could not list S3: {last.reason}. Nothing from {where} "
            f"({files:,} file{'s' if files != 1 else ''}) was queued."
        )
        actions = [("Check again", self.check_again)]
        if any(f.auth for f in self.failures):  # the upload would be refused alike
            text += " Uploading without the check would fail too: fix the credentials first."
        else:
            actions.insert(0, ("Upload without the check", self.upload_unchecked))
        self.banner.show_message("error", text, actions, topic="dupcheck")

    def upload_unchecked(self) -> None:
        """Queue the held drops as planned, replacing what is at their keys (as --no-check-s3)."""
        failures, self.failures = self.failures, []
        store = self.session.store

        def write() -> int:
            for failure in failures:
                store.enqueue(failure.queued, failure.batch_id)
            return sum(f.files for f in failures)

        run_task(
            self.session.pools.store, write, lambda n: self._queued_unchecked(n), self._apply_failed
        )
        self.banner.clear("dupcheck")

    def _queued_unchecked(self, count: int) -> None:
        self.status.emit(f"{count:,} files queued without the duplicate check", 10_000)
        self._kick()

    def check_again(self) -> None:
        failures, self.failures = self.failures, []
        self.banner.clear("dupcheck")
        store = self.session.store
        for failure in failures:

            def work(failure: CheckFailure = failure) -> int:
                jobs = self.checker.screen(
                    failure.jobs, failure.batch_id, failure.settings, CancelToken()
                )
                store.enqueue(jobs, failure.batch_id)
                return failure.batch_id

            def done(batch_id: int, label: str = failure.label) -> None:
                self._take_outcome(batch_id, label)
                self._kick()

            run_task(self.session.pools.scan, work, done)

    # ------------------------------------------------------------- the tab's controls

    def save_policy(self, on_duplicate: str, check_s3: bool) -> None:
        """The tab's choices go to the settings file and apply to the next drop."""
        values = {"on_duplicate": on_duplicate, "check_s3": check_s3}
        session = self.session
        try:
            session.update_settings(values)
        except ConfigError as exc:
            self.banner.show_message("error", str(exc), topic="duplicates")
            self.panel.set_policy(session.settings.on_duplicate, session.settings.check_s3)
            return
        if self.connection.settings is not None:
            self.connection.set(session.settings)
        self.status.emit("Duplicate settings saved", 5000)

    def _settings_changed(self, settings: Settings) -> None:
        self.panel.set_policy(settings.on_duplicate, settings.check_s3)
        if not self.session.sandboxed or self.session.sandbox is not None:
            self.connection.set(settings)

    def export(self, findings: Findings) -> Path | None:
        path = export_path(*self.choose_path(self._parent, str(Path.home() / "duplicates.csv")))
        if path is None:
            return None
        try:
            fmt = write_report(findings.review, findings.title(), path)
        except OSError as exc:
            self.banner.show_message("error", f"Cannot write {path}: {exc}", topic="duplicates")
            return None
        self.status.emit(f"Findings written to {path} ({fmt})", 10_000)
        return path
