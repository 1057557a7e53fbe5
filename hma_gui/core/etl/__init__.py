"""The MBA ETL: CSV files in S3 → MySQL/MariaDB or SQLite, validated, idempotent, audited.

Public API (Qt-free; the GUI and the CLI drive the same calls):

* `run_etl(settings, EtlOptions(...), progress=..., cancel=...)` → `RunResult`
* `EtlRunner(client, database, bucket=, prefix=)` with `.plan()` and `.run()`
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
from hma_gui.core.etl.pipeline import EtlOptions, EtlRunner, PlannedFile, run_etl
from hma_gui.core.etl.results import (
    EtlProgress,
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
    "FileResult",
    "FileStatus",
    "NullEtlProgress",
    "PlannedFile",
    "RunResult",
    "SourceObject",
    "TaskProgressAdapter",
    "open_database",
    "run_etl",
]
