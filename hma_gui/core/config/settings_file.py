"""Reading and writing ``settings.toml``: the file the settings dialog saves.

`save_settings` merges the given values into the file, keeps every key it was
not asked to change (a database URL, watched folders), validates the result
with the settings model before anything is written, and replaces the file
atomically with owner-only permissions (it may hold a database password).
A value of ``None`` removes the key, so the default applies again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, SecretStr, ValidationError

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import Settings, describe_validation_error
from hma_gui.core.errors import ConfigError

logger = logging.getLogger(__name__)


def read_settings_file(path: Path | None = None) -> dict[str, Any]:
    """The file's values as a dict; empty when there is no file. `ConfigError` if unreadable."""
    path = path or app_dirs.settings_file()
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the settings file {path}: {exc}") from None


def save_settings(
    values: Mapping[str, Any],
    *,
    path: Path | None = None,
    replace: Iterable[str] = (),
) -> Path:
    """Merge `values` into the settings file, validated; return the file's path.

    Keys named in `replace` are replaced as a whole (``scopes`` from a dialog
    that lists every scope); other tables are merged key by key. Raises
    `ConfigError` naming the bad setting, and then writes nothing.
    """
    path = path or app_dirs.settings_file()
    merged = read_settings_file(path)
    replaced = set(replace)
    for name, value in values.items():
        plain = to_toml_value(value)
        if plain is None:
            merged.pop(name, None)
        elif (
            name not in replaced and isinstance(plain, dict) and isinstance(merged.get(name), dict)
        ):
            merged[name] = _merge(merged[name], plain)
        else:
            merged[name] = plain
    validate_values(merged)
    _write_atomically(path, tomli_w.dumps(merged).encode("utf-8"))
    logger.info("settings saved to %s (%s)", path, ", ".join(sorted(values)) or "nothing changed")
    return path


def validate_values(values: Mapping[str, Any]) -> Settings:
    """The settings these values give (stronger than env and file); `ConfigError` if invalid."""
    try:
        return Settings(**dict(values))
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def to_toml_value(value: Any) -> Any:
    """A value TOML can hold: paths as text, byte sizes as ints, models as tables, no None."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return to_toml_value(value.model_dump(mode="python"))
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return int(value)  # ByteSize and IntEnum become plain ints
    if isinstance(value, Mapping):
        table = {str(k): to_toml_value(v) for k, v in value.items()}
        return {k: v for k, v in table.items() if v is not None}
    if isinstance(value, list | tuple | set | frozenset):
        return [item for item in (to_toml_value(v) for v in value) if item is not None]
    return str(value)


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    result = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def _write_atomically(path: Path, data: bytes) -> None:
    app_dirs.ensure_dir(path.parent)
    handle, name = tempfile.mkstemp(prefix=".settings-", suffix=".toml", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):  # not every file system knows POSIX modes
            temporary.chmod(0o600)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
