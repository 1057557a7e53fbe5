"""Symbolic links leading outside the dropped or watched folder are skipped with a reason.

Unless the user opts in: the `follow_symlinks` setting (HMA_FOLLOW_SYMLINKS) or
``--follow-symlinks`` on upload, watch and check-duplicates (as rclone's ``-L``).
Both walkers (discovery and the duplicate finder's) decide alike.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.files.discovery import DiscoveryStats, FoundFile, discover
from hma_gui.core.files.file_filter import OUTSIDE_LINK, FileFilter
from hma_gui.core.files.file_walk import walk_files
from hma_gui.core.jobs.plan import PlanOptions
from tests.cli_runner import run_cli


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "drop"
    csv = root / "mba" / "csv"
    csv.mkdir(parents=True)
    (csv / "in.csv").write_text("inside")
    outside = tmp_path / "elsewhere"
    (outside / "private").mkdir(parents=True)
    (outside / "secret.csv").write_text("secret")
    (outside / "private" / "more.csv").write_text("more")
    (csv / "link.csv").symlink_to(outside / "secret.csv")
    (csv / "linkdir").symlink_to(outside / "private")
    (csv / "same.csv").symlink_to(csv / "in.csv")  # inside the folder: followed
    return root


INSIDE = {"mba/csv/in.csv", "mba/csv/same.csv"}
ALL = INSIDE | {"mba/csv/link.csv", "mba/csv/linkdir/more.csv"}


def found(root: Path, file_filter: FileFilter) -> tuple[set[str], DiscoveryStats]:
    stats = DiscoveryStats()
    paths = {
        str(item.path.relative_to(root))
        for item in discover([root], file_filter, stats=stats)
        if isinstance(item, FoundFile)
    }
    return paths, stats


def walked(root: Path, file_filter: FileFilter) -> set[str]:
    return {os.path.relpath(f[0], root) for f in walk_files([root], file_filter).files}


def test_links_leading_outside_are_skipped_with_the_reason(tree: Path) -> None:
    paths, stats = found(tree, FileFilter.build())
    assert paths == INSIDE
    assert stats.filtered_reasons == {OUTSIDE_LINK: 2}
    assert walked(tree, FileFilter.build()) == INSIDE


def test_follow_symlinks_takes_them(tree: Path) -> None:
    follow = FileFilter.build(follow_symlinks=True)
    assert found(tree, follow)[0] == ALL
    assert walked(tree, follow) == ALL


def test_the_setting_and_its_environment_variable(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert PlanOptions.from_settings(load_settings()).file_filter().follow_symlinks is False
    monkeypatch.setenv("HMA_FOLLOW_SYMLINKS", "1")
    options = PlanOptions.from_settings(load_settings())
    assert found(tree, options.file_filter())[0] == ALL


def test_upload_and_check_duplicates_take_follow_symlinks(tree: Path) -> None:
    def planned(*extra: str) -> set[str]:
        result = run_cli("upload", str(tree), "--dry-run", "--json", *extra)
        assert result.code == 0, result.err
        return {os.path.relpath(j["source"], tree) for j in json.loads(result.out)["jobs"]}

    assert planned() == INSIDE
    assert planned("--follow-symlinks") == ALL
    result = run_cli("check-duplicates", str(tree))
    with_links = run_cli("check-duplicates", str(tree), "--follow-symlinks")
    assert result.code in (0, 1) and with_links.code in (0, 1), result.err + with_links.err
    assert "2 files" in result.out and "4 files" in with_links.out, (result.out, with_links.out)
