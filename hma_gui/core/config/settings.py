"""Settings: one validated model from the environment, `.env` and the settings file.

Sources, strongest first:

1. keyword arguments (the GUI's settings dialog, tests);
2. environment variables with the prefix ``HMA_`` (``HMA_CONCURRENCY=16``), plus the
   per-scope shorthands ``HMA_<SCOPE>_BUCKET`` / ``HMA_<SCOPE>_PREFIX``;
3. a ``.env`` file (same names): the one named with ``--env-file``, else ``.env`` in the
   config directory — never one in the working directory or a dropped or watched folder;
4. ``settings.toml`` in the config directory (`app_dirs.config_dir`);
5. the defaults below.

AWS credentials are deliberately absent: boto3 finds them in the standard chain
(profiles, SSO, environment, instance roles). `AWS_ENDPOINT_URL` is honoured by
botocore itself; ``HMA_S3_ENDPOINT_URL`` takes precedence over it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ByteSize,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hma_gui.core import app_dirs
from hma_gui.core.config.bucket_names import bucket_name_problem
from hma_gui.core.config.policies import DuplicatePolicy
from hma_gui.core.config.settings_view import SettingsHelpers
from hma_gui.core.errors import ConfigError
from hma_gui.core.redaction import redact

MiB = 1024 * 1024
GiB = 1024 * MiB

DEFAULT_SCOPES: dict[str, dict[str, str]] = {
    "mba": {"bucket": "hma-mba-bucket", "prefix": "mba/"},
    "policy": {"bucket": "hma-policy-bucket", "prefix": "policy/"},
}

SseMode = Literal["AES256", "aws:kms", "none"]

_SCOPE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_SCOPE_ENV_RE = re.compile(r"^HMA_([A-Z][A-Z0-9_]*?)_(BUCKET|PREFIX)$")
# Settings fields whose names end like a scope shorthand; never read as scopes.
_NOT_SCOPES = {"DB_SSL", "SSE_KMS"}


class ScopeSettings(BaseModel):
    """Where one scope's files go: a bucket and a key prefix."""

    model_config = ConfigDict(extra="forbid")

    bucket: str
    prefix: str = ""

    @field_validator("bucket")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        value = value.strip()
        problem = bucket_name_problem(value)
        if problem:
            raise ValueError(f"{value!r} is not a valid S3 bucket name: it {problem}")
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip().replace("\\", "/").lstrip("/")
        if value and not value.endswith("/"):
            value += "/"
        if any(part in ("", ".", "..") for part in value.split("/")[:-1]):
            raise ValueError(f"{value!r} is not a valid key prefix (empty, '.' or '..' segment)")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("a key prefix may not contain control characters")
        return value


class WatchFolderSettings(BaseModel):
    """A folder the watcher keeps uploading from."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    scope: str = "auto"
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    enabled: bool = True


class Settings(SettingsHelpers, BaseSettings):
    """Every setting of HMA Ingest, validated. Build it with `load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="HMA_",
        env_file=None,  # `load_settings` names the one file allowed: app_dirs.env_file()
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    # --- where files go -------------------------------------------------------
    scopes: dict[str, ScopeSettings] = Field(default_factory=dict)
    region: str | None = None
    s3_endpoint_url: str | None = None
    aws_profile: str | None = None
    verify_tls: bool = True
    ca_bundle: Path | None = None

    # --- how they are uploaded -------------------------------------------------
    sse: SseMode = "AES256"
    sse_kms_key_id: str | None = None
    concurrency: int = Field(8, ge=1, le=64)
    # Files below it go in one streamed PUT (ETag = MD5, one request), like rclone's 200 MiB.
    multipart_threshold: ByteSize = Field(ByteSize(100 * MiB), ge=5 * MiB, le=5 * GiB)
    multipart_chunksize: ByteSize = Field(ByteSize(8 * MiB), ge=5 * MiB, le=5 * GiB)
    # Bytes per second for all uploads of a process together (``20MiB``, ``500KiB``); 0: off.
    bwlimit: ByteSize = Field(ByteSize(0), ge=0)
    max_attempts: int = Field(5, ge=1, le=20)
    retry_mode: Literal["standard", "adaptive"] = "standard"
    connect_timeout: float = Field(10.0, gt=0, le=300)
    read_timeout: float = Field(60.0, gt=0, le=3600)
    # Who carries the bytes of small files (≤ 1 MiB): obstore (Rust, a third of botocore's
    # client CPU per request) when installed, or botocore. docs/architecture.md, "Transfer".
    transfer: Literal["auto", "botocore", "obstore"] = "auto"

    # --- what is picked up -----------------------------------------------------
    # From the environment as JSON (``["csv", "pdf"]``) or a plain list (``csv,pdf``).
    include: Annotated[list[str], NoDecode] = Field(default_factory=list)
    exclude: Annotated[list[str], NoDecode] = Field(default_factory=list)
    skip_hidden: bool = True
    # Symbolic links that lead outside the dropped or watched folder are skipped with a
    # reason unless this is on (HMA_FOLLOW_SYMLINKS, --follow-symlinks; rclone's -L).
    follow_symlinks: bool = False

    # --- duplicates ------------------------------------------------------------
    on_duplicate: DuplicatePolicy = "skip"
    check_s3: bool = True
    hash_workers: int = Field(4, ge=1, le=32)

    # --- database (ETL) --------------------------------------------------------
    db_url: str | None = None
    db_password: SecretStr | None = None
    db_ssl_ca: Path | None = None
    db_ssl_verify: bool = True
    #: AWS Secrets Manager secret with the database's user and password (and host,
    #: port, dbname when the secret has them: the RDS secret format); beats db_password
    db_secret_arn: str | None = None

    # --- watched folders -------------------------------------------------------
    watch_folders: list[WatchFolderSettings] = Field(default_factory=list)
    watch_settle_seconds: float = Field(2.0, ge=0.1, le=3600)

    # --- shared queue (service mode: docs/service.md) ----------------------------
    # "local" (the job store), "sqs://<queue-name>" or a full https://sqs.…/<account>/<name>.
    queue_url: str = "local"
    # The S3-event queue of the ETL (``hma-ingest worker --kinds etl``, ``POST /ingest``):
    # "sqs://<queue-name>" or the queue's URL; None (empty) = not configured.
    etl_queue_url: str | None = None
    queue_lease_seconds: int = Field(120, ge=10, le=43_200)
    queue_max_receives: int = Field(5, ge=1, le=1000)  # then the dead-letter queue
    sqs_endpoint_url: str | None = None  # else AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL
    # A desktop's path prefix → the worker's: {"\\\\server\\exports": "/srv/exports"}.
    queue_path_map: dict[str, str] = Field(default_factory=dict)
    # Where workers record their counters and failure reasons (SQS keeps no reasons):
    # s3://<bucket>/<prefix><queue name>/…; default the first scope's bucket, "_hma/queues/".
    queue_ledger_bucket: str | None = None
    queue_ledger_prefix: str = "_hma/queues/"
    # `hma-ingest serve` on an address other than loopback requires this bearer token.
    api_token: SecretStr | None = None

    # --- desktop app -----------------------------------------------------------
    resume_on_start: Literal["resume", "ask", "keep"] = "resume"
    keep_in_tray: bool = False
    sandbox: bool = False
    # The Bucket tab is read-only unless this is on (then Delete… asks before deleting).
    bucket_allow_delete: bool = False

    @field_validator("scopes")
    @classmethod
    def _scope_names(cls, value: dict[str, ScopeSettings]) -> dict[str, ScopeSettings]:
        for name in value:
            if not _SCOPE_NAME_RE.match(name):
                raise ValueError(
                    f"scope name {name!r} must be lower-case letters, digits, '_' or '-'"
                )
        if "auto" in value:
            raise ValueError("'auto' is reserved and cannot be a scope name")
        return value

    @field_validator("s3_endpoint_url", "sqs_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("aws_profile")
    @classmethod
    def _profile(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # the default credential chain
        value = value.strip()
        if len(value) > 128 or any(ch in "[]" or ord(ch) < 32 for ch in value):
            raise ValueError(f"{value!r} is not an AWS profile name")
        return value

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)  # a ValueError becomes the setting's message
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("queue_url")
    @classmethod
    def _queue_url(cls, value: str) -> str:
        value = value.strip() or "local"
        if value != "local" and not re.match(r"^(sqs://[A-Za-z0-9_-]{1,80}|https?://\S+)$", value):
            raise ValueError(
                f"{value!r} is not a queue: use 'local', 'sqs://<queue-name>' or the queue's URL"
            )
        return value

    @field_validator("etl_queue_url")
    @classmethod
    def _etl_queue_url(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if not re.match(r"^(sqs://[A-Za-z0-9_-]{1,80}|https?://\S+)$", value):
            raise ValueError(
                f"{value!r} is not an SQS queue: use 'sqs://<queue-name>' or the queue's URL"
            )
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _extensions(cls, value: list[str]) -> list[str]:
        from hma_gui.core.files.file_filter import normalize_extensions

        return normalize_extensions(value)

    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        if self.multipart_chunksize > self.multipart_threshold:
            raise ValueError(
                "multipart_chunksize must not exceed multipart_threshold "
                f"({int(self.multipart_chunksize)} > {int(self.multipart_threshold)})"
            )
        if self.sse_kms_key_id and self.sse != "aws:kms":
            raise ValueError("sse_kms_key_id is set but sse is not 'aws:kms'")
        return self

    # ------------------------------------------------------------------ helpers
    # effective_endpoint, effective_sqs_endpoint, db_password_value: `SettingsHelpers`

    def scope(self, name: str) -> ScopeSettings:
        found: ScopeSettings = super().scope(name)
        return found

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            _ScopeShorthandSource(settings_cls, dict(os.environ)),
            env_settings,
            _ScopeShorthandSource(settings_cls, _dotenv_values(dotenv_settings)),
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=app_dirs.settings_file()),
            _DefaultScopesSource(settings_cls),
        )


def _dotenv_values(source: PydanticBaseSettingsSource) -> dict[str, str]:
    env_vars = getattr(source, "env_vars", {}) or {}
    return {k.upper(): v for k, v in env_vars.items() if isinstance(v, str)}


class _ScopeShorthandSource(PydanticBaseSettingsSource):
    """``HMA_<SCOPE>_BUCKET`` and ``HMA_<SCOPE>_PREFIX`` → ``scopes.<scope>``."""

    def __init__(self, settings_cls: type[BaseSettings], environ: dict[str, str]) -> None:
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        scopes: dict[str, dict[str, str]] = {}
        for name, value in self._environ.items():
            match = _SCOPE_ENV_RE.match(name.upper())
            if not match or match.group(1) in _NOT_SCOPES or match.group(1) == "SCOPES":
                continue
            scope = match.group(1).lower()
            scopes.setdefault(scope, {})[match.group(2).lower()] = value
        for scope, values in scopes.items():
            if "prefix" not in values and scope not in DEFAULT_SCOPES:
                values["prefix"] = f"{scope}/"
        return {"scopes": scopes} if scopes else {}


class _DefaultScopesSource(PydanticBaseSettingsSource):
    """The default scopes, as the weakest source so that others merge into them."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {"scopes": {name: dict(values) for name, values in DEFAULT_SCOPES.items()}}


def load_settings(env_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings, or raise `ConfigError` with one message naming the bad setting.

    `env_file` is the file ``--env-file`` named; without it, `app_dirs.env_file()`.
    """
    named = env_file or (
        Path(os.environ[app_dirs.ENV_FILE_VARIABLE])
        if os.environ.get(app_dirs.ENV_FILE_VARIABLE)
        else None
    )
    if named is not None and not named.is_file():
        raise ConfigError(f"the --env-file {named} does not exist or is not a file")
    env_file = named or app_dirs.env_file()
    try:
        # pydantic-settings takes `_env_file` at init; the pydantic mypy plugin does not know it
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed settings.toml / .env
        raise ConfigError(f"cannot read settings ({app_dirs.settings_file()}): {exc}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line per bad setting: its name, where to set it, what is wrong, the value seen."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        name = ".".join(loc) if loc else "settings"
        env_name = _env_name(loc)
        value = error.get("input")
        shown = "" if _is_secret(loc) or isinstance(value, dict) else f" (got {value!r})"
        where = f" [{env_name} or '{name}' in {app_dirs.settings_file()}]" if env_name else ""
        message = redact(str(error["msg"]).removeprefix("Value error, "))
        shown = redact(shown)
        lines.append(f"invalid setting {name}{where}: {message}{shown}")
    return "\n".join(lines) or str(exc)


def _env_name(loc: list[str]) -> str:
    if not loc:
        return ""
    if loc[0] == "scopes" and len(loc) >= 3:
        return f"HMA_{loc[1].upper()}_{loc[2].upper()}"
    return "HMA_" + "__".join(part.upper() for part in loc)


def _is_secret(loc: list[str]) -> bool:
    return any("password" in part or "secret" in part for part in loc)
