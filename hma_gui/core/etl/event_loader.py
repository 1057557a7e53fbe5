"""The configured ETL, ready for S3 events: what the Lambda handler and a worker build once.

    loader = EventLoader.from_settings(settings, EtlSource.WORKER)
    outcome = loader.handle(records)        # SQS records (or S3 records) of one batch
    loader.handle(records, cancel=token)    # a cancel rolls the running file back
    outcome.failed_message_ids              # leave these on the queue; delete the others
    loader.close()

Database credentials come from ``db_secret_arn`` (Secrets Manager) when set, else
from ``db_url`` / ``db_password``; the S3 client and the database connection are
built once and reused for every batch (the connection reconnects when lost).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hma_gui.core.config.settings import Settings
from hma_gui.core.etl.database import DatabaseError, DbConfig, EtlDatabase
from hma_gui.core.etl.db_secret import resolve_db_secret
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.pipeline import LOCK_WAIT, MBA_SCOPE, EtlOptions, EtlRunner
from hma_gui.core.etl.results import EtlSource, RunResult
from hma_gui.core.etl.s3_events import BatchOutcome, handle_s3_event_records
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client, make_s3_client


class EventLoader:
    def __init__(
        self,
        client: S3Client,
        database: EtlDatabase,
        *,
        bucket: str,
        prefix: str,
        source: EtlSource,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self.database = database
        self._runner = EtlRunner(client, database, bucket=bucket, prefix=prefix, source=source)
        self._options = EtlOptions(lock_wait=lock_wait)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        source: EtlSource,
        *,
        lock_wait: float = LOCK_WAIT,
        secrets_client: Any | None = None,
    ) -> EventLoader:
        settings = resolve_db_secret(settings, secrets_client)
        database = open_database(DbConfig.from_settings(settings))
        scope = settings.scope(MBA_SCOPE)
        return cls(
            make_s3_client(settings),
            database,
            bucket=scope.bucket,
            prefix=scope.prefix,
            source=source,
            lock_wait=lock_wait,
        )

    def load_one(self, bucket: str, key: str, cancel: CancelToken | None = None) -> RunResult:
        return self._runner.run_one(bucket, key, self._options, cancel=cancel)

    def handle(
        self, records: Iterable[Mapping[str, Any]], cancel: CancelToken | None = None
    ) -> BatchOutcome:
        """Every record's objects, one at a time; a cancel stops the running file (rolled
        back: its record is retried) and the records after it are retried unstarted."""
        return handle_s3_event_records(records, lambda b, k: self.load_one(b, k, cancel))

    def database_problem(self) -> str | None:
        """Why the database cannot be used now (down, unreachable, login refused), or None."""
        try:
            self.database.init_schema()  # what every load does first; reconnects when lost
        except DatabaseError as exc:
            return str(exc)
        return None

    def close(self) -> None:
        self.database.close()
