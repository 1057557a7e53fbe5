"""Is this process waiting for the disk? Decides when extra reader threads pay off.

Warm (everything in the page cache), Python code is the bottleneck and extra
threads only fight over the GIL. Cold, every ``stat``, ``scandir`` and small
``read`` waits for the device, and several threads keep it busy. The walker
and the hasher start with one thread and add more once a probe says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class DiskProbe:
    """Tells whether this process reads from storage (a cold cache) rather than memory.

    Linux counts the bytes a process caused to be read from storage in
    ``/proc/self/io``; the page cache serves a warm walk without any. Elsewhere
    the walk is timed instead: listing a warm folder takes well under a
    millisecond, a cold one several.
    """

    EVERY = 16  # after the first few calls, look again every this many
    MIN_BYTES = 1024 * 1024  # a stray page or two (a lazy import) is not a cold cache

    def __init__(
        self,
        slow_seconds: float = 0.002,
        read_bytes: Callable[[], int | None] | None = None,
    ) -> None:
        """`slow_seconds`: without a byte counter, a call this slow on average means cold.

        `read_bytes`: this process's bytes read from storage so far, or None where
        the OS does not tell (default: Linux's ``/proc/self/io``).
        """
        self._slow = slow_seconds
        self._read_bytes = read_bytes or proc_read_bytes
        self._calls = 0
        self._start = self._read_bytes()
        self._started = time.perf_counter()

    def reading(self) -> bool:
        """Called after each folder or batch: True once the disk has been seen to be read."""
        self._calls += 1
        if self._calls > 4 and self._calls % self.EVERY:
            return False
        if self._start is not None:
            now = self._read_bytes()
            return now is not None and now - self._start >= self.MIN_BYTES
        elapsed = time.perf_counter() - self._started
        return self._calls >= 4 and elapsed / self._calls > self._slow


def proc_read_bytes() -> int | None:
    """``read_bytes`` of ``/proc/self/io`` (Linux), or None."""
    try:
        with open("/proc/self/io", "rb") as handle:
            for line in handle:
                if line.startswith(b"read_bytes:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
