"""Settings: one validated model from the environment, `.env` and the settings file.

Sources, strongest first:

1. keyword arguments (the GUI's settings dialog, tests);
2. environment variables with the prefix ``HMA_`` (``HMA_CONCURRENCY=16``), plus the
   per-scope shorthands ``HMA_<SCOPE>_BUCKET`` / ``HMA_<SCOPE>_PREFIX``;
3. a ``.env`` file in the working directory (same names);
4. ``settings.toml`` in the config directory (`app_dirs.config_dir`);
5. the defaults below.

AWS credentials are deliberately absent: boto3 finds them in the standard chain
(profiles, SSO, environment, instance roles). `AWS_ENDPOINT_URL` is honoured by
botocore itself; ``HMA_S3_ENDPOINT_URL`` takes precedence over it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

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
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hma_gui.core import app_dirs
from hma_gui.core.errors import ConfigError

MiB = 1024 * 1024
GiB = 1024 * MiB

DEFAULT_SCOPES: dict[str, dict[str, str]] = {
    "mba": {"bucket": "hma-mba-bucket", "prefix": "mba/"},
    "policy": {"bucket": "hma-policy-bucket", "prefix": "policy/"},
}

SseMode = Literal["AES256", "aws:kms", "none"]
DuplicatePolicy = Literal["skip", "overwrite", "keep-both", "ask"]

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
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
        if not _BUCKET_RE.match(value) or ".." in value:
            raise ValueError(
                f"{value!r} is not a valid S3 bucket name "
                "(3-63 characters: lower-case letters, digits, '.' and '-')"
            )
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


class Settings(BaseSettings):
    """Every setting of HMA Ingest, validated. Build it with `load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="HMA_",
        env_file=".env",
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

    # --- what is picked up -----------------------------------------------------
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
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

    # --- watched folders -------------------------------------------------------
    watch_folders: list[WatchFolderSettings] = Field(default_factory=list)
    watch_settle_seconds: float = Field(2.0, ge=0.1, le=3600)

    # --- desktop app -----------------------------------------------------------
    resume_on_start: Literal["resume", "ask", "keep"] = "resume"
    keep_in_tray: bool = False
    sandbox: bool = False

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

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
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

    def scope(self, name: str) -> ScopeSettings:
        try:
            return self.scopes[name]
        except KeyError:
            known = ", ".join(sorted(self.scopes)) or "none"
            raise ConfigError(f"unknown scope {name!r} (configured scopes: {known})") from None

    def effective_endpoint(self) -> str | None:
        """The S3 endpoint boto3 will use, or None for AWS itself."""
        return (
            self.s3_endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
            or None
        )

    def db_password_value(self) -> str | None:
        return self.db_password.get_secret_value() if self.db_password else None

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


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, or raise `ConfigError` with one message naming the bad setting."""
    try:
        return Settings(**overrides)
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
        message = str(error["msg"]).removeprefix("Value error, ")
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
