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

from hma_gui.core.progress import ByteSink, CancelToken


class BodyCancelled(concurrent.futures.CancelledError):
    """Raised from a body's `read` when its job was cancelled mid-request."""


FILE_BUFFER = 1024 * 1024  # one read() system call per MiB of a streamed file


class _Reporter:
    """The position last reported to a sink, and the report of a move."""

    def __init__(self, sink: ByteSink | None, cancel: CancelToken | None) -> None:
        self.sink = sink
        self.cancel = cancel
        self.reported = 0

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise BodyCancelled(self.cancel.reason)

    def moved_to(self, position: int) -> None:
        if self.sink is not None and position != self.reported:
            self.sink(position - self.reported)  # negative when rewound for a retry
            self.reported = position


class _ReportedReads:
    """`read` and `seek` of an io class, reported to a `_Reporter` (a mixin: comes first)."""

    _progress: _Reporter

    def read(self, size: int | None = -1, /) -> bytes:
        self._progress.check_cancel()
        chunk: bytes = super().read(size)  # type: ignore[misc]
        if chunk:
            self._progress.moved_to(self.tell())  # type: ignore[attr-defined]
        return chunk

    def seek(self, offset: int, whence: int = 0, /) -> int:
        position: int = super().seek(offset, whence)  # type: ignore[misc]
        if position < self._progress.reported:
            self._progress.moved_to(position)
        return position


class ProgressBody(_ReportedReads, io.BytesIO):
    """Bytes already in memory (a small file, or one part of a large one)."""

    def __init__(
        self, data: bytes, sink: ByteSink | None, cancel: CancelToken | None = None
    ) -> None:
        super().__init__(data)
        self._progress = _Reporter(sink, cancel)


class ProgressFile(_ReportedReads, io.BufferedReader):
    """A whole file streamed from disk, so a large single PUT never sits in memory."""

    def __init__(
        self, raw: io.FileIO, sink: ByteSink | None, cancel: CancelToken | None = None
    ) -> None:
        super().__init__(raw, buffer_size=FILE_BUFFER)
        self._progress = _Reporter(sink, cancel)
