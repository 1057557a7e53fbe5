"""What the job store and the hash cache share about their SQLite files.

Both are written from several threads through one connection behind a lock,
in autocommit mode with explicit ``BEGIN IMMEDIATE`` transactions (the write
lock is taken at the start, so a transaction never fails half-way on a busy
database), and in WAL mode so the readers of another process are not blocked.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hma_gui.core import app_dirs


def connect_wal(path: Path, *, timeout: float) -> sqlite3.Connection:
    """An autocommit connection usable from any thread, in WAL mode; the files are 0600."""
    app_dirs.private_file(path)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def write_transaction(
    conn: sqlite3.Connection, lock: threading.RLock | threading.Lock
) -> Iterator[sqlite3.Cursor]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` under `lock`; rolled back on any exception."""
    with lock:
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")
