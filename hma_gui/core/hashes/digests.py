"""MD5 of files and S3 ETags, and the seam through which a hash cache plugs in."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from hma_gui.core.progress import CancelToken

if TYPE_CHECKING:
    from _typeshed import StrPath

READ_CHUNK = 1024 * 1024  # hashlib releases the GIL on buffers this big


class Md5Cache(Protocol):
    """Remembers MD5s of files by identity (path, size, mtime_ns, inode)."""

    def lookup(self, path: StrPath, info: os.stat_result) -> str | None: ...

    def store(
        self, path: StrPath, info: os.stat_result, md5: str, read_at: float | None = None
    ) -> None:
        """`read_at`: when the read that gave `md5` began (``time.time()``), if not just now."""


class NoMd5Cache:
    def lookup(self, path: StrPath, info: os.stat_result) -> str | None:
        return None

    def store(
        self, path: StrPath, info: os.stat_result, md5: str, read_at: float | None = None
    ) -> None:
        return None


def md5_file(path: StrPath, *, cancel: CancelToken | None = None, chunk: int = READ_CHUNK) -> str:
    """Hex MD5 of a file, read in large chunks; raises `Cancelled` when cancelled."""
    digest = hashlib.md5(usedforsecurity=False)
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            read = handle.readinto(buffer)
            if not read:
                break
            digest.update(view[:read])
    return digest.hexdigest()


def multipart_etag(part_digests: Sequence[bytes]) -> str:
    """S3's ETag of a multipart object: MD5 of the parts' binary MD5s, ``-`` part count."""
    combined = hashlib.md5(b"".join(part_digests), usedforsecurity=False).hexdigest()
    return f"{combined}-{len(part_digests)}"


def multipart_etag_of_file(path: StrPath, part_size: int) -> str:
    """The ETag S3 gives `path` when uploaded in parts of `part_size` bytes."""
    digests = []
    with open(path, "rb") as handle:
        while block := handle.read(part_size):
            digests.append(hashlib.md5(block, usedforsecurity=False).digest())
    return multipart_etag(digests)


def clean_etag(etag: str | None) -> str:
    return (etag or "").strip().strip('"').lower()
