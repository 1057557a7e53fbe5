"""The one-click ETL: every MBA CSV in S3 into its table, in load order, audited.

Qt-free entry points for the CLI, the GUI and a Lambda-style handler:

    result = run_etl(settings, EtlOptions(), progress=my_progress, cancel=token)

or, with dependencies built by the caller (tests, the GUI's own client):

    runner = EtlRunner(client, open_database(DbConfig.from_settings(s)),
                       bucket=..., prefix="mba/")
    result = runner.run(EtlOptions(force=True), progress, cancel)

A run lists ``<prefix>csv/`` once, matches each ``.csv`` object to a table by
its file name (`schema.table_for_key`), orders the files by the tables' load
order and loads them one at a time (`file_job.FileJob`). Each file ends in
one `FileResult`; a failed file does not stop the run, a cancel does (the
current file is rolled back, later files are not started).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import Cancelled, ConfigError, HmaError
from hma_gui.core.etl import audit
from hma_gui.core.etl.csv_reader import CsvSyntaxError
from hma_gui.core.etl.database import (
    AuditFinish,
    AuditStart,
    DatabaseError,
    DbConfig,
    EtlDatabase,
)
from hma_gui.core.etl.file_job import FileJob
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.parent_keys import ParentKeys
from hma_gui.core.etl.rejects import RejectsReport
from hma_gui.core.etl.results import (
    EtlProgress,
    FileResult,
    FileStatus,
    NullEtlProgress,
    RunResult,
)
from hma_gui.core.etl.s3_source import ObjectChanged, SourceObject, list_sources
from hma_gui.core.etl.schema import TABLES, TABLES_BY_NAME, Table, table_for_key
from hma_gui.core.etl.validation import FileRejected
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client, make_s3_client

logger = logging.getLogger(__name__)

MBA_SCOPE = "mba"
CSV_FOLDER = "csv/"
STALE_REASON = "interrupted: the run ended before this file finished (process or database lost)"


@dataclass(frozen=True)
class EtlOptions:
    force: bool = False  # reload objects whose ETag was loaded before
    tables: frozenset[str] | None = None  # only these tables (None: all)
    dry_run: bool = False  # read and validate, write nothing but the rejects report
    upload_rejects: bool = False  # also copy the rejects report to <prefix>rejects/


@dataclass(frozen=True)
class PlannedFile:
    source: SourceObject
    table: Table | None


class EtlRunner:
    def __init__(
        self,
        client: S3Client,
        database: EtlDatabase,
        *,
        bucket: str,
        prefix: str,
        rejects_folder: Path | None = None,
        upload_extra_args: dict[str, Any] | None = None,
        today: dt.date | None = None,
        pending: audit.PendingAudit | None = None,
        batch_rows: int | None = None,
    ) -> None:
        self._client = client
        self._db = database
        self._bucket = bucket
        self._prefix = prefix
        self._rejects_folder = rejects_folder
        self._upload_args = upload_extra_args or {}
        self._today = today
        self._pending = pending or audit.PendingAudit(database.config.display)
        self._batch_rows = batch_rows

    # ------------------------------------------------------------------ planning

    def plan(self, options: EtlOptions | None = None) -> list[PlannedFile]:
        """The CSV objects under ``<prefix>csv/`` in load order; unmatched ones last."""
        options = options or EtlOptions()
        wanted = _check_tables(options.tables)
        planned = []
        for source in list_sources(self._client, self._bucket, self._prefix + CSV_FOLDER):
            table = table_for_key(source.key)
            if wanted is not None and (table is None or table.name not in wanted):
                continue
            planned.append(PlannedFile(source, table))
        return sorted(
            planned,
            key=lambda p: (p.table.load_order if p.table else len(TABLES) + 1, p.source.key),
        )

    # ------------------------------------------------------------------ running

    def run(
        self,
        options: EtlOptions | None = None,
        progress: EtlProgress | None = None,
        cancel: CancelToken | None = None,
        planned: list[PlannedFile] | None = None,
    ) -> RunResult:
        """Load the files of `planned` (`plan(options)` when None: S3 is listed once a run)."""
        options = options or EtlOptions()
        progress = progress or NullEtlProgress()
        cancel = cancel or CancelToken()
        started = audit.now()
        run_id = uuid.uuid4().hex
        result = RunResult(run_id, self._db.config.display, options.dry_run, started)
        report = RejectsReport(run_id, started, self._rejects_folder)
        self._db.init_schema()
        if not options.dry_run:
            self._db.acquire_run_lock()
        try:
            if not options.dry_run:
                self._settle_previous_runs()
            if planned is None:
                planned = self.plan(options)
            parents = ParentKeys(self._db.existing_keys)
            today = self._today or dt.date.today()
            for index, item in enumerate(planned):
                if cancel.cancelled:
                    result.cancelled = True
                    break
                progress.file_started(item.source, _name(item.table), index, len(planned))
                outcome = self._one_file(
                    item, run_id, options, report, parents, today, progress, cancel
                )
                result.files.append(outcome)
                progress.file_finished(outcome)
                if outcome.status is FileStatus.CANCELLED:
                    result.cancelled = True
                    break
        finally:
            result.rejects_path = report.close()
            if not options.dry_run:
                self._db.release_run_lock()
        if options.upload_rejects and result.rejects_path is not None:
            try:
                result.rejects_uri = report.upload(
                    self._client, self._bucket, self._prefix, self._upload_args
                )
            except HmaError as exc:
                logger.warning("could not upload the rejects report: %s", exc)
        result.finished_at = audit.now()
        return result

    def _settle_previous_runs(self) -> None:
        for audit_id, finish in self._pending.take():
            try:
                self._db.audit_finish(audit_id, finish)
            except DatabaseError:
                self._pending.add(audit_id, finish)
                raise
        closed = self._db.close_stale_runs(STALE_REASON)
        if closed:
            logger.warning("closed %d etl_runs rows left running by an earlier run", closed)

    def _one_file(
        self,
        item: PlannedFile,
        run_id: str,
        options: EtlOptions,
        report: RejectsReport,
        parents: ParentKeys,
        today: dt.date,
        progress: EtlProgress,
        cancel: CancelToken,
    ) -> FileResult:
        source, table = item.source, item.table
        result = FileResult(source, _name(table), FileStatus.RUNNING)
        start = AuditStart(
            run_id=run_id,
            bucket=source.bucket,
            key=source.key,
            etag=source.etag,
            version_id=source.version_id,
            size=source.size,
            table=_name(table),
            started_at=audit.now(),
        )
        if table is None:
            result.status = FileStatus.NO_TABLE
            result.notes.append("no table matches this file name")
            self._record(start, AuditFinish(status=result.status.value), options, result)
            return result
        if not options.force and self._db.loaded_before(source.bucket, source.key, source.etag):
            result.status = FileStatus.SKIPPED
            result.notes.append("this version was loaded before (use --force to reload)")
            self._record(start, AuditFinish(status=result.status.value), options, result)
            return result
        audit_id = None if options.dry_run else self._db.audit_start(start)
        result.audit_id = audit_id
        job = FileJob(
            client=self._client,
            database=self._db,
            parent_keys=parents,
            report=report,
            source=source,
            table=table,
            audit_id=audit_id,
            today=today,
            rejects_path=str(report.path),
            **({"batch_rows": self._batch_rows} if self._batch_rows else {}),
        )
        began = time.monotonic()
        try:
            counts = job.run(lambda b, r: progress.file_progress(source, b, r), cancel)
        except (FileRejected, CsvSyntaxError) as exc:
            self._reject_file(result, report, str(exc))
        except (Cancelled, KeyboardInterrupt):
            result.status = FileStatus.CANCELLED
            result.error = "cancelled; the table is unchanged"
        except (DatabaseError, ObjectChanged, HmaError) as exc:
            result.status = FileStatus.FAILED
            result.error = f"{exc}; the table is unchanged"
            logger.error("loading %s failed: %s", source.uri, exc)
        except Exception as exc:
            result.status = FileStatus.FAILED
            result.error = f"unexpected error: {type(exc).__name__}: {exc}; the table is unchanged"
            logger.exception("loading %s failed", source.uri)
        else:
            result.status = FileStatus.VALIDATED if options.dry_run else FileStatus.SUCCEEDED
            result.rows_read, result.rows_loaded = counts.read, counts.loaded
            result.rows_rejected, result.rows_superseded = counts.rejected, counts.superseded
            result.encoding, result.notes = counts.encoding, counts.notes
            if options.dry_run and any(
                table.name == p for t in TABLES for _, p, _ in t.foreign_keys
            ):
                parents.add_run_keys(table.name, counts.keys)
            elif not options.dry_run:
                parents.table_changed(table.name)
        result.seconds = time.monotonic() - began
        if audit_id is not None and result.status is not FileStatus.SUCCEEDED:
            finish = AuditFinish(status=result.status.value, error=result.error)
            try:
                self._db.audit_finish(audit_id, finish)
            except DatabaseError:
                logger.warning(
                    "etl_runs unreachable; the failure of %s is kept for later", source.key
                )
                self._pending.add(audit_id, finish)
        return result

    def _reject_file(self, result: FileResult, report: RejectsReport, reason: str) -> None:
        result.status = FileStatus.REJECTED
        result.error = f"file rejected: {reason}"
        rejects = report.for_file(result.source.bucket, result.source.key)
        rejects.add(1, "", "", "", result.error)
        report.commit(rejects)

    def _record(
        self, start: AuditStart, finish: AuditFinish, options: EtlOptions, result: FileResult
    ) -> None:
        if not options.dry_run:
            result.audit_id = self._db.audit_record(start, finish)


def _name(table: Table | None) -> str | None:
    return table.name if table else None


def _check_tables(tables: frozenset[str] | None) -> frozenset[str] | None:
    if tables is None:
        return None
    unknown = sorted(set(tables) - set(TABLES_BY_NAME))
    if unknown:
        raise ConfigError(
            f"unknown table {', '.join(unknown)} (known: {', '.join(TABLES_BY_NAME)})"
        )
    return tables


def run_etl(
    settings: Settings,
    options: EtlOptions | None = None,
    *,
    progress: EtlProgress | None = None,
    cancel: CancelToken | None = None,
    client: S3Client | None = None,
    database: EtlDatabase | None = None,
    planned: list[PlannedFile] | None = None,
) -> RunResult:
    """Run the ETL as configured: the mba scope's bucket, the configured database.

    `planned`: what the caller already listed and showed (the window), so that S3
    is not listed a second time.
    """
    scope = settings.scope(MBA_SCOPE)
    db = database or open_database(DbConfig.from_settings(settings))
    try:
        runner = EtlRunner(
            client or make_s3_client(settings),
            db,
            bucket=scope.bucket,
            prefix=scope.prefix,
            upload_extra_args=_sse_args(settings),
        )
        return runner.run(options, progress, cancel, planned)
    finally:
        if database is None:
            db.close()


def _sse_args(settings: Settings) -> dict[str, Any]:
    from hma_gui.core.upload.upload_config import UploadConfig

    return dict(UploadConfig.from_settings(settings).sse_args())
