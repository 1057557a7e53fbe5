"""What the job store and the hash cache share about their SQLite files.

Both are written from several threads through one connection behind a lock,
in autocommit mode with explicit ``BEGIN IMMEDIATE`` transactions (the write
lock is taken at the start, so a transaction never fails half-way on a busy
database), and in WAL mode so the readers of another process are not blocked.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from hma_gui.core import app_dirs
from hma_gui.core.errors import DiskFullError

_T = TypeVar("_T")
VARIABLES_PER_QUERY = 500  # below every SQLite build's limit on bound variables (999 at least)


def in_chunks(values: Sequence[_T]) -> Iterator[tuple[Sequence[_T], str]]:
    """`values` in slices small enough for one ``IN (…)``, each with its ``?,?,…``."""
    for start in range(0, len(values), VARIABLES_PER_QUERY):
        chunk = values[start : start + VARIABLES_PER_QUERY]
        yield chunk, ",".join("?" * len(chunk))


def connect_wal(path: Path, *, timeout: float) -> sqlite3.Connection:
    """An autocommit connection usable from any thread, in WAL mode; the files are 0600."""
    app_dirs.private_file(path)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        _enter_wal(conn, timeout)
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _enter_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """``journal_mode=WAL``, waiting for another process that is opening the file too.

    SQLite answers "database is locked" at once, without its busy timeout, when two
    processes switch a new file to WAL together (two uploads started at the same
    moment on a fresh data folder: 40-50 % of 300 simultaneous opens failed).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


@contextmanager
def write_transaction(
    conn: sqlite3.Connection, lock: threading.RLock | threading.Lock
) -> Iterator[sqlite3.Cursor]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` under `lock`; rolled back on any exception.

    A full disk raises `DiskFullError` naming the folder, whichever statement met it.
    """
    with lock:
        cur = conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # a full disk may refuse it too
                    cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if not is_disk_full(exc) or isinstance(exc, DiskFullError):
                raise
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    cur.execute("ROLLBACK")
            raise DiskFullError(_file_of(conn)) from exc


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
            "database or disk is full" in str(exc)
        )
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def _file_of(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return "?"
    return str(row[2]) if row and row[2] else "?"
