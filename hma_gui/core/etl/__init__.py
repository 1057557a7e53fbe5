"""The MBA ETL: CSV files in S3 → MySQL/MariaDB or SQLite, validated, idempotent, audited.

Public API (Qt-free; the GUI and the CLI drive the same calls):

* `run_etl(settings, EtlOptions(...), progress=..., cancel=...)` → `RunResult`
* `run_etl(settings, options, key="s3://bucket/key")` → one object and its parents
* `EtlRunner(client, database, bucket=, prefix=, source=)` with `.plan()`, `.run()`
  and `.run_one(bucket, key)`
* `open_database(DbConfig.from_settings(settings))` → `EtlDatabase` with
  `init_schema()`, `history()`, `row_counts()`
* `EtlProgress` (per-file callbacks), `TaskProgressAdapter` for a plain `TaskProgress`
* `FileResult` / `FileStatus` / `RunResult`; errors: `DatabaseError` (`.kind`)

The data contract itself lives in `schema.py`.
"""

from hma_gui.core.etl.database import (
    DatabaseError,
    DbConfig,
    DbErrorKind,
    EtlDatabase,
    EtlRunRecord,
    open_database,
)
from hma_gui.core.etl.pipeline import EtlOptions, EtlRunner, run_etl
from hma_gui.core.etl.planning import PlannedFile, parse_s3_uri
from hma_gui.core.etl.results import (
    EtlProgress,
    EtlSource,
    FileResult,
    FileStatus,
    NullEtlProgress,
    RunResult,
    TaskProgressAdapter,
)
from hma_gui.core.etl.s3_source import SourceObject

__all__ = [
    "DatabaseError",
    "DbConfig",
    "DbErrorKind",
    "EtlDatabase",
    "EtlOptions",
    "EtlProgress",
    "EtlRunRecord",
    "EtlRunner",
    "EtlSource",
    "FileResult",
    "FileStatus",
    "NullEtlProgress",
    "PlannedFile",
    "RunResult",
    "SourceObject",
    "TaskProgressAdapter",
    "open_database",
    "parse_s3_uri",
    "run_etl",
]
