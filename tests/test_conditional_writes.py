"""Conditional writes: two uploads racing for the same keys never overwrite each other silently."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import UploadError
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.conditions import ABSENT, Expected
from hma_gui.core.upload.multipart_state import MultipartState
from hma_gui.core.upload.uploader import IN_MEMORY_MAX, UploadConfig, Uploader
from tests.cli_runner import cli_command
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.test_upload_faults import make_files

pytestmark = pytest.mark.integration

CONFLICT = "conflict: another upload wrote this key meanwhile"


def test_two_uploads_of_different_bytes_to_the_same_keys_never_overwrite(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    """Both check an empty bucket, then race (PUTs held until both are uploading)."""
    sides = {name: make_files(tmp_path / name / "mba", 300, size=600) for name in ("a", "b")}
    proxy.hold("PUT")
    processes = {
        name: subprocess.Popen(
            cli_command("upload", str(tmp_path / name / "mba"), "--concurrency", "4", "--json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "HMA_DATA_DIR": str(tmp_path / f"data-{name}")},
        )
        for name in sides
    }
    deadline = time.monotonic() + 120
    while proxy.held < 8:  # 4 PUTs of each: both listed the bucket before anything landed
        assert time.monotonic() < deadline, "the two uploads never ran at the same time"
        assert all(p.poll() is None for p in processes.values())
        time.sleep(0.02)
    proxy.release()
    results: dict[str, list[dict[str, Any]]] = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode in (0, 1), err
        results[name] = json.loads(out)["jobs"]
    done = {n: {j["key"] for j in jobs if j["state"] == "done"} for n, jobs in results.items()}
    assert not done["a"] & done["b"]  # no key was written by both
    assert done["a"] | done["b"] == set(sides["a"])
    for name, keys in done.items():
        for key in keys:  # what a process says it uploaded is what S3 holds
            assert s3_env.read(s3_env.mba_bucket, key) == sides[name][key], key
    lost = [j for jobs in results.values() for j in jobs if j["state"] != "done"]
    assert len(lost) == 300
    assert all(j["state"] == "failed" and j["error"].startswith(CONFLICT) for j in lost), lost[:3]


@pytest.mark.parametrize("size", [1000, IN_MEMORY_MAX + 1024], ids=["in-memory", "streamed"])
def test_a_refused_write_of_the_same_bytes_counts_as_uploaded(
    s3_env: S3Env, tmp_path: Path, size: int, transfer: str
) -> None:
    path = tmp_path / "same.csv"
    path.write_bytes(os.urandom(size))
    uploader = Uploader(make_s3_client(load_settings()), UploadConfig(transfer=transfer))
    first = uploader.upload(path, s3_env.mba_bucket, "k.csv", expected=ABSENT)
    again = uploader.upload(path, s3_env.mba_bucket, "k.csv", expected=ABSENT)
    uploader.close()
    assert not first.already_there
    assert again.already_there and again.etag == first.etag and again.md5 == first.md5


def test_an_overwrite_replaces_only_the_object_it_was_decided_on(
    s3_env: S3Env, tmp_path: Path, transfer: str
) -> None:
    path = tmp_path / "new.csv"
    path.write_bytes(b"new content\n")
    bucket, client = s3_env.mba_bucket, s3_env.client
    seen = client.put_object(Bucket=bucket, Key="k.csv", Body=b"old")["ETag"]  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key="k.csv", Body=b"changed meanwhile")  # type: ignore[attr-defined]
    uploader = Uploader(make_s3_client(load_settings()), UploadConfig(transfer=transfer))
    with pytest.raises(UploadError, match=CONFLICT) as caught:
        uploader.upload(path, bucket, "k.csv", expected=Expected(seen))
    assert caught.value.code == "conflict" and not caught.value.retryable
    assert s3_env.read(bucket, "k.csv") == b"changed meanwhile"
    now = s3_env.head(bucket, "k.csv")["ETag"]
    uploader.upload(path, bucket, "k.csv", expected=Expected(str(now)))
    uploader.close()
    assert s3_env.read(bucket, "k.csv") == b"new content\n"


def test_a_multipart_upload_to_a_key_taken_meanwhile_is_a_conflict(
    s3_env: S3Env, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(11 * 1024 * 1024))
    bucket = s3_env.mba_bucket
    s3_env.client.put_object(Bucket=bucket, Key="big.bin", Body=b"theirs")  # type: ignore[attr-defined]
    config = UploadConfig(multipart_threshold=10 * 1024 * 1024, part_size=5 * 1024 * 1024)
    uploader = Uploader(make_s3_client(load_settings()), config)
    with pytest.raises(UploadError, match=CONFLICT):
        uploader.upload(path, bucket, "big.bin", expected=ABSENT)
    uploader.close()
    assert s3_env.read(bucket, "big.bin") == b"theirs"
    uploads = s3_env.client.list_multipart_uploads(Bucket=bucket)  # type: ignore[attr-defined]
    assert not uploads.get("Uploads")  # the refused upload's parts were aborted


def _versions(s3_env: S3Env, key: str) -> int:
    page = s3_env.client.list_object_versions(Bucket=s3_env.mba_bucket, Prefix=key)  # type: ignore[attr-defined]
    return len(page.get("Versions", []))


@pytest.mark.parametrize("size", [1000, IN_MEMORY_MAX + 1024], ids=["in-memory", "streamed"])
def test_what_an_earlier_attempt_wrote_is_not_written_again(
    s3_env: S3Env, tmp_path: Path, size: int, transfer: str
) -> None:
    """A job tried before (killed after its PUT landed) asks S3 first, precondition or not."""
    bucket = s3_env.mba_bucket
    s3_env.client.put_bucket_versioning(  # type: ignore[attr-defined]
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    path = tmp_path / "f.csv"
    path.write_bytes(os.urandom(size))
    uploader = Uploader(make_s3_client(load_settings()), UploadConfig(transfer=transfer))
    first = uploader.upload(path, bucket, "k.csv")
    again = uploader.upload(path, bucket, "k.csv", earlier_attempt=True)
    assert again.already_there and (again.etag, again.md5) == (first.etag, first.md5)
    assert _versions(s3_env, "k.csv") == 1
    uploader.upload(path, bucket, "k.csv")  # a first attempt does not look: written
    assert _versions(s3_env, "k.csv") == 2
    path.write_bytes(os.urandom(size))  # other bytes of the same size: written
    changed = uploader.upload(path, bucket, "k.csv", earlier_attempt=True)
    uploader.close()
    assert not changed.already_there and _versions(s3_env, "k.csv") == 3
    assert s3_env.read(bucket, "k.csv") == path.read_bytes()


class _LosesItsLastWord:
    """A multipart journal whose process died after CompleteMultipartUpload, before `finished`."""

    def __init__(self) -> None:
        self.state: MultipartState | None = None
        self.forgets = 0

    def load(self) -> MultipartState | None:
        return self.state

    def started(self, state: MultipartState) -> None:
        self.state = state

    def part_sent(self, upload_id: str, number: int, etag: str) -> None:
        assert self.state is not None
        self.state.parts[number] = etag

    def finished(self, upload_id: str) -> None:
        self.forgets += 1
        if self.forgets > 1:  # the first one never happened: the process was killed
            self.state = None


def test_a_completed_multipart_upload_is_not_sent_again_and_its_journal_is_let_go(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(11 * 1024 * 1024))
    bucket = s3_env.mba_bucket
    config = UploadConfig(multipart_threshold=10 * 1024 * 1024, part_size=5 * 1024 * 1024)
    uploader = Uploader(make_s3_client(load_settings()), config)
    journal = _LosesItsLastWord()
    first = uploader.upload(path, bucket, "big.bin", expected=ABSENT, journal=journal)
    assert first.parts == 3 and journal.state is not None  # kept, as after a kill
    sent = proxy.put_bytes
    again = uploader.upload(
        path, bucket, "big.bin", expected=ABSENT, journal=journal, earlier_attempt=True
    )
    uploader.close()
    assert again.already_there and again.md5 == first.md5 and again.etag == first.etag
    assert proxy.put_bytes == sent  # no part sent again (the precondition would refuse them late)
    assert journal.state is None  # the journal no longer names an upload to resume
    uploads = s3_env.client.list_multipart_uploads(Bucket=bucket)  # type: ignore[attr-defined]
    assert not uploads.get("Uploads")
