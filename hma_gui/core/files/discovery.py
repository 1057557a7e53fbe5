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
    ctime_ns: int | None = None  # as the walk saw it; None: the hash cache stats the file


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


def discovered(
    walked: WalkResult,
    paths: Iterable[str | os.PathLike[str]],
    *,
    stats: DiscoveryStats | None = None,
) -> list[FoundFile | Problem]:
    """What `discover(paths)` yields, from a walk of `paths` done already (`walk_files`).

    In `discover`'s order (`walk_order`), whatever order the walk's threads found them in.
    """
    stats = stats if stats is not None else DiscoveryStats()
    roots = Roots(paths)
    items = items_of(walked, roots, stats)
    order: dict[Path, int] = {}
    for index, root in enumerate(roots.paths):
        order.setdefault(root, index)
    items.sort(key=lambda item: (order.get(item.root, len(order)), walk_order(item.path)))
    return items


def walk_order(path: Path) -> tuple[tuple[int, str], ...]:
    """A sort key for `iter_walk`'s order: names sorted, a folder's files before its folders."""
    *folders, name = path.parts
    return (*((1, folder) for folder in folders), (0, name))


class Roots:
    """The paths the user gave, in order: which of them led to a found path."""

    def __init__(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        self._roots: list[tuple[str, str, Path]] = []  # (root, root + separator, as a Path)
        for raw in paths:
            root = os.path.abspath(os.fspath(raw))
            below = root if root.endswith(os.sep) else root + os.sep
            self._roots.append((root, below, Path(root)))

    @property
    def paths(self) -> list[Path]:
        return [as_path for _root, _below, as_path in self._roots]

    def of(self, path: str) -> Path:
        """The first given path that is `path` or a folder above it."""
        for root, below, as_path in self._roots:
            if path == root or path.startswith(below):
                return as_path
        return Path(path)  # not below any: cannot happen for a walk of these paths


def items_of(part: WalkResult, roots: Roots, stats: DiscoveryStats) -> list[FoundFile | Problem]:
    """One walk part's files and issues as found files and problems, counted in `stats`.

    In `walk_order` when the part has both (a folder's problems among its files).
    """
    for reason, count in part.filtered_reasons.items():
        stats.count_filtered(reason, count)
    items: list[FoundFile | Problem] = []
    unreadable = 0
    for path, size, mtime_ns, inode, device, ctime_ns in part.files:
        root = roots.of(path)
        if os.access(path, os.R_OK, effective_ids=_EFFECTIVE_IDS):
            items.append(FoundFile(Path(path), root, size, mtime_ns, inode, device, ctime_ns))
        else:
            unreadable += 1
            items.append(Problem(Path(path), root, UNREADABLE))
    items.extend(Problem(Path(i.path), roots.of(i.path), i.reason) for i in part.issues)
    stats.files += len(part.files) - unreadable
    stats.problems += unreadable + len(part.issues)
    if part.issues and part.files:
        items.sort(key=lambda item: walk_order(item.path))
    return items


_EFFECTIVE_IDS = os.access in os.supports_effective_ids
