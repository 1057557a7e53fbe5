"""A folder ``mba/`` with one unreadable file, unreadable even when the tests run as root.

Root reads every file, so `as_nobody()` drops the *effective* uid to ``nobody``
for its duration when the tests run as root (the tree lives in a
world-traversable folder so that ``nobody`` can list it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

NOBODY = 65534


@contextlib.contextmanager
def unreadable_tree() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="hma-unreadable-", dir="/tmp"))
    try:
        root.chmod(0o755)
        folder = root / "mba"
        folder.mkdir(mode=0o755)
        (folder / "open.csv").write_text("a\n")
        (folder / "open.csv").chmod(0o644)
        (folder / "locked.csv").write_text("b\n")
        (folder / "locked.csv").chmod(0)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def as_nobody() -> Iterator[None]:
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
