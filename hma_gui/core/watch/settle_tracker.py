"""When is a file finished? When it has stopped changing for a while and can be opened.

`SettleTracker` is pure bookkeeping with an injectable clock, so the rules are
tested without sleeping: a path is *due* once its size and mtime have stayed the
same for `settle_seconds` since it was last seen to change, and it opens for
reading. A path that vanished is forgotten; one that is still changing is
observed again. Only regular files are opened: a FIFO, socket or device is due at
once with its stat (the watcher reports it as not a regular file), since opening
a FIFO for reading waits for a writer, forever.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OPEN_TRIES = 3


@dataclass(slots=True)
class _Observation:
    size: int
    mtime_ns: int
    since: float  # when this (size, mtime) was first seen
    open_failures: int = 0


class SettleTracker:
    def __init__(self, settle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle_seconds = settle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[Path, _Observation | None] = {}

    def touch(self, path: Path) -> None:
        """Something happened to `path`: start (or restart) waiting for it to settle."""
        with self._lock:
            self._pending[path] = None

    def forget(self, path: Path) -> None:
        with self._lock:
            self._pending.pop(path, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def due(self) -> list[tuple[Path, os.stat_result | None]]:
        """Paths that have settled, with their final stat; they leave the tracker.

        A settled file that still cannot be opened after `OPEN_TRIES` settle
        periods comes back with ``None`` instead of a stat: it is unreadable.
        """
        now = self._clock()
        with self._lock:
            paths = list(self._pending)
        ready: list[tuple[Path, os.stat_result | None]] = []
        for path in paths:
            try:
                info = path.stat()
            except OSError:
                self.forget(path)  # vanished or renamed away: its new name has its own event
                continue
            if not stat.S_ISREG(info.st_mode):
                with self._lock:
                    if self._pending.pop(path, 0) == 0:
                        continue  # forgotten meanwhile
                ready.append((path, info))
                continue
            with self._lock:
                if path not in self._pending:
                    continue
                seen = self._pending[path]
                if seen is None or (seen.size, seen.mtime_ns) != (info.st_size, info.st_mtime_ns):
                    self._pending[path] = _Observation(info.st_size, info.st_mtime_ns, now)
                    continue
                if now - seen.since < self.settle_seconds:
                    continue
            if not _opens(path):
                failures = seen.open_failures + 1
                with self._lock:  # locked by its writer (Windows) or unreadable: later
                    if failures < OPEN_TRIES:
                        self._pending[path] = _Observation(
                            info.st_size, info.st_mtime_ns, now, failures
                        )
                        continue
                    self._pending.pop(path, None)
                ready.append((path, None))
                continue
            with self._lock:
                self._pending.pop(path, None)
            ready.append((path, info))
        return ready


def _opens(path: Path) -> bool:
    """Whether `path` opens for reading, never waiting (it may have become a FIFO)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
