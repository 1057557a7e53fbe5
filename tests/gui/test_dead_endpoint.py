"""A dead endpoint: Resume probes before letting the queue go; a dead sandbox is restarted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.store import JobState
from hma_gui.ui.queue.upload_queue import QueueMode
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.gui.conftest import WAIT_MS, make_tree

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def wait(qtbot: QtBot, condition: Callable[[], bool]) -> None:
    qtbot.waitUntil(condition, timeout=WAIT_MS)


def banner_says(window, words: str) -> Callable[[], bool]:  # type: ignore[no-untyped-def]
    return lambda: window.banner.isVisible() and words in window.banner.message.text()


def test_resume_probes_the_endpoint_and_fails_no_more_files(
    qtbot: QtBot, open_window, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    make_tree(tmp_path / "mba", {f"csv/f{n}.csv": 1000 for n in range(6)})
    proxy.down()
    window = open_window(concurrency=1, check_s3=False)
    wait(qtbot, lambda: window.session.is_ready)
    window.add_paths([tmp_path / "mba"])
    wait(qtbot, lambda: window.session.queue.mode is QueueMode.PAUSED)
    wait(qtbot, banner_says(window, "Uploads paused"))
    failed = window.session.store.counters().failed
    assert failed == 3
    assert [b.text() for b in window.banner.buttons] == ["Resume"]

    window.banner.buttons[0].click()  # still down: probed, nothing tried
    wait(qtbot, banner_says(window, "Still paused"))
    counters = window.session.store.counters()
    assert (counters.failed, counters.queued) == (3, 3)
    assert window.session.queue.mode is QueueMode.PAUSED
    window.queue_controls.pause_button.click()  # the Resume button probes as well
    wait(qtbot, banner_says(window, "Still paused"))
    wait(qtbot, lambda: not window.resume_gate.busy)
    assert window.session.store.counters().failed == 3

    proxy.up()
    window.banner.buttons[0].click()
    wait(qtbot, lambda: window.session.store.counters().done == 6)  # the failed ones too
    assert s3_env.keys(s3_env.mba_bucket) == [f"mba/csv/f{n}.csv" for n in range(6)]
    assert not window.banner.isVisible()


def test_a_dead_sandbox_is_restarted_and_earlier_uploads_are_explained(
    qtbot: QtBot, open_window, tmp_path: Path
) -> None:
    make_tree(tmp_path / "first" / "policy", {"doc.pdf": 4000})
    make_tree(tmp_path / "later" / "policy", {f"d{n}.pdf": 2000 for n in range(4)})
    window = open_window(sandbox=True, concurrency=1, check_s3=False)
    wait(qtbot, lambda: window.session.is_ready)
    window.add_paths([tmp_path / "first"])
    wait(qtbot, lambda: window.session.store.counters().done == 1)
    old = window.session.sandbox
    assert old is not None
    old.stop()  # the sandbox dies (its process is gone)
    window.add_paths([tmp_path / "later"])
    wait(qtbot, banner_says(window, "sandbox S3 endpoint has stopped"))
    assert "press Resume" not in window.banner.message.text()
    assert [b.text() for b in window.banner.buttons] == ["Restart sandbox"]

    window.banner.buttons[0].click()
    wait(qtbot, lambda: window.session.store.counters().done == 5)
    assert window.session.sandbox is not old and window.session.sandbox.running
    wait(qtbot, banner_says(window, "uploaded to an earlier sandbox"))
    assert "1 file in the list was uploaded" in window.banner.message.text()
    assert [b.text() for b in window.banner.buttons] == ["Upload again", "Clear from the list"]
    window.banner.buttons[0].click()  # Upload again: the new sandbox gets doc.pdf too
    wait(qtbot, lambda: window.session.store.counters().done == 5)
    settings = window.session.settings
    from hma_gui.core.s3.client import make_s3_client

    def keys() -> list[str]:
        listed = make_s3_client(settings).list_objects_v2(Bucket=settings.scope("policy").bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    wait(qtbot, lambda: "policy/pdf/doc.pdf" in keys())
    assert len(keys()) == 5
    assert {j.state for j in window.session.store.jobs()} == {JobState.DONE}
