"""The hash cache: what a file's bytes hash to, remembered by the file's identity.

A row is keyed by path and valid only while the file's identity, (size,
mtime_ns, inode, ctime_ns), is unchanged: any write, truncation or replacement
moves one of them, and the stale row is then ignored and overwritten. The ctime
matters: a file rewritten in place with its size and mtime kept (``cp -p``,
``rsync -t --inplace``, ``touch -r``) changes only its ctime, which no one can
set back. Callers that know only (size, mtime_ns, inode) — the walk's tuples —
get the ctime checked by one ``stat`` of each file the cache would answer for. It holds the
fingerprint of the first 4 KiB (``head``, what the duplicate finder compares first),
the MD5 of the whole file, the multipart ETags computed for given part
sizes (the S3 check compares objects uploaded in parts by recomputing them), and
the last few whole duplicate scans, by the identities of every file they walked.
Hashes of a file changed under a second before they were read serve this process only
(`fresh_hashes`, `files.change_clock`).

It is a SQLite file in the data directory (WAL mode), shared by the desktop
app, the CLI and the watcher: it survives restarts, several processes may use
it at once, and one instance may be used from many threads. It implements the
`hashing.Md5Cache` protocol, so the uploader reuses an MD5 the duplicate check
computed instead of reading the file twice.

The cache is an optimisation and never a reason to fail: a locked or broken
database is logged and treated as empty; a corrupt file is moved aside.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hma_gui.core import app_dirs
from hma_gui.core.files.change_clock import settled_before
from hma_gui.core.files.path_text import is_valid_text
from hma_gui.core.hashes.file_identity import CachedHashes, FileIdentity, HashRecord, Identified
from hma_gui.core.hashes.fresh_hashes import fresh_for
from hma_gui.core.sqlite_wal import connect_wal, in_chunks, write_transaction

if TYPE_CHECKING:
    from _typeshed import StrPath

logger = logging.getLogger(__name__)

CACHE_FILE = "hash-cache.db"
SCHEMA_VERSION = 2  # 2: ctime_ns
_PENDING_MAX = 256  # `store`s written in one transaction
_RANGE_SCAN_MIN = 2000  # from this many paths on, read their common folder's rows in one go

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS hashes (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        ctime_ns INTEGER,
        head TEXT,
        md5 TEXT,
        updated_at REAL NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS etags (
        path TEXT NOT NULL,
        part_size INTEGER NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        ctime_ns INTEGER,
        etag TEXT NOT NULL,
        PRIMARY KEY (path, part_size)
    ) WITHOUT ROWID""",
    # Whole duplicate scans by the identities of every file walked (`duplicates.scan_memo`).
    "CREATE TABLE IF NOT EXISTS scans (key TEXT PRIMARY KEY, result TEXT NOT NULL, kept_at REAL)",
)
_SCANS_KEPT = 4

# A row's head and md5 survive an update only when the identity is unchanged.
_UPSERT = """
INSERT INTO hashes(path, size, mtime_ns, inode, ctime_ns, head, md5, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(path) DO UPDATE SET
    head = CASE WHEN size = excluded.size AND mtime_ns = excluded.mtime_ns
                     AND inode = excluded.inode AND ctime_ns IS excluded.ctime_ns
                THEN COALESCE(excluded.head, head) ELSE excluded.head END,
    md5 = CASE WHEN size = excluded.size AND mtime_ns = excluded.mtime_ns
                    AND inode = excluded.inode AND ctime_ns IS excluded.ctime_ns
               THEN COALESCE(excluded.md5, md5) ELSE excluded.md5 END,
    size = excluded.size, mtime_ns = excluded.mtime_ns, inode = excluded.inode,
    ctime_ns = excluded.ctime_ns, updated_at = excluded.updated_at
"""


def default_cache_path() -> Path:
    return app_dirs.data_dir() / CACHE_FILE


class HashCache:
    """Thread-safe access to the hash cache file. Share one instance across threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_cache_path()
        self._lock = threading.RLock()
        self._pending: dict[str, HashRecord] = {}  # `store`d, not yet written
        self._fresh = fresh_for(self.path)  # of files changed just before: never written
        self._conn = self._open()

    # ------------------------------------------------------------------ plumbing

    def _open(self) -> sqlite3.Connection:
        app_dirs.ensure_dir(self.path.parent)
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            logger.warning("hash cache %s is unreadable (%s); moved to %s", self.path, exc, aside)
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = connect_wal(self.path, timeout=5)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version not in (0, SCHEMA_VERSION):  # a cache: rebuild, never migrate
                conn.execute("DROP TABLE IF EXISTS hashes")
                conn.execute("DROP TABLE IF EXISTS etags")
                conn.execute("DROP TABLE IF EXISTS scans")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _transaction(self) -> AbstractContextManager[sqlite3.Cursor]:
        return write_transaction(self._conn, self._lock)

    def close(self) -> None:
        with self._lock:
            self.flush()
            self._conn.close()

    def __enter__(self) -> HashCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ Md5Cache protocol

    def lookup(self, path: StrPath, info: os.stat_result) -> str | None:
        """The cached MD5 of `path` if its identity still matches `info`."""
        identity = FileIdentity.of(path, info)
        with self._lock:
            pending = self._pending.get(identity.path)
        if pending is not None and pending.identity == identity:
            return pending.md5
        if (fresh := self._fresh.get(identity)) is not None and fresh.md5 is not None:
            return fresh.md5
        found = self.lookup_many([identity])
        hit = found.get(identity.path)
        return hit.md5 if hit else None

    def store(
        self, path: StrPath, info: os.stat_result, md5: str, read_at: float | None = None
    ) -> None:
        """Remember one MD5 (the uploader, once per file): written in batches, not each."""
        record = HashRecord(FileIdentity.of(path, info), md5=md5)
        if not _settled(info.st_ctime_ns, read_at):
            self._fresh.add(record)
            return
        with self._lock:
            self._pending[record.identity.path] = record
            if len(self._pending) >= _PENDING_MAX:
                self.flush()

    def flush(self) -> None:
        """Write what `store` kept back (also done by `close` and every few hundred files)."""
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
            if pending:
                self.store_many(pending)

    # ------------------------------------------------------------------ bulk

    def lookup_many(self, files: Iterable[Identified]) -> dict[str, CachedHashes]:
        """Cached hashes of the files whose identity is unchanged, by path."""
        self.flush()
        wanted = {f.path: f for f in files}
        if not wanted:
            return {}
        found: dict[str, CachedHashes] = {}
        try:
            with self._lock:
                for rows in self._rows_for(wanted):
                    for path, size, mtime_ns, inode, ctime_ns, head, md5 in rows:
                        want = wanted.get(path)
                        if (
                            want is not None
                            and (want.size, want.mtime_ns, want.inode) == (size, mtime_ns, inode)
                            and _ctime_of(want) == ctime_ns
                        ):
                            found[path] = CachedHashes(head, md5)
        except sqlite3.Error as exc:
            logger.warning("hash cache lookup failed, hashing instead: %s", exc)
            return {}
        found.update(self._fresh.held_for(wanted, _identity_of))
        return found

    def lookup_files(
        self, files: Iterable[tuple[str, int, int, int, int, int]]
    ) -> dict[str, tuple[str | None, str | None]]:
        """`lookup_many` for walk tuples (path, size, mtime_ns, inode, device, ctime_ns).

        The walk's own stat gives the ctime: no second stat per file (a re-scan's
        cost was a quarter more with one).
        """
        self.flush()
        wanted = {f[0]: f for f in files}
        if not wanted:
            return {}
        found: dict[str, tuple[str | None, str | None]] = {}
        get = wanted.get
        try:
            with self._lock:
                for rows in self._rows_for(wanted):
                    for row in rows:  # once per cached file: indexing, no unpacking or slices
                        want = get(row[0])
                        if (
                            want is not None
                            and want[1] == row[1]
                            and want[2] == row[2]
                            and want[3] == row[3]
                            and want[5] == row[4]
                        ):
                            found[row[0]] = (row[5], row[6])
        except sqlite3.Error as exc:
            logger.warning("hash cache lookup failed, hashing instead: %s", exc)
            return {}
        held = self._fresh.held_for(wanted, lambda w: FileIdentity(w[0], *w[1:4], w[5]))
        found.update((path, (h.head, h.md5)) for path, h in held.items())
        return found

    def _rows_for(self, wanted: Collection[str]) -> Iterator[list[Any]]:
        """Rows that may match `wanted` paths: by key, or one range scan of their common folder.

        A range scan returns rows of any path below the folder; the caller keeps those it
        wants. A path that is not UTF-8 is never cached: it is left out of the key lookups,
        and a common folder that is not UTF-8 is not scanned (no check per path: a re-scan
        of 50,000 files spent ~30 ms on it).
        """
        select = "SELECT path, size, mtime_ns, inode, ctime_ns, head, md5 FROM hashes"
        if len(wanted) >= _RANGE_SCAN_MIN:
            # the longest folder prefix shared by all: that of the smallest and largest path
            prefix = os.path.commonprefix([min(wanted), max(wanted)])  # noqa: RUF071 - cut below
            common = prefix[: prefix.rfind(os.sep) + 1]
            low = common.rstrip(os.sep) + os.sep
            high = low[:-1] + chr(ord(os.sep) + 1)
            if (
                common
                and is_valid_text(common)
                and common not in wanted
                and self._rows_between(low, high) < 4 * len(wanted)
            ):
                yield self._conn.execute(
                    f"{select} WHERE path >= ? AND path < ?",
                    (low, high),
                ).fetchall()
                return
        paths = [p for p in wanted if is_valid_text(p)]  # a name that is not UTF-8: never cached
        for chunk, marks in in_chunks(paths):
            yield self._conn.execute(f"{select} WHERE path IN ({marks})", chunk).fetchall()

    def _rows_between(self, low: str, high: str) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM hashes WHERE path >= ? AND path < ?", (low, high)
        ).fetchone()
        return int(row[0])

    def store_many(self, records: Iterable[HashRecord]) -> None:
        """Remember hashes in one transaction; failures are logged, never raised."""
        now = time.time()
        rows = []
        for r in records:
            if (r.head is None and r.md5 is None) or not is_valid_text(r.identity.path):
                continue
            ctime_ns = _ctime_of(r.identity)
            if not _settled(ctime_ns, now if r.read_at is None else r.read_at):
                self._fresh.add(HashRecord(replace(r.identity, ctime_ns=ctime_ns), r.head, r.md5))
                continue
            rows.append((r.identity.path, r.identity.size, r.identity.mtime_ns,
                         r.identity.inode, ctime_ns, r.head, r.md5, now))  # fmt: skip
        if not rows:
            return
        try:
            with self._transaction() as cur:
                cur.executemany(_UPSERT, rows)
        except sqlite3.Error as exc:
            logger.warning("could not write %d entries to the hash cache: %s", len(rows), exc)

    # ------------------------------------------------------------------ whole scans

    def recall_scan(self, key: str) -> str | None:
        """The scan result kept under `key` (`duplicates.scan_memo`), or None."""
        try:
            with self._lock:
                found = self._conn.execute("SELECT result FROM scans WHERE key = ?", (key,))
                return next((str(row[0]) for row in found), None)
        except sqlite3.Error as exc:
            logger.warning("hash cache: kept scans unreadable, scanning instead: %s", exc)
            return None

    def remember_scan(self, key: str, result: str) -> None:
        """Keep `result` under `key`: the newest few scans are kept, failures only logged."""
        try:
            with self._transaction() as cur:
                cur.execute(
                    "INSERT OR REPLACE INTO scans(key, result, kept_at) VALUES (?, ?, ?)",
                    (key, result, time.time()),
                )
                cur.execute(
                    "DELETE FROM scans WHERE key NOT IN"
                    " (SELECT key FROM scans ORDER BY kept_at DESC LIMIT ?)",
                    (_SCANS_KEPT,),
                )
        except sqlite3.Error as exc:
            logger.warning("hash cache: could not keep the scan: %s", exc)

    # ------------------------------------------------------------------ multipart ETags

    def lookup_etag(self, identity: FileIdentity, part_size: int) -> str | None:
        if not is_valid_text(identity.path):
            return None
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT size, mtime_ns, inode, ctime_ns, etag FROM etags"
                    " WHERE path = ? AND part_size = ?",
                    (identity.path, part_size),
                ).fetchone()
        except sqlite3.Error as exc:
            logger.warning("hash cache lookup failed: %s", exc)
            return None
        if row is None or tuple(row[:3]) != (identity.size, identity.mtime_ns, identity.inode):
            return None
        if _ctime_of(identity) != row[3]:
            return None
        return str(row[4])

    def store_etags(
        self, identity: FileIdentity, etags: dict[int, str], read_at: float | None = None
    ) -> None:
        if not is_valid_text(identity.path):
            return
        ctime_ns = _ctime_of(identity)
        if not _settled(ctime_ns, read_at):
            return  # changed just before: computed again when asked (`change_clock`)
        rows = [
            (identity.path, part, identity.size, identity.mtime_ns, identity.inode, ctime_ns, etag)
            for part, etag in etags.items()
        ]
        try:
            with self._transaction() as cur:
                cur.executemany(
                    "INSERT OR REPLACE INTO etags"
                    "(path, part_size, size, mtime_ns, inode, ctime_ns, etag)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as exc:
            logger.warning("could not write multipart ETags to the hash cache: %s", exc)

    # ------------------------------------------------------------------ housekeeping

    def count(self) -> int:
        self.flush()
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM hashes").fetchone()[0])

    def forget(self, paths: Sequence[str]) -> int:
        """Drop the entries of these paths (a file the user says has changed)."""
        self._fresh.forget(paths)
        with self._lock:
            for path in paths:
                self._pending.pop(path, None)
        with self._transaction() as cur:
            removed = 0
            for path in paths:
                cur.execute("DELETE FROM hashes WHERE path = ?", (path,))
                removed += cur.rowcount
                cur.execute("DELETE FROM etags WHERE path = ?", (path,))
            cur.execute("DELETE FROM scans")  # they may hold these paths' hashes
            return removed

    def clear(self) -> int:
        """Forget everything; return how many files were cached. The file shrinks too."""
        self._fresh.clear()
        with self._lock:
            self._pending.clear()
        with self._transaction() as cur:
            removed = int(cur.execute("SELECT COUNT(*) FROM hashes").fetchone()[0])
            cur.execute("DELETE FROM hashes")
            cur.execute("DELETE FROM etags")
            cur.execute("DELETE FROM scans")
        with self._lock:
            self._conn.execute("VACUUM")
        return removed


def _settled(ctime_ns: int | None, read_at: float | None) -> bool:
    """To be written: changed a grain before the read began (None: just now), or unseen
    (such a row matches no file seen)."""
    return ctime_ns is None or settled_before(ctime_ns, time.time() if read_at is None else read_at)


def _identity_of(file: Identified) -> FileIdentity:
    return FileIdentity(file.path, file.size, file.mtime_ns, file.inode, _ctime_of(file))


def _ctime_of(file: Identified) -> int | None:
    """The identity's ctime, or the file's ctime now if it still has that identity."""
    known = getattr(file, "ctime_ns", None)
    if known is not None:
        return int(known)
    return _current_ctime(file.path, file.size, file.mtime_ns, file.inode)


def _current_ctime(path: str, size: int, mtime_ns: int, inode: int) -> int | None:
    """`path`'s ctime if its (size, mtime_ns, inode) are these; None if not or it is gone.

    A file that cannot be seen matches rows stored without a ctime only.
    """
    try:
        info = os.stat(path)  # noqa: PTH116 - str paths, thousands of them
    except (OSError, ValueError):
        return None
    if (info.st_size, info.st_mtime_ns, info.st_ino) != (size, mtime_ns, inode):
        return -1  # changed since the caller looked: matches no row
    return info.st_ctime_ns
