"""Transfer rate and ETA from periodic samples of "bytes done so far"."""

from __future__ import annotations

import collections
import time


class RateMeter:
    """Bytes per second over a sliding window of samples; robust to a counter going back."""

    def __init__(self, window_seconds: float = 5.0) -> None:
        self._window = window_seconds
        self._samples: collections.deque[tuple[float, int]] = collections.deque()

    def add(self, done_bytes: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._samples.append((now, done_bytes))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.popleft()

    def rate(self) -> float:
        """Bytes per second across the window; 0 when unknown."""
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        if t1 <= t0:
            return 0.0
        return max(0.0, (b1 - b0) / (t1 - t0))

    def eta(self, remaining_bytes: int) -> float | None:
        """Seconds left at the current rate, or None when the rate is unknown."""
        rate = self.rate()
        if remaining_bytes <= 0:
            return 0.0
        return remaining_bytes / rate if rate > 0 else None

    def reset(self) -> None:
        self._samples.clear()


def format_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_seconds(seconds: float) -> str:
    """``0.35 s`` → ``350 ms``; ``12.34`` → ``12.3 s``; longer → ``h:mm:ss``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return format_duration(seconds)
