"""The MBA ETL: CSV files in S3 → MySQL/MariaDB or SQLite, validated, idempotent, audited.

Public API (Qt-free; the GUI and the CLI drive the same calls), imported from
the module that defines it — this package's ``__init__`` imports nothing, so that
importing one module (``audit``, a sink) never pulls in the whole pipeline:

* `pipeline`: `run_etl(settings, EtlOptions(...), progress=..., cancel=...)` → `RunResult`,
  `run_etl(settings, options, key="s3://bucket/key")` → one object and its parents,
  `EtlRunner(client, database, bucket=, prefix=, source=)` with `.plan()`, `.run()`
  and `.run_one(bucket, key)`
* `planning`: `PlannedFile`, `parse_s3_uri`
* `event_loader`: `EventLoader` (the configured loader of S3 events: Lambda, worker),
  `s3_events`: `handle_s3_event_records` and the event parsing
* `open_db`: `open_database(DbConfig.from_settings(settings))` → `EtlDatabase` with
  `init_schema()`, `history()`, `row_counts()`; `database`: those types, `DatabaseError`
* `results`: `EtlProgress` (per-file callbacks), `TaskProgressAdapter` for a plain
  `TaskProgress`, `FileResult` / `FileStatus` / `RunResult`, `EtlSource`
* `s3_source`: `SourceObject`

The data contract itself lives in `schema.py`.
"""
