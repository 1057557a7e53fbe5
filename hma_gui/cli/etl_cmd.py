"""``hma-ingest etl`` and ``hma-ingest db init|status|history``: the MBA CSVs into the database.

Also the seed's spellings (console script ``hma-etl``): ``hma-etl load-all
[options]``, which runs ``hma-ingest etl [options]``, and ``hma-etl load-one
s3://bucket/key``, which runs ``hma-ingest etl --key s3://bucket/key`` (one
object, after the not-yet-loaded files of its parent tables in its folder).

Exit codes: 0 every file loaded (rows may have been rejected: see the report),
1 a file failed or was rejected as a whole, 2 configuration, sign-in or
connection problem (one line on stderr), 130 interrupted (the file being
loaded was rolled back).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO, TypeVar

from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.progress_line import TerminalLine
from hma_gui.core.etl.database import (
    DatabaseError,
    DbConfig,
    EtlDatabase,
    EtlRunRecord,
)
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.pipeline import EtlOptions, run_etl
from hma_gui.core.etl.planning import parse_s3_uri
from hma_gui.core.etl.results import EtlSource, FileResult, FileStatus, RunResult
from hma_gui.core.etl.s3_source import SourceObject
from hma_gui.core.etl.schema import TABLES_BY_NAME

T = TypeVar("T")

PROGRESS_INTERVAL = 0.2


def register(commands: Any) -> None:
    etl = commands.add_parser(
        "etl",
        help="load the MBA CSV files from S3 into the database (one click)",
        description=(
            "Lists <mba prefix>csv/*.csv in the mba bucket, loads each file into its table "
            "(plans, members, deductibles_oop, benefit_accumulator) in load order, validates "
            "every row against the data contract and writes a rejects report. Files whose "
            "ETag was loaded before are skipped unless --force."
        ),
    )
    etl.add_argument("--force", action="store_true", help="reload files loaded before")
    etl.add_argument(
        "--key",
        metavar="S3_URI",
        help=(
            "only this object (s3://bucket/mba/csv/file.csv), after the files of its parent "
            "tables in the same folder that are not loaded yet"
        ),
    )
    etl.add_argument(
        "--no-wait-for-parents",
        dest="wait_for_parents",
        action="store_false",
        help=(
            "with --key: load the object even when a parent table has no file in its folder "
            "(rows for missing parents are rejected); by default it is deferred (exit 1)"
        ),
    )
    etl.add_argument(
        "--table",
        action="append",
        choices=sorted(TABLES_BY_NAME),
        metavar="TABLE",
        help=f"only this table (repeatable): {', '.join(TABLES_BY_NAME)}",
    )
    etl.add_argument("--dry-run", action="store_true", help="read and validate only; write nothing")
    etl.add_argument(
        "--upload-rejects", action="store_true", help="also copy the rejects report to S3"
    )
    etl.add_argument("--json", action="store_true", help="print the run result as JSON")
    etl.set_defaults(handler=cmd_etl)

    db = commands.add_parser("db", help="the ETL database: create the tables, show status")
    sub = db.add_subparsers(dest="db_command", metavar="{init,status,history}")
    init = sub.add_parser("init", help="create the tables, etl_runs and the schema version")
    init.add_argument("--json", action="store_true")
    init.set_defaults(handler=cmd_db_init)
    status = sub.add_parser("status", help="the target and the row count of every table")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_db_status)
    history = sub.add_parser("history", help="the latest etl_runs rows")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=cmd_db_history)
    db.set_defaults(handler=cmd_db_status, json=False)


# --------------------------------------------------------------------------- etl


def cmd_etl(ctx: CliContext) -> int:
    settings = ctx.settings()
    if ctx.args.key and ctx.args.table:
        ctx.err("hma-ingest: --key and --table do not go together (the key names its table)")
        return ExitStatus.ERROR
    if ctx.args.key:
        parse_s3_uri(ctx.args.key)  # a usage error before anything connects
    options = EtlOptions(
        force=ctx.args.force,
        tables=frozenset(ctx.args.table) if ctx.args.table else None,
        dry_run=ctx.args.dry_run,
        upload_rejects=ctx.args.upload_rejects,
        wait_for_parents=ctx.args.wait_for_parents,
    )
    progress = _ProgressLine(ctx.stderr) if ctx.interactive else None
    try:
        # no client given: run_etl opens the database first, so a bad db_url fails
        # before boto3 is even imported
        result = run_etl(
            settings,
            options,
            progress=progress,
            source=EtlSource.CLI,
            key=ctx.args.key,
        )
    except DatabaseError as exc:
        ctx.err(f"hma-ingest: {exc}")
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        ctx.err("hma-ingest: interrupted; no file was half-loaded")
        return ExitStatus.INTERRUPTED
    finally:
        if progress is not None:
            progress.close()
    if ctx.json_output:
        ctx.emit_json(result.to_dict())
    else:
        _print_run(ctx, result)
    if result.cancelled:
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK if result.ok else ExitStatus.SOME_FAILED


def _print_run(ctx: CliContext, result: RunResult) -> None:
    ctx.out(f"target: {result.target}{'   (dry run: nothing written)' if result.dry_run else ''}")
    if not result.files:
        ctx.out("no CSV files found under the mba scope's csv/ folder")
        return
    width = max([len(f.source.key) for f in result.files] + [4])
    ctx.out(
        f"{'FILE':{width}}  {'TABLE':19}  {'STATUS':17}  {'READ':>9}  {'LOADED':>9}  "
        f"{'REJECTED':>9}  {'SUPERSEDED':>10}"
    )
    for item in result.files:
        ctx.out(_file_line(item, width))
        for note in item.notes if item.status is not FileStatus.SKIPPED else ():
            ctx.out(f"    note: {note}")
        if item.error:
            ctx.out(f"    error: {item.error}")
    if any(f.status is FileStatus.SKIPPED for f in result.files):
        ctx.out("skipped: these versions were loaded before (--force reloads them)")
    if result.rejects_path:
        files = sum(f.status is FileStatus.REJECTED for f in result.files)
        whole = f", {files} whole file{'s' if files > 1 else ''} rejected" if files else ""
        ctx.out(
            f"rejects report: {result.rejects_path} ({result.rows_rejected} rows rejected{whole})"
        )
        if result.rejects_uri:
            ctx.out(f"rejects report uploaded to {result.rejects_uri}")
    else:
        ctx.out("rejects report: none (no rows rejected)")
    if result.cancelled:
        ctx.err("hma-ingest: interrupted; the file being loaded was rolled back")


def _file_line(item: FileResult, width: int) -> str:
    counted = item.status.value in ("succeeded", "validated")
    numbers = (
        f"{item.rows_read:>9,}  {item.rows_loaded:>9,}  {item.rows_rejected:>9,}  "
        f"{item.rows_superseded:>10,}"
        if counted
        else ""
    )
    return f"{item.source.key:{width}}  {item.table or '-':19}  {item.status.label:17}  {numbers}"


class _ProgressLine:
    """``[2/4] MemberData.csv  45%  120,000 rows`` on a terminal (`TerminalLine`)."""

    def __init__(self, stream: TextIO) -> None:
        self._line = TerminalLine(stream, PROGRESS_INTERVAL)
        self._prefix = ""

    def file_started(self, source: SourceObject, table: str | None, index: int, count: int) -> None:
        self._prefix = f"[{index + 1}/{count}] {source.name}"
        self._line.show(self._prefix, force=True)

    def file_progress(self, source: SourceObject, bytes_done: int, rows_read: int) -> None:
        percent = 100 * bytes_done // source.size if source.size else 100
        self._line.show(f"{self._prefix}  {min(percent, 100):3d}%  {rows_read:,} rows")

    def file_finished(self, result: FileResult) -> None:
        self._line.show(f"{self._prefix}  {result.status.label}", force=True)

    def close(self) -> None:
        self._line.end()


# --------------------------------------------------------------------------- db


def _on_database(ctx: CliContext, work: Callable[[EtlDatabase], T]) -> T | None:
    """`work(db)` on the configured database, closed after; None once an error is printed."""
    try:
        db = open_database(DbConfig.from_settings(ctx.settings()))
        try:
            return work(db)
        finally:
            db.close()
    except DatabaseError as exc:
        ctx.err(f"hma-ingest: {exc}")
        return None


def cmd_db_init(ctx: CliContext) -> int:
    done = _on_database(ctx, lambda db: (db.config.display, db.init_schema()))
    if done is None:
        return ExitStatus.ERROR
    target, created = done
    if ctx.json_output:
        ctx.emit_json({"target": target, "created": created})
    elif created:
        ctx.out(f"{target}: created {', '.join(created)}")
    else:
        ctx.out(f"{target}: already up to date (nothing changed)")
    return ExitStatus.OK


def cmd_db_status(ctx: CliContext) -> int:
    def counts(db: EtlDatabase) -> tuple[str, dict[str, int]]:
        db.init_schema()
        return db.config.display, db.row_counts()

    done = _on_database(ctx, counts)
    if done is None:
        return ExitStatus.ERROR
    target, rows = done
    if ctx.json_output:
        ctx.emit_json({"target": target, "rows": rows})
        return ExitStatus.OK
    ctx.out(f"target: {target}")
    for name, count in rows.items():
        ctx.out(f"  {name:20} {count:>12,} rows")
    return ExitStatus.OK


def cmd_db_history(ctx: CliContext) -> int:
    def history(db: EtlDatabase) -> list[EtlRunRecord]:
        db.init_schema()
        return db.history(max(1, ctx.args.limit))

    records = _on_database(ctx, history)
    if records is None:
        return ExitStatus.ERROR
    if ctx.json_output:
        ctx.emit_json([record.__dict__ for record in records])
        return ExitStatus.OK
    for r in records:
        counts = f"read {r.rows_read:,} loaded {r.rows_loaded:,} rejected {r.rows_rejected:,}"
        ctx.out(f"{r.started_at[:19]}  {r.status:10} {r.source or '-':7} {r.key}  {counts}")
        if r.error:
            ctx.out(f"    {r.error}")
    return ExitStatus.OK


# --------------------------------------------------------------------------- hma-etl

HMA_ETL_COMMANDS = {
    "load-all": ["etl"],
    "load-one": ["etl", "--key"],
    "init": ["db", "init"],
    "history": ["db", "history"],
}


def hma_etl_main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """``hma-etl load-all [--force] [--table T] [--dry-run] [--json]``, ``hma-etl load-one
    s3://bucket/key [--force] [--json]`` (the seed's spellings)."""
    from hma_gui.cli.main import main

    args = list(sys.argv[1:] if argv is None else argv)
    globals_ = [a for a in args if a in ("--sandbox", "-v", "--verbose", "--traceback")]
    rest = [a for a in args if a not in globals_]
    stderr = stderr or sys.stderr
    if not rest or rest[0] not in HMA_ETL_COMMANDS:
        stderr.write(
            "usage: hma-etl {load-all,load-one S3_URI,init,history} [options]  "
            "(same as hma-ingest etl [--key S3_URI] / db init / db history)\n"
        )
        return ExitStatus.OK if rest[:1] in (["-h"], ["--help"]) else ExitStatus.ERROR
    return main([*globals_, *HMA_ETL_COMMANDS[rest[0]], *rest[1:]], stdout, stderr)


def run_hma_etl() -> None:
    """Console-script entry point of ``hma-etl``."""
    raise SystemExit(hma_etl_main())
