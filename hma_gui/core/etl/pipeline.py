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
from collections.abc import Callable
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
from hma_gui.core.etl.planning import (
    PlannedFile,
    parse_s3_uri,
    plan_all,
    plan_object,
)
from hma_gui.core.etl.rejects import RejectsReport
from hma_gui.core.etl.results import (
    EtlProgress,
    EtlSource,
    FileResult,
    FileStatus,
    NullEtlProgress,
    RunResult,
)
from hma_gui.core.etl.s3_source import ObjectChanged
from hma_gui.core.etl.schema import TABLES, TABLES_BY_NAME, Table
from hma_gui.core.etl.validation import FileRejected
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client, make_s3_client

logger = logging.getLogger(__name__)

MBA_SCOPE = "mba"
LOCK_WAIT = 60.0  # seconds a file waits for another loader of its table
LOCK_SLICE = 1.0  # the wait is asked in slices so that a cancel ends it
STALE_REASON = "interrupted: the run ended before this file finished (process or database lost)"


@dataclass(frozen=True)
class EtlOptions:
    force: bool = False  # reload objects whose ETag was loaded before
    tables: frozenset[str] | None = None  # only these tables (None: all)
    dry_run: bool = False  # read and validate, write nothing but the rejects report
    upload_rejects: bool = False  # also copy the rejects report to <prefix>rejects/
    #: seconds to wait for a table another loader is loading before the file is BUSY
    lock_wait: float = LOCK_WAIT
    #: load-one: defer an object while a parent table has no file in its folder
    wait_for_parents: bool = True


@dataclass
class _Run:
    """What every file of one run shares."""

    run_id: str
    options: EtlOptions
    report: RejectsReport
    parents: ParentKeys
    today: dt.date
    progress: EtlProgress
    cancel: CancelToken


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
        source: EtlSource = EtlSource.CLI,
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
        self._source = source

    # ------------------------------------------------------------------ planning

    def plan(self, options: EtlOptions | None = None) -> list[PlannedFile]:
        """The CSV objects under ``<prefix>csv/`` in load order; unmatched ones last."""
        options = options or EtlOptions()
        return plan_all(self._client, self._bucket, self._prefix, _check_tables(options.tables))

    # ------------------------------------------------------------------ running

    def run(
        self,
        options: EtlOptions | None = None,
        progress: EtlProgress | None = None,
        cancel: CancelToken | None = None,
        planned: list[PlannedFile] | None = None,
    ) -> RunResult:
        """Every CSV of the scope (``load-all``): the files of `planned`, or of
        `plan(options)` when None (S3 is listed once a run)."""
        options = options or EtlOptions()
        planner = (lambda: planned) if planned is not None else (lambda: self.plan(options))
        return self._execute(planner, options, progress, cancel)

    def run_one(
        self,
        bucket: str,
        key: str,
        options: EtlOptions | None = None,
        progress: EtlProgress | None = None,
        cancel: CancelToken | None = None,
    ) -> RunResult:
        """One object (``load-one``, an S3 event), after the parent files it needs.

        The object's own result is the run's last file (`RunResult.files[-1]`).
        """
        options = options or EtlOptions()

        def planned() -> list[PlannedFile]:
            return plan_object(
                self._client, self._db, bucket, key, wait_for_parents=options.wait_for_parents
            )

        return self._execute(planned, options, progress, cancel)

    def _execute(
        self,
        planner: Callable[[], list[PlannedFile]],
        options: EtlOptions,
        progress: EtlProgress | None,
        cancel: CancelToken | None,
    ) -> RunResult:
        progress = progress or NullEtlProgress()
        cancel = cancel or CancelToken()
        started = audit.now()
        run_id = uuid.uuid4().hex
        result = RunResult(run_id, self._db.config.display, options.dry_run, started)
        report = RejectsReport(run_id, started, self._rejects_folder)
        self._db.init_schema()
        try:
            if not options.dry_run:
                self._settle_previous_runs()
            planned = planner()
            run = _Run(
                run_id,
                options,
                report,
                ParentKeys(self._db.existing_keys),
                self._today or dt.date.today(),
                progress,
                cancel,
            )
            blocked: str | None = None
            for index, item in enumerate(planned):
                if cancel.cancelled:
                    result.cancelled = True
                    break
                progress.file_started(item.source, _name(item.table), index, len(planned))
                if item.missing:
                    outcome = FileResult(item.source, _name(item.table), FileStatus.MISSING)
                    outcome.notes.append("the object no longer exists: nothing to load")
                elif item.defer or blocked:
                    outcome = self._defer(item, run, item.defer or blocked or "")
                else:
                    outcome = self._one_file(item, run)
                result.files.append(outcome)
                progress.file_finished(outcome)
                if outcome.status is FileStatus.CANCELLED:
                    result.cancelled = True
                    break
                if item.parent and outcome.status.retryable and blocked is None:
                    blocked = (
                        f"waiting for its parent file {item.source.uri}, which did not load "
                        f"({outcome.status.label})"
                    )
        finally:
            result.rejects_path = report.close()
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
            logger.warning("closed %d etl_runs rows whose loader is gone", closed)

    def _start(self, item: PlannedFile, run_id: str) -> AuditStart:
        return AuditStart(
            run_id=run_id,
            bucket=item.source.bucket,
            key=item.source.key,
            etag=item.source.etag,
            version_id=item.source.version_id,
            size=item.source.size,
            table=_name(item.table),
            started_at=audit.now(),
            source=self._source.value,
        )

    def _defer(self, item: PlannedFile, run: _Run, why: str) -> FileResult:
        result = FileResult(item.source, _name(item.table), FileStatus.DEFERRED, error=why)
        finish = AuditFinish(status=result.status.value, error=why)
        self._record(self._start(item, run.run_id), finish, run.options, result)
        return result

    def _one_file(self, item: PlannedFile, run: _Run) -> FileResult:
        source, table, options, run_id = item.source, item.table, run.options, run.run_id
        result = FileResult(source, _name(table), FileStatus.RUNNING)
        if table is None:
            result.status = FileStatus.NO_TABLE
            result.notes.append("no table matches this file name")
            finish = AuditFinish(status=result.status.value)
            self._record(self._start(item, run_id), finish, options, result)
            return result
        if self._loaded_before(item, options):  # no need to wait for the lock
            return self._skipped(item, result, run)
        if options.dry_run:
            return self._load_file(item, table, result, run)
        if not self._lock(table.name, options.lock_wait, run.cancel):
            if run.cancel.cancelled:
                result.status = FileStatus.CANCELLED
                result.error = "cancelled while waiting for the table; the table is unchanged"
                return result
            result.status = FileStatus.BUSY
            result.error = (
                f"another loader kept {table.name} busy for {options.lock_wait:g} s; "
                "try again later"
            )
            self._record(
                self._start(item, run_id),
                AuditFinish(status=result.status.value, error=result.error),
                options,
                result,
            )
            return result
        try:
            return self._load_file(item, table, result, run)
        finally:
            self._db.release_table_lock(table.name)

    def _loaded_before(self, item: PlannedFile, options: EtlOptions) -> bool:
        source = item.source
        return not options.force and self._db.loaded_before(source.bucket, source.key, source.etag)

    def _skipped(self, item: PlannedFile, result: FileResult, run: _Run) -> FileResult:
        result.status = FileStatus.SKIPPED
        result.notes.append("this version was loaded before (use --force to reload)")
        finish = AuditFinish(status=result.status.value)
        self._record(self._start(item, run.run_id), finish, run.options, result)
        return result

    def _lock(self, table: str, wait: float, cancel: CancelToken) -> bool:
        """The table's lock, waiting up to `wait` seconds in slices (a cancel ends the wait)."""
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if self._db.acquire_table_lock(table, min(LOCK_SLICE, max(0.0, remaining))):
                return True
            if remaining <= LOCK_SLICE or cancel.cancelled:
                return False

    def _load_file(
        self, item: PlannedFile, table: Table, result: FileResult, run: _Run
    ) -> FileResult:
        source, options, report, parents = item.source, run.options, run.report, run.parents
        progress, cancel = run.progress, run.cancel
        start = self._start(item, run.run_id)
        # Under the table's lock: another loader may have loaded this version meanwhile.
        if self._loaded_before(item, options):
            return self._skipped(item, result, run)
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
            today=run.today,
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
    source: EtlSource = EtlSource.CLI,
    key: str | None = None,
    planned: list[PlannedFile] | None = None,
) -> RunResult:
    """Run the ETL as configured: the mba scope's bucket, the configured database.

    `key`: only ``s3://bucket/key`` and the parent files it needs (`EtlRunner.run_one`).
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
            source=source,
        )
        if key is not None:
            bucket, name = parse_s3_uri(key)
            return runner.run_one(bucket, name, options, progress, cancel)
        return runner.run(options, progress, cancel, planned)
    finally:
        if database is None:
            db.close()


def _sse_args(settings: Settings) -> dict[str, Any]:
    from hma_gui.core.upload.upload_config import UploadConfig

    return dict(UploadConfig.from_settings(settings).sse_args())
