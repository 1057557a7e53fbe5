"""The job store's record of multipart uploads in progress (schema 2).

`JobStore.multipart` is one `MultipartLedger`; `journal(job_id)` hands the
uploader a `MultipartJournal` for one job, which writes the upload id when the
upload is created and each part as S3 confirms it, so that a restarted process
resumes instead of sending the file again. `open_uploads` lists every upload we
started and did not finish, for `upload.orphans` to abort the abandoned ones.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from hma_gui.core.upload.multipart_state import MultipartState

_COLUMNS = "upload_id, bucket, key, part_size, size, mtime_ns, ctime_ns, md5, created_at"


class MultipartLedger:
    def __init__(
        self,
        write: Callable[[], AbstractContextManager[sqlite3.Cursor]],
        read: Callable[[str, Sequence[object]], list[Any]],
    ) -> None:
        self._write = write
        self._read = read

    def journal(self, job_id: int) -> JobMultipartJournal:
        return JobMultipartJournal(self, job_id)

    def load(self, job_id: int) -> MultipartState | None:
        rows = self._read(
            f"SELECT {_COLUMNS} FROM multipart_uploads WHERE job_id = ?"  # noqa: S608
            " ORDER BY created_at DESC LIMIT 1",
            (job_id,),
        )
        if not rows:
            return None
        parts = self._read(
            "SELECT number, etag FROM multipart_parts WHERE upload_id = ?", (rows[0][0],)
        )
        return _state(rows[0], {int(n): str(e) for n, e in parts})

    def started(self, job_id: int, state: MultipartState) -> None:
        with self._write() as cur:
            cur.execute(
                f"INSERT OR REPLACE INTO multipart_uploads(job_id, {_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id, state.upload_id, state.bucket, state.key, state.part_size,
                    state.size, state.mtime_ns, state.ctime_ns, state.md5,
                    state.created_at or time.time(),
                ),
            )  # fmt: skip

    def part_sent(self, upload_id: str, number: int, etag: str) -> None:
        with self._write() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO multipart_parts(upload_id, number, etag) VALUES (?, ?, ?)",
                (upload_id, number, etag),
            )

    def finished(self, upload_id: str) -> None:
        with self._write() as cur:
            cur.execute("DELETE FROM multipart_parts WHERE upload_id = ?", (upload_id,))
            cur.execute("DELETE FROM multipart_uploads WHERE upload_id = ?", (upload_id,))

    def open_uploads(self) -> list[tuple[MultipartState, int, str | None]]:
        """Every upload started and not finished: (state, job id, the job's state or None)."""
        rows = self._read(
            f"SELECT {', '.join('m.' + c.strip() for c in _COLUMNS.split(','))},"  # noqa: S608
            " m.job_id, j.state FROM multipart_uploads m LEFT JOIN jobs j ON j.id = m.job_id",
            (),
        )
        return [(_state(row, {}), int(row[9]), row[10]) for row in rows]


def _state(row: Sequence[Any], parts: dict[int, str]) -> MultipartState:
    upload_id, bucket, key, part_size, size, mtime_ns, ctime_ns, md5, created_at = row[:9]
    return MultipartState(
        str(upload_id), str(bucket), str(key), int(part_size), int(size), int(mtime_ns),
        int(ctime_ns), str(md5), float(created_at), parts,
    )  # fmt: skip


class JobMultipartJournal:
    """One job's view of the ledger (the uploader's `MultipartJournal`)."""

    def __init__(self, ledger: MultipartLedger, job_id: int) -> None:
        self._ledger = ledger
        self._job_id = job_id

    def load(self) -> MultipartState | None:
        return self._ledger.load(self._job_id)

    def started(self, state: MultipartState) -> None:
        self._ledger.started(self._job_id, state)

    def part_sent(self, upload_id: str, number: int, etag: str) -> None:
        self._ledger.part_sent(upload_id, number, etag)

    def finished(self, upload_id: str) -> None:
        self._ledger.finished(upload_id)
