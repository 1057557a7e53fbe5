"""At start-up: what to do with the uploads the last session left unfinished.

``Settings.resume_on_start`` decides: ``resume`` starts the queue (so does an
empty queue, whatever the setting), ``ask`` offers Resume / Not now in the
banner, ``keep`` keeps them queued and says that Start uploads them.
"""

from __future__ import annotations

from collections.abc import Callable

from hma_gui.ui.session import Session
from hma_gui.ui.shell.banner import Banner


def deal_with_last_session(
    session: Session,
    banner: Banner,
    start_queue: Callable[[], None],
    status: Callable[[str, int], None],
) -> None:
    """Start the queue, or offer to, as the settings say (`status`: the status bar)."""
    # jobs sent to a shared queue run there: nothing of this window's to resume
    counters = session.store.counters()
    pending = counters.pending - counters.sent
    policy = session.settings.resume_on_start
    if not pending or policy == "resume":
        if pending:
            status(f"Resuming {pending:,} unfinished uploads", 8000)
        session.queue.start()
    elif policy == "ask":
        banner.show_message(
            "info",
            f"{pending:,} uploads from last time are not finished.",
            [("Resume", start_queue), ("Not now", lambda: None)],
            topic="resume",
        )
    else:
        banner.show_message(
            "info",
            f"{pending:,} unfinished uploads are kept in the queue. Press Start to upload them.",
            [("Start", start_queue)],
            topic="resume",
        )
