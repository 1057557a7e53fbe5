"""The one helper for background work: `run_task(pool, fn, on_done, on_error)`.

`fn` runs in a `QRunnable` on the given pool; its result (or exception) comes
back to the main thread through one long-lived `QObject` by queued connection,
so a callback may touch widgets. Pools are kept by contention (`Pools`):
scanning, the live feed, quick store writes and the ETL never wait for each other.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal, Slot

logger = logging.getLogger(__name__)

OnDone = Callable[[Any], None] | None
OnError = Callable[[BaseException], None] | None


class _Carrier(QObject):
    """Carries every task's outcome to the main thread; one per process, never deleted.

    It used to be one `QObject` per task, kept until it had delivered. The worker
    held it too, until after its ``emit``, and its connections to its own slots
    left it to the cyclic collector, which runs in whichever thread allocates: a
    main-thread `QObject` — with the callbacks it held, widgets among what they
    capture — was destroyed in a worker thread now and then (4–14 of 5,000 tasks;
    30–88 were not let go of at all; a CI run crashed in the window's event loop
    once). Now a worker knows only a task number; the callbacks wait here, in the
    main thread, and are let go of there (0 and 0 of 5,000).
    """

    finished = Signal(object, object)
    failed = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._callbacks: dict[int, tuple[OnDone, OnError]] = {}
        self.finished.connect(self._deliver_done, Qt.ConnectionType.QueuedConnection)
        self.failed.connect(self._deliver_error, Qt.ConnectionType.QueuedConnection)

    def register(self, on_done: OnDone, on_error: OnError) -> int:
        with self._lock:
            number = next(self._numbers)
            self._callbacks[number] = (on_done, on_error)
        return number

    @property
    def waiting(self) -> int:
        """Tasks whose outcome has not been delivered yet."""
        with self._lock:
            return len(self._callbacks)

    def _take(self, number: int) -> tuple[OnDone, OnError]:
        with self._lock:
            return self._callbacks.pop(number, (None, None))

    @Slot(object, object)
    def _deliver_done(self, number: int, result: Any) -> None:
        on_done, _ = self._take(number)
        if on_done is not None:
            on_done(result)

    @Slot(object, object)
    def _deliver_error(self, number: int, exc: BaseException) -> None:
        _, on_error = self._take(number)
        if on_error is not None:
            on_error(exc)
        else:
            logger.error("background task failed", exc_info=(type(exc), exc, exc.__traceback__))


_carrier_lock = threading.Lock()
_carrier_instance: _Carrier | None = None


def carrier() -> _Carrier:
    """The process's carrier, living in the main (GUI) thread."""
    global _carrier_instance
    with _carrier_lock:
        if _carrier_instance is None:
            made = _Carrier()
            app = QCoreApplication.instance()
            if app is not None and made.thread() is not app.thread():
                made.moveToThread(app.thread())
            _carrier_instance = made
        return _carrier_instance


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], number: int) -> None:
        super().__init__()
        self._fn = fn
        self._number = number

    def run(self) -> None:
        lower_thread_priority()
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - delivered to on_error on the main thread
            carrier().failed.emit(self._number, exc)
            return
        carrier().finished.emit(self._number, result)


def run_task(
    pool: QThreadPool,
    fn: Callable[[], Any],
    on_done: OnDone = None,
    on_error: OnError = None,
) -> None:
    """Run `fn()` on `pool`; call `on_done(result)` or `on_error(exc)` on the main thread."""
    pool.start(_Task(fn, carrier().register(on_done, on_error)))


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
