"""Fixtures for the desktop app's tests: real widgets offscreen, real S3 over HTTP.

`harness` builds the queue without the window: a `Session` and the `QueueView`
(the live feed and the jobs table) wired as the window wires them; only the
end-to-end tests build a `MainWindow` (`open_window`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.store import Counters, Job, JobState
from hma_gui.core.logging_setup import MemoryLogHandler
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.queue.job_model import JobTableModel
from hma_gui.ui.queue.job_table import JobTable
from hma_gui.ui.queue.live_feed import FeedSnapshot, LiveFeed
from hma_gui.ui.queue.queue_view import QueueView
from hma_gui.ui.session import Session
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

# pytest-qt's QApplication is session-scoped, so it is built before the autouse
# `isolated_env` fixture sets the platform: set it here, before any test runs.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

WAIT_MS = 60_000  # generous: the machine is shared; waits end as soon as the condition holds


def make_tree(root: Path, files: dict[str, int]) -> dict[str, bytes]:
    """Create `files` (relative path → size) below `root`; return path → content."""
    contents = {}
    for relative, size in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = (relative.encode() * (size // max(1, len(relative)) + 1))[: size - 8] + os.urandom(8)
        path.write_bytes(data[:size])
        contents[relative] = data[:size]
    return contents


@dataclass
class Harness:
    """The upload queue and its view, without the main window."""

    session: Session
    feed: LiveFeed
    model: JobTableModel
    table: JobTable
    qtbot: QtBot
    snapshots: list[FeedSnapshot] = field(default_factory=list)

    @property
    def store(self) -> Any:
        return self.session.store

    def counters(self) -> Counters:
        return self.session.store.counters()

    def drop(self, *paths: Path, scope: str = "auto") -> None:
        from hma_gui.core.jobs.plan import PlanOptions

        settings = self.session.settings
        self.session.intake.submit(
            list(paths), settings, PlanOptions.from_settings(settings, scope=scope)
        )

    def wait(self, condition: Callable[[], bool], timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(condition, timeout=timeout)

    def wait_ready(self) -> None:
        self.wait(lambda: self.session.is_ready)

    def wait_counters(self, **expected: int) -> Counters:
        def matches() -> bool:
            counters = self.counters()
            return all(getattr(counters, k) == v for k, v in expected.items())

        self.wait(matches)
        return self.counters()

    def wait_polls(self, count: int = 3) -> None:
        """Let the live feed poll `count` more times (the view has caught up by then)."""
        target = len(self.snapshots) + count
        self.wait(lambda: len(self.snapshots) >= target)

    def rows(self) -> list[Job]:
        return list(self.model.jobs)

    def shown_states(self) -> dict[str, JobState]:
        return {Path(j.source).name: j.state for j in self.model.jobs}


@pytest.fixture
def harness_factory(qtbot: QtBot) -> Iterator[Callable[..., Harness]]:
    built: list[Harness] = []

    def build(start: bool = True, **settings: Any) -> Harness:
        session = Session(load_settings(**settings))
        view = QueueView(session, interval_ms=100)  # the window's own wiring
        qtbot.addWidget(view.table)
        harness = Harness(session, view.feed, view.model, view.table, qtbot)
        view.feed.snapshot.connect(harness.snapshots.append)
        view.feed.start()
        if start:
            session.start()
        built.append(harness)
        return harness

    yield build
    for harness in built:
        harness.feed.stop()
        harness.session.close(timeout_ms=WAIT_MS)


@pytest.fixture
def proxy(s3_env: S3Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A switchable proxy in front of moto: down(), up(), hold(), release()."""
    faulty = FaultProxy(s3_env.endpoint)
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", faulty.endpoint)
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "1")  # fail at once instead of backing off
    monkeypatch.setenv("HMA_CONNECT_TIMEOUT", "2")
    yield faulty
    faulty.close()


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    """Build, show and start main windows (`sandbox`, settings overrides); quit them after."""
    windows: list[MainWindow] = []

    def build(sandbox: bool = False, **overrides: object) -> MainWindow:
        window = MainWindow(
            Session(load_settings(**overrides), sandbox=sandbox), MemoryLogHandler()
        )
        qtbot.addWidget(window)
        window.show()
        window.start()
        windows.append(window)
        return window

    yield build
    for window in windows:
        window.quit()  # closes even when the window would go to the tray
