"""End to end through the main window: drop, upload, count; close and reopen to resume."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.store import JobState
from hma_gui.core.s3.client import make_s3_client
from hma_gui.ui.queue.upload_queue import QueueMode
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.gui.conftest import WAIT_MS, make_tree
from tests.gui.test_drop_zone import drop_on, file_mime

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def wait(qtbot: QtBot, condition: Callable[[], bool]) -> None:
    qtbot.waitUntil(condition, timeout=WAIT_MS)


def test_a_folder_dropped_on_the_window_is_uploaded_and_counted(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    names = [f"csv/member{n:02d}.csv" for n in range(12)] + ["reports/r.pdf"]
    contents = make_tree(
        tmp_path / "export" / "mba", {n: 500 + 37 * i for i, n in enumerate(names)}
    )
    window = open_window()
    wait(qtbot, lambda: window.session.is_ready)
    entered, _, accepted = drop_on(window, file_mime(tmp_path / "export" / "mba"))
    assert entered and accepted
    wait(qtbot, lambda: window.counters.figures is not None and window.counters.figures.done == 13)
    figures = window.counters.figures
    assert (figures.failed, figures.queued, figures.running) == (0, 0, 0)
    assert figures.fraction == 1.0
    assert window.counters.tiles["done"].value.text() == "13"
    assert window.table.chips["Uploaded"].text() == "Uploaded  13"
    keys = s3_env.keys(s3_env.mba_bucket)
    assert keys == sorted(
        [f"mba/csv/member{n:02d}.csv" for n in range(12)] + ["mba/pdf/reports/r.pdf"]
    )
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/member03.csv") == contents["csv/member03.csv"]
    wait(qtbot, lambda: window.model.rowCount() == 13)
    # the counters read the store; the table follows its changes on the next poll
    wait(qtbot, lambda: {j.state for j in window.model.jobs} == {JobState.DONE})


def test_closing_stops_cleanly_and_reopening_resumes(
    qtbot: QtBot, open_window, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    make_tree(tmp_path / "mba", {f"csv/f{n}.csv": 3000 for n in range(5)})
    first = open_window(concurrency=1, check_s3=False)  # the hold below would hold its listing
    wait(qtbot, lambda: first.session.is_ready)
    proxy.hold()  # the first upload is in flight when the window closes
    first.add_paths([tmp_path / "mba"])
    wait(qtbot, lambda: proxy.held == 1 and first.session.store.counters().queued == 4)
    wait(qtbot, first.queue_controls.pause_button.isEnabled)  # once the window shows them
    store_path = first.session.store.path
    first.queue_controls.pause_button.click()
    assert first.session.queue.mode is QueueMode.PAUSED
    controls = first.queue_controls
    assert controls.pause_button.text() == "Resume" and not controls.start_button.isEnabled()
    proxy.release()  # the running upload may finish while the window closes
    first.close()
    assert first.session.queue.active_workers == 0
    from hma_gui.core.jobs.store import JobStore

    with JobStore(store_path) as store:
        counters = store.counters()
    assert counters.running == 0  # finished or released: nothing is left dangling
    assert counters.done + counters.queued == 5

    second = open_window(concurrency=2)  # resume_on_start = "resume"
    wait(qtbot, lambda: second.session.store.counters().done == 5)
    assert s3_env.keys(s3_env.mba_bucket) == [f"mba/csv/f{n}.csv" for n in range(5)]


def test_ask_on_start_offers_to_resume(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    make_tree(tmp_path / "mba", {"csv/a.csv": 100, "csv/b.csv": 100})
    first = open_window()
    first.session.queue.pause()  # queued, never started
    first.add_paths([tmp_path / "mba"])
    wait(qtbot, lambda: first.session.store.counters().queued == 2)
    first.close()

    second = open_window(resume_on_start="ask")
    assert second.banner.isVisible()
    assert "2 uploads from last time" in second.banner.message.text()
    assert second.session.queue.mode is QueueMode.STOPPED
    wait(qtbot, lambda: second.session.is_ready)
    assert second.session.store.counters().queued == 2  # nothing started on its own
    controls = second.queue_controls
    assert controls.start_button.isEnabled() and not controls.pause_button.isEnabled()
    resume = next(b for b in second.banner.buttons if b.text() == "Resume")
    resume.click()
    wait(qtbot, lambda: second.session.store.counters().done == 2)
    assert not second.banner.isVisible()


def test_sandbox_mode_uploads_to_a_private_endpoint(
    qtbot: QtBot, open_window, tmp_path: Path
) -> None:
    make_tree(tmp_path / "data" / "policy", {"doc.pdf": 4000})
    window = open_window(sandbox=True)
    assert window.sandbox_badge.isVisible()
    assert "sandbox" in window.windowTitle().lower()
    wait(qtbot, lambda: window.session.is_ready)
    assert window.session.sandbox is not None and window.session.sandbox.running
    assert window.session.store.path.parent.name == "sandbox"
    assert "Sandbox S3 at http://127.0.0.1:" in window.connection_label.text()
    window.add_paths([tmp_path / "data"])
    wait(qtbot, lambda: window.session.store.counters().done == 1)
    settings = window.session.settings
    client = make_s3_client(settings)
    listed = client.list_objects_v2(Bucket=settings.scope("policy").bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["policy/pdf/doc.pdf"]
    sandbox = window.session.sandbox
    window.close()
    assert not sandbox.running  # the sandbox lives exactly as long as the app


def test_settings_saved_in_the_dialog_apply_to_the_running_session(
    qtbot: QtBot, open_window, s3_env: S3Env
) -> None:
    window = open_window()
    wait(qtbot, lambda: window.session.is_ready)
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.concurrency.setValue(3)
    dialog.save()
    assert window.session.queue.concurrency == 3
    assert window.queue_controls.concurrency.value() == 3


def test_window_geometry_and_columns_are_remembered(qtbot: QtBot, open_window) -> None:
    first = open_window()
    first.resize(1111, 777)
    first.table.view.setColumnWidth(1, 333)
    first.close()
    second = open_window()
    # the offscreen screen is 800 x 800: restoreGeometry fits the window to it (and the
    # minimum width), so the height tells that the saved geometry was used
    assert abs(second.height() - 777) <= 8
    assert (second.width(), second.height()) != (1240, 820)  # not the default size
    assert second.table.view.columnWidth(1) == 333


def test_a_closed_window_leaves_no_gc_callback_behind(qtbot: QtBot, open_window) -> None:
    """The governor's callback is process-wide; closing the window removes it (and unfreezes)."""
    before = list(gc.callbacks)
    window = open_window(check_s3=False)
    assert len(gc.callbacks) == len(before) + 1
    window.quit()
    assert gc.callbacks == before
    assert gc.get_freeze_count() == 0
