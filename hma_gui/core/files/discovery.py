"""Discovery: from dropped or named paths to the files that should be uploaded.

Walks folders recursively with `os.scandir` (one `stat` per entry, no more),
follows symbolic links to folders but never twice into the same folder (loops
are safe), skips links that lead outside the folder unless `follow_symlinks`
(counted with the reason), and yields either a `FoundFile` or a `Problem` for
every path that could not be taken, so nothing is dropped silently. Files
refused by the filter are counted, not yielded.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hma_gui.core.files.file_filter import OUTSIDE_LINK, FileFilter, leads_outside, real_roots
from hma_gui.core.progress import CancelToken


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

    def count_filtered(self, reason: str) -> None:
        self.filtered += 1
        self.filtered_reasons[reason] = self.filtered_reasons.get(reason, 0) + 1


def discover(
    paths: Iterable[str | os.PathLike[str]],
    file_filter: FileFilter,
    *,
    stats: DiscoveryStats | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[FoundFile | Problem]:
    """Yield every wanted file below `paths` (files or folders), in a stable order.

    A path named explicitly is taken even if it is hidden; the filter's extension
    rules still apply to it.
    """
    stats = stats if stats is not None else DiscoveryStats()
    seen_files: set[tuple[int, int, str]] = set()
    for raw in paths:
        root = Path(os.path.abspath(os.fspath(raw)))
        for item in _discover_root(root, file_filter, stats, cancel):
            if isinstance(item, FoundFile):
                identity = (item.device, item.inode, str(item.path))
                if identity in seen_files:  # the same path given twice
                    continue
                seen_files.add(identity)
                stats.files += 1
            else:
                stats.problems += 1
            yield item


def _discover_root(
    root: Path, file_filter: FileFilter, stats: DiscoveryStats, cancel: CancelToken | None
) -> Iterator[FoundFile | Problem]:
    try:
        info = root.stat()
    except FileNotFoundError:
        kind = "broken symbolic link" if root.is_symlink() else "no such file or folder"
        yield Problem(root, root, kind)
        return
    except OSError as exc:
        yield Problem(root, root, _os_reason(exc))
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _walk(root, file_filter, stats, cancel)
        return
    reason = _explicit_file_rejected(root.name, file_filter)
    if reason:
        stats.count_filtered(reason)
        return
    yield _file_entry(root, root, info)


def _explicit_file_rejected(name: str, file_filter: FileFilter) -> str | None:
    """A file named explicitly is judged by extension and temporary name, not hiddenness."""
    explicit = FileFilter(
        file_filter.include, file_filter.exclude, False, file_filter.skip_temporary
    )
    return explicit.rejects(name)


def _walk(
    root: Path, file_filter: FileFilter, stats: DiscoveryStats, cancel: CancelToken | None
) -> Iterator[FoundFile | Problem]:
    root_info = root.stat()
    visited: set[tuple[int, int]] = {(root_info.st_dev, root_info.st_ino)}
    roots = None if file_filter.follow_symlinks else real_roots([str(root)])
    stack: list[Path] = [root]
    while stack:
        if cancel is not None and cancel.cancelled:
            return
        folder = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            yield Problem(folder, root, f"cannot list folder: {_os_reason(exc)}")
            continue
        subfolders: list[Path] = []
        for entry in entries:
            if roots is not None and entry.is_symlink() and leads_outside(entry.path, roots):
                stats.count_filtered(OUTSIDE_LINK)
                continue
            item = _classify_entry(entry, root, file_filter, stats, visited)
            if isinstance(item, Path):
                subfolders.append(item)
            elif item is not None:
                yield item
        stack.extend(reversed(subfolders))


def _classify_entry(
    entry: os.DirEntry[str],
    root: Path,
    file_filter: FileFilter,
    stats: DiscoveryStats,
    visited: set[tuple[int, int]],
) -> FoundFile | Problem | Path | None:
    """A file, a problem, a folder to descend into, or None (filtered or seen)."""
    path = Path(entry.path)
    try:
        info = entry.stat()  # follows symlinks
    except FileNotFoundError:
        if entry.is_symlink():
            return Problem(path, root, "broken symbolic link")
        return Problem(path, root, "vanished during discovery")
    except OSError as exc:
        return Problem(path, root, _os_reason(exc))
    if stat.S_ISDIR(info.st_mode):
        if not file_filter.wants_dir(entry.name):
            stats.count_filtered("hidden folder")
            return None
        identity = (info.st_dev, info.st_ino)
        if identity in visited:
            stats.count_filtered("folder already visited (symbolic link loop)")
            return None
        visited.add(identity)
        return path
    reason = file_filter.rejects(entry.name)
    if reason:
        stats.count_filtered(reason)
        return None
    if not stat.S_ISREG(info.st_mode):
        return Problem(path, root, "not a regular file (device, pipe or socket)")
    return _file_entry(path, root, info)


def _file_entry(path: Path, root: Path, info: os.stat_result) -> FoundFile | Problem:
    if not stat.S_ISREG(info.st_mode):
        return Problem(path, root, "not a regular file (device, pipe or socket)")
    if not os.access(path, os.R_OK, effective_ids=_EFFECTIVE_IDS):
        return Problem(path, root, "permission denied: the file cannot be read")
    return FoundFile(path, root, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)


_EFFECTIVE_IDS = os.access in os.supports_effective_ids


def _os_reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:] if text else exc.__class__.__name__
