"""Which file of a local duplicate group is the original (the one "keep one" uploads).

File managers name the copies they make: ``report (1).csv`` (browsers, GNOME),
``report - Copy.csv`` (Windows Explorer), ``report copy.csv`` / ``report copy 2.csv``
(macOS Finder), ``Copy of report.csv`` (Google Drive, older Windows). Keeping the
first path alphabetically would keep ``r3 (1).csv`` over ``r3.csv`` — and the
key it is uploaded under would carry the copy's name.

The original, as dupeGuru picks its reference: a name without a copy marker, then
the shortest name, then the oldest modification time, then the path (so the
choice is stable). A person may still mark another file as the reference
(`DuplicateReview.set_reference`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

from hma_gui.core.duplicates.local import DuplicateFile

_COPY_STEM = re.compile(
    r"""(
        \s\(\d+\)                      # report (1)
      | [\s_-]+copy(\s*\(?\d+\)?)?     # report copy, report - Copy, report_copy 2, report copy (3)
    )$
    | ^copy\s(\(\d+\)\s)?of\s          # Copy of report, Copy (2) of report
    """,
    re.IGNORECASE | re.VERBOSE,
)


def has_copy_marker(path: str) -> bool:
    """True when the file name says it is a copy (``x (1).csv``, ``x - Copy.csv``…)."""
    name = PurePath(path.replace("\\", "/")).name
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return bool(_COPY_STEM.search(stem))


def original_rank(item: DuplicateFile) -> tuple[bool, int, int, str]:
    """Sort key: the likeliest original first."""
    name = PurePath(item.path.replace("\\", "/")).name
    return (has_copy_marker(item.path), len(name), item.mtime_ns, item.path)


def originals_first(files: Iterable[DuplicateFile]) -> list[DuplicateFile]:
    """The files of a group, the likeliest original first (links never lead)."""
    return sorted(files, key=lambda f: (f.link_of is not None, *original_rank(f)))
