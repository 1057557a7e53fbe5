"""The local duplicate finder: jdupes' groups, hard links, empties, changed files, the cache."""

from __future__ import annotations

import builtins
import os
from collections import Counter
from pathlib import Path

import pytest

from hma_gui.core.duplicates.local import LocalDuplicateFinder
from hma_gui.core.errors import Cancelled
from hma_gui.core.files.file_filter import FileFilter
from hma_gui.core.files.file_walk import walk_files
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.progress import CancelToken
from tests.conftest import require_tool
from tests.dupes_trees import build_tricky_tree, inode_sets, jdupes_groups, write
from tests.file_clock import settle


def our_groups(root: Path, **kwargs: object) -> tuple[set[frozenset[str]], object]:
    result = LocalDuplicateFinder(**kwargs).scan([root])  # type: ignore[arg-type]
    return {frozenset(g.paths) for g in result.groups}, result


def test_groups_equal_jdupes_groups_with_hard_links_as_links(tmp_path: Path) -> None:
    jdupes = require_tool("jdupes")
    root = tmp_path / "tree"
    build_tricky_tree(root)
    ours, result = our_groups(root)
    linked = {frozenset(link.paths) for link in result.linked}  # type: ignore[attr-defined]

    # jdupes -H counts hard links as duplicates: its groups are ours (links included)
    # plus the paths of a file that has no copy, which we list as one file, not duplicates.
    assert jdupes_groups(jdupes, root, "-H") == ours | linked
    # Plain jdupes keeps one path per file: the same groups of different files (inodes).
    assert inode_sets(jdupes_groups(jdupes, root)) == inode_sets(ours)


def test_what_is_and_is_not_a_duplicate(tmp_path: Path) -> None:
    cases = build_tricky_tree(tmp_path)
    ours, result = our_groups(tmp_path)
    as_set = lambda name: frozenset(str(p) for p in cases[name])  # noqa: E731

    assert as_set("small_dupes") in ours
    assert as_set("head_sized_dupes") in ours
    assert as_set("big_dupes") in ours
    assert as_set("hardlink_with_copy") in ours
    grouped = set().union(*ours)
    for name in ("same_size_other_content", "equal_head_only", "empty", "unique"):
        assert not grouped & as_set(name), name
    assert not grouped & as_set("big_differs_at_end")
    assert not grouped & as_set("hardlink_only")
    assert [set(link.paths) for link in result.linked] == [set(as_set("hardlink_only"))]  # type: ignore[attr-defined]

    group = next(g for g in result.groups if g.paths == tuple(sorted(as_set("hardlink_with_copy"))))  # type: ignore[attr-defined]
    by_path = {f.path: f for f in group.files}
    link = by_path[str(cases["hardlink_with_copy"][1])]
    assert link.link_of == str(cases["hardlink_with_copy"][0])
    assert group.copies == 2 and group.wasted_bytes == 5000  # the link wastes nothing
    stats = result.stats  # type: ignore[attr-defined]
    assert stats.empty_files == 3
    assert result.wasted_bytes == 2 * 700 + 4096 + (2 * 1024 * 1024 + 123) + 5000  # type: ignore[attr-defined]


def test_only_files_with_equal_first_4_kib_are_read_in_full(tmp_path: Path) -> None:
    cases = build_tricky_tree(tmp_path)
    opened = _count_opens(tmp_path)
    with opened:
        LocalDuplicateFinder().scan([tmp_path])
    never = [*cases["unique"], *cases["empty"]]
    assert not {str(p) for p in never} & set(opened.paths)
    # same size, other content: one head read each, never a full read
    for path in cases["same_size_other_content"]:
        assert opened.paths[str(path)] == 1
    for path in cases["equal_head_only"]:  # head equal: read again in full
        assert opened.paths[str(path)] == 2


def test_a_second_scan_reads_no_file_and_a_touched_file_is_rehashed(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    cases = build_tricky_tree(tree)
    settle()  # hashes of files changed just now are not written (`change_clock`)
    cache_path = tmp_path / "cache.db"
    with HashCache(cache_path) as cache:
        first = LocalDuplicateFinder(cache=cache).scan([tree])
    assert first.stats.head_reads > 0

    with HashCache(cache_path) as cache, _count_opens(tree) as opened:  # a new process, in effect
        second = LocalDuplicateFinder(cache=cache).scan([tree])
    assert opened.paths == Counter()
    assert second.stats.head_reads == second.stats.full_reads == second.stats.bytes_read == 0
    assert [g.paths for g in second.groups] == [g.paths for g in first.groups]

    touched = cases["big_dupes"][0]
    info = touched.stat()
    os.utime(touched, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    with HashCache(cache_path) as cache, _count_opens(tree) as opened:
        third = LocalDuplicateFinder(cache=cache).scan([tree])
    assert set(opened.paths) == {str(touched)}
    assert [g.paths for g in third.groups] == [g.paths for g in first.groups]


def test_a_file_that_changes_or_vanishes_before_it_is_read_is_reported_not_grouped(
    tmp_path: Path,
) -> None:
    same = os.urandom(9000)
    changing = write(tmp_path / "a" / "changing.csv", same)
    partner = write(tmp_path / "b" / "partner.csv", same)
    vanishing = write(tmp_path / "a" / "vanishing.csv", same[::-1])
    write(tmp_path / "b" / "vanishing copy.csv", same[::-1])
    walked = walk_files([tmp_path], FileFilter.build())

    # after the listing: same size, new content equal to nothing (and a new mtime)
    changing.write_bytes(os.urandom(9000))
    os.utime(changing, ns=(0, changing.stat().st_mtime_ns + 5_000_000_000))
    vanishing.unlink()
    result = LocalDuplicateFinder().find(walked.files)

    assert result.groups == []
    reasons = {issue.path: issue.reason for issue in result.issues}
    assert "changed while being read" in reasons[str(changing)]
    assert "vanished" in reasons[str(vanishing)]
    assert str(partner) not in reasons


def test_a_file_rewritten_to_match_another_is_not_grouped_by_stale_hashes(tmp_path: Path) -> None:
    a = write(tmp_path / "a.bin", b"x" * 5000)
    b = write(tmp_path / "b.bin", b"y" * 5000)
    settle()  # written hashes: the stale ones a later run could meet
    cache_path = tmp_path / "cache.db"
    with HashCache(cache_path) as cache:
        assert LocalDuplicateFinder(cache=cache).scan([tmp_path]).groups == []
    b.write_bytes(a.read_bytes())
    os.utime(b, ns=(0, b.stat().st_mtime_ns + 2_000_000_000))
    with HashCache(cache_path) as cache:
        result = LocalDuplicateFinder(cache=cache).scan([tmp_path])
    assert [set(g.paths) for g in result.groups] == [{str(a), str(b)}]


def test_progress_is_reported_and_cancel_stops_the_scan(tmp_path: Path) -> None:
    build_tricky_tree(tmp_path)
    updates: list[tuple[int, int | None, str]] = []

    class Recorder:
        def update(self, done: int, total: int | None, message: str = "") -> None:
            updates.append((done, total, message))

    LocalDuplicateFinder(progress=Recorder(), workers=2).scan([tmp_path])
    assert updates[0] == (0, None, "listing files")
    finals = [u for u in updates if u[1] is not None and u[0] == u[1]]
    assert {u[2] for u in finals} >= {"comparing first 4 KiB", "hashing"}

    cancel = CancelToken()

    class CancelAtHashing:
        def update(self, done: int, total: int | None, message: str = "") -> None:
            if message == "comparing first 4 KiB":
                cancel.cancel("user stop")

    with pytest.raises(Cancelled):
        LocalDuplicateFinder(progress=CancelAtHashing(), cancel=cancel).scan([tmp_path])


class _count_opens:
    """Counts os.open and builtins.open calls on files below `root` (the read boundary)."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.paths: Counter[str] = Counter()

    def _count(self, path: object) -> None:
        if isinstance(path, (str, os.PathLike)):
            text = os.fspath(path)
            # files only: listing a folder through a descriptor reads no file contents
            if isinstance(text, str) and text.startswith(self.root) and not os.path.isdir(text):
                self.paths[text] += 1

    def __enter__(self) -> _count_opens:
        self._os_open, self._open = os.open, builtins.open

        def os_open(path: object, *args: object, **kwargs: object) -> int:
            self._count(path)
            return self._os_open(path, *args, **kwargs)  # type: ignore[arg-type]

        def open_(file: object, *args: object, **kwargs: object) -> object:
            self._count(file)
            return self._open(file, *args, **kwargs)  # type: ignore[call-overload]

        os.open = os_open  # type: ignore[assignment]
        builtins.open = open_  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        os.open = self._os_open
        builtins.open = self._open
