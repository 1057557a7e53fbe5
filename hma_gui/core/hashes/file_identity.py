"""A file's identity, which a cached hash is valid for, and the hashes kept for it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol


class Identified(Protocol):
    """Anything with a file's identity: `FileIdentity`, `file_hasher.HashTask`…"""

    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...
    @property
    def inode(self) -> int: ...


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """What makes a cached hash valid: the path and (size, mtime_ns, inode, ctime_ns).

    Without a ctime (built from a walk's tuple), the cache takes the file's current one.
    """

    path: str
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int | None = None

    @classmethod
    def of(cls, path: str | os.PathLike[str], info: os.stat_result) -> FileIdentity:
        return cls(os.fspath(path), info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class CachedHashes:
    head: str | None  # of the first 4 KiB: CRC-32, or the MD5 for files of 4 KiB or less
    md5: str | None  # MD5 of the whole file


@dataclass(frozen=True, slots=True)
class HashRecord:
    """One file's hashes to remember; a None hash leaves a known one in place.

    `read_at`: when the read that gave them began (``time.time()``); None: just now.
    """

    identity: FileIdentity
    head: str | None = None
    md5: str | None = None
    read_at: float | None = None
