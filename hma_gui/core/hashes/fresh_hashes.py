"""Hashes of files changed just before they were read: this process's only, never kept.

A file whose last change (ctime) lies within a grain of the moment it was read
(`files.change_clock`) could change again in the same tick of the kernel's clock
without its identity showing it. Kept in the hash cache, such a hash would be trusted
by every later run: a duplicate check could then call a changed file "already in S3"
and skip it. So `hash_cache.HashCache` writes none of them; it holds them here, in
memory, for the rest of this process, shared by every `HashCache` of the same file
in it (a command's duplicate check and its upload open one each). The uploader of the
same run still reuses the MD5 its duplicate check computed (one read per file; the
uploader compares it with S3's ETag of what it sent), and the next run hashes the file
again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from hma_gui.core.hashes.file_identity import CachedHashes, FileIdentity, HashRecord

T = TypeVar("T")

HELD_MAX = 50_000  # records held at most (the oldest go first): ~10 MB


class FreshHashes:
    """Hash records by path, each valid for its exact identity. Thread-safe.

    At most `HELD_MAX` are held, so a watcher running for weeks over a folder of new
    files does not grow without end; one dropped is only read again when next needed.
    """

    def __init__(self) -> None:
        self._records: dict[str, HashRecord] = {}
        self._lock = threading.Lock()

    def add(self, record: HashRecord) -> None:
        """Remember `record`; what it leaves None is kept from an earlier one of the same file."""
        path = record.identity.path
        with self._lock:
            known = self._records.get(path)
            if known is not None and known.identity == record.identity:
                record = HashRecord(
                    record.identity, record.head or known.head, record.md5 or known.md5
                )
            self._records.pop(path, None)  # re-inserted: the newest
            self._records[path] = record
            if len(self._records) > HELD_MAX:
                del self._records[next(iter(self._records))]

    def get(self, identity: FileIdentity) -> CachedHashes | None:
        """The hashes held for exactly this identity (path, size, mtime, inode, ctime)."""
        with self._lock:
            record = self._records.get(identity.path)
        if record is None or record.identity != identity:
            return None
        return CachedHashes(record.head, record.md5)

    def held_for(
        self, wanted: Mapping[str, T], identity: Callable[[T], FileIdentity]
    ) -> dict[str, CachedHashes]:
        """The hashes held for `wanted` files (by path), each looked up by its `identity`.

        Nothing held, the common case: no work per file.
        """
        with self._lock:
            paths = [path for path in wanted if path in self._records] if self._records else []
        found = {path: self.get(identity(wanted[path])) for path in paths}
        return {path: hashes for path, hashes in found.items() if hashes is not None}

    def forget(self, paths: Iterable[str]) -> None:
        with self._lock:
            for path in paths:
                self._records.pop(path, None)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


_BY_CACHE: dict[str, FreshHashes] = {}
_BY_CACHE_LOCK = threading.Lock()


def fresh_for(cache_path: Path) -> FreshHashes:
    """This process's fresh hashes for the hash cache at `cache_path`."""
    key = os.path.realpath(cache_path)
    with _BY_CACHE_LOCK:
        return _BY_CACHE.setdefault(key, FreshHashes())
