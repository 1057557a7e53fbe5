"""Local duplicate finder: size → first 4 KiB → MD5 of the whole file.

Files are grouped by size first (free: the walk has it), then same-size files
are compared by a checksum of their first 4 KiB, and only files that still
match are read in full. MD5 because S3 ETags are MD5-based, so the same
hashes serve the S3 check and the uploader (through the hash cache).

* Zero-byte files are never duplicates (counted, not grouped).
* Paths that lead to one file (hard links, symbolic links to a file: one
  device and inode) are the same file, not duplicates: a group holds at least
  two *different* files; a file's other paths appear in its group marked
  ``link_of``, and paths of one file that has no copy are listed in `linked`.
* A file that vanishes or changes while it is being read is listed in
  `issues` and left out of every group.

Progress goes to a `TaskProgress`, cancellation comes through a `CancelToken`
(`Cancelled` is raised; hashes computed so far stay in the cache).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from hma_gui.core.duplicates import scan_memo
from hma_gui.core.files.change_clock import settled_before
from hma_gui.core.files.file_filter import FileFilter
from hma_gui.core.files.file_walk import WalkedFile, WalkResult, walk_files
from hma_gui.core.hashes.file_hasher import HEAD_BYTES, FileHasher, HashTask
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.progress import CancelToken, NullTaskProgress, TaskProgress

logger = logging.getLogger(__name__)


class DuplicateFile(NamedTuple):
    """One path in a duplicate group (a row of the GUI's duplicates tree).

    A named tuple: a 100,000-file scan builds tens of thousands of them, and a
    frozen dataclass costs ten times as much to construct.
    """

    path: str
    size: int
    mtime_ns: int
    md5: str
    inode: int
    device: int
    link_of: str | None = None  # this path is another name of that file (hard/symbolic link)

    @property
    def modified(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9, tz=UTC)

    @property
    def is_link(self) -> bool:
        return self.link_of is not None


@dataclass(slots=True)
class DuplicateGroup:
    """Two or more different files with the same content. Treat as read-only."""

    md5: str
    size: int
    files: tuple[DuplicateFile, ...]  # sorted by path; links follow the file they name
    copies: int = field(init=False)  # different files (inodes) holding this content

    def __post_init__(self) -> None:
        self.copies = sum(1 for f in self.files if f.link_of is None)

    @property
    def wasted_bytes(self) -> int:
        """Bytes that keeping one copy would free."""
        return self.size * (self.copies - 1)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


@dataclass(frozen=True, slots=True)
class LinkedFiles:
    """Several paths to one file (hard links): reported, never counted as duplicates."""

    paths: tuple[str, ...]
    size: int
    inode: int
    device: int


@dataclass(frozen=True, slots=True)
class ScanIssue:
    """A path that was not compared, and why."""

    path: str
    reason: str


@dataclass(slots=True)
class ScanStats:
    files: int = 0  # wanted files found (links included)
    bytes: int = 0
    empty_files: int = 0
    filtered: int = 0
    candidates: int = 0  # different files sharing a size with another one
    head_reads: int = 0
    full_reads: int = 0
    bytes_read: int = 0
    cache_hits: int = 0
    seconds: float = 0.0


@dataclass
class LocalScanResult:
    groups: list[DuplicateGroup] = field(default_factory=list)
    linked: list[LinkedFiles] = field(default_factory=list)
    issues: list[ScanIssue] = field(default_factory=list)
    stats: ScanStats = field(default_factory=ScanStats)

    @property
    def wasted_bytes(self) -> int:
        return sum(g.wasted_bytes for g in self.groups)

    @property
    def duplicate_files(self) -> int:
        """Files beyond the first of each group (what "keep one" would skip)."""
        return sum(g.copies - 1 for g in self.groups)

    def kept(self) -> str:
        """The result as the hash cache keeps it (`scan_memo`): JSON, without the reads."""
        stats = self.stats
        return json.dumps(
            {
                "groups": [[g.md5, g.size, [list(f) for f in g.files]] for g in self.groups],
                "linked": [[list(k.paths), k.size, k.inode, k.device] for k in self.linked],
                "stats": [stats.files, stats.bytes, stats.empty_files, stats.candidates],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_kept(cls, text: str) -> LocalScanResult | None:
        """A kept result as a re-scan reports it: every candidate from the cache, nothing read."""
        try:
            kept: Any = json.loads(text)
            result = cls(
                groups=[
                    DuplicateGroup(md5, size, tuple(DuplicateFile(*f) for f in files))
                    for md5, size, files in kept["groups"]
                ],
                linked=[LinkedFiles(tuple(paths), *rest) for paths, *rest in kept["linked"]],
            )
            stats = result.stats
            stats.files, stats.bytes, stats.empty_files, stats.candidates = kept["stats"]
        except (ValueError, TypeError, KeyError) as exc:
            logger.warning("a kept duplicate scan is unreadable, scanning instead: %s", exc)
            return None
        stats.cache_hits = stats.candidates
        return result

    def group_of(self, path: str) -> DuplicateGroup | None:
        for group in self.groups:
            if path in group.paths:
                return group
        return None


@contextmanager
def pause_gc() -> Iterator[None]:
    """No cyclic garbage collection while 100,000s of tuples are built (a quarter of the
    time of a cached re-scan went to collections that find nothing); restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class LocalDuplicateFinder:
    """Finds duplicate files below some paths. Reusable; not for concurrent scans."""

    def __init__(
        self,
        *,
        cache: HashCache | None = None,
        workers: int = 4,
        progress: TaskProgress | None = None,
        cancel: CancelToken | None = None,
        keep_scans: bool = False,
    ) -> None:
        self.cache = cache
        self.keep_scans = keep_scans and cache is not None  # `scan_memo`: whole re-scans
        self.workers = workers
        self.progress = progress or NullTaskProgress()
        self.cancel = cancel or CancelToken()

    def scan(
        self, paths: Iterable[str | os.PathLike[str]], file_filter: FileFilter | None = None
    ) -> LocalScanResult:
        """Walk `paths` (files or folders) with `file_filter` and group the duplicates."""
        return self.scan_walked(self.walk(paths, file_filter))

    def walk(
        self, paths: Iterable[str | os.PathLike[str]], file_filter: FileFilter | None = None
    ) -> WalkResult:
        """The walk a scan starts with, for a caller that plans with it too (check-duplicates)."""
        self.progress.update(0, None, "listing files")
        return walk_files(
            paths, file_filter or FileFilter.build(), cancel=self.cancel, progress=self.progress
        )

    def scan_walked(self, walked: WalkResult) -> LocalScanResult:
        """Group the duplicates among the files of a walk; its issues are the scan's first."""
        started = time.monotonic()
        result = self.find(walked.files, walked_at=time.time() - walked.seconds)
        result.issues[:0] = [ScanIssue(i.path, i.reason) for i in walked.issues]
        result.stats.filtered = walked.filtered
        result.stats.seconds = walked.seconds + time.monotonic() - started
        return result

    def find(
        self, files: Sequence[WalkedFile], *, walked_at: float | None = None
    ) -> LocalScanResult:
        """Group walked `files` (path, size, mtime_ns, inode, device, ctime_ns) by content.

        `walked_at`: when their walk began (``time.time()``), if not just now.
        """
        if not self.keep_scans or self.cache is None:
            return self._find(files)
        at = time.time() if walked_at is None else walked_at
        key = scan_memo.scan_key(files)
        kept = self.cache.recall_scan(key)
        with pause_gc():
            result = LocalScanResult.from_kept(kept) if kept is not None else None
        if result is None:
            result = self._find(files)
            # complete (a scan with problems meets them again), and no file changed just
            # before the walk saw it, in the tick its identity cannot tell (`change_clock`)
            if not result.issues and all(settled_before(f[5], at) for f in files):
                self.cache.remember_scan(key, result.kept())
        return result

    def _find(self, files: Sequence[WalkedFile]) -> LocalScanResult:
        with pause_gc():  # in-memory work only; hashing runs with the collector on
            result, same_sizes, aliases, primary = self._candidates(files)
        md5s, issues = self._hash(same_sizes, result.stats)
        with pause_gc():
            result.issues.extend(issues)
            result.groups = _groups(same_sizes, md5s, aliases)
            grouped = {(f.device, f.inode) for g in result.groups for f in g.files}
            result.linked = sorted(
                (
                    LinkedFiles((primary[ident][0], *names), primary[ident][1], ident[1], ident[0])
                    for ident, names in aliases.items()
                    if ident not in grouped
                ),
                key=lambda link: link.paths,
            )
        return result

    def _candidates(
        self, files: Sequence[WalkedFile]
    ) -> tuple[
        LocalScanResult,
        list[list[WalkedFile]],
        dict[tuple[int, int], list[str]],
        dict[tuple[int, int], WalkedFile],
    ]:
        """Same-size files, one path per file (inode); the other paths of a file apart."""
        result = LocalScanResult()
        stats = result.stats
        stats.files = len(files)
        sizes = Counter([f[1] for f in files])
        stats.bytes = sum(size * count for size, count in sizes.items())
        stats.empty_files = sizes.pop(0, 0)
        shared = {size for size, count in sizes.items() if count > 1}
        by_size: dict[int, list[WalkedFile]] = {size: [] for size in shared}
        for item in files:
            if item[1] in shared:
                by_size[item[1]].append(item)

        # One file per inode; other paths to it are aliases (links), never duplicates.
        same_sizes: list[list[WalkedFile]] = []
        aliases: dict[tuple[int, int], list[str]] = {}  # (device, inode) -> further paths
        primary: dict[tuple[int, int], WalkedFile] = {}  # (device, inode) -> its first path
        for same_size in by_size.values():
            if len({(f[4], f[3]) for f in same_size}) == len(same_size):
                same_sizes.append(same_size)  # no links among them: the usual case
                continue
            firsts: dict[tuple[int, int], WalkedFile] = {}
            for item in sorted(same_size):  # the first path of a file is the one shown
                identity = (item[4], item[3])
                first = firsts.get(identity)
                if first is None:
                    firsts[identity] = item
                else:
                    aliases.setdefault(identity, []).append(item[0])
                    primary[identity] = first
            if len(firsts) > 1:
                same_sizes.append(list(firsts.values()))
        stats.candidates = sum(len(same) for same in same_sizes)
        return result, same_sizes, aliases, primary

    def _from_cache(
        self, same_sizes: list[list[WalkedFile]], stats: ScanStats
    ) -> tuple[dict[str, str], list[list[HashTask]]]:
        """MD5s the cache knows; hashing tasks for the size groups it cannot settle."""
        candidates = [f for same in same_sizes for f in same]
        known = self.cache.lookup_files(candidates) if self.cache else {}
        stats.cache_hits = len(known)
        md5s = {path: hit[1] for path, hit in known.items() if hit[1] is not None}
        groups: list[list[HashTask]] = []
        if len(md5s) == len(candidates):
            return md5s, groups  # a re-scan of an unchanged tree: nothing to read
        for same in same_sizes:
            for item in same:  # a loop, not all(genexpr): this runs once per candidate
                if item[0] not in md5s:
                    break
            else:
                continue  # all known: compared by MD5 directly, nothing read
            if _settled_by_heads(same, known):
                continue  # first 4 KiB all known and all different: no twins, nothing read
            tasks = []
            for path, size, mtime_ns, inode, device, ctime_ns in same:
                head, md5 = known.get(path, (None, None))
                if md5 is not None and size <= HEAD_BYTES:
                    head = md5
                tasks.append(
                    HashTask(path, size, mtime_ns, inode, device, head=head, md5=md5,
                             ctime_ns=ctime_ns)
                )  # fmt: skip
            groups.append(tasks)
        return md5s, groups

    def _hash(
        self, same_sizes: list[list[WalkedFile]], stats: ScanStats
    ) -> tuple[dict[str, str], list[ScanIssue]]:
        """MD5 by path of every file that could have a twin: cache, heads, then full reads."""
        with pause_gc():
            md5s, groups = self._from_cache(same_sizes, stats)
        hasher = FileHasher(
            cache=self.cache, workers=self.workers, cancel=self.cancel, progress=self.progress
        )
        hasher.heads([t for tasks in groups for t in tasks])
        need_full: list[HashTask] = []
        for tasks in groups:
            if tasks[0].size <= HEAD_BYTES:
                continue
            by_head: dict[str, list[HashTask]] = {}
            for task in tasks:
                if task.error is None and task.head is not None:
                    by_head.setdefault(task.head, []).append(task)
            for matching in by_head.values():
                if len(matching) > 1:
                    need_full.extend(m for m in matching if m.md5 is None)
        hasher.full(need_full)
        issues: list[ScanIssue] = []
        for tasks in groups:
            for task in tasks:
                if task.error is not None:
                    issues.append(ScanIssue(task.path, task.error))
                elif task.md5 is not None:
                    md5s[task.path] = task.md5
        stats.head_reads = hasher.counters.head_reads
        stats.full_reads = hasher.counters.full_reads
        stats.bytes_read = hasher.counters.bytes_read
        return md5s, issues


def _settled_by_heads(
    same: list[WalkedFile], known: dict[str, tuple[str | None, str | None]]
) -> bool:
    """True when cached heads already show that no two of `same` can be equal."""
    heads: dict[str, tuple[str | None, str | None]] = {}
    for item in same:
        hit = known.get(item[0])
        if hit is None or hit[0] is None:
            return False
        other = heads.get(hit[0])
        if other is not None and (other[1] is None or hit[1] is None):
            return False  # equal heads without both MD5s: one must be read
        heads[hit[0]] = hit
    return True


def _groups(
    same_sizes: list[list[WalkedFile]],
    md5s: dict[str, str],
    aliases: dict[tuple[int, int], list[str]],
) -> list[DuplicateGroup]:
    groups: list[DuplicateGroup] = []
    get = md5s.get
    for same in same_sizes:  # one list per size: grouped by MD5 alone, no (size, md5) keys
        size = same[0][1]
        by_md5: dict[str, list[WalkedFile]] = {}
        for item in same:
            md5 = get(item[0])
            if md5 is not None:
                twins = by_md5.get(md5)
                if twins is None:
                    by_md5[md5] = [item]
                else:
                    twins.append(item)
        for md5, twins in by_md5.items():
            if len(twins) < 2:
                continue
            files: list[DuplicateFile] = []
            for path, _, mtime_ns, inode, device, _ctime in sorted(twins):
                files.append(DuplicateFile(path, size, mtime_ns, md5, inode, device))
                for other in aliases.get((device, inode), ()):
                    files.append(DuplicateFile(other, size, mtime_ns, md5, inode, device, path))
            groups.append(DuplicateGroup(md5, size, tuple(files)))
    groups.sort(key=lambda g: (-g.wasted_bytes, g.files[0].path))
    return groups
