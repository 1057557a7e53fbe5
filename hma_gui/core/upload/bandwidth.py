"""A process-wide bandwidth limit: one token bucket shared by every transfer.

Request bodies take tokens for the bytes they hand to the connection
(`body._Reporter`); when the bucket is empty the reading thread sleeps, and a
cancel still ends the sleep at once. Under a limit a body is read in blocks of
a sixteenth of a second of bytes (`block`: at least 16 KiB), so the limit is
smooth, however large the blocks the connection asks for (1 MiB unlimited).
`set_rate` changes the limit while uploads run (the window's *Limit* box); 0
turns it off, and then a take costs one attribute read.

The bucket starts empty and holds at most a quarter second of bytes, so a
50 MiB upload at 5 MiB/s takes 10 s, not 10 s minus a burst.
"""

from __future__ import annotations

import threading
import time

from hma_gui.core.progress import CancelToken

BURST_SECONDS = 0.25
MIN_BLOCK = 16 * 1024


class BandwidthLimit:
    """A token bucket of `rate` bytes per second (0: unlimited). Thread-safe."""

    def __init__(self, rate: int = 0) -> None:
        self._lock = threading.Lock()
        self._rate = 0
        self._tokens = 0.0
        self._stamp = time.monotonic()
        self.set_rate(rate)

    @property
    def rate(self) -> int:
        return self._rate

    def set_rate(self, rate: int) -> None:
        """Bytes per second from now on; 0 or less turns the limit off."""
        with self._lock:
            self._rate = max(0, int(rate))
            self._tokens = 0.0
            self._stamp = time.monotonic()

    def block(self, size: int) -> int:
        """How much of a `size`-byte read to hand on at once: all of it when unlimited."""
        rate = self._rate
        return size if rate == 0 else min(size, max(MIN_BLOCK, rate // 16))

    def take(self, count: int, cancel: CancelToken | None = None) -> None:
        """Account for `count` bytes sent; sleep until the bucket allows them."""
        if self._rate == 0 or count <= 0:
            return
        with self._lock:
            rate = self._rate
            if rate == 0:
                return
            now = time.monotonic()
            burst = rate * BURST_SECONDS
            self._tokens = min(burst, self._tokens + (now - self._stamp) * rate)
            self._stamp = now
            self._tokens -= count  # in debt: this thread waits the debt off below
            wait = -self._tokens / rate if self._tokens < 0 else 0.0
        if wait > 0:
            if cancel is not None:
                cancel.wait(wait)
            else:
                time.sleep(wait)


def parse_rate(text: str) -> int:
    """``20MiB``, ``500KiB``, ``1.5MB``, ``0`` → bytes per second (per second implied)."""
    from pydantic import ByteSize, TypeAdapter  # the settings path loads it anyway

    cleaned = text.strip().removesuffix("/s")
    return int(TypeAdapter(ByteSize).validate_python(cleaned or "0"))
