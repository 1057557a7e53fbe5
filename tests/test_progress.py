"""Byte progress, rate and the terminal progress line."""

from __future__ import annotations

import io

from hma_gui.cli.progress_line import ProgressLine
from hma_gui.core.jobs.store import Counters
from hma_gui.core.progress import ByteProgress, CancelToken
from hma_gui.core.rate_meter import RateMeter, format_bytes, format_duration


def test_byte_progress_clamps_and_rewinds() -> None:
    board = ByteProgress()
    sink = board.sink(7, 100)
    sink(60)
    sink(60)  # more than the size: clamped
    assert board.snapshot() == {7: (100, 100)}
    sink(-70)  # a retry rewinds
    assert board.inflight_bytes() == 30
    sink(-500)
    assert board.inflight_bytes() == 0
    board.finish(7)
    assert board.snapshot() == {}
    sink(10)  # late bytes of a finished job are ignored
    assert board.inflight_bytes() == 0


def test_rate_meter_and_eta() -> None:
    meter = RateMeter(window_seconds=10)
    assert meter.rate() == 0 and meter.eta(100) is None
    meter.add(100, now=0.0)
    meter.add(100 + 10 * 1024 * 1024, now=2.0)
    assert meter.rate() == 5 * 1024 * 1024
    assert meter.eta(10 * 1024 * 1024) == 2.0
    meter.add(5, now=3.0)  # a counter that went back does not give a negative rate
    assert meter.rate() == 0.0


def test_formatting() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(5 * 1024**3) == "5.0 GiB"
    assert format_duration(None) == "--:--"
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "1:02:05"


def test_progress_line_draws_counts_bytes_and_failures() -> None:
    stream = io.StringIO()
    counters = Counters(queued=2, running=1, done=6, failed=1, bytes_total=4096, bytes_done=2048)
    with ProgressLine(stream, lambda: (counters, 1024)):
        pass
    final = stream.getvalue().split("\r")[-1]
    assert "7/10 files" in final
    assert "3.0 KiB/4.0 KiB" in final
    assert "1 failed" in final
    assert final.endswith("\n")


def test_cancel_token() -> None:
    token = CancelToken()
    assert not token.cancelled and not token.wait(0.01)
    token.cancel("user")
    assert token.cancelled and token.wait(10) and token.reason == "user"


def test_the_one_terminal_line_throttles_forces_and_clears() -> None:
    from hma_gui.cli.progress_line import TerminalLine

    stream = io.StringIO()
    line = TerminalLine(stream, interval=60)
    line.show("one")
    line.show("two")  # within the interval: not drawn
    line.show("three", force=True)
    line.end()
    assert stream.getvalue() == "\rone\x1b[K\rthree\x1b[K\r\x1b[K"
    line.end()  # nothing shown since: nothing written
    assert stream.getvalue().count("\r\x1b[K") == 1
