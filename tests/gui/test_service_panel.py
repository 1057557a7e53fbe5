"""Service mode on the desktop, against moto's S3 and SQS over HTTP: a drop goes to the
shared queue; the Service tab shows counters, dead letters with reasons, Redrive,
workers and the jobs this desktop sent; the settings dialog edits the shared queue."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import WatchFolderSettings, load_settings
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.queue.factory import ledger_for
from hma_gui.core.queue.messages import JobMessage, WorkerSeen
from hma_gui.core.queue.snapshot import SharedQueueClient
from hma_gui.core.s3.client import make_s3_client
from hma_gui.ui.service.panel import ServicePanel
from hma_gui.ui.settings.dialog import SettingsDialog
from tests.conftest import MotoServer
from tests.queue_harness import (
    QueueEnv,
    make_files,
    make_queue_env,
    queue_moto,  # noqa: F401 - fixture
)

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture
def env(queue_moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> QueueEnv:  # noqa: F811
    return make_queue_env(queue_moto, monkeypatch)


@pytest.fixture
def client(env: QueueEnv, tmp_path: Path) -> Iterator[SharedQueueClient]:
    store = JobStore(tmp_path / "jobs.db")
    shared = SharedQueueClient(store, sender="desk-test")
    yield shared
    shared.close()
    store.close()


def test_a_drop_goes_to_the_shared_queue_not_to_this_window(
    qtbot: QtBot, env: QueueEnv, harness_factory, tmp_path: Path
) -> None:
    files = make_files(tmp_path / "data", 7)
    harness = harness_factory()  # the session and the queue view, wired as the window does
    harness.wait_ready()
    harness.session.queue.start()
    harness.drop(tmp_path / "data", scope="mba")
    qtbot.waitUntil(lambda: env.depth() == (7, 0), timeout=30_000)
    store = harness.store
    qtbot.waitUntil(lambda: len(store.shared.recent()) == 7, timeout=30_000)
    jobs = store.jobs()
    assert {(j.state, j.owner) for j in jobs} == {(JobState.RUNNING, SENT_OWNER)}  # sent
    assert sorted(j.key for j in jobs) == sorted(files)
    assert harness.session.queue.started_jobs == 0  # nothing uploaded by this window
    assert env.keys() == []


def test_the_service_tab_shows_the_queue_and_redrives(
    qtbot: QtBot, env: QueueEnv, client: SharedQueueClient, tmp_path: Path
) -> None:
    settings = load_settings()
    make_files(tmp_path / "data", 2)
    planned = plan([tmp_path / "data"], settings, PlanOptions(scope="mba"))
    assert client.send(planned.jobs, settings) == 2
    poison = JobMessage("/gone/x.csv", env.bucket, "mba/csv/x.csv", size=1)
    env.sqs.send_message(QueueUrl=env.dlq_url, MessageBody=poison.encode())
    ledger = ledger_for(settings, make_s3_client(settings), env.name)
    ledger.record_failure(
        poison.id, reason="the worker cannot read /gone/x.csv: no such file",
        receive_count=3, worker="w1", source=poison.source, uri=poison.uri,
    )  # fmt: skip
    ledger.note_worker(WorkerSeen("w1", time.time(), 5, 3))

    panel = ServicePanel(client, settings)
    qtbot.addWidget(panel)
    assert not (panel.dead_view.isHidden() or panel.workers_view.isHidden())
    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        panel.refresh()
    text = panel.counters.text()
    assert "2 queued" in text and "5 processed" in text and "1 dead-lettered" in text, text
    assert panel.dead.rowCount() == 1
    assert panel.dead.item(0, 2).text() == "the worker cannot read /gone/x.csv: no such file"
    assert panel.workers.item(0, 0).text() == "w1"
    assert panel.sent.rowCount() == 2
    assert {panel.sent.item(r, 2).text() for r in range(2)} == {"queued"}

    with qtbot.waitSignal(panel.refreshed, timeout=30_000):
        panel.redrive_button.click()
    assert env.depth() == (3, 0) and env.depth(env.dlq_url) == (0, 0)
    assert panel.dead.rowCount() == 0
    panel.shutdown()


def test_without_a_shared_queue_the_tab_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        panel = ServicePanel(SharedQueueClient(store), load_settings(queue_url="local"))
        qtbot.addWidget(panel)
        assert "No shared queue" in panel.counters.text()
        assert not panel.redrive_button.isEnabled()
        assert panel.dead_view.isHidden() and panel.workers_view.isHidden()  # no empty tables
        assert panel.sent_view.isHidden()
        panel.shutdown()


def test_the_settings_dialog_saves_the_shared_queue(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HMA_QUEUE_URL", raising=False)
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    dialog.shared_queue.url.setText("amqp://nope")
    assert not dialog.save_button.isEnabled()
    assert "Shared queue" in dialog.error_label.text()
    dialog.shared_queue.url.setText("sqs://hma-jobs")
    dialog.shared_queue.path_map.setPlainText("\\\\server\\exports = /srv/exports\n# note\n")
    assert dialog.save_button.isEnabled()
    dialog.save()
    saved = tomllib.loads(app_dirs.settings_file().read_text())
    assert saved["queue_url"] == "sqs://hma-jobs"
    assert saved["queue_path_map"] == {"\\\\server\\exports": "/srv/exports"}
    assert load_settings().queue_path_map == {"\\\\server\\exports": "/srv/exports"}


def test_a_watched_folder_sends_finished_files_to_the_shared_queue(
    qtbot: QtBot, env: QueueEnv, open_window, tmp_path: Path
) -> None:
    folder = tmp_path / "exports" / "mba" / "csv"
    folder.mkdir(parents=True)
    window = open_window(
        watch_folders=[WatchFolderSettings(path=tmp_path / "exports", scope="mba")],
        watch_settle_seconds=0.2,
    )
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=30_000)
    (folder / "late.csv").write_bytes(b"1,2\n")
    qtbot.waitUntil(lambda: env.depth() == (1, 0), timeout=30_000)
    store = window.session.store
    qtbot.waitUntil(lambda: len(store.shared.recent()) == 1, timeout=30_000)
    [link] = store.shared.recent()
    message = JobMessage.decode(link.message)
    assert message.key == "mba/csv/late.csv" and message.expect.value == "new"
    assert window.session.queue.started_jobs == 0
    assert env.keys() == []
