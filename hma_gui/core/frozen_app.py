"""What a packaged (PyInstaller) app must fix up before it does anything else.

* A windowed build on Windows (and an app started by a desktop launcher that
  closed its standard streams) has ``sys.stdout`` / ``sys.stderr`` set to None:
  anything that writes to them would raise. They become a sink that drops text.
* PyInstaller's Linux bootloader points ``LD_LIBRARY_PATH`` at the bundle, and
  its Qt run-time hook sets ``QT_PLUGIN_PATH``. Programs we start (the file
  manager behind "Reveal in file manager", ``xdg-open``) must not load our
  copies of glib or Qt's plugins: `restore_child_environment()` gives them the
  environment the user started us with. Our own process keeps what it loaded
  (the dynamic linker reads ``LD_LIBRARY_PATH`` once; Qt reads its plugin path
  when the application object is built, so call this after that).
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import MutableMapping

# Set by PyInstaller's Qt run-time hooks for the bundle only.
_BUNDLE_ONLY_VARIABLES = ("QT_PLUGIN_PATH", "QML2_IMPORT_PATH")
# PyInstaller's bootloader saves the user's value under NAME_ORIG (or nothing if unset).
_LIBRARY_PATH_VARIABLES = ("LD_LIBRARY_PATH", "LIBPATH", "DYLD_LIBRARY_PATH")


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


class _NullWriter(io.TextIOBase):
    """Stands in for a missing console stream: accepts text, keeps nothing."""

    def write(self, text: str) -> int:
        return len(text)

    def writable(self) -> bool:
        return True


def ensure_std_streams() -> None:
    """Replace a None ``sys.stdout`` / ``sys.stderr`` with a writer that drops text."""
    if sys.stdout is None:
        sys.stdout = _NullWriter()
    if sys.stderr is None:
        sys.stderr = _NullWriter()


def has_console() -> bool:
    """Does ``sys.stdout`` go somewhere (a terminal, a pipe, a file)?"""
    return sys.stdout is not None and not isinstance(sys.stdout, _NullWriter)


def restore_child_environment(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Undo the bundle's changes to the environment children inherit; return what changed."""
    env = os.environ if environ is None else environ
    if not is_frozen() and environ is None:
        return []
    changed = []
    for name in _LIBRARY_PATH_VARIABLES:
        original = env.pop(f"{name}_ORIG", None)
        if original is not None:
            env[name] = original
            changed.append(name)
        elif name in env and _points_into_bundle(env[name]):
            del env[name]
            changed.append(name)
    for name in _BUNDLE_ONLY_VARIABLES:
        if name in env and _points_into_bundle(env[name]):
            del env[name]
            changed.append(name)
    return changed


def _points_into_bundle(value: str) -> bool:
    bundle = getattr(sys, "_MEIPASS", None)
    if not bundle:
        return False
    return any(part.startswith(bundle) for part in value.split(os.pathsep) if part)


def seconds_since_process_start() -> float | None:
    """How long this process has run (Linux: from /proc; None where that is unknown).

    From ``exec`` on, so it includes the bootloader unpacking and Python starting,
    which `time.perf_counter()` at import time would miss.
    """
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        started_ticks = int(fields[19])  # field 22 of the whole line: starttime
        ticks = os.sysconf("SC_CLK_TCK")
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started_ticks / ticks
    except (OSError, ValueError, IndexError, AttributeError):
        return None
