"""The MBA ETL: CSV files in S3 → MySQL/MariaDB or SQLite, validated, idempotent, audited.

Public API (Qt-free; the GUI and the CLI drive the same calls), imported from
the module that defines it — this package's ``__init__`` imports nothing, so that
importing one module (``audit``, a sink) never pulls in the whole pipeline:

* `pipeline`: `run_etl(settings, EtlOptions(...), progress=..., cancel=...)` → `RunResult`,
  `EtlRunner(client, database, bucket=, prefix=)` with `.plan()` and `.run()`
* `open_db`: `open_database(DbConfig.from_settings(settings))` → `EtlDatabase` with
  `init_schema()`, `history()`, `row_counts()`; `database`: those types, `DatabaseError`
* `results`: `EtlProgress` (per-file callbacks), `TaskProgressAdapter` for a plain
  `TaskProgress`, `FileResult` / `FileStatus` / `RunResult`
* `s3_source`: `SourceObject`

The data contract itself lives in `schema.py`.
"""
