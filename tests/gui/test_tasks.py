"""Background tasks: outcomes reach the main thread, and so does everything they let go of."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from hma_gui.ui.tasks import carrier, run_task

pytestmark = pytest.mark.gui

TASKS = 5000


class Callback:
    """A task's callback, as one that captures a widget would be: where is it let go of?"""

    def __init__(self, delivered: list[tuple[Any, str]]) -> None:
        self.delivered = delivered

    def __call__(self, outcome: Any) -> None:
        self.delivered.append((outcome, threading.current_thread().name))


def test_callbacks_run_and_are_let_go_of_in_the_main_thread_only(qtbot: QtBot) -> None:
    """A carrier per task (a QObject of the main thread, holding the callbacks) was
    let go of in worker threads now and then: by a worker's own reference after its
    emit, or by a collection a worker's allocations started."""
    main = threading.current_thread()
    freed_elsewhere: list[str] = []
    delivered: list[tuple[Any, str]] = []
    refs: set[weakref.ref[Callback]] = set()

    def on_free(ref: weakref.ref[Callback]) -> None:
        refs.discard(ref)
        if threading.current_thread() is not main:
            freed_elsewhere.append(threading.current_thread().name)

    pool = QThreadPool()
    pool.setMaxThreadCount(2)
    try:
        for n in range(TASKS):
            done, failed = Callback(delivered), Callback(delivered)
            refs.update((weakref.ref(done, on_free), weakref.ref(failed, on_free)))

            def work(n: int = n) -> int:
                if n % 10 == 0:
                    raise ValueError(n)
                return n

            run_task(pool, work, done, failed)
            del done, failed
            if n % 50 == 0:
                qtbot.wait(0)  # the main thread delivers while workers still emit
        qtbot.waitUntil(lambda: len(delivered) == TASKS, timeout=30_000)
    finally:
        pool.waitForDone()
    gc.collect()  # what only the collector frees is freed here, in the main thread
    assert not refs
    assert freed_elsewhere == []
    assert {thread for _, thread in delivered} == {main.name}
    errors = sorted(exc.args[0] for exc, _ in delivered if isinstance(exc, ValueError))
    assert errors == list(range(0, TASKS, 10))
    assert carrier().waiting == 0
