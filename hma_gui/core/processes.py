"""Which process is this, and is another one still alive?

Job owners are recorded as ``host:pid:start``; the start time tells a reused pid
apart. Liveness uses signal 0 on POSIX (on Windows `os.kill` would terminate
the process, so there the process handle is asked).
"""

from __future__ import annotations

import os
import socket
import sys


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to another user
    return True


def _windows_alive(pid: int) -> bool:  # pragma: no cover - exercised on Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    synchronize, still_active = 0x00100000 | 0x1000, 259
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def process_identity() -> str:
    """``host:pid:start`` of this process; `start` tells a reused pid apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_start(os.getpid())}"


def _process_start(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def owner_is_alive(owner: str) -> bool | None:
    """True/False for a process on this host, None when it ran elsewhere."""
    try:
        host, pid_text, start = owner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return None
    if not process_alive(pid):
        return False
    return not start or _process_start(pid) in ("", start)
