"""One CSV object into one table: stream, map the header, validate, check keys, load.

`FileJob.run` reads the object as UTF-8 (or what its byte-order mark says), rows
that are not valid UTF-8 rejected one by one; only a file without any valid UTF-8
multi-byte sequence is read a second time, as cp1252 (`text_encoding`). It reads
in batches of `BATCH_ROWS` records: each batch is validated
row by row, its foreign keys are checked in one lookup per referenced table,
duplicates are counted (the last row of a key wins in the table because rows
reach the target in file order), and the good rows go to the target's
`FileLoad`. Only when the whole file has been read is the load committed, with
the file's ``etl_runs`` row, in one transaction.

Invariant: ``rows_read == rows_loaded + rows_rejected`` (superseded rows are
loaded rows that a later row of the same key replaced).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import compress

from hma_gui.core.etl.csv_reader import read_batches
from hma_gui.core.etl.database import AuditFinish, EtlDatabase, FileLoad
from hma_gui.core.etl.parent_keys import ParentKeys
from hma_gui.core.etl.rejects import FileRejects, RejectsReport
from hma_gui.core.etl.s3_source import ObjectStream, SourceObject
from hma_gui.core.etl.schema import Table
from hma_gui.core.etl.text_encoding import (
    CP1252,
    UTF8,
    BadRow,
    EncodingRefused,
    Utf8Check,
    label,
    shown,
)
from hma_gui.core.etl.validation import (
    Batch,
    FileRejected,
    HeaderMapping,
    Problem,
    RowValidator,
    map_header,
)
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client

logger = logging.getLogger(__name__)

BATCH_ROWS = 5000


@dataclass
class FileCounts:
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    superseded: int = 0
    encoding: str = "utf-8"
    etag: str = ""
    notes: list[str] = field(default_factory=list)
    keys: set[object] = field(default_factory=set)
    rejected_undecodable: int = 0  # of `rejected`: rows that are not valid UTF-8


class _ReadAsCp1252(Exception):
    """The UTF-8 reading found invalid bytes and no valid UTF-8 text: start again."""


ProgressCallback = Callable[[int, int], None]  # (bytes read, rows read)


class FileJob:
    def __init__(
        self,
        *,
        client: S3Client,
        database: EtlDatabase,
        parent_keys: ParentKeys,
        report: RejectsReport,
        source: SourceObject,
        table: Table,
        audit_id: int | None,
        today: dt.date,
        rejects_path: str | None,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self._client = client
        self._db = database
        self._parents = parent_keys
        self._report = report
        self._source = source
        self._table = table
        self._audit_id = audit_id  # None: dry run, nothing is written
        self._today = today
        self._rejects_path = rejects_path
        self._batch_rows = batch_rows

    def run(self, progress: ProgressCallback, cancel: CancelToken) -> FileCounts:
        check = Utf8Check()
        rejects = self._report.for_file(self._source.bucket, self._source.key)
        try:
            counts = self._read(UTF8, rejects, progress, cancel, check)
        except _ReadAsCp1252:
            rejects.close()
        except EncodingRefused as exc:
            rejects.close()
            raise FileRejected(str(exc)) from None
        except UnicodeDecodeError as exc:  # a UTF-16/32 file (BOM) with invalid bytes
            rejects.close()
            raise FileRejected(
                f"the file starts with a {label(check.encoding).upper()} byte-order mark but "
                f"is not valid {label(check.encoding).upper()} ({exc.reason} at byte {exc.start})"
            ) from None
        except BaseException:
            rejects.close()
            raise
        else:
            self._report.commit(rejects)
            return counts
        logger.info("%s has no valid UTF-8 text; reading it as cp1252", self._source.uri)
        rejects = self._report.for_file(self._source.bucket, self._source.key)
        try:
            counts = self._read(CP1252, rejects, progress, cancel, None)
        except UnicodeDecodeError:
            rejects.close()
            raise FileRejected("the file is neither UTF-8 nor cp1252 text") from None
        except BaseException:
            rejects.close()
            raise
        self._report.commit(rejects)
        counts.notes.insert(0, "not valid UTF-8 and no UTF-8 text in it: read again as cp1252")
        return counts

    def _read(
        self,
        encoding: str,
        rejects: FileRejects,
        progress: ProgressCallback,
        cancel: CancelToken,
        check: Utf8Check | None,
    ) -> FileCounts:
        stream = ObjectStream(self._client, self._source)
        load: FileLoad | None = None
        try:
            batches = read_batches(stream, encoding, self._batch_rows, check)
            first = next(batches, None)
            if first is None:
                raise FileRejected("the file is empty (no header row)")
            mapping = map_header(self._table, first[1][0])
            mapping.check()
            validator = RowValidator(mapping, today=self._today)
            counts = FileCounts(encoding=label(check.encoding if check else encoding))
            if mapping.unknown:
                counts.notes.append("ignored unknown columns: " + ", ".join(mapping.unknown))
            if self._audit_id is not None:
                load = self._db.begin_load(self._table, validator.columns)
            for lines, rows in batches:
                if check is not None and check.bad_rows:
                    self._reject_undecodable(check.take_bad_rows(), mapping, counts, rejects)
                self._flush(validator.validate_batch(lines, rows), validator, counts, rejects, load)
                progress(stream.position, counts.read)
                cancel.raise_if_cancelled()
            progress(stream.position, counts.read)
            if check is not None and check.read_as_cp1252:
                raise _ReadAsCp1252  # before the commit: the load is rolled back below
            if check is not None and check.bad_seen:
                counts.notes.append(
                    f"{counts.rejected_undecodable} rows are not valid UTF-8 and were rejected "
                    "(the rest of the file is UTF-8)"
                )
            counts.etag = stream.etag
            if load is not None and self._audit_id is not None:
                load.commit(self._audit_id, self.finish(counts, "succeeded"))
                load = None
            return counts
        finally:
            if load is not None:
                load.abort()
            stream.close()

    def finish(self, counts: FileCounts, status: str) -> AuditFinish:
        return AuditFinish(
            status=status,
            rows_read=counts.read,
            rows_loaded=counts.loaded,
            rows_rejected=counts.rejected,
            rows_superseded=counts.superseded,
            encoding=counts.encoding,
            rejects_path=self._rejects_path if counts.rejected else None,
        )

    def _flush(
        self,
        batch: Batch,
        validator: RowValidator,
        counts: FileCounts,
        rejects: FileRejects,
        load: FileLoad | None,
    ) -> None:
        if validator.references and (len(batch) or batch.rejected):
            self._check_references(batch, validator)
        counts.read += len(batch) + len(batch.rejected)
        counts.rejected += len(batch.rejected)
        for line, row_key, problems in batch.rejected:
            for problem in problems:
                rejects.add(line, row_key, problem.column, problem.value, problem.reason)
        seen = counts.keys
        before = len(seen)
        seen.update(validator.keys(batch))
        counts.superseded += len(batch) - (len(seen) - before)
        counts.loaded += len(batch)
        if load is not None and len(batch):
            load.write(batch)

    def _reject_undecodable(
        self,
        bad_rows: list[BadRow],
        mapping: HeaderMapping,
        counts: FileCounts,
        rejects: FileRejects,
    ) -> None:
        """Rows whose bytes are not valid UTF-8 (in a UTF-8 file): one problem per bad cell."""
        names = {position: name for name, position in mapping.positions.items()}
        key_positions = [mapping.positions.get(k, -1) for k in self._table.key]
        for bad in bad_rows:
            row_key = "|".join(
                shown(bad.row[p]) if 0 <= p < len(bad.row) else "" for p in key_positions
            )
            for position, value in bad.cells:
                column = (
                    names.get(position) or shown(mapping.header[position])
                    if position < len(mapping.header)
                    else ""
                )
                rejects.add(bad.line, row_key, column, value, bad.reason())
        counts.read += len(bad_rows)
        counts.rejected += len(bad_rows)
        counts.rejected_undecodable += len(bad_rows)

    def _check_references(self, batch: Batch, validator: RowValidator) -> None:
        """Unknown parents: good rows are rejected; rows rejected already get one more problem.

        Rejected rows are checked too (their cells that converted hold real values), so
        a row with a bad ZIP and an unknown PlanID lists both.
        """
        problems: dict[int, list[Problem]] = {}
        more: dict[int, list[Problem]] = {}
        for index, parent, parent_column, name in validator.references:
            column = batch.columns[index]
            wanted = set(column)
            wanted.discard(None)
            missing = self._parents.missing(parent, parent_column, wanted)  # type: ignore[arg-type]
            if not missing:
                continue
            for position in compress(range(len(column)), map(missing.__contains__, column)):
                value = column[position]
                reason = f"{name} {value} does not exist in {parent}"
                found = problems if batch.is_good(position) else more
                found.setdefault(position, []).append(Problem(name, str(value), reason))
        batch.add_problems(more)
        batch.drop(problems, lambda i: validator.key_text(batch, i))
