"""A fast walk for the duplicate finder: every wanted file with its size and identity.

It picks exactly the files `discovery.discover` picks (same `FileFilter`
rules, symbolic links to folders followed once and, unless `follow_symlinks`, not
when they lead outside the walked folders, explicit file paths taken even
when hidden) but is built for 100,000-file trees: one ``stat`` per entry, plain
tuples instead of objects, and the filter's name rules compiled into one
regular expression. Paths stay strings (absolute, not resolved), as the job
store keeps them.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hma_gui.core.files.disk_probe import DiskProbe
from hma_gui.core.files.file_filter import TEMPORARY_RE, FileFilter, leads_outside, real_roots
from hma_gui.core.progress import CancelToken, TaskProgress

# (path, size, mtime_ns, inode, device)
WalkedFile = tuple[str, int, int, int, int]

WALK_THREADS = 4
_SCANDIR_FD = os.scandir in os.supports_fd and hasattr(os, "O_DIRECTORY")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
PROGRESS_SECONDS = 0.1
S_ISDIR = stat.S_ISDIR
S_ISREG = stat.S_ISREG


@dataclass(frozen=True, slots=True)
class WalkIssue:
    path: str
    reason: str


@dataclass(slots=True)
class WalkResult:
    files: list[WalkedFile] = field(default_factory=list)
    issues: list[WalkIssue] = field(default_factory=list)
    filtered: int = 0


class NameRules:
    """`FileFilter.rejects(name) is None`, with the hidden and temporary tests inlined.

    The rules themselves stay `FileFilter`'s (its compiled `TEMPORARY_RE`, its
    extension lists); this only unpacks them for the per-file loop.
    """

    def __init__(self, file_filter: FileFilter) -> None:
        self.skip_hidden = file_filter.skip_hidden
        self.include = file_filter.include
        self.exclude = file_filter.exclude
        # match(lower-cased name) -> a match for temporary names, or None
        self.temporary_match = TEMPORARY_RE.match if file_filter.skip_temporary else None
        self._extension_rejects = file_filter.extension_rejects
        self.follow_symlinks = file_filter.follow_symlinks
        # the walked folders, resolved: links leading outside them are skipped (set by walk)
        self.outside_roots: tuple[str, ...] | None = None

    def wants_file(self, name: str, *, explicit: bool = False) -> bool:
        if not explicit and self.skip_hidden and name.startswith("."):
            return False
        if self.temporary_match is not None and self.temporary_match(name.lower()):
            return False
        return self._extension_rejects(name) is None

    def wants_dir(self, name: str) -> bool:
        return not (self.skip_hidden and name.startswith("."))


def walk_files(
    paths: Iterable[str | os.PathLike[str]],
    file_filter: FileFilter,
    *,
    cancel: CancelToken | None = None,
    threads: int = WALK_THREADS,
    progress: TaskProgress | None = None,
) -> WalkResult:
    """Every wanted regular file below `paths`, each path once; problems as issues.

    Folders are listed by `threads` threads: on a cold cache the disk then has
    several requests to serve at once, which is what makes a cold walk fast.
    """
    rules = NameRules(file_filter)
    result = WalkResult()
    seen_paths: set[str] = set()
    visited: set[tuple[int, int]] = set()
    folders: list[tuple[str, int]] = []  # (folder, device)
    for raw in paths:
        root = os.path.abspath(os.fspath(raw))
        if root in seen_paths:
            continue
        seen_paths.add(root)
        try:
            info = Path(root).stat()
        except FileNotFoundError:
            kind = "broken symbolic link" if Path(root).is_symlink() else "no such file or folder"
            result.issues.append(WalkIssue(root, kind))
            continue
        except OSError as exc:
            result.issues.append(WalkIssue(root, _reason(exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            identity = (info.st_dev, info.st_ino)
            if identity not in visited:
                visited.add(identity)
                folders.append((root, info.st_dev))
        elif not rules.wants_file(Path(root).name, explicit=True):
            result.filtered += 1
        elif not stat.S_ISREG(info.st_mode):
            result.issues.append(WalkIssue(root, "not a regular file (device, pipe or socket)"))
        else:
            result.files.append((root, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev))
    if folders and not rules.follow_symlinks:
        rules.outside_roots = real_roots(folder for folder, _device in folders)
    if folders:
        _FolderWalk(rules, visited, cancel, progress).run(folders, max(1, threads), result)
    if len(seen_paths) > 1:  # a file named on its own may also be inside a named folder
        result.files = _unique(result.files)
    return result


class _FolderWalk:
    """Folders to list; more threads join once the walk is seen to wait for the disk.

    Warm, one thread is fastest (the GIL makes extra threads pure overhead).
    Cold, listing is latency-bound and `threads` threads keep the disk busy.
    The calling thread walks alone until `DiskProbe` sees this process read
    from storage, then the others start.
    """

    def __init__(
        self,
        rules: NameRules,
        visited: set[tuple[int, int]],
        cancel: CancelToken | None,
        progress: TaskProgress | None = None,
    ) -> None:
        self._progress = progress
        self._found = 0  # files found by all threads, for progress
        self._shown = time.monotonic()
        self._rules = rules
        self._visited = visited
        self._cancel = cancel
        self._cond = threading.Condition()
        self._todo: deque[tuple[str, int]] = deque()  # (folder, its device)
        self._busy = 0
        self._failure: BaseException | None = None
        self._probe: DiskProbe | None = None
        self._extra: list[tuple[threading.Thread, WalkResult]] = []
        self._threads = 1

    def run(self, roots: list[tuple[str, int]], threads: int, result: WalkResult) -> None:
        self._todo.extend(reversed(roots))
        self._threads = threads
        self._probe = DiskProbe() if threads > 1 else None
        parts = [WalkResult()]
        self._work(parts[0], first=True)
        for thread, part in self._extra:
            thread.join()
            parts.append(part)
        if self._failure is not None:
            raise self._failure
        for part in parts:
            result.files.extend(part.files)
            result.issues.extend(part.issues)
            result.filtered += part.filtered

    def _boost(self) -> None:
        """Start the other threads once the disk is being read (the first thread asks)."""
        if self._probe is None or not self._probe.reading():
            return
        self._probe = None
        for number in range(1, self._threads):
            part = WalkResult()
            thread = threading.Thread(
                target=self._work, args=(part,), name=f"walk-{number}", daemon=True
            )
            self._extra.append((thread, part))
            thread.start()

    def _report(self) -> None:
        """Files found so far, at most ten times a second (the first thread reports)."""
        if self._progress is None:
            return
        now = time.monotonic()
        if now - self._shown >= PROGRESS_SECONDS:
            self._shown = now
            self._progress.update(self._found, None, "listing files")

    def _work(self, part: WalkResult, *, first: bool = False) -> None:
        cond = self._cond
        try:
            while True:
                with cond:
                    while not self._todo and self._busy:
                        cond.wait()
                    if not self._todo or self._failure is not None:
                        cond.notify_all()
                        return
                    folder, device = self._todo.pop()
                    self._busy += 1
                before = len(part.files)
                try:
                    if self._cancel is not None:
                        self._cancel.raise_if_cancelled()
                    subfolders = self._list(folder, device, part)
                finally:
                    with cond:
                        self._found += len(part.files) - before
                        self._busy -= 1
                        if self._busy == 0:  # the others may be waiting for the end
                            cond.notify_all()
                if subfolders:
                    with cond:
                        for sub, identity in subfolders:
                            if identity not in self._visited:  # a link loop, or seen already
                                self._visited.add(identity)
                                self._todo.append((sub, identity[0]))
                        cond.notify_all()
                if first:
                    if self._probe is not None:
                        self._boost()
                    self._report()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            with cond:
                self._failure = self._failure or exc
                self._todo.clear()
                cond.notify_all()

    def _list(
        self, folder: str, device: int, part: WalkResult
    ) -> list[tuple[str, tuple[int, int]]]:
        """One folder: its wanted files into `part`, its subfolders returned.

        `NameRules.wants_file` inlined: this loop runs once per file of the tree.
        A subfolder costs no ``stat``: its type and inode come with the listing
        (a symbolic link to a folder is followed and stat-ed, for loop detection).
        Where the OS allows, the folder is listed through a descriptor, so each
        ``stat`` resolves one name instead of the whole path (a fifth of the walk).
        """
        append = part.files.append
        rules = self._rules
        skip_hidden = rules.skip_hidden
        temporary = rules.temporary_match
        by_extension = rules.wants_file if rules.include or rules.exclude else None
        outside = rules.outside_roots
        subfolders: list[tuple[str, tuple[int, int]]] = []
        prefix = folder if folder.endswith(os.sep) else folder + os.sep
        fd = -1
        try:
            if _SCANDIR_FD:
                fd = os.open(folder, _DIR_FLAGS)
            scan = os.scandir(fd if fd >= 0 else folder)
        except OSError as exc:
            if fd >= 0:
                os.close(fd)
            part.issues.append(WalkIssue(folder, f"cannot list folder: {_reason(exc)}"))
            return subfolders
        try:
            with scan:
                for entry in scan:
                    name = entry.name
                    if (
                        outside is not None
                        and entry.is_symlink()
                        and leads_outside(prefix + name, outside)
                    ):
                        part.filtered += 1  # as discovery: OUTSIDE_LINK
                        continue
                    try:
                        if entry.is_dir():
                            if skip_hidden and name[0] == ".":
                                part.filtered += 1
                            elif entry.is_symlink():
                                info = entry.stat()
                                subfolders.append((prefix + name, (info.st_dev, info.st_ino)))
                            else:
                                subfolders.append((prefix + name, (device, entry.inode())))
                            continue
                        info = entry.stat()  # follows symbolic links, as discovery does
                    except FileNotFoundError:
                        reason = "broken symbolic link" if entry.is_symlink() else "vanished"
                        part.issues.append(WalkIssue(prefix + name, reason))
                        continue
                    except OSError as exc:
                        part.issues.append(WalkIssue(prefix + name, _reason(exc)))
                        continue
                    if (
                        (skip_hidden and name[0] == ".")
                        or (temporary is not None and temporary(name.lower()) is not None)
                        or (by_extension is not None and not by_extension(name))
                    ):
                        part.filtered += 1
                    elif S_ISREG(info.st_mode):
                        append(
                            (prefix + name, info.st_size, info.st_mtime_ns, info.st_ino,
                             info.st_dev)
                        )  # fmt: skip
                    elif S_ISDIR(info.st_mode):  # turned into a folder since it was listed
                        subfolders.append((prefix + name, (info.st_dev, info.st_ino)))
                    else:
                        part.issues.append(
                            WalkIssue(prefix + name, "not a regular file (device, pipe or socket)")
                        )
        finally:
            if fd >= 0:
                os.close(fd)
        return subfolders


def _unique(files: list[WalkedFile]) -> list[WalkedFile]:
    """The first of each path."""
    seen: set[str] = set()
    unique: list[WalkedFile] = []
    for item in files:
        if item[0] not in seen:
            seen.add(item[0])
            unique.append(item)
    return unique


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:] if text else exc.__class__.__name__
