"""Progress on one terminal line: `TerminalLine` draws it; the commands say what it shows.

`TerminalLine` is the one renderer (redrawn in place, at most every
`REFRESH_SECONDS` unless forced, cleared or ended with a newline at the end);
`ProgressLine` is the upload bar over the job store's counters, and the ETL's
and the duplicate finder's progress write their own text through it.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from typing import TextIO

from hma_gui.core.jobs.records import Counters
from hma_gui.core.rate_meter import RateMeter, format_bytes, format_duration

REFRESH_SECONDS = 0.2


class TerminalLine:
    """One line on `stream`, redrawn in place. Thread-safe."""

    def __init__(self, stream: TextIO, interval: float = REFRESH_SECONDS) -> None:
        self._stream = stream
        self._interval = interval
        self._lock = threading.Lock()
        self._last = 0.0
        self._shown = False

    def show(self, text: str, *, force: bool = False) -> None:
        """Draw `text`, unless the last drawing is younger than the interval (and not `force`)."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < self._interval:
                return
            self._last = now
            self._stream.write("\r" + text + "\x1b[K")
            self._stream.flush()
            self._shown = True

    def end(self, *, keep: bool = False) -> None:
        """Leave the line: kept (a newline after it) or cleared."""
        with self._lock:
            if self._shown:
                self._stream.write("\n" if keep else "\r\x1b[K")
                self._stream.flush()
            self._shown = False


class ProgressLine:
    """Redraws ``[####....] 12/500 files  1.2/40.0 MiB  3.4 MiB/s  ETA 0:12`` on stderr."""

    def __init__(
        self, stream: TextIO, read: Callable[[], tuple[Counters, int]], label: str = ""
    ) -> None:
        self._line = TerminalLine(stream)
        self._read = read  # () -> (counters, in-flight bytes)
        self._label = label
        self._meter = RateMeter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="progress-line", daemon=True)

    def __enter__(self) -> ProgressLine:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._draw(final=True)

    def _loop(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            self._draw()

    def _draw(self, final: bool = False) -> None:
        counters, inflight = self._read()
        done_bytes = counters.bytes_done + inflight
        self._meter.add(done_bytes)
        finished = counters.done + counters.failed + counters.skipped
        total = max(counters.total, 1)
        width = max(10, min(30, shutil.get_terminal_size((80, 20)).columns - 70))
        filled = int(width * finished / total)
        rate = self._meter.rate()
        eta = self._meter.eta(counters.bytes_total - done_bytes)
        failed = f"  {counters.failed} failed" if counters.failed else ""
        line = (
            f"{self._label}[{'#' * filled}{'.' * (width - filled)}] "
            f"{finished}/{counters.total} files  "
            f"{format_bytes(done_bytes)}/{format_bytes(counters.bytes_total)}  "
            f"{format_bytes(rate)}/s  ETA {format_duration(eta)}{failed}"
        )
        self._line.show(line, force=True)  # paced by the loop
        if final:
            self._line.end(keep=True)
