"""The directory walker: every wanted file below some paths, with its size and identity.

The one walk of the app: drops and ``upload`` (through `discovery.discover`),
watched folders, the duplicate finder and ``check-duplicates`` all read the
tree through it, so they all take the same files:

* the `FileFilter` decides by name: hidden files and folders, temporary names,
  extensions. A path named explicitly is taken even when hidden (its extension
  and temporary name still count);
* symbolic links are followed, but a folder is listed once per walk (the named
  folders first; a link loop ends there) and, unless `follow_symlinks`, a link
  leading outside the walked folders is skipped (`OUTSIDE_LINK`);
* what cannot be taken (a broken link, a FIFO or device, a folder that cannot
  be listed, a file that vanished) is a `WalkIssue`, never dropped silently;
  what the filter refuses is counted with its reason;
* paths stay strings, absolute but not resolved, as the job store keeps them;
  a name that is not UTF-8 keeps its surrogate escapes.

It is built for 100,000-file trees: one ``stat`` per file and none per folder,
plain tuples instead of objects, the filter's name rules unpacked into the loop.
Two ways to run it: `walk_files` lists the whole tree with several threads
(fast on a cold cache) in no particular order; `iter_walk` goes folder by
folder in a stable order on the calling thread, so a caller can plan and
enqueue files while the walk goes on.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from hma_gui.core.files.disk_probe import DiskProbe
from hma_gui.core.files.file_filter import (
    OUTSIDE_LINK,
    FileFilter,
    NameRules,
    leads_outside,
    real_roots,
)
from hma_gui.core.progress import CancelToken, TaskProgress

# (path, size, mtime_ns, inode, device, ctime_ns): the ctime lets the hash cache tell an
# in-place rewrite that kept size and mtime without a second stat of the file
WalkedFile = tuple[str, int, int, int, int, int]

NOT_REGULAR = "not a regular file (device, pipe or socket)"
BROKEN_LINK = "broken symbolic link"
HIDDEN_FOLDER = "hidden folder"
LINK_LOOP = "folder already visited (symbolic link loop)"

WALK_THREADS = 4
_SCANDIR_FD = os.scandir in os.supports_fd and hasattr(os, "O_DIRECTORY")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
PROGRESS_SECONDS = 0.1
S_ISDIR = stat.S_ISDIR
S_ISREG = stat.S_ISREG
_BY_NAME = attrgetter("name")


@dataclass(frozen=True, slots=True)
class WalkIssue:
    path: str
    reason: str


@dataclass(slots=True)
class WalkResult:
    """Files found, issues met and names filtered out: by a whole walk, or one step of it."""

    files: list[WalkedFile] = field(default_factory=list)
    issues: list[WalkIssue] = field(default_factory=list)
    filtered: int = 0
    filtered_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # how long `walk_files` took

    def count_filtered(self, reason: str) -> None:
        self.filtered += 1
        self.filtered_reasons[reason] = self.filtered_reasons.get(reason, 0) + 1

    def add(self, other: WalkResult) -> None:
        self.files.extend(other.files)
        self.issues.extend(other.issues)
        self.filtered += other.filtered
        for reason, count in other.filtered_reasons.items():
            self.filtered_reasons[reason] = self.filtered_reasons.get(reason, 0) + count


class _Roots:
    """The named paths, stat-ed: named files (or their issues) and the folders to walk.

    Every named folder is marked visited before any is listed, so a folder also
    reached through another named one (nested, or through a link) is listed once.
    """

    def __init__(self, paths: Iterable[str | os.PathLike[str]], rules: NameRules) -> None:
        self.named: set[str] = set()
        self.visited: set[tuple[int, int]] = set()
        # in the order named: a named file's part, or a folder to walk (path, device)
        self.items: list[WalkResult | tuple[str, int]] = []
        for raw in paths:
            root = os.path.abspath(os.fspath(raw))
            if root in self.named:
                continue
            self.named.add(root)
            self._add(root, rules)
        # the walked folders, resolved: links leading outside them are skipped
        self.outside: tuple[str, ...] | None = None
        if self.folders and not rules.follow_symlinks:
            self.outside = real_roots(folder for folder, _device in self.folders)

    def _add(self, root: str, rules: NameRules) -> None:
        part = WalkResult()
        try:
            info = Path(root).stat()
        except FileNotFoundError:
            kind = BROKEN_LINK if Path(root).is_symlink() else "no such file or folder"
            part.issues.append(WalkIssue(root, kind))
        except OSError as exc:
            part.issues.append(WalkIssue(root, _reason(exc)))
        else:
            if S_ISDIR(info.st_mode):
                identity = (info.st_dev, info.st_ino)
                if identity not in self.visited:
                    self.visited.add(identity)
                    self.items.append((root, info.st_dev))
                return
            reason = rules.rejects(Path(root).name, explicit=True)
            if reason is not None:
                part.count_filtered(reason)
            elif not S_ISREG(info.st_mode):
                part.issues.append(WalkIssue(root, NOT_REGULAR))
            else:
                part.files.append(
                    (root, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev,
                     info.st_ctime_ns)
                )  # fmt: skip
        self.items.append(part)

    @property
    def folders(self) -> list[tuple[str, int]]:
        return [item for item in self.items if isinstance(item, tuple)]


def walk_files(
    paths: Iterable[str | os.PathLike[str]],
    file_filter: FileFilter,
    *,
    cancel: CancelToken | None = None,
    threads: int = WALK_THREADS,
    progress: TaskProgress | None = None,
) -> WalkResult:
    """Every wanted regular file below `paths`, each path once; problems as issues.

    Folders are listed by up to `threads` threads: on a cold cache the disk then
    has several requests to serve at once, which is what makes a cold walk fast.
    The order of the files is not defined. Raises `Cancelled` when `cancel` fires.
    """
    started = time.monotonic()
    rules = NameRules(file_filter)
    roots = _Roots(paths, rules)
    result = WalkResult()
    for item in roots.items:
        if isinstance(item, WalkResult):
            result.add(item)
    if roots.folders:
        walk = _FolderWalk(rules, roots, cancel, progress)
        for _ in walk.steps(roots.folders, max(1, threads), result):
            pass
    if len(roots.named) > 1:  # a file named on its own may also be inside a named folder
        result.files = _unique(result.files)
    result.seconds = time.monotonic() - started
    return result


def iter_walk(
    paths: Iterable[str | os.PathLike[str]],
    file_filter: FileFilter,
    *,
    cancel: CancelToken | None = None,
) -> Iterator[WalkResult]:
    """The walk of `walk_files` step by step: one named file, or one folder, per part.

    The order is stable: the named paths in turn; in a folder, names sorted and
    files before subfolders, depth first. One thread (the caller's). Raises
    `Cancelled` when `cancel` fires.
    """
    rules = NameRules(file_filter)
    roots = _Roots(paths, rules)
    seen: set[str] | None = set() if len(roots.named) > 1 else None
    for item in roots.items:
        if isinstance(item, WalkResult):
            parts: Iterable[WalkResult] = (item,)
        else:
            walk = _FolderWalk(rules, roots, cancel, ordered=True)
            parts = walk.steps([item], 1)
        for part in parts:
            if seen is not None and part.files:
                part.files = [f for f in part.files if f[0] not in seen]
                seen.update(f[0] for f in part.files)
            yield part


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
        roots: _Roots,
        cancel: CancelToken | None,
        progress: TaskProgress | None = None,
        *,
        ordered: bool = False,
    ) -> None:
        self._progress = progress
        self._found = 0  # files found by all threads, for progress
        self._shown = time.monotonic()
        self._rules = rules
        self._visited = roots.visited  # shared by the walks of one set of roots
        self._outside = roots.outside
        self._cancel = cancel
        self._ordered = ordered  # names sorted, and the todo list kept depth first
        self._cond = threading.Condition()
        self._todo: deque[tuple[str, int]] = deque()  # (folder, its device), popped at the end
        self._busy = 0
        self._failure: BaseException | None = None
        self._probe: DiskProbe | None = None
        self._extra: list[tuple[threading.Thread, WalkResult]] = []
        self._threads = 1

    def steps(
        self, roots: list[tuple[str, int]], threads: int, into: WalkResult | None = None
    ) -> Iterator[WalkResult]:
        """List the folders below `roots`; yield after each folder the calling thread lists.

        Each step yields that folder's part, or `into` when given (everything is
        collected there). The other threads' parts come last.
        """
        self._todo.extend(reversed(roots))
        self._threads = threads
        self._probe = DiskProbe() if threads > 1 else None
        try:
            yield from self._work(into, first=True)
        finally:  # normally all done; on an error or an early stop, stop the others
            with self._cond:
                self._todo.clear()
                self._cond.notify_all()
            for thread, _part in self._extra:
                thread.join()
        if self._failure is not None:
            raise self._failure
        for _thread, part in self._extra:
            if into is None:
                yield part
            else:
                into.add(part)

    def _boost(self) -> None:
        """Start the other threads once the disk is being read (the first thread asks)."""
        if self._probe is None or not self._probe.reading():
            return
        self._probe = None
        for number in range(1, self._threads):
            part = WalkResult()
            thread = threading.Thread(
                target=self._drain, args=(part,), name=f"walk-{number}", daemon=True
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

    def _drain(self, part: WalkResult) -> None:
        """An extra thread: list folders into `part` until there are none left."""
        try:
            for _ in self._work(part):
                pass
        except BaseException:  # noqa: BLE001, S110 - kept in _failure, raised by the caller
            pass

    def _work(self, into: WalkResult | None, *, first: bool = False) -> Iterator[WalkResult]:
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
                part = into if into is not None else WalkResult()
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
                    self._queue(subfolders, part)
                if first:
                    if self._probe is not None:
                        self._boost()
                    self._report()
                yield part
        except BaseException as exc:
            with cond:
                self._failure = self._failure or exc
                self._todo.clear()
                cond.notify_all()
            raise

    def _queue(self, subfolders: list[tuple[str, tuple[int, int], bool]], part: WalkResult) -> None:
        """Subfolders not listed yet go on the todo list, the first named popped first."""
        fresh: list[tuple[str, int]] = []
        with self._cond:
            for sub, identity, via_link in subfolders:
                if identity in self._visited:  # a link loop, a named folder, or seen already
                    if via_link:
                        part.count_filtered(LINK_LOOP)
                    continue
                self._visited.add(identity)
                fresh.append((sub, identity[0]))
            self._todo.extend(reversed(fresh))
            self._cond.notify_all()

    def _list(
        self, folder: str, device: int, part: WalkResult
    ) -> list[tuple[str, tuple[int, int], bool]]:
        """One folder: its wanted files into `part`, its subfolders returned (path, id, link).

        `NameRules.rejects` inlined: this loop runs once per file of the tree.
        A subfolder costs no ``stat``: its type and inode come with the listing
        (a symbolic link to a folder is followed and stat-ed, for loop detection).
        Where the OS allows, the folder is listed through a descriptor, so each
        ``stat`` resolves one name instead of the whole path (a fifth of the walk).
        """
        append = part.files.append
        rules = self._rules
        skip_hidden = rules.skip_hidden
        temporary = rules.temporary_match
        by_extension = rules.include or rules.exclude
        outside = self._outside
        subfolders: list[tuple[str, tuple[int, int], bool]] = []
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
                for entry in sorted(scan, key=_BY_NAME) if self._ordered else scan:
                    name = entry.name
                    if (
                        outside is not None
                        and entry.is_symlink()
                        and leads_outside(prefix + name, outside)
                    ):
                        part.count_filtered(OUTSIDE_LINK)
                        continue
                    try:
                        if entry.is_dir():
                            if skip_hidden and name[0] == ".":
                                part.count_filtered(HIDDEN_FOLDER)
                            elif entry.is_symlink():
                                info = entry.stat()
                                subfolders.append((prefix + name, (info.st_dev, info.st_ino), True))
                            else:
                                subfolders.append((prefix + name, (device, entry.inode()), False))
                            continue
                        info = entry.stat()  # follows symbolic links
                    except FileNotFoundError:
                        reason = BROKEN_LINK if entry.is_symlink() else "vanished while listed"
                        part.issues.append(WalkIssue(prefix + name, reason))
                        continue
                    except OSError as exc:
                        part.issues.append(WalkIssue(prefix + name, _reason(exc)))
                        continue
                    if (
                        (skip_hidden and name[0] == ".")
                        or (temporary is not None and temporary(name.lower()) is not None)
                        or (by_extension and rules.rejects(name) is not None)
                    ):
                        part.count_filtered(rules.rejects(name) or "filtered")
                    elif S_ISREG(info.st_mode):
                        append(
                            (prefix + name, info.st_size, info.st_mtime_ns, info.st_ino,
                             info.st_dev, info.st_ctime_ns)
                        )  # fmt: skip
                    elif S_ISDIR(info.st_mode):  # turned into a folder since it was listed
                        subfolders.append((prefix + name, (info.st_dev, info.st_ino), False))
                    else:
                        part.issues.append(WalkIssue(prefix + name, NOT_REGULAR))
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
