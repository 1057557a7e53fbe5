"""Watched folders in the window, the tray's batched notifications, living on in the tray."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import WatchFolderSettings, load_settings
from hma_gui.core.config.settings_file import read_settings_file
from hma_gui.core.jobs.store import Counters, JobState, JobStore, NewJob
from hma_gui.ui.shell.tray import NotificationBatcher
from hma_gui.ui.watch.panel import WatchPanel
from hma_gui.ui.watch.service import WatchService
from tests.conftest import S3Env
from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui]


# ----------------------------------------------------------------- notifications


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_notifications_are_batched_until_things_are_quiet() -> None:
    clock = Clock()
    batcher = NotificationBatcher(clock)
    assert batcher.observe(Counters(queued=20)) is None
    for done in range(1, 13):
        clock.now += 0.5
        assert batcher.observe(Counters(queued=20 - done, running=1, done=done)) is None
    clock.now += 1
    assert batcher.observe(Counters(queued=8, done=12)) is None  # not quiet long enough
    clock.now += 3
    announcement = batcher.observe(Counters(queued=8, done=12))
    assert announcement is not None
    assert announcement.message == "12 files uploaded"
    assert not announcement.warning
    clock.now += 10
    assert batcher.observe(Counters(queued=8, done=12)) is None  # nothing new: silence
    batcher.observe(Counters(queued=6, done=13, failed=1))
    clock.now += 4
    failure = batcher.observe(Counters(queued=6, done=13, failed=1))
    assert failure is not None and failure.warning
    assert failure.message == "1 file uploaded, 1 failed — open HMA Ingest for the reasons"


def test_a_long_busy_stretch_is_announced_at_least_every_30_seconds() -> None:
    clock = Clock()
    batcher = NotificationBatcher(clock)
    batcher.observe(Counters(queued=1000))
    announcements = []
    for done in range(1, 200):
        clock.now += 0.25
        result = batcher.observe(Counters(queued=1000 - done, running=4, done=done))
        if result:
            announcements.append(result)
    assert len(announcements) == 1  # 49.75 s of steady work: one mid-way summary
    assert announcements[0].message == "121 files uploaded"  # from 0.25 s to 30.25 s


# ----------------------------------------------------------------- the watch list


@pytest.fixture
def service(qtbot: QtBot, tmp_path: Path) -> Iterator[WatchService]:
    store = JobStore(tmp_path / "jobs.db")
    watch = WatchService(store)
    yield watch
    watch.stop()
    store.close()


def test_adding_a_folder_saves_it_and_watches_it(
    qtbot: QtBot, service: WatchService, tmp_path: Path
) -> None:
    settings = load_settings(watch_settle_seconds=0.3)
    service.apply(settings)
    panel = WatchPanel(service, sorted(settings.scopes))
    qtbot.addWidget(panel)
    panel.show()  # a hidden tab does not count the folders' work
    assert panel.table.isHidden() and not panel.empty.isHidden()
    folder = tmp_path / "exports"
    folder.mkdir()
    panel.choose_folder(str(folder))
    dialog = panel.dialog
    assert dialog is not None
    dialog.scope.setCurrentIndex(dialog.scope.findData("mba"))
    dialog.include.setText("CSV")
    with qtbot.waitSignal(panel.settings_changed, timeout=WAIT_MS):
        dialog._accept()
    saved = read_settings_file(app_dirs.settings_file())
    assert saved["watch_folders"] == [
        {"path": str(folder), "scope": "mba", "include": ["csv"], "exclude": [], "enabled": True}
    ]
    assert service.running and panel.table.rowCount() == 1
    assert panel.table.item(0, 2).text() == "only csv"
    with qtbot.waitSignal(service.enqueued, timeout=WAIT_MS) as blocker:
        (folder / "member.csv").write_text("m\n")
        (folder / "notes.txt").write_text("not included\n")
    assert blocker.args == [1]
    [job] = service._store.jobs(state=JobState.QUEUED)
    assert (job.source, job.key) == (str(folder / "member.csv"), "mba/csv/exports/member.csv")
    qtbot.waitUntil(lambda: panel.table.item(0, 5).text() == "1", timeout=WAIT_MS)
    assert panel.table.item(0, 3).text() == "uploading, 1 left"
    assert panel.table.item(0, 4).text().startswith("queued member.csv, ")
    # once its file is uploaded, the folder is just watched: no stale "queued …" status
    [claimed] = service._store.claim(1, service.batch_id)
    service._store.mark_done(claimed.id, etag='"e"', md5=None)
    panel.refresh()
    assert panel.table.item(0, 3).text() == "watching"
    assert panel.table.item(0, 4).text().startswith("queued member.csv, ")


def test_a_folder_with_files_held_for_a_decision_says_so(
    qtbot: QtBot, service: WatchService, tmp_path: Path
) -> None:
    folder = (tmp_path / "mba").resolve()
    folder.mkdir()
    service.apply(load_settings(watch_settle_seconds=0.3))
    service.add_folder(WatchFolderSettings(path=folder, scope="mba"))
    panel = WatchPanel(service, ["mba"])
    qtbot.addWidget(panel)
    panel.show()  # a hidden tab does not count the folders' work
    assert panel.table.item(0, 3).text() == "watching"
    held = [
        NewJob(source=str(folder / f"{n}.csv"), root=str(folder), size=1, bucket="b",
               key=f"mba/csv/{n}.csv", state=JobState.WAITING)
        for n in range(2)
    ]  # fmt: skip
    queued = NewJob(source=str(folder / "q.csv"), root=str(folder), size=1, bucket="b",
                    key="mba/csv/q.csv")  # fmt: skip
    other = NewJob(source="/elsewhere/x.csv", root="/elsewhere", size=1, bucket="b",
                   key="mba/csv/x.csv")  # fmt: skip
    service._store.enqueue([*held, queued, other], service.batch_id)
    panel.refresh()
    assert panel.table.item(0, 3).text() == "uploading, 1 left; 2 to decide (Duplicates tab)"


def test_pausing_and_removing_a_folder(qtbot: QtBot, service: WatchService, tmp_path: Path) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    settings = load_settings(watch_settle_seconds=0.3)
    service.apply(settings)
    service.add_folder(WatchFolderSettings(path=folder, scope="auto"))
    panel = WatchPanel(service, ["mba", "policy"])
    qtbot.addWidget(panel)
    panel.table.selectRow(0)
    assert panel.pause_button.text() == "Pause watching"
    panel.toggle_selected()
    assert not service.running
    assert read_settings_file()["watch_folders"][0]["enabled"] is False
    assert panel.table.item(0, 3).text() == "paused"
    (folder / "while-paused.csv").write_text("x\n")
    panel.table.selectRow(0)
    panel.toggle_selected()  # resumed: the catch-up finds the file written meanwhile
    assert service.running
    qtbot.waitUntil(lambda: service._store.counters().queued == 1, timeout=WAIT_MS)
    panel.table.selectRow(0)
    panel.remove_selected()
    assert read_settings_file()["watch_folders"] == []
    assert not service.running and panel.table.isHidden()


def test_a_missing_folder_is_shown_not_fatal(
    qtbot: QtBot, service: WatchService, tmp_path: Path
) -> None:
    gone = tmp_path / "gone"
    service.apply(load_settings(watch_folders=[WatchFolderSettings(path=gone)]))
    panel = WatchPanel(service, ["mba"])
    qtbot.addWidget(panel)
    assert panel.table.item(0, 3).text() == "folder not found"
    assert not service.running


# ----------------------------------------------------------------- the window


@pytest.mark.integration
def test_the_window_uploads_what_appears_in_a_watched_folder(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    folder = tmp_path / "drop" / "mba"
    folder.mkdir(parents=True)
    (folder / "before.csv").write_text("there before the window opened\n")
    path = app_dirs.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'watch_settle_seconds = 0.3\n[[watch_folders]]\npath = "{folder}"\n')
    window = open_window()
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    (folder / "after.part").write_text("written under a temporary name\n")
    (folder / "after.part").rename(folder / "after.csv")

    def landed() -> bool:
        return sorted(s3_env.keys(s3_env.mba_bucket)) == ["mba/csv/after.csv", "mba/csv/before.csv"]

    qtbot.waitUntil(landed, timeout=WAIT_MS)
    assert (
        s3_env.read(s3_env.mba_bucket, "mba/csv/after.csv") == b"written under a temporary name\n"
    )
    assert window.tabs.tabText(window.tabs.indexOf(window.watch_panel)) == "Watched folders"
    qtbot.waitUntil(lambda: bool(window.tray.announcements), timeout=WAIT_MS)
    assert window.tray.announcements[0].message == "2 files uploaded"


def test_closing_keeps_the_app_in_the_tray_when_asked(
    qtbot: QtBot, open_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(keep_in_tray=True)
    monkeypatch.setattr(window.tray, "available", True)  # offscreen has no tray; the rule is ours
    window.close()
    assert window.isHidden() and not window._closed
    window.show_from_tray()
    assert window.isVisible()
    window.quit()
    assert window._closed


def test_without_the_setting_closing_quits(qtbot: QtBot, open_window) -> None:
    window = open_window(keep_in_tray=False)
    window.tray.available = True
    window.close()
    assert window._closed


def test_a_large_backlog_is_counted_again_every_few_seconds_not_every_tick(
    service: WatchService, tmp_path: Path
) -> None:
    """Counting 50,000 unfinished jobs by folder takes ~18 ms: not once a second."""
    from hma_gui.ui.watch import service as watch_service

    folder = (tmp_path / "mba").resolve()
    folder.mkdir()
    service.apply(load_settings(watch_settle_seconds=0.3))
    service.add_folder(WatchFolderSettings(path=folder, scope="mba"))
    count = watch_service.LARGE_BACKLOG + 1
    service._store.enqueue(
        [NewJob(source=str(folder / f"{n}.csv"), root=str(folder), size=1, bucket="b",
                key=f"mba/csv/{n}.csv") for n in range(count)],
        service.batch_id,
    )  # fmt: skip
    assert [r.to_upload for r in service.rows()] == [count]
    assert [r.to_upload for r in service.rows(work=False)] == [0]
    [claimed] = service._store.claim(1, service.batch_id)
    service._store.mark_done(claimed.id, etag='"e"', md5=None)
    assert [r.to_upload for r in service.rows()] == [count]  # counted under 3 s ago
    service._counted_at -= watch_service.RECOUNT_SECONDS
    assert [r.to_upload for r in service.rows()] == [count - 1]
