"""Issue 13 item 15: a watched folder's rules can be edited (saved, the watcher restarted
with them), and the copies the watcher skipped are listed in the Watched folders tab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import Settings, WatchFolderSettings, load_settings
from hma_gui.core.config.settings_file import read_settings_file
from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.s3.client import S3Client, make_s3_client
from hma_gui.ui.watch.panel import COLUMNS, WatchPanel
from hma_gui.ui.watch.service import WatchService
from tests.conftest import S3Env
from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore(tmp_path / "jobs.db") as opened:
        yield opened


def test_editing_a_watched_folder_saves_its_rules_and_restarts_the_watcher(
    qtbot: QtBot, store: JobStore, tmp_path: Path
) -> None:
    service = WatchService(store)
    folder = tmp_path / "exports"
    folder.mkdir()
    service.apply(load_settings(watch_settle_seconds=0.3))
    service.add_folder(WatchFolderSettings(path=folder, scope="auto"))
    first_watcher = service._watcher
    panel = WatchPanel(service, ["mba", "policy"])
    qtbot.addWidget(panel)
    try:
        assert not panel.edit_button.isEnabled()
        panel.table.selectRow(0)
        assert panel.edit_button.isEnabled()
        panel.edit_button.click()
        dialog = panel.dialog
        assert dialog is not None and dialog.windowTitle() == "Edit watched folder"
        assert dialog.path.text() == str(folder)
        assert dialog.scope.currentData() == "auto"
        dialog.scope.setCurrentIndex(dialog.scope.findData("mba"))
        dialog.include.setText("CSV")
        dialog.exclude.setText("tmp")
        with qtbot.waitSignal(panel.settings_changed, timeout=WAIT_MS):
            dialog._accept()
        assert read_settings_file()["watch_folders"] == [
            {"path": str(folder), "scope": "mba", "include": ["csv"], "exclude": ["tmp"],
             "enabled": True}
        ]  # fmt: skip
        assert panel.table.rowCount() == 1  # edited in place, not added
        assert panel.table.item(0, 1).text() == "mba"
        assert panel.table.item(0, 2).text() == "only csv; not tmp"
        assert service.running and service._watcher is not first_watcher  # new rules in force
        with qtbot.waitSignal(service.enqueued, timeout=WAIT_MS) as blocker:
            (folder / "member.csv").write_text("m\n")
            (folder / "notes.txt").write_text("not included now\n")
        assert blocker.args == [1]
        [job] = store.jobs(state=JobState.QUEUED)
        assert (job.source, job.key) == (str(folder / "member.csv"), "mba/csv/exports/member.csv")
    finally:
        service.stop()


def test_a_copy_the_watcher_skipped_is_listed_in_the_tab(
    qtbot: QtBot, store: JobStore, s3_env: S3Env, tmp_path: Path
) -> None:
    settings = load_settings(watch_settle_seconds=0.3)
    client = make_s3_client(settings)
    content = b"already in S3, byte for byte\n"
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/csv/report.csv", Body=content
    )

    def connect() -> tuple[Settings, S3Client]:
        return settings, client

    service = WatchService(store, check=connect)
    folder = tmp_path / "drop" / "mba"
    folder.mkdir(parents=True)
    service.apply(settings)
    service.add_folder(WatchFolderSettings(path=folder, scope="auto"))
    panel = WatchPanel(service, ["mba", "policy"])
    qtbot.addWidget(panel)
    panel.show()
    try:
        assert panel.skipped_table.isHidden()
        (folder / "report.csv").write_bytes(content)
        (folder / "fresh.csv").write_bytes(b"new content\n")
        qtbot.waitUntil(lambda: panel.skipped_table.rowCount() == 1, timeout=WAIT_MS)
        assert panel.skipped_table.isVisible() and panel.skipped_label.isVisible()
        assert panel.skipped_table.item(0, 0).text() == str(folder / "report.csv")
        reason = panel.skipped_table.item(0, 1).text()
        assert reason.startswith("already in S3: s3://") and "mba/csv/report.csv" in reason
        skipped_column = COLUMNS.index("Skipped")
        qtbot.waitUntil(lambda: panel.table.item(0, skipped_column).text() == "1", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(store.jobs(state=JobState.QUEUED)) == 1, timeout=WAIT_MS)
        [queued] = store.jobs(state=JobState.QUEUED)
        assert queued.source == str(folder / "fresh.csv")  # the new file is not skipped
    finally:
        service.stop()
