"""Progress, rates and ETA cover the run in front of the user, not the whole job store."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.records import Counters
from hma_gui.ui.queue.counters_panel import CountersPanel
from hma_gui.ui.queue.live_feed import FeedSnapshot

MIB = 1024 * 1024


def snap(counters: Counters, at: float, moved: int = 0) -> FeedSnapshot:
    return FeedSnapshot(counters=counters, changed=[], inflight={}, moved_total=moved, at=at)


def store(done: int, queued: int, *, done_mib: int, queued_mib: int, failed: int = 0) -> Counters:
    return Counters(
        queued=queued, done=done, failed=failed,
        bytes_total=(done_mib + queued_mib) * MIB, bytes_done=done_mib * MIB,
    )  # fmt: skip


@pytest.fixture
def panel(qtbot: QtBot) -> CountersPanel:
    widget = CountersPanel()
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.mark.gui
def test_old_uploads_do_not_fill_the_bar(panel: CountersPanel) -> None:
    # 8,000 uploaded last week (8,000 MiB), 2,496 small files queued now (10 MiB)
    figures = panel.show_snapshot(snap(store(8000, 2496, done_mib=8000, queued_mib=10), 0.0))
    assert figures.percent == 0 and figures.fraction == 0.0
    assert panel.percent_label.text() == "0 %"
    assert "0 of 2,496 files" in panel.bytes_label.text()
    assert figures.bytes_total == 10 * MIB


@pytest.mark.gui
def test_rates_in_files_and_bytes_and_never_100_with_files_left(panel: CountersPanel) -> None:
    panel.show_snapshot(snap(store(0, 1000, done_mib=0, queued_mib=100), 0.0, 0))
    figures = panel.show_snapshot(snap(store(998, 2, done_mib=99, queued_mib=1), 2.0, 99 * MIB))
    assert figures.percent == 99  # 99.0 %, and never "100 %" with two files queued
    text = panel.bytes_label.text()
    assert "998 of 1,000 files" in text
    assert "49.5 MiB/s" in text and "499.0 files/s" in text and "ETA" in text


@pytest.mark.gui
def test_paused_files_are_still_in_front_of_the_user(panel: CountersPanel) -> None:
    panel.set_mode("Paused", "paused")
    panel.show_snapshot(snap(store(8000, 3000, done_mib=8000, queued_mib=30), 0.0))
    figures = panel.show_snapshot(snap(store(8000, 3000, done_mib=8000, queued_mib=30), 1.0))
    assert figures.percent == 0
    assert "3,000 waiting" in panel.bytes_label.text()


@pytest.mark.gui
def test_a_new_drop_after_the_queue_emptied_is_a_new_run(panel: CountersPanel) -> None:
    panel.show_snapshot(snap(store(0, 10, done_mib=0, queued_mib=10), 0.0))
    done = panel.show_snapshot(snap(store(10, 0, done_mib=10, queued_mib=0), 1.0))
    assert done.percent == 100 and done.files_total == 10
    again = panel.show_snapshot(snap(store(10, 4, done_mib=10, queued_mib=4), 2.0))
    assert (again.files_done, again.files_total, again.percent) == (0, 4, 0)


@pytest.mark.gui
def test_jobs_on_a_shared_queue_are_sent_not_uploading(panel: CountersPanel) -> None:
    assert "sent" not in panel.tiles  # no Sent tile while nothing was sent
    panel.show_snapshot(snap(Counters(queued=5, running=3, bytes_total=8 * MIB), 0.0))
    assert panel.tiles["running"].value.text() == "3" and "sent" not in panel.tiles
    figures = panel.show_snapshot(
        snap(Counters(queued=5, running=3 + 40, sent=40, bytes_total=48 * MIB), 1.0)
    )
    assert panel.tiles["running"].value.text() == "3"  # uploading here
    assert panel.tiles["sent"].value.text() == "40"
    assert figures.running == 3
    panel.show_snapshot(snap(Counters(done=48, bytes_total=48 * MIB), 2.0))
    assert panel.tiles["sent"].value.text() == "0"  # stays, at 0, once shown


@pytest.mark.gui
def test_stopped_the_card_counts_sent_jobs_apart_from_those_waiting(panel: CountersPanel) -> None:
    panel.set_mode("Stopped", "stopped")
    panel.show_snapshot(snap(Counters(queued=2, running=4, sent=4, bytes_total=6 * MIB), 0.0))
    text = panel.bytes_label.text()
    assert "2 waiting" in text and "4 on the shared queue" in text, text
    panel.show_snapshot(snap(Counters(running=4, sent=4, bytes_total=4 * MIB), 1.0))
    text = panel.bytes_label.text()
    assert "waiting" not in text and "4 on the shared queue" in text, text


@pytest.mark.gui
def test_the_eta_is_this_window_s_uploads_not_the_shared_queue_s(panel: CountersPanel) -> None:
    # 10 MiB to upload here at 1 MiB/s; 90 MiB out on a shared queue, a fleet's to upload
    counters = Counters(queued=1, running=1 + 9, sent=9, bytes_total=100 * MIB, bytes_sent=90 * MIB)
    panel.show_snapshot(snap(counters, 0.0, 0))
    figures = panel.show_snapshot(snap(counters, 2.0, 2 * MIB))
    assert figures.eta is not None and 9.0 <= figures.eta <= 11.0, figures.eta
    only_sent = Counters(running=9, sent=9, done=1, bytes_total=100 * MIB,
                         bytes_done=10 * MIB, bytes_sent=90 * MIB)  # fmt: skip
    assert panel.show_snapshot(snap(only_sent, 4.0, 10 * MIB)).eta is None
