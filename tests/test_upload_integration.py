"""Uploads over HTTP to moto's server: what lands in the bucket is what was on disk."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import load_settings
from hma_gui.core.hashes.digests import multipart_etag_of_file
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.store_run import upload_queued
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader
from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.unreadable import as_nobody, unreadable_tree

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_a_tree_lands_byte_for_byte_with_md5_metadata_and_sse(
    s3_env: S3Env, tmp_path: Path, transfer: str
) -> None:
    files = {
        "data/mba/csv/MemberData.csv": b"member_id,first_name\nM-0001,Ana\n",
        "data/mba/csv/2024/x.csv": os.urandom(70_000),
        "data/mba/pdf/benefit_coverage.pdf": b"%PDF-1.4 tiny",
        "data/policy/pdf/p.pdf": os.urandom(3000),
        "data/mba/csv/empty.csv": b"",
    }
    for rel, data in files.items():
        write(tmp_path / rel, data)
    result = run_cli("upload", str(tmp_path / "data"), "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert (summary["uploaded"], summary["failed"], summary["skipped"]) == (5, 0, 0)
    expected = {
        (s3_env.mba_bucket, "mba/csv/MemberData.csv"): files["data/mba/csv/MemberData.csv"],
        (s3_env.mba_bucket, "mba/csv/2024/x.csv"): files["data/mba/csv/2024/x.csv"],
        (s3_env.mba_bucket, "mba/pdf/benefit_coverage.pdf"): files[
            "data/mba/pdf/benefit_coverage.pdf"
        ],
        (s3_env.mba_bucket, "mba/csv/empty.csv"): b"",
        (s3_env.policy_bucket, "policy/pdf/p.pdf"): files["data/policy/pdf/p.pdf"],
    }
    assert s3_env.keys(s3_env.mba_bucket) + s3_env.keys(s3_env.policy_bucket) == sorted(
        k for b, k in expected if b == s3_env.mba_bucket
    ) + [k for b, k in expected if b == s3_env.policy_bucket]
    for (bucket, key), data in expected.items():
        assert s3_env.read(bucket, key) == data
        head = s3_env.head(bucket, key)
        assert head["Metadata"] == {"md5": md5(data)}
        assert head["ServerSideEncryption"] == "AES256"
        assert head["ETag"].strip('"') == md5(data)  # type: ignore[union-attr]
    assert s3_env.head(s3_env.mba_bucket, "mba/pdf/benefit_coverage.pdf")["ContentType"] == (
        "application/pdf"
    )


def test_a_20_mib_file_goes_multipart_with_a_verified_etag(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MULTIPART_THRESHOLD", "16MiB")
    data = os.urandom(20 * MiB)
    path = write(tmp_path / "mba/csv/big.csv", data)
    result = run_cli("upload", str(path), "--json")
    assert result.code == 0, result.err
    job = json.loads(result.out)["jobs"][0]
    head = s3_env.head(s3_env.mba_bucket, "mba/csv/big.csv")
    etag = str(head["ETag"]).strip('"')
    assert etag.endswith("-3")  # 8 MiB parts
    assert etag == multipart_etag_of_file(path, 8 * MiB) == job["etag"]
    assert head["Metadata"] == {"md5": md5(data)}
    assert head["ServerSideEncryption"] == "AES256"
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/big.csv") == data
    uploads = s3_env.client.list_multipart_uploads(Bucket=s3_env.mba_bucket)  # type: ignore[attr-defined]
    assert not uploads.get("Uploads")  # nothing left half-done


def test_sse_none_and_kms_are_applied(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transfer: str
) -> None:
    path = write(tmp_path / "mba/csv/a.csv", b"abc")
    monkeypatch.setenv("HMA_SSE", "none")
    assert run_cli("upload", str(path)).code == 0
    assert "ServerSideEncryption" not in s3_env.head(s3_env.mba_bucket, "mba/csv/a.csv")
    monkeypatch.setenv("HMA_SSE", "aws:kms")
    write(tmp_path / "mba/csv/b.csv", b"abcd")
    result = run_cli("upload", str(tmp_path / "mba/csv/b.csv"))
    assert result.code == 0, result.err
    assert s3_env.head(s3_env.mba_bucket, "mba/csv/b.csv")["ServerSideEncryption"] == "aws:kms"


def test_dry_run_lists_targets_and_touches_nothing(s3_env: S3Env, tmp_path: Path) -> None:
    write(tmp_path / "data/mba/csv/a.csv", b"1")
    write(tmp_path / "data/policy/b.pdf", b"2")
    result = run_cli("upload", str(tmp_path / "data"), "--dry-run")
    assert result.code == 0, result.err
    assert f"{tmp_path}/data/mba/csv/a.csv → s3://{s3_env.mba_bucket}/mba/csv/a.csv" in result.out
    assert f"→ s3://{s3_env.policy_bucket}/policy/pdf/b.pdf" in result.out
    assert "nothing was uploaded" in result.out
    assert s3_env.keys(s3_env.mba_bucket) == [] == s3_env.keys(s3_env.policy_bucket)
    assert not (app_dirs.data_dir() / "jobs.db").exists()


def test_awkward_names_and_a_deep_tree(s3_env: S3Env, tmp_path: Path) -> None:
    names = [
        "with space.csv",
        "Zoë Müller 日本.csv",
        "hash#query?percent%plus+.csv",
        "semi;colon&amp=eq.csv",
    ]
    for name in names:
        write(tmp_path / "mba/csv" / name, name.encode())
    deep = tmp_path / "mba/csv" / "/".join(f"level{n}" for n in range(10)) / "deep.csv"
    write(deep, b"deep")
    result = run_cli("upload", str(tmp_path / "mba"))
    assert result.code == 0, result.err
    keys = s3_env.keys(s3_env.mba_bucket)
    for name in names:
        assert f"mba/csv/{name}" in keys
        assert s3_env.read(s3_env.mba_bucket, f"mba/csv/{name}") == name.encode()
    deep_key = "mba/csv/" + "/".join(f"level{n}" for n in range(10)) + "/deep.csv"
    assert s3_env.read(s3_env.mba_bucket, deep_key) == b"deep"


def test_a_missing_path_fails_visibly_and_the_rest_uploads(s3_env: S3Env, tmp_path: Path) -> None:
    write(tmp_path / "mba/csv/a.csv", b"1")
    result = run_cli("upload", str(tmp_path / "mba"), str(tmp_path / "nope"))
    assert result.code == 1
    assert f"failed: {tmp_path}/nope: no such file or folder" in result.err
    assert "1 uploaded, 0 skipped, 1 failed" in result.out
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/a.csv"]


def test_an_unreadable_file_fails_with_the_reason(s3_env: S3Env, tmp_path: Path) -> None:
    settings = load_settings()
    with unreadable_tree() as root:
        with as_nobody():  # root reads anything: discover with the rights of "nobody"
            planned = plan([root / "mba"], settings, PlanOptions.from_settings(settings))
        store = JobStore(tmp_path / "jobs.db")
        batch = store.new_batch()
        store.enqueue(planned.jobs, batch)
        uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
        upload_queued(store, uploader, concurrency=2, batch_id=batch)
    jobs = {Path(j.source).name: j for j in store.jobs(batch_id=batch)}
    assert jobs["locked.csv"].state is JobState.FAILED
    assert jobs["locked.csv"].error == "permission denied: the file cannot be read"
    assert jobs["open.csv"].state is JobState.DONE
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/open.csv"]


def test_a_file_deleted_after_discovery_fails_and_nothing_is_lost(
    s3_env: S3Env, tmp_path: Path
) -> None:
    keep = write(tmp_path / "mba/csv/keep.csv", b"keep")
    gone = write(tmp_path / "mba/csv/gone.csv", b"gone")
    settings = load_settings()
    planned = plan([tmp_path / "mba"], settings, PlanOptions.from_settings(settings))
    store = JobStore(tmp_path / "jobs.db")
    batch = store.new_batch()
    store.enqueue(planned.jobs, batch)
    gone.unlink()
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    report = upload_queued(store, uploader, concurrency=2, batch_id=batch)
    assert (report.counters.done, report.counters.failed) == (1, 1)
    [failed] = store.jobs(state=JobState.FAILED)
    assert failed.source == str(gone)
    assert "no longer exists" in (failed.error or "")
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/keep.csv"]
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/keep.csv") == keep.read_bytes()


def test_no_scope_folder_in_auto_mode_fails_with_advice(s3_env: S3Env, tmp_path: Path) -> None:
    path = write(tmp_path / "loose/x.csv", b"1")
    result = run_cli("upload", str(path))
    assert result.code == 1
    assert "no scope folder (mba, policy)" in result.err and "choose a scope" in result.err
    result = run_cli("upload", str(path), "--scope", "mba")
    assert result.code == 0
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/x.csv"]


def test_include_and_exclude_filters(s3_env: S3Env, tmp_path: Path) -> None:
    for name in ("a.csv", "b.PDF", "c.txt"):
        write(tmp_path / "mba" / name, b"x")
    assert (
        run_cli("upload", str(tmp_path / "mba"), "--include", "csv,pdf", "--exclude", ".PDF").code
        == 0
    )
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/a.csv"]


def test_usage_and_configuration_errors_exit_2(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("upload").code == 2
    assert run_cli("frobnicate").code == 2
    result = run_cli("upload", str(tmp_path), "--scope", "claims")
    assert result.code == 2 and "unknown scope 'claims'" in result.err
    monkeypatch.setenv("HMA_CONCURRENCY", "0")
    result = run_cli("upload", str(tmp_path))
    assert result.code == 2
    assert result.err.startswith("hma-ingest: configuration error: invalid setting concurrency")


def test_the_seed_spelling_still_works(s3_env: S3Env, tmp_path: Path) -> None:
    write(tmp_path / "data/mba/csv/a.csv", b"1")
    result = run_cli("--mode", "monolith", "--input", str(tmp_path / "data"), "--scope", "mba")
    assert result.code == 0, result.err
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/a.csv"]
    assert run_cli("--mode", "sideways", "--input", "x").code == 2


def test_status_reports_the_store(s3_env: S3Env, tmp_path: Path) -> None:
    write(tmp_path / "mba/a.csv", b"1")
    run_cli("upload", str(tmp_path / "mba"), str(tmp_path / "missing"))
    result = run_cli("status", "--json")
    assert result.code == 0
    status = json.loads(result.out)
    assert (status["uploaded"], status["failed"]) == (1, 1)
    assert status["jobs"]["failed"][0]["error"] == "no such file or folder"


def test_two_files_with_the_same_key_never_overwrite_each_other(
    s3_env: S3Env, tmp_path: Path
) -> None:
    write(tmp_path / "data/mba/x.csv", b"one")
    write(tmp_path / "data/mba/csv/x.csv", b"two")
    result = run_cli("upload", str(tmp_path / "data"), "--json")
    assert result.code == 1
    jobs = {
        Path(j["source"]).relative_to(tmp_path).as_posix(): j
        for j in json.loads(result.out)["jobs"]
    }
    first, second = jobs["data/mba/x.csv"], jobs["data/mba/csv/x.csv"]  # files before folders
    assert first["state"] == "done"
    assert second["state"] == "failed"
    assert "goes to the same key" in second["error"] and "data/mba/x.csv" in second["error"]
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/x.csv") == b"one"
