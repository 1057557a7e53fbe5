"""The window with a shared queue set, against moto's S3 and SQS and a real ``hma-ingest
worker`` process: every job that becomes runnable in the window — decided later in the
duplicate review, "Upload again" — goes to the queue (the window PUTs nothing), and the
window shows it sent, then the outcome the worker reports.

The window's S3 requests go through a `FaultProxy` that counts PUTs; the worker talks
to moto directly, so the proxy's PUT count is the window's alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.duplicates.decisions import Decision
from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store import Job, JobState
from hma_gui.ui.duplicates.models import FindingColumn
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.queue.job_columns import Column, cell_text
from tests.cli_runner import cli_command
from tests.conftest import MotoServer
from tests.fault_proxy import FaultProxy
from tests.gui.conftest import WAIT_MS
from tests.queue_harness import QueueEnv, make_queue_env, queue_moto  # noqa: F401 - fixture

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture
def proxy(queue_moto: MotoServer) -> Iterator[FaultProxy]:  # noqa: F811
    faulty = FaultProxy(queue_moto.endpoint)
    yield faulty
    faulty.close()


@pytest.fixture
def env(
    queue_moto: MotoServer,  # noqa: F811
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> QueueEnv:
    return make_queue_env(queue_moto, monkeypatch, s3_endpoint=proxy.endpoint, lease=10)


@pytest.fixture
def worker(env: QueueEnv, tmp_path: Path) -> Iterator[Worker]:
    started = Worker(env, tmp_path / "worker.log")
    yield started
    started.stop()


class Worker:
    """``hma-ingest worker`` in its own process, talking to moto directly (not the proxy)."""

    def __init__(self, env: QueueEnv, log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, path_map: dict[str, str] | None = None) -> None:
        variables = dict(os.environ, HMA_S3_ENDPOINT_URL=self.env.endpoint)
        if path_map:
            variables["HMA_QUEUE_PATH_MAP"] = json.dumps(path_map)
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                cli_command("worker", "--concurrency", "2"),
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=variables,
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = folder / "mba" / "csv" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder / "mba"


def jobs_of(window: MainWindow) -> dict[str, Job]:
    return {Path(j.source).name: j for j in window.session.store.jobs()}


def shown_state(window: MainWindow, name: str) -> str:
    """The State cell of `name`'s row, as the jobs table shows it."""
    for job in window.model.jobs:
        if Path(job.source).name == name:
            return cell_text(job, Column.STATE, {})
    return ""


def window_puts(proxy: FaultProxy, env: QueueEnv) -> dict[str, int]:
    return dict(proxy.puts(env.bucket))


def drop_and_review(qtbot: QtBot, window: MainWindow, folder: Path) -> DuplicateReviewDialog:
    dialogs: list[DuplicateReviewDialog] = []
    window.duplicates.dialog_opened.connect(dialogs.append)
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    window.add_paths([folder])
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=WAIT_MS)
    return dialogs[0]


def decide(dialog: DuplicateReviewDialog, decision: Decision) -> None:
    model = dialog.findings_model
    for row in range(len(model.rows)):
        assert model.setData(model.index(row, FindingColumn.DECISION), decision)
    dialog.apply_button.click()


def test_an_overwrite_decided_later_goes_to_the_queue_with_if_match_and_ends_done(
    qtbot: QtBot, open_window, env: QueueEnv, proxy: FaultProxy, worker: Worker, tmp_path: Path
) -> None:
    old = env.s3.put_object(Bucket=env.bucket, Key="mba/csv/report.csv", Body=b"theirs\n")
    folder = write(tmp_path / "drop", {"report.csv": b"mine, newer\n", "new.csv": b"new\n"})
    window = open_window(on_duplicate="ask")
    dialog = drop_and_review(qtbot, window, folder)
    # The new file went at drop time; the other waits for the decision.
    qtbot.waitUntil(lambda: shown_state(window, "new.csv") == "Sent", timeout=WAIT_MS)
    assert jobs_of(window)["report.csv"].state is JobState.WAITING

    decide(dialog, Decision.OVERWRITE)
    qtbot.waitUntil(lambda: shown_state(window, "report.csv") == "Sent", timeout=WAIT_MS)
    jobs = jobs_of(window)
    assert jobs["report.csv"].owner == SENT_OWNER
    assert "sent to the shared queue" in (jobs["report.csv"].error or "")
    link = window.session.store.shared.get(jobs["report.csv"].id)
    assert link is not None
    message = json.loads(link.message)
    assert (message["expect"], message["etag"]) == ("overwrite", clean_etag(old["ETag"]))
    assert message["source"] == str(folder / "csv" / "report.csv")
    new_link = window.session.store.shared.get(jobs["new.csv"].id)
    assert new_link is not None and json.loads(new_link.message)["expect"] == "new"
    assert env.depth()[0] == 2  # both wait for a worker

    worker.start()
    qtbot.waitUntil(
        lambda: {j.state for j in jobs_of(window).values()} == {JobState.DONE}, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: shown_state(window, "report.csv") == "Uploaded", timeout=WAIT_MS)
    assert env.read("mba/csv/report.csv") == b"mine, newer\n"
    assert env.read("mba/csv/new.csv") == b"new\n"
    done = jobs_of(window)["report.csv"]
    head = env.s3.head_object(Bucket=env.bucket, Key="mba/csv/report.csv")
    assert done.etag == clean_etag(head["ETag"]) and done.error is None
    assert window_puts(proxy, env) == {}, "the window uploaded something itself"
    assert window.session.queue.started_jobs == 0


def test_an_overwrite_whose_object_changed_meanwhile_fails_with_the_conflict(
    qtbot: QtBot, open_window, env: QueueEnv, proxy: FaultProxy, worker: Worker, tmp_path: Path
) -> None:
    env.s3.put_object(Bucket=env.bucket, Key="mba/csv/report.csv", Body=b"theirs\n")
    folder = write(tmp_path / "drop", {"report.csv": b"mine, newer\n"})
    window = open_window(on_duplicate="ask")
    dialog = drop_and_review(qtbot, window, folder)
    decide(dialog, Decision.OVERWRITE)
    qtbot.waitUntil(lambda: shown_state(window, "report.csv") == "Sent", timeout=WAIT_MS)
    # Somebody writes the key after the decision was sent, before a worker takes it:
    # the object is newer than the message, but it is not ours.
    env.s3.put_object(Bucket=env.bucket, Key="mba/csv/report.csv", Body=b"someone else's\n")
    window.session.follow_sent()
    qtbot.wait(2500)  # a look or two at the queue before any worker runs
    assert jobs_of(window)["report.csv"].state is JobState.RUNNING
    worker.start()

    qtbot.waitUntil(lambda: jobs_of(window)["report.csv"].state is JobState.FAILED, timeout=WAIT_MS)
    failed = jobs_of(window)["report.csv"]
    assert (failed.error or "").startswith("conflict: another upload wrote this key"), failed
    qtbot.waitUntil(lambda: shown_state(window, "report.csv") == "Failed", timeout=WAIT_MS)
    assert env.read("mba/csv/report.csv") == b"someone else's\n"
    # It stays failed (the worker retries, then dead-letters it): never read as done.
    qtbot.waitUntil(
        lambda: (jobs_of(window)["report.csv"].error or "").startswith("dead-lettered: conflict"),
        timeout=WAIT_MS,
    )
    assert jobs_of(window)["report.csv"].state is JobState.FAILED
    assert env.read("mba/csv/report.csv") == b"someone else's\n"
    assert window_puts(proxy, env) == {}


def test_upload_again_on_a_done_job_goes_to_the_shared_queue(
    qtbot: QtBot, open_window, env: QueueEnv, proxy: FaultProxy, worker: Worker, tmp_path: Path
) -> None:
    folder = write(tmp_path / "drop", {"doc.csv": b"a,b\n1,2\n"})
    worker.start()
    window = open_window()
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    window.add_paths([folder])
    qtbot.waitUntil(lambda: shown_state(window, "doc.csv") == "Uploaded", timeout=WAIT_MS)
    job = jobs_of(window)["doc.csv"]
    first = window.session.store.shared.get(job.id)
    assert first is not None and first.outcome == "done"

    env.s3.delete_object(Bucket=env.bucket, Key="mba/csv/doc.csv")  # the object is gone
    window.job_actions.upload_again([job.id])
    # the new message settled (the table may still show the old "Uploaded" until it
    # refreshes, so its label alone does not say the worker wrote again)
    qtbot.waitUntil(
        lambda: (
            (link := window.session.store.shared.get(job.id)) is not None
            and link.message_id != first.message_id
            and link.outcome == "done"
        ),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: shown_state(window, "doc.csv") == "Uploaded", timeout=WAIT_MS)
    assert env.read("mba/csv/doc.csv") == b"a,b\n1,2\n"
    assert window_puts(proxy, env) == {}
    assert window.session.queue.started_jobs == 0


def test_retry_failed_sends_again_and_the_worker_maps_the_desktops_path(
    qtbot: QtBot, open_window, env: QueueEnv, proxy: FaultProxy, worker: Worker, tmp_path: Path
) -> None:
    desk, share = tmp_path / "desk", tmp_path / "srv"
    folder = write(desk, {"p.csv": b"p,q\n"})
    window = open_window()
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    window.add_paths([folder])
    qtbot.waitUntil(lambda: shown_state(window, "p.csv") == "Sent", timeout=WAIT_MS)
    desk.rename(share)  # the worker's machine mounts the share elsewhere

    worker.start()  # without a path map it looks for the desktop's path
    qtbot.waitUntil(lambda: shown_state(window, "p.csv") == "Failed", timeout=WAIT_MS)
    failed = jobs_of(window)["p.csv"]
    assert (failed.error or "").startswith(f"the worker cannot read {desk}"), failed.error
    worker.stop()

    worker.start(path_map={str(desk): str(share)})
    window.job_actions.retry_failed()
    qtbot.waitUntil(lambda: shown_state(window, "p.csv") == "Uploaded", timeout=WAIT_MS)
    assert env.read("mba/csv/p.csv") == b"p,q\n"
    assert window_puts(proxy, env) == {}
    assert window.session.queue.started_jobs == 0
