"""Filters and discovery: what is picked up, what is skipped, what becomes a problem."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hma_gui.core.files.discovery import DiscoveryStats, FoundFile, Problem, discover
from hma_gui.core.files.file_filter import (
    FileFilter,
    extension_of,
    is_temporary,
    normalize_extensions,
)
from tests.unreadable import as_nobody, unreadable_tree


def test_extensions_normalise_case_dots_and_commas() -> None:
    assert normalize_extensions(["CSV", ".pdf", "csv, .TXT", "*.xlsx", ""]) == [
        "csv",
        "pdf",
        "txt",
        "xlsx",
    ]


@pytest.mark.parametrize(
    ("name", "ext"),
    [("a.CSV", "csv"), ("a.tar.gz", "gz"), ("README", ""), (".bashrc", ""), ("x.", "")],
)
def test_extension_of(name: str, ext: str) -> None:
    assert extension_of(name) == ext


@pytest.mark.parametrize(
    "name", [".DS_Store", "~$Budget.xlsx", "x.tmp", "x.TMP", "x.part", "Thumbs.db", "a.csv~"]
)
def test_temporary_names(name: str) -> None:
    assert is_temporary(name)


@pytest.mark.parametrize("name", ["MemberData.csv", "part.csv", "tmp.pdf", "x.partition"])
def test_ordinary_names_are_not_temporary(name: str) -> None:
    assert not is_temporary(name)


def test_include_and_exclude_are_case_insensitive_and_exclude_wins() -> None:
    only_csv = FileFilter.build(include=[".CSV"])
    assert only_csv.wants("a.csv") and only_csv.wants("B.Csv")
    assert only_csv.rejects("a.pdf") == "extension .pdf not included"
    both = FileFilter.build(include=["csv", "pdf"], exclude=["PDF"])
    assert both.wants("a.csv") and not both.wants("a.pdf")
    assert FileFilter.build().rejects(".hidden.csv") == "hidden file"
    assert FileFilter.build(skip_hidden=False).wants(".hidden.csv")


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_discovery_walks_recursively_and_skips_litter(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "mba/csv/MemberData.csv": b"a",
            "mba/csv/2024/x.csv": b"bb",
            "mba/pdf/benefit.pdf": b"ccc",
            "mba/.DS_Store": b"",
            "mba/csv/~$lock.csv": b"",
            "mba/csv/upload.part": b"",
            "mba/.git/config": b"",
            "mba/csv/.hidden.csv": b"",
        },
    )
    stats = DiscoveryStats()
    found = list(discover([tmp_path], FileFilter.build(), stats=stats))
    names = sorted(str(f.path.relative_to(tmp_path)) for f in found if isinstance(f, FoundFile))
    assert names == ["mba/csv/2024/x.csv", "mba/csv/MemberData.csv", "mba/pdf/benefit.pdf"]
    assert stats.files == 3
    assert stats.filtered == 5  # .DS_Store, ~$, .part, .git folder, .hidden.csv
    assert all(f.root == tmp_path for f in found)


def test_discovery_filters_by_extension(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.csv": b"1", "b.pdf": b"2", "c.CSV": b"3"})
    found = list(discover([tmp_path], FileFilter.build(include=["csv"])))
    assert sorted(f.path.name for f in found) == ["a.csv", "c.CSV"]


def test_a_missing_path_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    items = list(discover([tmp_path / "nope"], FileFilter.build()))
    assert items == [Problem(tmp_path / "nope", tmp_path / "nope", "no such file or folder")]


def test_symlink_loops_are_safe_and_linked_files_are_found(tmp_path: Path) -> None:
    _tree(tmp_path, {"data/mba/a.csv": b"1", "elsewhere/b.csv": b"2"})
    (tmp_path / "data/mba/loop").symlink_to(tmp_path / "data")
    (tmp_path / "data/mba/ext").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "data/mba/broken.csv").symlink_to(tmp_path / "missing.csv")
    items = list(discover([tmp_path / "data"], FileFilter.build(follow_symlinks=True)))
    files = sorted(str(i.path.relative_to(tmp_path)) for i in items if isinstance(i, FoundFile))
    problems = [i for i in items if isinstance(i, Problem)]
    assert files == ["data/mba/a.csv", "data/mba/ext/b.csv"]  # ext leads outside: opted in
    assert [(p.path.name, p.reason) for p in problems] == [("broken.csv", "broken symbolic link")]


def test_an_unreadable_file_is_a_problem() -> None:
    with unreadable_tree() as root, as_nobody():
        items = list(discover([root / "mba"], FileFilter.build()))
    assert [(i.path.name, getattr(i, "reason", "")) for i in items] == [
        ("locked.csv", "permission denied: the file cannot be read"),
        ("open.csv", ""),
    ]


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    items = list(discover([tmp_path], FileFilter.build()))
    assert [(type(i), getattr(i, "reason", "")) for i in items] == [
        (Problem, "not a regular file (device, pipe or socket)")
    ]


def test_an_explicitly_named_hidden_file_is_taken(tmp_path: Path) -> None:
    _tree(tmp_path, {".env.csv": b"1"})
    items = list(discover([tmp_path / ".env.csv"], FileFilter.build()))
    assert [type(i) for i in items] == [FoundFile]


def test_the_same_path_twice_is_one_file(tmp_path: Path) -> None:
    _tree(tmp_path, {"mba/a.csv": b"1"})
    items = list(discover([tmp_path, tmp_path / "mba", tmp_path / "mba/a.csv"], FileFilter.build()))
    assert len(items) == 1
