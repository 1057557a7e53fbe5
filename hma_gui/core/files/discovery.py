"""Discovery: from dropped or named paths to the files that should be uploaded.

The walk itself is `file_walk`'s (the app's one walker: what is filtered,
how links and loops are handled). Discovery turns what it finds into what an
upload plans with: a `FoundFile` for a readable file, with the path the user
gave that led to it (its `root`), and a `Problem` for every path that cannot
be taken (a walk issue, or a file this process may not read), so nothing is
dropped silently. Files refused by the filter are counted, not yielded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hma_gui.core.errors import Cancelled
from hma_gui.core.files.file_filter import FileFilter
from hma_gui.core.files.file_walk import WalkResult, iter_walk
from hma_gui.core.progress import CancelToken

UNREADABLE = "permission denied: the file cannot be read"


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A regular, readable file. `root` is the path the user gave that led here."""

    path: Path
    root: Path
    size: int
    mtime_ns: int
    inode: int
    device: int


@dataclass(frozen=True, slots=True)
class Problem:
    """A path that should have been uploaded but cannot be: it becomes a failed job."""

    path: Path
    root: Path
    reason: str


@dataclass(slots=True)
class DiscoveryStats:
    files: int = 0
    problems: int = 0
    filtered: int = 0
    filtered_reasons: dict[str, int] = field(default_factory=dict)

    def count_filtered(self, reason: str, count: int = 1) -> None:
        self.filtered += count
        self.filtered_reasons[reason] = self.filtered_reasons.get(reason, 0) + count


def discover(
    paths: Iterable[str | os.PathLike[str]],
    file_filter: FileFilter,
    *,
    stats: DiscoveryStats | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[FoundFile | Problem]:
    """Yield every wanted file below `paths` (files or folders) as the walk finds them.

    The order is the walk's stable one (`file_walk.iter_walk`). A path named
    explicitly is taken even if it is hidden; the filter's extension rules
    still apply to it. A cancel ends the iteration (no exception).
    """
    paths = list(paths)
    stats = stats if stats is not None else DiscoveryStats()
    roots = Roots(paths)
    try:
        for part in iter_walk(paths, file_filter, cancel=cancel):
            yield from items_of(part, roots, stats)
    except Cancelled:
        return


class Roots:
    """The paths the user gave, in order: which of them led to a found path."""

    def __init__(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        self._roots: list[tuple[str, str, Path]] = []  # (root, root + separator, as a Path)
        for raw in paths:
            root = os.path.abspath(os.fspath(raw))
            below = root if root.endswith(os.sep) else root + os.sep
            self._roots.append((root, below, Path(root)))

    def of(self, path: str) -> Path:
        """The first given path that is `path` or a folder above it."""
        for root, below, as_path in self._roots:
            if path == root or path.startswith(below):
                return as_path
        return Path(path)  # not below any (cannot happen for a walk of these roots)


def items_of(
    part: WalkResult, roots: Roots, stats: DiscoveryStats
) -> Iterator[FoundFile | Problem]:
    """One walk part's files and issues as found files and problems, counted in `stats`."""
    for reason, count in part.filtered_reasons.items():
        stats.count_filtered(reason, count)
    for path, size, mtime_ns, inode, device in part.files:
        root = roots.of(path)
        if not os.access(path, os.R_OK, effective_ids=_EFFECTIVE_IDS):
            stats.problems += 1
            yield Problem(Path(path), root, UNREADABLE)
            continue
        stats.files += 1
        yield FoundFile(Path(path), root, size, mtime_ns, inode, device)
    for issue in part.issues:
        stats.problems += 1
        yield Problem(Path(issue.path), roots.of(issue.path), issue.reason)


_EFFECTIVE_IDS = os.access in os.supports_effective_ids
