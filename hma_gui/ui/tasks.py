"""The one helper for background work: `run_task(pool, fn, on_done, on_error)`.

`fn` runs in a `QRunnable` on the given pool; its result (or exception) comes
back to the main thread through a small `QObject` by queued connection, so a
callback may touch widgets. Pools are kept by contention (`Pools`): scanning,
the live feed, quick store writes and the ETL never wait for each other.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

logger = logging.getLogger(__name__)

_pending: set[TaskSignals] = set()  # keeps each carrier alive until it has delivered


class TaskSignals(QObject):
    """Carries one task's outcome to the thread this object lives in (the main thread)."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self.finished.connect(self._deliver_done, Qt.ConnectionType.QueuedConnection)
        self.failed.connect(self._deliver_error, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _deliver_done(self, result: Any) -> None:
        _pending.discard(self)
        if self._on_done is not None:
            self._on_done(result)

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        _pending.discard(self)
        if self._on_error is not None:
            self._on_error(exc)
        else:
            logger.error("background task failed", exc_info=(type(exc), exc, exc.__traceback__))


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: TaskSignals) -> None:
        super().__init__()
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        lower_thread_priority()
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - delivered to on_error on the main thread
            self._signals.failed.emit(exc)
            return
        self._signals.finished.emit(result)


def run_task(
    pool: QThreadPool,
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> TaskSignals:
    """Run `fn()` on `pool`; call `on_done(result)` or `on_error(exc)` on the main thread."""
    signals = TaskSignals(on_done, on_error)
    _pending.add(signals)
    pool.start(_Task(fn, signals))
    return signals


BACKGROUND_NICE = 5
_lowered: set[int] = set()


def lower_thread_priority() -> None:
    """Make the calling worker thread yield the CPU to the window's thread (Linux).

    On a busy machine the main thread competes for the CPU with every worker of its
    own process; a worker a few nice levels down leaves the CPU to the window first.
    Linux only: there a thread id names one thread (elsewhere it could name a process).
    """
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    if tid in _lowered:
        return
    _lowered.add(tid)
    try:
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICE)
    except OSError as exc:  # not allowed here: run at normal priority
        logger.debug("cannot lower the priority of a worker thread: %s", exc)


class Pools:
    """The app's thread pools, one per kind of contention.

    Uploads run on the core executor's own threads (`UploadQueue`), sized by settings.
    """

    def __init__(self) -> None:
        self.scan = _pool("scan", 1)  # discovery; one walk at a time keeps the disk calm
        self.feed = _pool("feed", 1)  # reads the job store for the live view
        self.store = _pool("store", 1)  # user actions that write the job store, in order
        self.etl = _pool("etl", 1)  # ETL runs and history reads: one at a time per database

    def all(self) -> tuple[QThreadPool, ...]:
        return (self.scan, self.feed, self.store, self.etl)

    def wait(self, msecs: int) -> bool:
        return all(pool.waitForDone(msecs) for pool in self.all())


def _pool(name: str, threads: int) -> QThreadPool:
    pool = QThreadPool()
    pool.setObjectName(f"{name}-pool")
    pool.setMaxThreadCount(max(1, threads))
    pool.setExpiryTimeout(30_000)
    return pool
