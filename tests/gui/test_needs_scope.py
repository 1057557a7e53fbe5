"""A file outside every scope folder: "Needs a scope", asked at drop time, Set scope… later."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.store import JobState
from hma_gui.ui.queue.job_columns import Column
from hma_gui.ui.queue.job_model import JOB_ROLE
from tests.conftest import S3Env
from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def wait(qtbot: QtBot, condition: Callable[[], bool]) -> None:
    qtbot.waitUntil(condition, timeout=WAIT_MS)


def answer_scope(monkeypatch: pytest.MonkeyPatch, scope: str, asked: list[str]) -> None:
    """Qt's item dialog, answered (the window asks through it)."""

    def get_item(parent, title, label, items, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(label)
        assert scope in items
        return scope, True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))


def sample_tree(tmp_path: Path) -> Path:
    root = tmp_path / "sample_data"
    (root / "mba" / "csv").mkdir(parents=True)
    (root / "mba" / "csv" / "m.csv").write_text("a,b\n1,2\n")
    (root / "README.md").write_text("# read me\n")
    (root / "NOTES.txt").write_text("notes\n")
    return root


def test_files_without_a_scope_wait_and_the_drop_asks_for_one(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sample_tree(tmp_path)
    window = open_window()
    wait(qtbot, lambda: window.session.is_ready)
    window.add_paths([root])
    wait(qtbot, lambda: window.session.store.counters().done == 1)
    wait(qtbot, lambda: window.banner.topic == "scope" and window.banner.isVisible())
    assert "2 dropped files are outside every scope folder" in window.banner.message.text()
    assert [b.text() for b in window.banner.buttons] == ["Set scope…", "Later"]
    wait(qtbot, lambda: window.model.rowCount() == 3)
    held = {
        Path(window.model.jobs[r].source).name: (
            window.model.index(r, Column.STATE).data(),
            window.model.index(r, Column.MESSAGE).data(),
        )
        for r in range(window.model.rowCount())
        if window.model.jobs[r].state is JobState.NEEDS_SCOPE
    }
    assert set(held) == {"README.md", "NOTES.txt"}
    assert held["README.md"][0] == "Needs a scope"
    assert "Set scope" in held["README.md"][1]
    wait(qtbot, lambda: window.table.chips["Needs a scope"].text() == "Needs a scope  2")
    assert window.table.chips["Needs a scope"].isVisible()

    asked: list[str] = []
    answer_scope(monkeypatch, "policy", asked)
    window.banner.buttons[0].click()  # Set scope… for the whole drop
    wait(qtbot, lambda: window.session.store.counters().done == 3)
    assert asked and "2 files outside every scope folder" in asked[0]
    assert sorted(s3_env.keys(s3_env.policy_bucket)) == [
        "policy/md/sample_data/README.md",
        "policy/txt/sample_data/NOTES.txt",
    ]


def test_set_scope_from_the_jobs_table(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sample_tree(tmp_path)
    window = open_window()
    wait(qtbot, lambda: window.session.is_ready)
    window.add_paths([root])
    wait(qtbot, lambda: window.model.rowCount() == 3 and window.banner.topic == "scope")
    window.banner.buttons[1].click()  # Later
    table = window.table
    table.chips["Needs a scope"].click()
    wait(qtbot, lambda: table.proxy.rowCount() == 2)
    readme = next(
        r for r in range(table.proxy.rowCount())
        if table.proxy.index(r, 0).data(JOB_ROLE).source.endswith("README.md")
    )  # fmt: skip
    table.view.selectRow(readme)
    table._update_actions(table.selected_jobs())
    assert table.scope_action.isEnabled() and not table.retry_action.isEnabled()
    asked: list[str] = []
    answer_scope(monkeypatch, "mba", asked)
    table.scope_action.trigger()
    wait(qtbot, lambda: s3_env.keys(s3_env.mba_bucket).count("mba/md/sample_data/README.md") == 1)
    assert "1 file outside every scope folder" in asked[0]
    wait(qtbot, lambda: table.proxy.rowCount() == 1)  # NOTES.txt still waits for its scope
    assert table.proxy.index(0, 0).data(JOB_ROLE).state is JobState.NEEDS_SCOPE
    assert table.proxy.index(0, Column.STATE).data(Qt.ItemDataRole.DisplayRole) == "Needs a scope"
