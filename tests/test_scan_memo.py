"""A kept whole scan answers a re-scan only while every walked file is as it was.

Each change a tree can see between two scans (a copy added, a file removed, a
file touched, a file rewritten in place with its size and mtime kept) must give
the groups a scan without any cache gives; an unchanged tree must give the same
result as before without reading a file; a scan that met a problem is not kept.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.duplicates import scan_memo
from hma_gui.core.duplicates.local import LocalDuplicateFinder, LocalScanResult
from hma_gui.core.files.file_filter import FileFilter
from hma_gui.core.files.file_walk import walk_files
from hma_gui.core.hashes.hash_cache import HashCache
from tests.cli_runner import run_cli
from tests.dupes_trees import build_tricky_tree, write
from tests.file_clock import rewrite_keeping_size_and_mtime, settle
from tests.test_local_duplicates import _count_opens


def scan(tree: Path, cache_path: Path | None) -> LocalScanResult:
    if cache_path is None:
        return LocalDuplicateFinder().scan([tree])
    with HashCache(cache_path) as cache:  # a new process, in effect
        return LocalDuplicateFinder(cache=cache, keep_scans=True).scan([tree])


def shape(result: LocalScanResult) -> Any:
    stats = result.stats
    return (
        [(g.md5, g.size, g.files) for g in result.groups],
        result.linked,
        (stats.files, stats.bytes, stats.empty_files, stats.candidates),
    )


def test_an_unchanged_tree_is_answered_from_the_kept_scan_reading_nothing(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    build_tricky_tree(tree)
    settle()  # a scan of a tree written just now is not kept (`change_clock`)
    cache_path = tmp_path / "cache.db"
    first = scan(tree, cache_path)
    with HashCache(cache_path) as cache:
        key = scan_memo.scan_key(walk_files([tree], FileFilter.build()).files)
        assert cache.recall_scan(key) is not None
    with _count_opens(tree) as opened:
        again = scan(tree, cache_path)
    assert not opened.paths
    assert shape(again) == shape(first) == shape(scan(tree, None))
    assert again.stats.cache_hits == again.stats.candidates > 0
    assert again.stats.head_reads == again.stats.full_reads == again.stats.bytes_read == 0


def _add_copy(cases: dict[str, list[Path]], tree: Path) -> None:
    shutil.copyfile(cases["unique"][0], tree / "new" / "copy of unique")


def _remove(cases: dict[str, list[Path]], tree: Path) -> None:
    cases["small_dupes"][0].unlink()


def _touch(cases: dict[str, list[Path]], tree: Path) -> None:
    path = cases["big_dupes"][0]
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def _rewrite_in_place(cases: dict[str, list[Path]], tree: Path) -> None:
    # same size, same mtime, same inode: only the ctime says it changed
    one, other = cases["same_size_other_content"][:2]
    rewrite_keeping_size_and_mtime(other, one.read_bytes())


@pytest.mark.parametrize("change", [_add_copy, _remove, _touch, _rewrite_in_place])
def test_any_change_to_the_tree_is_scanned_again(
    tmp_path: Path, change: Callable[[dict[str, list[Path]], Path], None]
) -> None:
    tree = tmp_path / "tree"
    cases = build_tricky_tree(tree)
    (tree / "new").mkdir()
    settle()
    cache_path = tmp_path / "cache.db"
    before = scan(tree, cache_path)
    with HashCache(cache_path) as cache:  # kept: what follows is a change it must see
        assert cache.recall_scan(scan_memo.scan_key(walk_files([tree], FileFilter.build()).files))
    change(cases, tree)
    after = scan(tree, cache_path)
    assert shape(after) == shape(scan(tree, None))
    assert shape(after) != shape(before)


def test_a_scan_that_met_a_problem_is_not_kept(tmp_path: Path) -> None:
    same = os.urandom(9000)
    write(tmp_path / "tree" / "a.csv", same)
    vanishing = write(tmp_path / "tree" / "b.csv", same)
    settle()  # else not kept for its age alone
    walked = walk_files([tmp_path / "tree"], FileFilter.build()).files
    vanishing.unlink()  # after the walk: the scan cannot read it
    with HashCache(tmp_path / "cache.db") as cache:
        result = LocalDuplicateFinder(cache=cache, keep_scans=True).find(walked)
        assert [i.path for i in result.issues] == [str(vanishing)]
        assert cache.recall_scan(scan_memo.scan_key(walked)) is None


def test_forgetting_or_clearing_the_cache_drops_kept_scans_and_a_damaged_one_is_rescanned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tree = tmp_path / "tree"
    cases = build_tricky_tree(tree)
    settle()
    cache_path = tmp_path / "cache.db"
    first = scan(tree, cache_path)
    key = scan_memo.scan_key(walk_files([tree], FileFilter.build()).files)
    with HashCache(cache_path) as cache:
        cache.forget([str(cases["unique"][0])])
        assert cache.recall_scan(key) is None
        cache.remember_scan(key, '{"groups": [["not')
    assert shape(scan(tree, cache_path)) == shape(first)  # read again, not the damaged text
    assert "a kept duplicate scan is unreadable" in caplog.text
    with HashCache(cache_path) as cache:
        assert cache.recall_scan(key) is not None  # the good result replaced it
        cache.clear()
        assert cache.recall_scan(key) is None


def test_check_duplicates_prints_the_same_report_from_a_kept_scan(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    build_tricky_tree(tree)
    settle()
    first = run_cli("check-duplicates", str(tree))
    again = run_cli("check-duplicates", str(tree))
    assert first.code == again.code and first.out == again.out and first.out
    uncached = run_cli("check-duplicates", "--no-cache", str(tree))
    assert uncached.out == first.out


def test_a_tree_changed_just_before_its_scan_is_not_kept(tmp_path: Path) -> None:
    """A file changed within a grain of the walk could change again in the same tick of
    the kernel's clock without its identity showing it: such a scan is not kept (the
    next run reads the files again); once the tree has aged, a scan is kept."""
    tree = tmp_path / "tree"
    build_tricky_tree(tree)
    cache_path = tmp_path / "cache.db"
    key = scan_memo.scan_key(walk_files([tree], FileFilter.build()).files)
    scan(tree, cache_path)
    with HashCache(cache_path) as cache:
        assert cache.recall_scan(key) is None
    settle()
    scan(tree, cache_path)
    with HashCache(cache_path) as cache:
        assert cache.recall_scan(key) is not None
