"""Faults: a flaky endpoint, a dead endpoint, a process killed mid-run. Nothing is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import JobStore
from tests.cli_runner import cli_command, run_cli
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration


def make_files(folder: Path, count: int, size: int = 2000) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for n in range(count):
        data = f"{n:06d}".encode() * (size // 6) + os.urandom(8)
        (folder / f"f{n:04d}.csv").write_bytes(data)
        files[f"mba/csv/f{n:04d}.csv"] = data
    return files


def assert_bucket_holds(s3_env: S3Env, files: dict[str, bytes]) -> None:
    assert s3_env.keys(s3_env.mba_bucket) == sorted(files)
    for key, data in files.items():
        assert s3_env.read(s3_env.mba_bucket, key) == data, key


def test_503s_at_first_are_retried_and_every_file_arrives(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transfer: str
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "10")
    files = make_files(tmp_path / "mba", 12)
    proxy.fail_next(12, 503)
    # the uploads meet the faults, not the duplicate check's listing before them
    result = run_cli("upload", str(tmp_path / "mba"), "--concurrency", "4", "--no-check-s3")
    assert result.code == 0, result.err
    assert proxy.failures_left() == 0  # the faults really happened
    assert "12 uploaded, 0 skipped, 0 failed" in result.out
    assert_bucket_holds(s3_env, files)


def test_a_dead_endpoint_pauses_the_queue_and_resume_finishes_it(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transfer: str
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("HMA_CONNECT_TIMEOUT", "2")
    files = make_files(tmp_path / "mba", 20)
    proxy.down()
    result = run_cli(
        "upload", str(tmp_path / "mba"), "--json", "--concurrency", "4", "--no-check-s3"
    )
    assert result.code == 1
    summary = json.loads(result.out)
    # the jobs in flight fail with the reason; the rest of the queue is kept, not burnt
    assert summary["uploaded"] == 0
    assert 3 <= summary["failed"] <= 4 + 3, summary["failed"]
    assert summary["queued"] == 20 - summary["failed"]
    assert summary["paused"].startswith(f"cannot reach {proxy.endpoint}")
    errors = {job["error"] for job in summary["jobs"] if job["state"] == "failed"}
    assert all(f"cannot reach {proxy.endpoint}" in error for error in errors), errors
    proxy.up()
    result = run_cli("resume")
    assert result.code == 0, result.err
    assert "20 uploaded, 0 skipped, 0 failed" in result.out
    assert_bucket_holds(s3_env, files)


def test_access_denied_fails_at_once_with_a_clear_message(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    make_files(tmp_path / "mba", 1)
    proxy.fail_next(1, 403)
    result = run_cli("upload", str(tmp_path / "mba"), "--json", "--no-check-s3")
    assert result.code == 1
    [job] = json.loads(result.out)["jobs"]
    assert job["error"].startswith(
        f"access denied: your AWS identity may not write to s3://{s3_env.mba_bucket}"
    )
    assert job["attempts"] == 1
    assert sum(proxy.requests.values()) == 1  # not retried


@pytest.mark.parametrize("code", ["InvalidAccessKeyId", "SignatureDoesNotMatch"])
def test_a_refused_key_says_where_it_came_from(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, transfer: str, code: str
) -> None:
    make_files(tmp_path / "mba", 1)
    proxy.fail_next(1, 403, code)
    result = run_cli("upload", str(tmp_path / "mba"), "--json", "--no-check-s3")
    assert result.code == 2  # bad credentials: the run stops, the other files wait
    [job] = json.loads(result.out)["jobs"]
    assert "came from the environment variable AWS_ACCESS_KEY_ID" in job["error"], job["error"]
    assert "To fix:" in job["error"]
    assert sum(proxy.requests.values()) == 1  # a refused key is refused again: not retried


def test_a_missing_bucket_fails_at_once(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transfer: str
) -> None:
    monkeypatch.setenv("HMA_MBA_BUCKET", "no-such-bucket-here")
    make_files(tmp_path / "mba", 2)
    result = run_cli("upload", str(tmp_path / "mba"))
    assert result.code == 1
    assert "bucket 'no-such-bucket-here' does not exist" in result.err


def test_sigkill_mid_run_then_resume_loses_nothing(s3_env: S3Env, tmp_path: Path) -> None:
    files = make_files(tmp_path / "mba", 500, size=600)
    process = subprocess.Popen(
        [*cli_command("upload", str(tmp_path / "mba"), "--concurrency", "4")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    store_path = app_dirs.data_dir() / "jobs.db"
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, "the upload never got going"
        assert process.poll() is None, "the upload finished before it could be killed"
        if store_path.exists():
            with JobStore(store_path) as store:
                if store.counters().done >= 60:
                    break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with JobStore(store_path) as store:
        before = store.counters()
    assert before.total == 500  # every job was recorded before uploads began
    assert 60 <= before.done < 500
    result = run_cli("resume")
    assert result.code == 0, result.err
    with JobStore(store_path) as store:
        after = store.counters()
        assert (after.done, after.queued, after.running, after.failed) == (500, 0, 0, 0)
        assert len(store.jobs()) == 500
    assert_bucket_holds(s3_env, files)


def test_ctrl_c_exits_130_and_leaves_resumable_jobs(s3_env: S3Env, tmp_path: Path) -> None:
    files = make_files(tmp_path / "mba", 300, size=600)
    process = subprocess.Popen(
        cli_command("upload", str(tmp_path / "mba"), "--concurrency", "4"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    store_path = app_dirs.data_dir() / "jobs.db"
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline and process.poll() is None
        if store_path.exists():
            with JobStore(store_path) as store:
                if store.counters().done >= 30:
                    break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "hma-ingest resume" in err
    with JobStore(store_path) as store:
        interrupted = store.counters()
    assert interrupted.running == 0  # released, not stranded
    assert interrupted.failed == 0
    assert interrupted.done + interrupted.queued == 300
    result = run_cli("resume")
    assert result.code == 0, result.err
    assert_bucket_holds(s3_env, files)


def test_progress_never_passes_100_percent_when_retries_rewind(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.progress import ByteProgress
    from hma_gui.core.s3.client import make_s3_client
    from hma_gui.core.upload.upload_config import UploadConfig
    from hma_gui.core.upload.uploader import Uploader

    size = 12 * 1024 * 1024
    path = tmp_path / "mba/csv/big.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(os.urandom(size))
    settings = load_settings(max_attempts=6)
    board = ByteProgress()
    seen: list[int] = []
    inner = board.sink(1, size)

    def sink(delta: int) -> None:
        inner(delta)
        seen.append(board.snapshot()[1][0])

    proxy.fail_next(2, 503)  # both parts' first attempts fail after their bodies were read
    uploader = Uploader(
        make_s3_client(settings),
        UploadConfig(multipart_threshold=8 * 1024 * 1024, part_size=6 * 1024 * 1024),
    )
    result = uploader.upload(path, s3_env.mba_bucket, "mba/csv/big.csv", progress=sink)
    assert result.parts == 2
    assert proxy.failures_left() == 0
    assert max(seen) <= size
    assert seen[-1] == size
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/big.csv") == path.read_bytes()
