"""The settings a local duplicate check reads, kept so a re-run need not import pydantic.

``check-duplicates`` without S3 reads five settings (`LocalCheckSettings`). Building
the full `Settings` model imports pydantic and pydantic-settings, ~0.15 s: a third
of a cached re-scan of 50,000 files. So once the full model has validated them, these
five values are kept in a small file in the data folder (0600), with a fingerprint of
everything they were read from: the ``HMA_…`` (any case) and ``AWS_ENDPOINT_URL…``
variables, the path and bytes of the ``.env`` and ``settings.toml`` files, and the
code that validates them (our version, the stat of the settings module and of
pydantic's). A run whose fingerprint matches uses the kept values: the model would
have given the same ones. Any other run loads the full model, which raises the same
`ConfigError` as always (an invalid input is never kept), and keeps its values.

Nothing secret is written: the five values are names of extensions, flags and a
number; the fingerprint is a SHA-256 over the inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hma_gui import __version__
from hma_gui.core import app_dirs

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

KEPT_FILE = "local-check-settings.json"
_ENV_PREFIXES = ("HMA_", "AWS_ENDPOINT_URL")
_CODE_MODULES = ("pydantic", "pydantic_core", "pydantic_settings")


@dataclass(frozen=True, slots=True)
class LocalCheckSettings:
    """What a local duplicate check reads from the settings."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]
    skip_hidden: bool
    follow_symlinks: bool
    hash_workers: int

    @classmethod
    def of(cls, settings: Settings) -> LocalCheckSettings:
        return cls(
            include=tuple(settings.include),
            exclude=tuple(settings.exclude),
            skip_hidden=settings.skip_hidden,
            follow_symlinks=settings.follow_symlinks,
            hash_workers=settings.hash_workers,
        )


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
        add(__version__, _stat_of(Path(__file__).with_name("settings.py")))
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


def read_kept(env_file: Path | None) -> LocalCheckSettings | None:
    """The kept values, when they were read from exactly today's inputs."""
    current = fingerprint(env_file)
    if current is None:
        return None
    try:
        kept = json.loads(kept_path().read_text(encoding="utf-8"))
        if kept.get("fingerprint") != current:
            return None
        values = kept["settings"]
        found = LocalCheckSettings(
            include=tuple(str(v) for v in values["include"]),
            exclude=tuple(str(v) for v in values["exclude"]),
            skip_hidden=bool(values["skip_hidden"]),
            follow_symlinks=bool(values["follow_symlinks"]),
            hash_workers=int(values["hash_workers"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing, from an older version, or damaged: load the full settings
    return found


def keep(settings: LocalCheckSettings, seen: str | None) -> None:
    """Remember `settings` for the inputs `seen` (a `fingerprint` taken before loading)."""
    if seen is None:
        return
    path = kept_path()
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    payload = {
        "fingerprint": seen,
        "settings": {
            "include": list(settings.include),
            "exclude": list(settings.exclude),
            "skip_hidden": settings.skip_hidden,
            "follow_symlinks": settings.follow_symlinks,
            "hash_workers": settings.hash_workers,
        },
    }
    try:
        app_dirs.ensure_dir(path.parent)
        with open(temporary, "w", encoding="utf-8", opener=app_dirs.private_opener) as out:
            json.dump(payload, out)
        temporary.replace(path)
    except OSError:  # an optimisation: never a failure
        with contextlib.suppress(OSError):
            temporary.unlink()


def _stat_of(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size
