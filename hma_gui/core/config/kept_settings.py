"""Validated settings kept between runs, so a command's start-up need not import pydantic.

Building the full `Settings` model imports pydantic and pydantic-settings: ~0.2 s of
CPU before a command does anything, the largest part of an ``upload``'s start-up and
a third of a cached duplicate re-scan. So once the full model has validated the
settings, their values are kept in a small file in the data folder (0600) with a
fingerprint of everything they were read from: the ``HMA_…`` (any case) and
``AWS_ENDPOINT_URL…`` variables, the path and bytes of the ``.env`` and
``settings.toml`` files, and the code that validates them (our version, the stat of
the settings modules and of pydantic's). A run whose fingerprint matches builds a
`KeptSettings` from them: plain attributes with the same names, types and values as
the model's, and the same helpers (`SettingsHelpers`); the model would have given the
same. Any other run loads the full model, which raises the same `ConfigError` as
always (an invalid input is never kept), and keeps its values.

Only the commands that read settings and never change them take kept values
(``upload``, ``resume``, ``retry-failed``, ``status``, ``check-duplicates``:
`CliContext.settings`); the window and every other command use the model.

Nothing secret is written: settings holding a secret (``db_password``,
``api_token``, a password inside ``db_url``) are not kept at all, and such runs
load the full model each time. The fingerprint is a SHA-256 over the inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hma_gui import __version__
from hma_gui.core import app_dirs
from hma_gui.core.config.settings_view import SettingsHelpers

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

KEPT_FILE = "kept-settings.json"
_OLD_KEPT_FILE = "local-check-settings.json"  # an earlier version's, for check-duplicates
_ENV_PREFIXES = ("HMA_", "AWS_ENDPOINT_URL")
_CODE_MODULES = ("pydantic", "pydantic_core", "pydantic_settings")
_OUR_MODULES = ("settings.py", "settings_view.py", "kept_settings.py")
_PATH_FIELDS = ("ca_bundle", "db_ssl_ca")
_SECRET_FIELDS = ("db_password", "api_token")


@dataclass(frozen=True, slots=True)
class KeptScope:
    """`ScopeSettings`' values: where one scope's files go."""

    bucket: str
    prefix: str


@dataclass(frozen=True, slots=True)
class KeptWatchFolder:
    """`WatchFolderSettings`' values."""

    path: Path
    scope: str
    include: list[str]
    exclude: list[str]
    enabled: bool


class KeptSettings(SettingsHelpers):
    """The values of a validated `Settings`, as plain attributes (see the module's text)."""

    def __init__(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:  # only for names __init__ did not set
        raise AttributeError(f"kept settings have no field {name!r}")


def kept_path() -> Path:
    return app_dirs.data_dir() / KEPT_FILE


def fingerprint(env_file: Path | None) -> str | None:
    """A digest of every input of `load_settings(env_file)`; None when one cannot be read."""
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)

    try:
        add(__version__, *(_stat_of(Path(__file__).with_name(name)) for name in _OUR_MODULES))
        for name in _CODE_MODULES:
            spec = importlib.util.find_spec(name)
            add(name, _stat_of(Path(spec.origin)) if spec and spec.origin else None)
        add(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(_ENV_PREFIXES)))
        add(None if env_file is None else str(env_file))
        for path in (env_file, app_dirs.env_file(), app_dirs.settings_file()):
            if path is not None:
                add(str(path), path.read_bytes() if path.exists() else None)
    except (OSError, ValueError, ImportError):
        return None
    return digest.hexdigest()


def read_kept(seen: str | None) -> KeptSettings | None:
    """The kept values, when they were read from the inputs whose `fingerprint` is `seen`."""
    if seen is None:
        return None
    try:
        kept = json.loads(kept_path().read_text(encoding="utf-8"))
        if kept.get("fingerprint") != seen:
            return None
        return KeptSettings(_from_json(kept["settings"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing, from an older version, or damaged: load the full settings


def keep(settings: Settings, seen: str | None) -> None:
    """Remember `settings` for the inputs `seen` (a `fingerprint` taken before loading)."""
    if seen is None or holds_secret(settings):
        return
    path = kept_path()
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    payload = {"fingerprint": seen, "settings": settings.model_dump(mode="json")}
    try:
        app_dirs.ensure_dir(path.parent)
        with open(temporary, "w", encoding="utf-8", opener=app_dirs.private_opener) as out:
            json.dump(payload, out)
        temporary.replace(path)
        (path.parent / _OLD_KEPT_FILE).unlink(missing_ok=True)  # superseded by this file
    except OSError:  # an optimisation: never a failure
        with contextlib.suppress(OSError):
            temporary.unlink()


def holds_secret(settings: Settings) -> bool:
    """Whether `settings` carry a secret, which is never written to the kept file."""
    if any(getattr(settings, name) is not None for name in _SECRET_FIELDS):
        return True
    try:
        return bool(settings.db_url and urlsplit(settings.db_url).password is not None)
    except ValueError:
        return True  # not parseable: it might hold one


def _from_json(values: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON dump back to the model's Python types (Path, the scope objects)."""
    found = dict(values)
    found["scopes"] = {
        str(name): KeptScope(str(scope["bucket"]), str(scope["prefix"]))
        for name, scope in values["scopes"].items()
    }
    found["watch_folders"] = [
        KeptWatchFolder(
            Path(folder["path"]),
            str(folder["scope"]),
            [str(v) for v in folder["include"]],
            [str(v) for v in folder["exclude"]],
            bool(folder["enabled"]),
        )
        for folder in values["watch_folders"]
    ]
    for name in _PATH_FIELDS:
        found[name] = None if values[name] is None else Path(values[name])
    for name in _SECRET_FIELDS:
        if values[name] is not None:
            raise ValueError("a kept file with a secret in it")  # never written by `keep`
    return found


def _stat_of(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size
