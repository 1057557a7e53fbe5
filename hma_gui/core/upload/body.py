"""Request bodies that report the bytes botocore reads from them, and rewind with it.

botocore reads a body in blocks while it sends it and seeks it back to the start
when it retries a request. Both bodies here report each block to a `ByteSink`
and a negative delta when rewound, so a job's progress never passes 100 %.

They also stop a request in flight when the job is cancelled: `read` raises
`BodyCancelled`, a `concurrent.futures.CancelledError`, which botocore lets
through at once instead of treating it as a connection error to retry (it
does so for s3transfer's cancellations). The uploader turns it into `Cancelled`.
"""

from __future__ import annotations

import concurrent.futures
import io
from typing import Any

from hma_gui.core.progress import ByteSink, CancelToken
from hma_gui.core.upload.bandwidth import BandwidthLimit


class BodyCancelled(concurrent.futures.CancelledError):
    """Raised from a body's `read` when its job was cancelled mid-request."""


FILE_BUFFER = 1024 * 1024  # one read() system call per MiB of a streamed file


class _Reporter:
    """The position last reported to a sink, and the report of a move."""

    def __init__(
        self,
        sink: ByteSink | None,
        cancel: CancelToken | None,
        limit: BandwidthLimit | None = None,
        digest: Any = None,
    ) -> None:
        self.sink = sink
        self.cancel = cancel
        self.limit = limit
        self.digest = digest  # a hashlib object fed with every byte read (from the start)
        self.reported = 0
        self.hashed = 0  # how far `digest` has seen the body

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise BodyCancelled(self.cancel.reason)

    def read_block(self, chunk: bytes, start: int) -> None:
        """`chunk` was read from `start`: hash it (first pass only), pay for it, report it."""
        end = start + len(chunk)
        if self.digest is not None and start <= self.hashed < end:  # not seen yet (retries)
            self.digest.update(chunk[self.hashed - start :])
            self.hashed = end
        if self.limit is not None:
            self.limit.take(len(chunk), self.cancel)
            self.check_cancel()
        self.moved_to(end)

    def moved_to(self, position: int) -> None:
        if self.sink is not None and position != self.reported:
            self.sink(position - self.reported)  # negative when rewound for a retry
            self.reported = position


class _ReportedReads:
    """`read` and `seek` of an io class, reported to a `_Reporter` (a mixin: comes first)."""

    _progress: _Reporter

    def read(self, size: int | None = -1, /) -> bytes:
        self._progress.check_cancel()
        limit = self._progress.limit
        if limit is not None and size is not None and size > 0:
            size = limit.block(size)  # paced in small blocks: a short read, as io allows
        start: int = self.tell()  # type: ignore[attr-defined]
        chunk: bytes = super().read(size)  # type: ignore[misc]
        if chunk:
            self._progress.read_block(chunk, start)
        return chunk

    def seek(self, offset: int, whence: int = 0, /) -> int:
        position: int = super().seek(offset, whence)  # type: ignore[misc]
        if position < self._progress.reported:
            self._progress.moved_to(position)
        return position


class ProgressBody(_ReportedReads, io.BytesIO):
    """Bytes already in memory (a small file, or one part of a large one)."""

    def __init__(
        self,
        data: bytes,
        sink: ByteSink | None,
        cancel: CancelToken | None = None,
        limit: BandwidthLimit | None = None,
    ) -> None:
        super().__init__(data)
        self._progress = _Reporter(sink, cancel, limit)


class ProgressFile(_ReportedReads, io.BufferedReader):
    """A whole file streamed from disk, so a large single PUT never sits in memory."""

    def __init__(
        self,
        raw: io.FileIO,
        sink: ByteSink | None,
        cancel: CancelToken | None = None,
        limit: BandwidthLimit | None = None,
        digest: Any = None,
    ) -> None:
        super().__init__(raw, buffer_size=FILE_BUFFER)
        self._progress = _Reporter(sink, cancel, limit, digest)

    @property
    def digest(self) -> Any:
        """The hash fed with the bytes read (the first time each), if one was given."""
        return self._progress.digest

    def hashed_all(self, size: int) -> bool:
        return self._progress.digest is not None and self._progress.hashed == size
