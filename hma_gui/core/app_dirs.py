"""Where HMA Ingest keeps its files: settings, data (job store, caches), logs, resources.

`HMA_CONFIG_DIR` and `HMA_DATA_DIR` override the per-user directories that
platformdirs picks for the OS (tests and portable installs use them). Logs live
under the data directory's ``logs/`` when `HMA_DATA_DIR` is set, so one
variable moves everything a test writes.
"""

from __future__ import annotations

import contextlib
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


# Member data (job store, hash cache, embedded database, rejects reports, logs) and
# settings are private to the user: folders 0700, files 0600 whatever the umask
# (docs/security.md). POSIX modes only: on Windows the per-user AppData folders'
# ACLs already keep other users out, and chmod there is a best-effort no-op.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_dir(path: Path) -> Path:
    """`path`, created if missing: each folder we create is 0700; one of our own
    directories (config, data, logs, and below) is tightened to 0700 if it exists."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        _chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    if not missing and _is_ours(path):
        _chmod(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` (0600) if it does not exist, or make an existing one 0600.

    Call it before SQLite opens a database: SQLite gives the ``-wal`` and ``-shm``
    files the database file's mode, so they are private too.
    """
    ensure_dir(path.parent)
    if path.exists():  # not opened: a read-only database must stay openable read-only
        _chmod(path, PRIVATE_FILE_MODE)
    else:
        with contextlib.suppress(FileExistsError):  # another process was quicker
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
        _chmod(path, PRIVATE_FILE_MODE)
    for extra in ("-wal", "-shm", "-journal"):
        sidecar = path.with_name(path.name + extra)
        if sidecar.exists():
            _chmod(sidecar, PRIVATE_FILE_MODE)
    return path


def private_opener(path: str, flags: int) -> int:
    """An `open(..., opener=private_opener)` that creates the file 0600 (and tightens an
    existing one)."""
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    with contextlib.suppress(OSError, AttributeError):  # Windows: no fchmod, ACLs instead
        os.fchmod(fd, PRIVATE_FILE_MODE)
    return fd


def _is_ours(path: Path) -> bool:
    resolved = path.resolve()
    for root in (config_dir(), data_dir(), log_dir()):
        with contextlib.suppress(OSError):
            if resolved.is_relative_to(root.resolve()):
                return True
    return False


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):  # not every file system knows POSIX modes
        path.chmod(mode)


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
