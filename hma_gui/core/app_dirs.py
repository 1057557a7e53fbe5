"""Where HMA Ingest keeps its files: settings, data (job store, caches), logs, resources.

`HMA_CONFIG_DIR` and `HMA_DATA_DIR` override the per-user directories that
platformdirs picks for the OS (tests and portable installs use them). Logs live
under the data directory's ``logs/`` when `HMA_DATA_DIR` is set, so one
variable moves everything a test writes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

import platformdirs

from hma_gui import APP_ID

_APPAUTHOR: Literal[False] = False  # no vendor folder on Windows: %APPDATA%\hma-ingest


def config_dir() -> Path:
    """Directory of ``settings.toml`` (created on demand by the writer)."""
    override = os.environ.get("HMA_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_ID, _APPAUTHOR))


def data_dir() -> Path:
    """Directory of the job store, the hash cache and the embedded database."""
    override = os.environ.get("HMA_DATA_DIR")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_ID, _APPAUTHOR))


def log_dir() -> Path:
    """Directory of the rotating log file and the ETL rejects reports."""
    if os.environ.get("HMA_DATA_DIR"):
        return data_dir() / "logs"
    return Path(platformdirs.user_log_dir(APP_ID, _APPAUTHOR))


def settings_file() -> Path:
    return config_dir() / "settings.toml"


ENV_FILE_VARIABLE = "HMA_ENV_FILE"


def env_file() -> Path:
    """The ``.env`` file settings are read from: named by ``--env-file``, else the config dir's.

    Never one in the working directory: ``cd export && hma-ingest upload .`` must not let a
    ``.env`` that arrived with the export choose the bucket (docs/security.md). ``--env-file``
    travels to child processes as `ENV_FILE_VARIABLE`.
    """
    named = os.environ.get(ENV_FILE_VARIABLE)
    if named:
        return Path(named).expanduser()
    return config_dir() / ".env"


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def resource_path(*parts: str) -> Path:
    """A file under ``resources/``, in a source checkout or a PyInstaller bundle.

    PyInstaller unpacks data files below ``sys._MEIPASS``; the spec copies the
    ``resources`` folder there under the same name.
    """
    bundle_root = getattr(sys, "_MEIPASS", None)
    root = Path(bundle_root) if bundle_root else Path(__file__).resolve().parents[2]
    return root.joinpath("resources", *parts)


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))
