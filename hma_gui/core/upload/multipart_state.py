"""A multipart upload in progress, as a journal keeps it across restarts (no boto imports)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class MultipartState:
    """A multipart upload in progress, as the journal keeps it."""

    upload_id: str
    bucket: str
    key: str
    part_size: int
    size: int
    mtime_ns: int
    ctime_ns: int
    md5: str
    created_at: float = 0.0
    parts: dict[int, str] = field(default_factory=dict)  # part number -> ETag sent

    def fits(self, bucket: str, key: str, info: os.stat_result, part_size: int) -> bool:
        """Still the same target, file and part size?"""
        return (self.bucket, self.key, self.part_size) == (bucket, key, part_size) and (
            self.size,
            self.mtime_ns,
            self.ctime_ns,
        ) == (info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class MultipartJournal(Protocol):
    """Where one job's multipart upload is remembered across restarts."""

    def load(self) -> MultipartState | None: ...

    def started(self, state: MultipartState) -> None: ...

    def part_sent(self, upload_id: str, number: int, etag: str) -> None: ...

    def finished(self, upload_id: str) -> None:
        """Completed or aborted: forget it."""
