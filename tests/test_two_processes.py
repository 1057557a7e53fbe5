"""Two processes on one job store (issue 12 item 3): real ``hma-ingest`` processes, one
shared data directory, moto's server over HTTP.

Two ``upload``s of the same 400 files started together, or ``upload`` and ``watch``
on the same folder: every key is written once (a versioned bucket counts the
writes), and each process's summary accounts for every file: uploaded by it,
already uploaded, or left to the other process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import JobStore
from tests.cli_runner import cli_command
from tests.conftest import S3Env

pytestmark = pytest.mark.integration

FILES = 400


def make_files(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for n in range(FILES):
        (folder / f"f{n:03d}.csv").write_bytes(f"{n:04d},".encode() * 500 + os.urandom(8))
    return folder


def versioned(s3_env: S3Env) -> str:
    bucket = s3_env.mba_bucket
    s3_env.client.put_bucket_versioning(  # type: ignore[attr-defined]
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return bucket


def writes_per_key(s3_env: S3Env, bucket: str) -> Counter[str]:
    """How many versions each key has: one per PUT (or completed multipart upload)."""
    writes: Counter[str] = Counter()
    paginator = s3_env.client.get_paginator("list_object_versions")  # type: ignore[attr-defined]
    for page in paginator.paginate(Bucket=bucket):
        writes.update(version["Key"] for version in page.get("Versions", []))
    return writes


def expected_keys() -> set[str]:
    return {f"mba/csv/incoming/f{n:03d}.csv" for n in range(FILES)}


def start(log: Path, *argv: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            cli_command(*argv), stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            env=dict(os.environ),
        )  # fmt: skip


def upload(folder: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return start(
        log, "upload", str(folder), "--scope", "mba", "--json", "--concurrency", "4", *extra
    )


def finish(process: subprocess.Popen[bytes], timeout: float = 240) -> tuple[int, str]:
    _, err = process.communicate(timeout=timeout)
    return process.returncode, err.decode()


def accounted(summary: dict[str, int]) -> int:
    """The files one ``upload`` accounts for: its own, done before, or the other's."""
    return (
        summary["uploaded"] + summary["skipped"] + summary.get("already_uploaded", 0)
        + summary.get("elsewhere", 0)
    )  # fmt: skip


@pytest.mark.parametrize("check", ["--no-check-s3", "with-the-check"])
def test_two_uploads_of_the_same_files_write_each_key_once(
    s3_env: S3Env, tmp_path: Path, check: str
) -> None:
    folder = make_files(tmp_path)
    bucket = versioned(s3_env)
    extra = (check,) if check == "--no-check-s3" else ()
    logs = [tmp_path / "first.json", tmp_path / "second.json"]
    processes = [upload(folder, log, *extra) for log in logs]
    try:
        results = [finish(p) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for (code, err), log in zip(results, logs, strict=True):
        assert code == 0, (err, log.read_text()[:2000])
    summaries = [json.loads(log.read_text()) for log in logs]
    writes = writes_per_key(s3_env, bucket)
    assert set(writes) == expected_keys()
    assert [k for k, n in writes.items() if n != 1] == [], "keys written more than once"
    for summary in summaries:
        assert (summary["failed"], summary["queued"], summary["running"]) == (0, 0, 0), summary
        assert accounted(summary) == FILES, {k: v for k, v in summary.items() if k != "jobs"}
        assert len(summary["jobs"]) == summary["uploaded"] + summary["skipped"]
    # between them, every file was uploaded exactly once
    assert sum(s["uploaded"] for s in summaries) == FILES
    # one process left some files to the other one, and said so
    assert any(s.get("elsewhere") or s.get("already_uploaded") or s["skipped"] for s in summaries)


def test_an_upload_and_a_watch_of_one_folder_write_each_key_once(
    s3_env: S3Env, tmp_path: Path
) -> None:
    folder = make_files(tmp_path)
    bucket = versioned(s3_env)
    watch_log = tmp_path / "watch.log"
    watch = start(
        watch_log, "watch", str(folder), "--scope", "mba", "--settle", "0.2",
        "--concurrency", "4", "--no-check-s3",
    )  # fmt: skip
    try:
        upload_log = tmp_path / "upload.json"
        uploading = upload(folder, upload_log, "--no-check-s3")
        code, err = finish(uploading)
        assert code == 0, (err, upload_log.read_text()[:2000])
        deadline = time.monotonic() + 180
        while sum(writes_per_key(s3_env, bucket).values()) < FILES:
            assert time.monotonic() < deadline, "not every file was uploaded"
            time.sleep(0.5)
        time.sleep(1.0)  # a second write of a key would come now
    finally:
        watch.send_signal(signal.SIGTERM)
        _, watch_err = finish(watch, timeout=60)
    assert watch.returncode == 0, watch_err
    summary = json.loads(upload_log.read_text())
    writes = writes_per_key(s3_env, bucket)
    assert set(writes) == expected_keys()
    assert [k for k, n in writes.items() if n != 1] == [], "keys written more than once"
    assert accounted(summary) == FILES, {k: v for k, v in summary.items() if k != "jobs"}
    watched = [line for line in watch_log.read_text().splitlines() if line.startswith("uploaded ")]
    assert len(watched) + summary["uploaded"] == FILES
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        counters = store.counters()
    assert (counters.done, counters.queued, counters.running, counters.failed) == (
        FILES, 0, 0, 0,
    )  # fmt: skip


@pytest.mark.parametrize("check", ["--no-check-s3", "with-the-check"])
def test_an_upload_killed_mid_run_and_resumed_writes_each_key_once(
    s3_env: S3Env, tmp_path: Path, check: str
) -> None:
    """kill -9 while files are being sent: the files whose PUT had landed but whose
    job was still running (its done mark not yet written) are not written again by
    ``resume`` (without the duplicate check they have no precondition to stop them)."""
    folder = make_files(tmp_path)
    bucket = versioned(s3_env)
    extra = (check,) if check == "--no-check-s3" else ()
    uploading = upload(folder, tmp_path / "killed.json", *extra)
    try:
        deadline = time.monotonic() + 120
        while sum(writes_per_key(s3_env, bucket).values()) < FILES // 4:
            assert uploading.poll() is None, "the upload ended before it could be killed"
            assert time.monotonic() < deadline, "the upload did not get going"
            time.sleep(0.02)
        uploading.kill()  # SIGKILL: no done mark written after this
        uploading.wait(30)
    finally:
        if uploading.poll() is None:
            uploading.kill()
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        left_running = store.counters().running
    assert left_running > 0, "the kill came between files: nothing to resume mid-upload"
    code, err = finish(start(tmp_path / "resume.json", "resume", "--json"))
    assert code == 0, err
    writes = writes_per_key(s3_env, bucket)
    assert set(writes) == expected_keys()
    assert [k for k, n in writes.items() if n != 1] == [], "keys written more than once"
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        counters = store.counters()
    assert (counters.done, counters.queued, counters.running, counters.failed) == (
        FILES, 0, 0, 0,
    )  # fmt: skip
