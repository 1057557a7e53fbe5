"""What the banner says when the endpoint goes away, and what it offers.

* The queue paused itself (uploads cannot reach the endpoint): *Resume*, which
  probes the endpoint before letting the queue go (`ResumeGate`); while it is
  still down the queue stays paused and no file is tried.
* In sandbox mode the endpoint is our own child process: when it is gone it
  never comes back by itself, so the banner offers *Restart sandbox* instead.
* A new sandbox is empty: files the list shows as uploaded went to a sandbox
  that is gone. The banner says so and offers to upload them again or to
  clear them from the list.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject

from hma_gui.core.jobs.store import JobState
from hma_gui.core.logging_setup import redact
from hma_gui.ui.queue.job_actions import JobActions
from hma_gui.ui.queue.resume_gate import ResumeGate
from hma_gui.ui.session import Session
from hma_gui.ui.shell.banner import Banner
from hma_gui.ui.tasks import run_task

logger = logging.getLogger(__name__)


class EndpointBanners(QObject):
    def __init__(
        self,
        session: Session,
        banner: Banner,
        gate: ResumeGate,
        actions: JobActions,
        start_queue: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.banner = banner
        self.gate = gate
        self.actions = actions
        self.start_queue = start_queue
        self.sandbox_since = 0.0  # when the running sandbox came up (time.time())
        self._restarting = False
        self._offer_when_released = False
        session.queue.halted.connect(self.on_halted)
        session.ready.connect(self._on_ready)
        gate.checking.connect(self._on_checking)
        gate.still_down.connect(self._on_still_down)
        gate.released.connect(self._on_released)

    @property
    def sandbox_gone(self) -> bool:
        sandbox = self.session.sandbox
        return self.session.sandboxed and (sandbox is None or not sandbox.running)

    def on_halted(self, reason: str) -> None:
        if self.sandbox_gone:
            self.banner.show_message(
                "warning",
                "Uploads paused: the sandbox S3 endpoint has stopped and will not come back "
                "by itself. Restart it: an empty sandbox starts and the queue goes on there.",
                [("Restart sandbox", self.restart_sandbox)],
                topic="halted",
            )
            return
        self.banner.show_message(
            "warning", redact(reason), [("Resume", self.start_queue)], topic="halted"
        )

    def _on_checking(self, endpoint: str) -> None:
        self.banner.show_message(
            "info", f"Checking {redact(endpoint)} before resuming…", topic="halted"
        )

    def _on_still_down(self, reason: str) -> None:
        short = redact(reason).split(": ", 1)[0]
        if self.sandbox_gone:
            self.on_halted(reason)
            return
        self.banner.show_message(
            "warning",
            f"Still paused: {short}. No file was tried; the queue is kept.",
            [("Resume", self.start_queue)],
            topic="halted",
        )

    def restart_sandbox(self) -> None:
        logger.info("restarting the sandbox")
        self._restarting = True
        self.banner.show_message("info", "Restarting the sandbox S3 endpoint…", topic="connect")
        self.session.restart_sandbox()

    def _on_ready(self) -> None:
        if not self.session.sandboxed:
            return
        self.sandbox_since = time.time()
        if self._restarting:
            self._restarting = False
            self._offer_when_released = True
            self.start_queue()  # the gate probes the new endpoint, then the queue goes on
            return
        self.offer_earlier_uploads()

    def _on_released(self, _again: int) -> None:
        self.banner.clear("halted")
        if self._offer_when_released:
            self._offer_when_released = False
            self.offer_earlier_uploads()

    def offer_earlier_uploads(self) -> None:
        """Say that files shown as uploaded went to a sandbox that is gone; offer a way out."""
        store, since = self.session.store, self.sandbox_since

        def earlier() -> list[int]:
            done = store.jobs(state=JobState.DONE)
            return [j.id for j in done if (j.finished_at or 0.0) < since]

        def offer(ids: list[int]) -> None:
            if not ids or (self.banner.isVisible() and self.banner.topic == "halted"):
                return
            count = len(ids)
            self.banner.show_message(
                "info",
                f"{count:,} {'files' if count != 1 else 'file'} in the list "
                f"{'were' if count != 1 else 'was'} uploaded to an earlier sandbox, which is "
                "gone (a sandbox keeps nothing once it stops).",
                [
                    ("Upload again", lambda: self.actions.upload_again(ids)),
                    ("Clear from the list", lambda: self.actions.remove(ids)),
                ],
                topic="sandbox-gone",
            )

        run_task(self.session.pools.store, earlier, offer, lambda exc: None)
