"""Queue controls as WinSCP's: Stop keeps files queued, Clear queue asks and can be undone,
a big removal asks first, an empty filter says so, Pause/Stop only when there is work."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.store import JobState
from hma_gui.ui.queue.controls import QueueControls
from hma_gui.ui.queue.counters_panel import CountersPanel
from hma_gui.ui.queue.job_table import JobTable
from hma_gui.ui.queue.upload_queue import QueueMode
from hma_gui.ui.shell.banner import Banner
from tests.gui.conftest import Harness, make_tree

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def table_of(h: Harness, answers: list[bool], asked: list[str]) -> JobTable:
    def confirm(_parent: object, question: str) -> bool:
        asked.append(question)
        return answers.pop(0)

    table = JobTable(h.model, h.table.job_actions, confirm=confirm)
    h.qtbot.addWidget(table)
    h.feed.snapshot.connect(lambda s: table.show_counts(s.counters))
    return table


def test_clear_queue_and_big_removals_ask_and_can_be_undone(
    harness_factory, s3_env, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    make_tree(tmp_path / "mba", {f"csv/f{n:02d}.csv": 100 for n in range(30)})
    h: Harness = harness_factory(start=False)  # nothing uploads: the files stay queued
    asked: list[str] = []
    table = table_of(h, [False, True, True], asked)
    table.show()
    h.drop(tmp_path / "mba")
    h.wait_counters(queued=30)
    h.wait(lambda: table.clear_queue_action.isEnabled() and len(h.model.jobs) == 30)

    table.clear_queue()  # asked; "Cancel"
    assert asked == ["Remove the 30 queued files from the queue? Nothing is uploaded."]
    assert h.counters().queued == 30
    table.clear_queue()  # asked; "Yes"
    h.wait_counters(queued=0)
    h.wait(lambda: table.undo_bar.isVisible())
    assert table.undo_bar.message.text() == "30 files removed from the list"
    table.undo_bar.undo_button.click()
    h.wait_counters(queued=30)

    h.wait(lambda: len(h.model.jobs) == 30)
    table.view.selectAll()
    table._remove()  # 30 queued files: asked first
    assert asked[-1] == "Remove 30 files (30 not uploaded yet) from the list?"
    h.wait_counters(queued=0)

    table.proxy.set_states([JobState.FAILED])
    h.wait(lambda: h.model.rowCount() == 0)
    table._update_placeholder()
    assert table.placeholder.text() == "Nothing matches this filter"


def test_pause_and_stop_only_when_there_is_work(qtbot: QtBot, harness_factory, s3_env) -> None:  # type: ignore[no-untyped-def]
    h: Harness = harness_factory()
    h.wait_ready()
    h.session.queue.start()
    panel = CountersPanel()
    qtbot.addWidget(panel)
    controls = QueueControls(h.session.queue, panel, Banner(), panel)
    h.wait_polls()
    controls.show_counters(h.counters())
    assert h.session.queue.mode is QueueMode.RUNNING
    assert not controls.pause_button.isEnabled() and not controls.cancel_button.isEnabled()
    assert controls.cancel_button.text() == "Stop"
    assert "stays queued" in controls.cancel_button.toolTip()


def test_sent_jobs_have_their_own_chip_and_leave_uploading(
    harness_factory, s3_env, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    make_tree(tmp_path / "mba", {f"csv/f{n:02d}.csv": 100 for n in range(5)})
    h: Harness = harness_factory(start=False)  # nothing uploads: the files stay queued
    table = table_of(h, [], [])
    table.show()
    h.drop(tmp_path / "mba")
    h.wait_counters(queued=5)
    h.wait_polls()
    assert not table.chips["Sent"].isVisible()  # nothing sent yet
    claimed = h.store.claim(3)
    sent = [(j.id, f"m-{j.id}", "{}") for j in claimed[:2]]
    h.store.shared.record_sent(sent, "sqs://q", "")
    h.wait_polls()  # the table sees the owners; the counts come with each poll
    assert table.chips["Uploading"].text() == "Uploading  1"  # the third one, here
    assert table.chips["Sent"].text() == "Sent  2" and table.chips["Sent"].isVisible()
    table.chips["Sent"].click()
    assert sorted(j.id for j in h.rows()) == sorted(j.id for j in claimed[:2])
    table.chips["Uploading"].click()
    assert [j.id for j in h.rows()] == [claimed[2].id]
