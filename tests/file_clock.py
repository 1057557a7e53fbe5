"""Waiting out the clock grain of `change_clock` in tests.

What was read of a file changed less than `CLOCK_GRAIN_NS` before is not trusted later
(a change in the same tick of the kernel's clock would not show), so a test that wants
a file's hash kept, or its upload counted as done and unchanged, lets the file age first.
"""

from __future__ import annotations

import time

from hma_gui.core.files.change_clock import CLOCK_GRAIN_NS


def settle() -> None:
    """Wait until the files written so far changed over a grain ago."""
    time.sleep(CLOCK_GRAIN_NS / 1e9 + 0.05)
