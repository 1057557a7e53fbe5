"""The rejects report of a run: one CSV row per problem, saved next to the logs.

Columns: ``bucket, source_key, line, row_key, column, value, reason``. A
rejected row with three bad cells gives three report rows (the counts in the
run report count rows, not problems). Each file's problems are collected in a
spooled temporary file and only added to the report when the file finishes,
so a file that is restarted (as cp1252) or fails is not reported twice.
Nothing is written when a run has no rejects. Values that a spreadsheet would run
as a formula are neutralised with a leading ``'`` (`core.csv_export`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hma_gui.core import app_dirs
from hma_gui.core.csv_export import SafeCsvWriter
from hma_gui.core.s3.client import S3Client, translate_error

logger = logging.getLogger(__name__)

HEADER = ("bucket", "source_key", "line", "row_key", "column", "value", "reason")
VALUE_LIMIT = 500
SPOOL_BYTES = 1 << 20


def rejects_dir() -> Path:
    return app_dirs.log_dir() / "etl-rejects"


class FileRejects:
    """The problems of one file (one attempt at it)."""

    def __init__(self, bucket: str, key: str) -> None:
        self.bucket = bucket
        self.key = key
        self.count = 0
        self._spool: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
        )
        self._writer = SafeCsvWriter(self._spool)  # rejected values are hostile input

    def add(self, line: int, row_key: str, column: str, value: str, reason: str) -> None:
        if len(value) > VALUE_LIMIT:
            value = value[: VALUE_LIMIT - 3] + "..."
        self._writer.writerow((self.bucket, self.key, line, row_key, column, value, reason))
        self.count += 1

    def copy_to(self, target: IO[str]) -> None:
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, target)

    def close(self) -> None:
        self._spool.close()


class RejectsReport:
    """The run's report file, created with the first committed problem."""

    def __init__(self, run_id: str, started: dt.datetime, folder: Path | None = None) -> None:
        self._folder = folder or rejects_dir()
        stamp = started.strftime("%Y%m%d-%H%M%S")
        self.path = self._folder / f"rejects-{stamp}-{run_id[:8]}.csv"
        self._handle: IO[str] | None = None
        self.problems = 0

    def for_file(self, bucket: str, key: str) -> FileRejects:
        return FileRejects(bucket, key)

    def commit(self, rejects: FileRejects) -> None:
        try:
            if rejects.count:
                if self._handle is None:
                    app_dirs.ensure_dir(self._folder)
                    self._handle = open(  # noqa: SIM115 - closed by `close`
                        self.path, "w", encoding="utf-8", newline="", opener=app_dirs.private_opener
                    )
                    SafeCsvWriter(self._handle).writerow(HEADER)
                rejects.copy_to(self._handle)
                self._handle.flush()
                self.problems += rejects.count
        finally:
            rejects.close()

    @property
    def written(self) -> Path | None:
        return self.path if self._handle is not None else None

    def close(self) -> Path | None:
        if self._handle is not None:
            self._handle.close()
            return self.path
        return None

    def upload(
        self, client: S3Client, bucket: str, prefix: str, extra_args: dict[str, Any] | None = None
    ) -> str:
        """Copy the closed report to ``<prefix>rejects/<name>``; the S3 URI."""
        key = f"{prefix}rejects/{self.path.name}"
        args = {"ContentType": "text/csv", **(extra_args or {})}
        try:
            with open(self.path, "rb") as body:  # rewound by botocore for a retry
                client.put_object(Bucket=bucket, Key=key, Body=body, **args)
        except Exception as exc:
            raise translate_error(exc, bucket=bucket) from exc
        return f"s3://{bucket}/{key}"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """One rejected CSV row of a report, with every problem it had."""

    bucket: str
    source_key: str
    line: int
    row_key: str
    problems: tuple[tuple[str, str, str], ...]  # (column, value, reason)


def read_rejects(path: Path, limit: int = 10_000) -> tuple[list[RejectedRow], bool]:
    """The report's rejected rows (problems of one row together); True when cut at `limit`."""
    rows: dict[tuple[str, str, int], RejectedRow] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            line = int(record.get("line") or 0)
            where = (record["bucket"], record["source_key"], line)
            problem = (record["column"], record["value"], record["reason"])
            known = rows.get(where)
            if known is None:
                if len(rows) >= limit:
                    return list(rows.values()), True
                rows[where] = RejectedRow(*where, record["row_key"], (problem,))
            else:
                rows[where] = dataclasses.replace(known, problems=(*known.problems, problem))
    return list(rows.values()), False
