"""The one directory walker (`file_walk`): what it takes, skips, reports, and in which order.

Drops, ``upload``, watched folders (through `discovery`), the duplicate finder
and ``check-duplicates`` all read the tree through it. `walk_files` (threads,
no order) and `iter_walk` (one thread, stable order) are two ways of running
the same walk, so every rule is checked through both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hma_gui.core.errors import Cancelled
from hma_gui.core.files import file_walk
from hma_gui.core.files.file_filter import OUTSIDE_LINK, FileFilter, NameRules
from hma_gui.core.files.file_walk import (
    BROKEN_LINK,
    HIDDEN_FOLDER,
    LINK_LOOP,
    NOT_REGULAR,
    WalkResult,
    iter_walk,
    walk_files,
)
from hma_gui.core.progress import CancelToken
from tests.unreadable import as_nobody


def write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def iterated(paths: list[Path], file_filter: FileFilter, **kwargs: object) -> WalkResult:
    result = WalkResult()
    for part in iter_walk(paths, file_filter, **kwargs):  # type: ignore[arg-type]
        result.add(part)
    return result


def both(paths: list[Path], file_filter: FileFilter) -> Iterator[WalkResult]:
    """The walk run both ways (`walk_files` with one thread and several, `iter_walk`)."""
    yield walk_files(paths, file_filter, threads=1)
    yield walk_files(paths, file_filter)
    yield iterated(paths, file_filter)


def names(result: WalkResult, root: Path) -> set[str]:
    return {os.path.relpath(f[0], root) for f in result.files}


def test_files_come_with_size_and_identity_and_litter_is_counted_by_reason(
    tmp_path: Path,
) -> None:
    data = write(tmp_path / "mba/csv/MemberData.csv", b"abc")
    write(tmp_path / "mba/pdf/benefit.pdf")
    write(tmp_path / "mba/.DS_Store")
    write(tmp_path / "mba/csv/~$lock.csv")
    write(tmp_path / "mba/csv/upload.part")
    write(tmp_path / "mba/.git/config")
    write(tmp_path / "mba/csv/.hidden.csv")
    write(tmp_path / "mba/notes.txt")
    info = data.stat()
    for result in both([tmp_path], FileFilter.build(exclude=["txt"])):
        assert names(result, tmp_path) == {"mba/csv/MemberData.csv", "mba/pdf/benefit.pdf"}
        assert (
            str(data), 3, info.st_mtime_ns, info.st_ino, info.st_dev, info.st_ctime_ns
        ) in result.files  # fmt: skip
        assert result.issues == []
        assert result.filtered_reasons == {
            "hidden file": 2,  # .DS_Store, .hidden.csv
            "temporary file": 2,  # ~$lock.csv, upload.part
            HIDDEN_FOLDER: 1,  # .git
            "excluded extension .txt": 1,
        }
        assert result.filtered == 6


def test_the_stable_order_lists_a_folders_files_before_its_subfolders(tmp_path: Path) -> None:
    for rel in ("b/z.csv", "b/a/y.csv", "b/a/x.csv", "a.csv", "c/w.csv", "b/m.csv"):
        write(tmp_path / rel)
    order = [
        os.path.relpath(f[0], tmp_path) for f in iterated([tmp_path], FileFilter.build()).files
    ]
    assert order == ["a.csv", "b/m.csv", "b/z.csv", "b/a/x.csv", "b/a/y.csv", "c/w.csv"]


def test_a_fifo_is_reported_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    write(tmp_path / "ok.csv")
    for result in both([tmp_path], FileFilter.build()):
        assert names(result, tmp_path) == {"ok.csv"}
        assert [(i.path, i.reason) for i in result.issues] == [
            (str(tmp_path / "pipe.csv"), NOT_REGULAR)
        ]
    named = walk_files([tmp_path / "pipe.csv"], FileFilter.build())
    assert [i.reason for i in named.issues] == [NOT_REGULAR]


def test_a_name_that_is_not_utf8_is_kept_as_it_is_on_disk(tmp_path: Path) -> None:
    bad = os.fsdecode(b"caf\xe9.csv")
    write(tmp_path / bad, b"1")
    for result in both([tmp_path], FileFilter.build()):
        assert [os.path.basename(f[0]) for f in result.files] == [bad]
        assert os.fsencode(result.files[0][0]).endswith(b"caf\xe9.csv")


def test_links_loops_and_the_follow_symlinks_policy(tmp_path: Path) -> None:
    root = tmp_path / "data"
    write(root / "mba/a.csv")
    write(tmp_path / "elsewhere/b.csv")
    (root / "mba/loop").symlink_to(root)
    (root / "mba/ext").symlink_to(tmp_path / "elsewhere")
    (root / "mba/same.csv").symlink_to(root / "mba/a.csv")
    (root / "mba/broken.csv").symlink_to(tmp_path / "missing.csv")
    for result in both([root], FileFilter.build()):
        assert names(result, root) == {"mba/a.csv", "mba/same.csv"}
        assert result.filtered_reasons == {OUTSIDE_LINK: 1, LINK_LOOP: 1}
        assert [(os.path.basename(i.path), i.reason) for i in result.issues] == [
            ("broken.csv", BROKEN_LINK)
        ]
    for result in both([root], FileFilter.build(follow_symlinks=True)):
        assert names(result, root) == {"mba/a.csv", "mba/same.csv", "mba/ext/b.csv"}
        assert result.filtered_reasons == {LINK_LOOP: 1}


def test_named_paths_each_file_once_and_an_explicit_hidden_file_taken(tmp_path: Path) -> None:
    write(tmp_path / "mba/a.csv")
    write(tmp_path / "mba/sub/b.csv")
    hidden = write(tmp_path / ".env.csv")
    named = [tmp_path / "mba", tmp_path / "mba/sub", tmp_path / "mba/a.csv", hidden, tmp_path]
    for result in both(named, FileFilter.build()):
        assert sorted(names(result, tmp_path)) == [".env.csv", "mba/a.csv", "mba/sub/b.csv"]
        assert len(result.files) == 3
    missing = walk_files([tmp_path / "nope"], FileFilter.build())
    assert [(i.path, i.reason) for i in missing.issues] == [
        (str(tmp_path / "nope"), "no such file or folder")
    ]


def test_a_folder_that_cannot_be_listed_is_an_issue() -> None:
    top = Path(tempfile.mkdtemp(prefix="hma-walk-", dir="/tmp"))  # nobody may traverse /tmp
    try:
        top.chmod(0o755)
        write(top / "open/a.csv")
        write(top / "closed/b.csv")
        (top / "open/a.csv").chmod(0o644)
        (top / "open").chmod(0o755)
        (top / "closed").chmod(0)
        with as_nobody():
            results = list(both([top], FileFilter.build()))
    finally:
        (top / "closed").chmod(0o755)
        shutil.rmtree(top)
    for result in results:
        assert names(result, top) == {"open/a.csv"}
        assert [(i.path, i.reason.split(":")[0]) for i in result.issues] == [
            (str(top / "closed"), "cannot list folder")
        ]


def test_the_walk_with_extra_threads_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The extra threads start only on a cold cache: a probe that always says "cold"."""

    class Cold:
        def reading(self) -> bool:
            return True

    for folder in range(30):
        for number in range(5):
            write(tmp_path / f"f{folder:02}" / f"s{number}" / f"{number}.csv")
        (tmp_path / f"f{folder:02}" / "loop").symlink_to(tmp_path)
    expected = iterated([tmp_path], FileFilter.build())
    monkeypatch.setattr(file_walk, "DiskProbe", Cold)
    threaded = walk_files([tmp_path], FileFilter.build(), threads=4)
    assert sorted(threaded.files) == sorted(expected.files)
    assert len(threaded.files) == 150
    assert threaded.filtered_reasons == expected.filtered_reasons == {LINK_LOOP: 30}


def test_cancel_stops_the_walk(tmp_path: Path) -> None:
    write(tmp_path / "a/b.csv")
    cancel = CancelToken()
    cancel.cancel("stop")
    with pytest.raises(Cancelled):
        walk_files([tmp_path], FileFilter.build(), cancel=cancel)
    with pytest.raises(Cancelled):
        iterated([tmp_path], FileFilter.build(), cancel=cancel)


def test_name_rules_agree_with_the_file_filter() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    names = st.one_of(
        st.text(min_size=1, max_size=20).filter(lambda n: "/" not in n and "\0" not in n),
        st.sampled_from(
            [".DS_Store", "Thumbs.DB", "~$a.xlsx", "x.PART", "a.tmp", "b~", ".env", "a.CSV",
             "noext", ".hidden.csv", "x.tar.gz", "a.crdownload", "..", "a."]
        ),
    )  # fmt: skip
    filters = st.builds(
        FileFilter.build,
        st.lists(st.sampled_from(["csv", "pdf", "gz", ""]), max_size=2),
        st.lists(st.sampled_from(["csv", "tmp", "txt"]), max_size=2),
        skip_hidden=st.booleans(),
        skip_temporary=st.booleans(),
    )

    @settings(max_examples=100, deadline=None)
    @given(names, filters)
    def agree(name: str, file_filter: FileFilter) -> None:
        assert NameRules(file_filter).rejects(name) == file_filter.rejects(name)

    agree()
