"""File times in tests: waiting out the clock grain of `change_clock`; a rewrite in place.

What was read of a file changed less than `CLOCK_GRAIN_NS` before is not trusted later
(a change in the same tick of the kernel's clock would not show), so a test that wants
a file's hash kept, or its upload counted as done and unchanged, lets the file age first.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hma_gui.core.files.change_clock import CLOCK_GRAIN_NS


def settle() -> None:
    """Wait until the files written so far changed over a grain ago."""
    time.sleep(CLOCK_GRAIN_NS / 1e9 + 0.05)


def rewrite_keeping_size_and_mtime(path: Path, data: bytes) -> None:
    """An in-place rewrite as `cp -p` or `rsync -t --inplace` makes it: only the ctime moves."""
    before = path.stat()
    assert len(data) == before.st_size
    with open(path, "r+b") as handle:  # in place: same inode
        handle.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size, before.st_mtime_ns, before.st_ino,
    )  # fmt: skip
