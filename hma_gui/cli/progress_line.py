"""A one-line progress bar on a terminal, redrawn from the job store's counters."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from typing import TextIO

from hma_gui.core.jobs.store import Counters
from hma_gui.core.rate_meter import RateMeter, format_bytes, format_duration

REFRESH_SECONDS = 0.2


class ProgressLine:
    """Redraws ``[####....] 12/500 files  1.2/40.0 MiB  3.4 MiB/s  ETA 0:12`` on stderr."""

    def __init__(
        self, stream: TextIO, read: Callable[[], tuple[Counters, int]], label: str = ""
    ) -> None:
        self._stream = stream
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
        self._stream.write("\r" + line + "\x1b[K" + ("\n" if final else ""))
        self._stream.flush()
