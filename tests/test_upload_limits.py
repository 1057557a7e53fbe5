"""Limits an upload must respect: attempts per request, S3's object size, honest messages."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration


def test_max_attempts_is_the_number_of_requests_sent(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transfer: str
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "5")
    folder = tmp_path / "mba"
    folder.mkdir()
    (folder / "one.csv").write_bytes(b"a,b\n1,2\n")
    proxy.fail_next(100, 500)
    result = run_cli("upload", str(folder), "--json", "--no-check-s3")
    assert result.code == 1, result.err
    [job] = json.loads(result.out)["jobs"]
    assert job["state"] == "failed"
    assert proxy.puts(s3_env.mba_bucket) == {"mba/csv/one.csv": 5}
    assert "after 5 attempts" in job["error"]


def test_files_not_attempted_do_not_quote_another_files_url(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transfer: str
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("HMA_CONNECT_TIMEOUT", "2")
    folder = tmp_path / "mba"
    folder.mkdir()
    names = [f"file{n:02d}.csv" for n in range(12)]
    for name in names:
        (folder / name).write_bytes(name.encode())
    proxy.down()
    result = run_cli("upload", str(folder), "--json", "--concurrency", "2", "--no-check-s3")
    assert result.code == 1
    jobs = json.loads(result.out)["jobs"]
    assert len(jobs) == len(names)
    # The dead endpoint pauses the run: the files not started stay queued, no error.
    not_started = [job for job in jobs if job["state"] == "queued"]
    failed = [job for job in jobs if job["state"] == "failed"]
    assert not_started and failed, [(job["state"], job["error"]) for job in jobs]
    assert all(job["error"] is None for job in not_started)
    for job in failed:
        assert f"cannot reach {proxy.endpoint}" in job["error"]
        own = Path(job["source"]).name
        others = [name for name in names if name != own and name in job["error"]]
        assert not others, (own, job["error"])
        assert s3_env.mba_bucket not in job["error"], job["error"]


def test_an_object_larger_than_s3_allows_is_refused_when_planned(
    s3_env: S3Env, tmp_path: Path
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    with open(folder / "huge.csv", "wb") as handle:
        handle.truncate(6 * 1024**4)  # sparse: 6 TiB that take no room
    (folder / "small.csv").write_bytes(b"a\n1\n")
    started = time.monotonic()
    result = run_cli("upload", str(folder), "--json")
    assert time.monotonic() - started < 60  # refused, not hashed
    assert result.code == 1, result.err
    summary = json.loads(result.out)
    by_name = {Path(job["source"]).name: job for job in summary["jobs"]}
    assert by_name["small.csv"]["state"] == "done"
    assert by_name["huge.csv"]["state"] == "failed"
    assert "S3 objects can be at most 5 TiB" in by_name["huge.csv"]["error"]
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/small.csv"]
    dry = run_cli("upload", str(folder), "--dry-run")
    assert "huge.csv ✗ the file is 6.00 TiB" in dry.out
