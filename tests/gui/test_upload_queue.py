"""The upload queue against a real S3 endpoint: drop, upload, fail, retry, pause, cancel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hma_gui.core.jobs.store import JobState, JobStore, default_store_path
from hma_gui.core.upload.multipart_state import MultipartState
from hma_gui.ui.queue.controls import QueueControls
from hma_gui.ui.queue.counters_panel import CountersPanel
from hma_gui.ui.queue.job_columns import Column
from hma_gui.ui.queue.upload_queue import QueueMode
from hma_gui.ui.shell.banner import Banner
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.gui.conftest import Harness, make_tree

pytestmark = [pytest.mark.gui, pytest.mark.integration]

MiB = 1024 * 1024


def test_dropped_folder_is_uploaded_with_the_convention_keys(
    harness_factory, s3_env: S3Env, tmp_path: Path
) -> None:
    contents = make_tree(
        tmp_path / "data",
        {
            "mba/csv/MemberData.csv": 3000,
            "mba/csv/2024/Claims.csv": 1500,
            "mba/reports/q1.pdf": 800,
            "policy/terms.txt": 400,
        },
    )
    h: Harness = harness_factory()
    h.session.queue.start()
    h.drop(tmp_path / "data")
    counters = h.wait_counters(done=4)
    assert (counters.failed, counters.queued, counters.running) == (0, 0, 0)
    assert s3_env.keys(s3_env.mba_bucket) == [
        "mba/csv/2024/Claims.csv",
        "mba/csv/MemberData.csv",
        "mba/pdf/reports/q1.pdf",
    ]
    assert s3_env.keys(s3_env.policy_bucket) == ["policy/txt/terms.txt"]
    assert (
        s3_env.read(s3_env.mba_bucket, "mba/csv/MemberData.csv")
        == contents["mba/csv/MemberData.csv"]
    )
    h.wait(lambda: {j.state for j in h.model.jobs} == {JobState.DONE} and len(h.model.jobs) == 4)


def test_dead_endpoint_fails_jobs_with_the_reason_and_retry_uploads_them(
    harness_factory, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    make_tree(tmp_path / "mba", {f"csv/f{n}.csv": 1000 for n in range(3)})
    proxy.down()
    h: Harness = harness_factory(concurrency=1)
    h.wait_ready()
    h.session.queue.start()
    h.drop(tmp_path / "mba")
    h.wait_counters(failed=3)
    # the reason is in the table, where the user looks
    h.wait(lambda: len(h.model.jobs) == 3 and all(j.state is JobState.FAILED for j in h.model.jobs))
    messages = [h.model.index(row, Column.MESSAGE).data() for row in range(h.model.rowCount())]
    assert all("cannot reach" in m for m in messages), messages
    # three unreachable in a row: the queue pauses itself instead of burning the rest
    h.wait(lambda: h.session.queue.mode is QueueMode.PAUSED)

    proxy.up()
    h.table.view.selectAll()
    h.table.retry_action.trigger()
    counters = h.wait_counters(done=3)
    assert counters.failed == 0
    assert s3_env.keys(s3_env.mba_bucket) == [f"mba/csv/f{n}.csv" for n in range(3)]
    assert h.session.queue.mode is QueueMode.RUNNING


def test_pause_lets_the_running_upload_finish_and_starts_no_other(
    harness_factory, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    make_tree(tmp_path / "mba", {f"csv/f{n}.csv": 2000 for n in range(4)})
    h: Harness = harness_factory(concurrency=1)
    h.wait_ready()
    proxy.hold()  # the first upload hangs until released
    h.session.queue.start()
    h.drop(tmp_path / "mba")
    h.wait(lambda: proxy.held >= 1)
    assert h.counters().running == 1
    h.session.queue.pause()
    proxy.release()
    h.wait_counters(done=1)
    h.wait(lambda: h.session.queue.active_workers == 0)  # no worker left to start anything
    h.wait_polls(3)
    counters = h.counters()
    assert (counters.done, counters.queued, counters.running) == (1, 3, 0)
    assert h.session.queue.started_jobs == 1
    assert len(s3_env.keys(s3_env.mba_bucket)) == 1

    h.session.queue.resume()
    h.wait_counters(done=4)
    assert len(s3_env.keys(s3_env.mba_bucket)) == 4


def test_cancel_puts_running_uploads_back_in_the_queue(
    harness_factory, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    # multipart files (3 parts of 5 MiB): a cancel takes effect between parts
    contents = make_tree(tmp_path / "mba", {f"csv/big{n}.csv": 12 * MiB for n in range(2)})
    h: Harness = harness_factory(
        concurrency=2, multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB
    )
    h.wait_ready()
    proxy.hold()
    h.session.queue.start()
    h.drop(tmp_path / "mba")
    h.wait(lambda: h.counters().running == 2 and proxy.held >= 2)
    h.session.queue.cancel()
    assert h.session.queue.mode is QueueMode.STOPPED
    proxy.release()
    h.wait(lambda: h.session.queue.active_workers == 0)
    counters = h.counters()
    assert (counters.queued, counters.running, counters.done, counters.failed) == (2, 0, 0, 0)
    assert all(j.attempts == 1 and j.owner is None for j in h.store.jobs())
    assert s3_env.keys(s3_env.mba_bucket) == []

    h.session.queue.start()  # resumable: the same jobs upload in full
    h.wait_counters(done=2)
    for name, data in contents.items():
        assert s3_env.read(s3_env.mba_bucket, f"mba/{name}") == data


def test_concurrency_changes_while_running(
    harness_factory, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    make_tree(tmp_path / "mba", {f"csv/f{n}.csv": 1000 for n in range(6)})
    h: Harness = harness_factory(concurrency=1)
    h.wait_ready()
    proxy.hold()
    h.session.queue.start()
    h.drop(tmp_path / "mba")
    h.wait(lambda: proxy.held == 1 and h.counters().queued == 5)
    h.session.queue.set_concurrency(3)
    h.wait(lambda: proxy.held == 3)  # two more uploads started at once
    assert h.counters().running == 3
    assert h.session.queue.active_workers == 3
    proxy.release()
    h.wait_counters(done=6)


def test_the_bandwidth_limit_box_changes_the_limit_of_a_running_upload(
    harness_factory, s3_env: S3Env, tmp_path: Path
) -> None:
    """4 MiB at 256 KiB/s would take 16 s; turned off mid-way, the upload ends at once."""
    make_tree(tmp_path / "mba", {"csv/slow.csv": 4 * MiB})
    h: Harness = harness_factory(concurrency=1, bwlimit=256 * 1024)
    h.wait_ready()
    counters = CountersPanel()
    h.qtbot.addWidget(counters)
    controls = QueueControls(h.session.queue, counters, Banner(), counters)
    controls.show_bwlimit(h.session.queue.bwlimit)
    assert h.session.queue.bwlimit == 256 * 1024
    assert controls.bwlimit.value() == 0  # shown in whole MiB/s: below 1 MiB/s reads "0"
    h.session.queue.start()
    h.drop(tmp_path / "mba")
    h.wait(lambda: h.session.progress.inflight_bytes() > 0)
    h.qtbot.wait(1000)
    assert h.counters().done == 0  # held back by the limit
    assert h.session.progress.inflight_bytes() < 1 * MiB
    controls.bwlimit.setValue(8)  # 8 MiB/s: the rest in well under a second
    assert h.session.queue.bwlimit == 8 * MiB
    started = time.monotonic()
    h.wait_counters(done=1)
    assert time.monotonic() - started < 5


def test_the_window_aborts_our_multipart_uploads_nobody_will_resume_at_start(
    harness_factory, s3_env: S3Env
) -> None:
    bucket, client = s3_env.mba_bucket, s3_env.client
    orphan = client.create_multipart_upload(Bucket=bucket, Key="mba/csv/gone.csv")["UploadId"]
    theirs = client.create_multipart_upload(Bucket=bucket, Key="mba/csv/theirs.csv")["UploadId"]
    with JobStore(default_store_path(False)) as store:  # a job removed since its upload began
        store.multipart.started(
            404,
            MultipartState(orphan, bucket, "mba/csv/gone.csv", 8 * MiB, 9 * MiB, 1, 1, "0" * 32),
        )
    h: Harness = harness_factory()
    h.wait_ready()
    left = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["UploadId"] for u in left] == [theirs]  # not in our ledger: not ours to abort
    assert h.store.multipart.open_uploads() == []
