"""One watcher per folder: a lock file per watched folder in the data directory.

Two watchers of one folder (two windows, or a window and ``hma-ingest watch``)
would both upload every file. `FolderLocks.acquire` takes an exclusive,
non-blocking OS lock (``fcntl.lockf`` on POSIX, ``msvcrt.locking`` on Windows)
on ``<data dir>/locks/watch-<hash of the folder>.lock`` and writes the holder's
pid and kind into it; a second watcher reads them back and refuses with a message
naming the first. The OS drops the lock when its process ends, even by ``kill -9``,
so a stale file never blocks anyone.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

from hma_gui.core.errors import HmaError

LOCKS_FOLDER = "locks"


class FolderBusy(HmaError):
    """The folder is already watched by another process (named in the message)."""


class FolderLocks:
    """The watch locks of one data directory; `acquire` returns a held `FolderLock`."""

    def __init__(self, data_dir: Path, kind: str) -> None:
        self.folder = data_dir / LOCKS_FOLDER
        self.kind = kind  # who we are, for the message another process shows

    def path_for(self, watched: Path) -> Path:
        digest = hashlib.sha256(os.fsencode(watched.expanduser().resolve())).hexdigest()[:24]
        return self.folder / f"watch-{digest}.lock"

    def acquire_all(self, folders: list[Path]) -> list[FolderLock]:
        """Every folder's lock, or none of them (`FolderBusy` for the first one taken)."""
        held: list[FolderLock] = []
        try:
            for folder in folders:
                held.append(self.acquire(folder))
        except BaseException:
            release_all(held)
            raise
        return held

    def acquire(self, watched: Path) -> FolderLock:
        """Hold `watched`'s lock. Take each lock once per process: POSIX locks are the
        process's, and closing a second descriptor of the file would drop the first."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(watched)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not _try_lock(fd):
                holder = _describe(_read_holder(fd))
                raise FolderBusy(f"{watched} is already watched by {holder}")
            _write_holder(fd, {"pid": os.getpid(), "kind": self.kind,
                               "folder": os.fsdecode(watched), "since": time.time()})  # fmt: skip
        except BaseException:
            os.close(fd)
            raise
        return FolderLock(path, fd)


class FolderLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        """Give the folder up. The file stays: deleting it would race with a new holder."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing drops the lock


def release_all(locks: list[FolderLock]) -> None:
    for lock in locks:
        lock.release()


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _read_holder(fd: int) -> dict[str, object]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 4096)
        found = json.loads(data.decode("utf-8")) if data else {}
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write_holder(fd: int, holder: dict[str, object]) -> None:
    data = json.dumps(holder).encode("utf-8")
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)


def _describe(holder: dict[str, object]) -> str:
    kind = holder.get("kind") or "another HMA Ingest process"
    pid = holder.get("pid")
    return f"{kind} (pid {pid})" if pid else str(kind)
