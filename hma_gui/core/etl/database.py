"""Which database the ETL writes to, and the seam both targets implement.

Configuration (`DbConfig.from_settings`):

* ``db_url`` unset → the embedded default, a SQLite file ``mba.db`` in the data
  directory (`app_dirs.data_dir`).
* ``mysql://user@host:3306/db`` (also ``mariadb://``) → MySQL/MariaDB through
  PyMySQL. The password comes from ``HMA_DB_PASSWORD`` / ``db_password`` in the
  settings file (a password inside the URL also works but is discouraged).
* ``sqlite:///path/to/file.db`` → a SQLite file elsewhere.
* TLS: towards any host that is not loopback the connection is encrypted and
  the server certificate and host name are verified, against ``db_ssl_ca`` (the
  RDS CA bundle) or the system's trust store. ``db_ssl_verify = false`` keeps
  the encryption but skips verification; ``?ssl=off`` in the URL turns TLS off
  (a database on a trusted LAN without TLS). On loopback TLS is used only when
  ``db_ssl_ca`` is set.

Errors reach people as one `DatabaseError` line that never contains the password.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import ConfigError, HmaError
from hma_gui.core.etl.ddl import Dialect
from hma_gui.core.etl.schema import Table
from hma_gui.core.s3.client import is_loopback

if TYPE_CHECKING:
    from hma_gui.core.etl.validation import Batch

SQLITE_FILENAME = "mba.db"
DEFAULT_MYSQL_PORT = 3306


class DbErrorKind(StrEnum):
    AUTH = "auth"  # wrong user or password, no access to the database
    UNREACHABLE = "unreachable"  # no server there, DNS, TLS handshake
    LOST = "lost"  # the connection dropped or was killed mid-work
    BUSY = "busy"  # another ETL run holds the lock
    OTHER = "other"


class DatabaseError(HmaError):
    def __init__(self, message: str, kind: DbErrorKind = DbErrorKind.OTHER) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class DbConfig:
    dialect: Dialect
    # SQLite
    path: Path | None = None
    # MySQL
    host: str = ""
    port: int = DEFAULT_MYSQL_PORT
    user: str = ""
    database: str = ""
    password: str | None = None
    ssl: bool = False
    ssl_ca: Path | None = None
    ssl_verify: bool = True

    @property
    def display(self) -> str:
        """The target for people and logs: never the password."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self.path}"
        tls = " (TLS)" if self.ssl else ""
        return f"mysql://{self.user}@{self.host}:{self.port}/{self.database}{tls}"

    @classmethod
    def from_settings(cls, settings: Settings) -> DbConfig:
        """The configured database; a sandbox run keeps a SQLite file of its own."""
        if settings.sandbox:
            return cls("sqlite", path=app_dirs.data_dir() / "sandbox" / SQLITE_FILENAME)
        url = (settings.db_url or "").strip()
        if not url:
            return cls("sqlite", path=app_dirs.data_dir() / SQLITE_FILENAME)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        where = "[HMA_DB_URL or 'db_url' in the settings file]"
        if scheme == "sqlite":
            raw = unquote(parts.path)
            if not raw or raw == "/":
                raise ConfigError(f"db_url {where}: sqlite:///path/to/file.db needs a path")
            path = Path(raw[1:] if raw.startswith("//") else raw).expanduser()
            return cls("sqlite", path=path)
        if scheme not in ("mysql", "mariadb", "mysql+pymysql"):
            raise ConfigError(
                f"db_url {where}: unsupported scheme {scheme!r} "
                "(use mysql://user@host:3306/database or sqlite:///path)"
            )
        try:
            port = parts.port or DEFAULT_MYSQL_PORT
        except ValueError:
            raise ConfigError(f"db_url {where}: the port is not a number") from None
        database = unquote(parts.path.lstrip("/"))
        if not parts.hostname or not parts.username or not database or "/" in database:
            raise ConfigError(
                f"db_url {where}: expected mysql://user@host:3306/database "
                f"(user, host and database are required)"
            )
        password = settings.db_password_value()
        if parts.password is not None:
            password = password or unquote(parts.password)
        query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
        ssl_mode = query.get("ssl", "")
        if ssl_mode and ssl_mode not in ("on", "off", "true", "false", "required", "disabled"):
            raise ConfigError(f"db_url {where}: ssl must be on or off (got {ssl_mode!r})")
        loopback = is_loopback(f"mysql://{parts.hostname}")
        if ssl_mode in ("off", "false", "disabled"):
            use_ssl = False
        elif ssl_mode:
            use_ssl = True
        else:
            use_ssl = not loopback or settings.db_ssl_ca is not None
        return cls(
            "mysql",
            host=parts.hostname,
            port=port,
            user=unquote(parts.username),
            database=database,
            password=password,
            ssl=use_ssl,
            ssl_ca=settings.db_ssl_ca,
            ssl_verify=settings.db_ssl_verify,
        )


@dataclass(frozen=True)
class AuditStart:
    run_id: str
    bucket: str
    key: str
    etag: str
    version_id: str | None
    size: int
    table: str | None
    started_at: dt.datetime


@dataclass(frozen=True)
class AuditFinish:
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_superseded: int = 0
    encoding: str | None = None
    rejects_path: str | None = None
    error: str | None = None
    finished_at: dt.datetime | None = None


@dataclass(frozen=True)
class EtlRunRecord:
    """One row of ``etl_runs``, for the history view."""

    id: int
    run_id: str
    bucket: str
    key: str
    etag: str | None
    table: str | None
    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_superseded: int
    started_at: str
    finished_at: str | None
    error: str | None
    rejects_path: str | None


class FileLoad(Protocol):
    """One file's rows on their way into one table: all committed together, or none."""

    def write(self, batch: Batch) -> None:
        """The good rows of a validated batch (batches arrive in file order)."""

    def commit(self, audit_id: int, finish: AuditFinish) -> None:
        """Upsert the rows and record `finish` in ``etl_runs`` in one transaction."""

    def abort(self) -> None:
        """Forget everything written; the table stays as it was. Never raises."""


class EtlDatabase(Protocol):
    """A target: MySQL/MariaDB (`mysql_sink.MySqlDatabase`) or SQLite (`sqlite_sink`)."""

    config: DbConfig

    def init_schema(self) -> list[str]:
        """Create what is missing (tables, ``etl_runs``, schema version); names created."""

    def acquire_run_lock(self) -> None:
        """Make this the only ETL run on the target (raises `DatabaseError` BUSY)."""

    def release_run_lock(self) -> None: ...

    def loaded_before(self, bucket: str, key: str, etag: str) -> bool: ...

    def audit_start(self, start: AuditStart) -> int: ...

    def audit_finish(self, audit_id: int, finish: AuditFinish) -> None: ...

    def audit_record(self, start: AuditStart, finish: AuditFinish) -> int: ...

    def close_stale_runs(self, reason: str) -> int:
        """Mark ``running`` rows left by a run that died as failed; how many."""

    def existing_keys(self, table: str, column: str, values: Iterable[str]) -> set[str]: ...

    def begin_load(self, table: Table, columns: Sequence[str]) -> FileLoad: ...

    def history(self, limit: int = 100) -> list[EtlRunRecord]: ...

    def row_counts(self) -> dict[str, int]: ...

    def close(self) -> None: ...
