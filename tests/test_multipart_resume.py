"""A large upload killed mid-way resumes: only the parts S3 does not have are sent again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import JobStore
from tests.cli_runner import cli_command, run_cli
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
SIZE = 40 * MiB  # 8 parts of 5 MiB


@pytest.fixture
def proxy(s3_env: S3Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    faulty = FaultProxy(s3_env.endpoint)
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", faulty.endpoint)
    monkeypatch.setenv("HMA_MULTIPART_THRESHOLD", "5MiB")
    monkeypatch.setenv("HMA_MULTIPART_CHUNKSIZE", "5MiB")
    monkeypatch.setenv("HMA_BWLIMIT", "20MiB")  # 2 s for the file: a kill lands where it should
    yield faulty
    faulty.close()


def _kill_at(proxy: FaultProxy, folder: Path, share: float) -> None:
    """Start an upload of `folder` and SIGKILL it once `share` of SIZE passed the proxy."""
    process = subprocess.Popen(
        cli_command("upload", str(folder), "--concurrency", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 120
    while proxy.put_bytes < share * SIZE:
        assert time.monotonic() < deadline, "the upload never got going"
        assert process.poll() is None, "the upload finished before it could be killed"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    proxy.wait_idle()  # parts the proxy had whole reach S3; cut-off ones are not counted


def _open_uploads(s3_env: S3Env) -> list[object]:
    page = s3_env.client.list_multipart_uploads(Bucket=s3_env.mba_bucket)  # type: ignore[attr-defined]
    return list(page.get("Uploads", []))


def _big_file(tmp_path: Path) -> tuple[Path, bytes]:
    folder = tmp_path / "mba"
    folder.mkdir()
    data = os.urandom(SIZE)
    (folder / "big.csv").write_bytes(data)
    return folder, data


def test_killed_at_60_percent_then_resume_resends_at_most_45_percent(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    folder, data = _big_file(tmp_path)
    _kill_at(proxy, folder, 0.6)
    sent_before = proxy.put_bytes
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        assert len(store.multipart.open_uploads()) == 1  # the upload id was kept
    result = run_cli("resume")
    assert result.code == 0, result.err
    resent = proxy.put_bytes - sent_before
    assert resent <= 0.45 * SIZE, f"{resent / SIZE:.0%} of the file was sent again"
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/big.csv") == data
    assert _open_uploads(s3_env) == []
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        assert store.multipart.open_uploads() == []
        assert store.counters().done == 1


def test_a_file_changed_after_the_kill_is_uploaded_again_from_the_start(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    folder, _ = _big_file(tmp_path)
    _kill_at(proxy, folder, 0.5)
    changed = os.urandom(SIZE)
    (folder / "big.csv").write_bytes(changed)
    result = run_cli("resume")
    assert result.code == 0, result.err
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/big.csv") == changed
    assert _open_uploads(s3_env) == []  # the old upload was aborted, not left behind


def test_resume_aborts_an_upload_whose_job_is_gone(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    folder, _ = _big_file(tmp_path)
    _kill_at(proxy, folder, 0.3)
    assert len(_open_uploads(s3_env)) == 1
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        store.remove([job.id for job in store.jobs()])
    result = run_cli("resume")
    assert result.code == 0, result.err
    assert _open_uploads(s3_env) == []
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        assert store.multipart.open_uploads() == []
