"""The uploader's three paths (in-memory PUT, streamed PUT, multipart) over HTTP to moto.

The single PUTs run on both carriers of files above 1 MiB (the `transfer` fixture:
our own `stream_put` beside obstore, or botocore's client); what was sent is read
at a proxy in front of moto, which sees either.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import Cancelled, IntegrityError, SourceFileError, UploadError
from hma_gui.core.hashes.digests import multipart_etag_of_file
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import IN_MEMORY_MAX, Uploader
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


class Sink:
    """Records every delta and the running total, like ByteProgress but keeping history."""

    def __init__(self) -> None:
        self.total = 0
        self.peak = 0
        self.deltas: list[int] = []

    def __call__(self, delta: int) -> None:
        self.deltas.append(delta)
        self.total += delta
        self.peak = max(self.peak, self.total)


def _file(path: Path, size: int) -> Path:
    block = hashlib.sha256(path.name.encode()).digest() * 2048  # 64 KiB, not repetitive per file
    with open(path, "wb") as handle:
        for offset in range(0, size, len(block)):
            handle.write(block[: size - offset])
    return path


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _uploader(config: UploadConfig | None = None, transfer: str = "auto") -> Uploader:
    client = make_s3_client(load_settings())
    return Uploader(client, config or UploadConfig(transfer=transfer))


def _methods(proxy: FaultProxy) -> list[str]:
    return [method for method, _ in proxy.log]


def test_a_file_above_the_memory_limit_goes_in_one_streamed_put(
    s3_env: Any, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    path = _file(tmp_path / "big.bin", IN_MEMORY_MAX + 3 * MiB + 17)
    uploader = _uploader(transfer=transfer)
    sink = Sink()
    result = uploader.upload(path, s3_env.mba_bucket, "big.bin", progress=sink)
    uploader.close()
    assert _methods(proxy) == ["PUT"]
    assert proxy.put_headers[0]["expect"] == "100-continue"  # a refusal comes before the body
    assert result.parts == 0 and result.etag == result.md5 == _md5(path)
    assert s3_env.read(s3_env.mba_bucket, "big.bin") == path.read_bytes()
    head = s3_env.head(s3_env.mba_bucket, "big.bin")
    # Read once: the MD5 was computed while sending; the ETag (S3's MD5) proves it.
    assert "md5" not in head["Metadata"]
    assert head["ServerSideEncryption"] == "AES256"
    assert sink.total == sink.peak == path.stat().st_size


class _KnownMd5:
    def __init__(self, md5: str) -> None:
        self.md5 = md5
        self.lookups = 0

    def lookup(self, path: Path, info: os.stat_result) -> str | None:
        self.lookups += 1
        return self.md5

    def store(
        self, path: Path, info: os.stat_result, md5: str, read_at: float | None = None
    ) -> None:
        raise AssertionError("a known MD5 is not stored again")


def test_a_streamed_put_with_a_cached_md5_sends_it_as_content_md5(
    s3_env: Any, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    path = _file(tmp_path / "known.bin", IN_MEMORY_MAX + MiB)
    cache = _KnownMd5(_md5(path))
    client = make_s3_client(load_settings())
    uploader = Uploader(client, UploadConfig(transfer=transfer), md5_cache=cache)
    result = uploader.upload(path, s3_env.mba_bucket, "known.bin")
    uploader.close()
    assert cache.lookups == 1 and result.md5 == _md5(path)
    [headers] = proxy.put_headers
    assert headers["content-md5"] == base64.b64encode(bytes.fromhex(_md5(path))).decode()
    assert s3_env.head(s3_env.mba_bucket, "known.bin")["Metadata"]["md5"] == _md5(path)


def test_a_streamed_put_whose_bytes_s3_got_wrong_is_deleted_and_fails(
    s3_env: Any, tmp_path: Path, transfer: str
) -> None:
    """The MD5 of what was read must equal S3's ETag; a cached MD5 that lies is caught too."""
    path = _file(tmp_path / "wrong.bin", IN_MEMORY_MAX + MiB)
    cache = _KnownMd5("0" * 32)  # S3 refuses the body (Content-MD5; moto takes it)
    config = UploadConfig(transfer=transfer)
    uploader = Uploader(make_s3_client(load_settings()), config, md5_cache=cache)
    with pytest.raises(UploadError):
        uploader.upload(path, s3_env.mba_bucket, "wrong.bin")
    uploader.close()
    assert s3_env.keys(s3_env.mba_bucket) == []


def test_a_body_changed_on_the_way_is_caught_by_the_etag_and_not_kept(
    s3_env: Any, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    """Read once, no MD5 known before: S3's ETag of what arrived must equal what was read."""
    path = _file(tmp_path / "bent.bin", IN_MEMORY_MAX + MiB)
    uploader = _uploader(transfer=transfer)
    proxy.corrupt_next(1)
    with pytest.raises(IntegrityError):
        uploader.upload(path, s3_env.mba_bucket, "bent.bin")
    uploader.close()
    assert s3_env.keys(s3_env.mba_bucket) == []


def test_files_at_the_threshold_go_in_parts_with_a_verified_etag(
    s3_env: Any, tmp_path: Path
) -> None:
    path = _file(tmp_path / "parts.bin", 12 * MiB + 5)
    config = UploadConfig(multipart_threshold=12 * MiB, part_size=5 * MiB)
    uploader = _uploader(config)
    sink = Sink()
    result = uploader.upload(path, s3_env.mba_bucket, "parts.bin", progress=sink)
    uploader.close()
    assert result.parts == 3
    assert result.etag == multipart_etag_of_file(path, 5 * MiB)
    assert result.md5 == _md5(path)
    assert s3_env.head(s3_env.mba_bucket, "parts.bin")["Metadata"]["md5"] == _md5(path)
    assert s3_env.read(s3_env.mba_bucket, "parts.bin") == path.read_bytes()
    assert sink.total == sink.peak == path.stat().st_size


def test_a_cancel_stops_a_streamed_put_in_flight_without_retrying(
    s3_env: Any, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    path = _file(tmp_path / "cancel.bin", IN_MEMORY_MAX + MiB)
    uploader = _uploader(transfer=transfer)
    cancel = CancelToken()

    def cancel_on_first_bytes(delta: int) -> None:
        cancel.cancel("stop now")

    with pytest.raises(Cancelled):
        uploader.upload(
            path, s3_env.mba_bucket, "cancel.bin", progress=cancel_on_first_bytes, cancel=cancel
        )
    uploader.close()
    proxy.wait_idle()
    assert _methods(proxy) == ["PUT"]  # the cancellation went through: no retry
    assert proxy.put_bytes == 0  # the body was cut off
    assert s3_env.keys(s3_env.mba_bucket) == []


def test_a_cancel_during_parts_aborts_the_multipart_upload(s3_env: Any, tmp_path: Path) -> None:
    path = _file(tmp_path / "cancel-parts.bin", 15 * MiB)
    config = UploadConfig(multipart_threshold=6 * MiB, part_size=5 * MiB, part_workers=2)
    uploader = _uploader(config)
    cancel = CancelToken()
    seen = Sink()

    def cancel_midway(delta: int) -> None:
        seen(delta)
        if seen.total > 2 * MiB:
            cancel.cancel("stop now")

    with pytest.raises(Cancelled):
        uploader.upload(
            path, s3_env.mba_bucket, "cancel-parts.bin", progress=cancel_midway, cancel=cancel
        )
    uploader.close()
    assert s3_env.keys(s3_env.mba_bucket) == []
    uploads = s3_env.client.list_multipart_uploads(Bucket=s3_env.mba_bucket)
    assert uploads.get("Uploads", []) == []


def test_a_file_rewritten_while_it_streams_is_reported_as_changed(
    s3_env: Any, tmp_path: Path, transfer: str
) -> None:
    path = _file(tmp_path / "moving.bin", IN_MEMORY_MAX + 2 * MiB)
    uploader = _uploader(transfer=transfer)
    touched = []

    def rewrite_once(delta: int) -> None:
        if not touched:
            touched.append(True)
            with open(path, "r+b") as handle:
                handle.write(b"changed!")
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    with pytest.raises(SourceFileError) as caught:
        uploader.upload(path, s3_env.mba_bucket, "moving.bin", progress=rewrite_once)
    uploader.close()
    assert caught.value.retryable


def test_the_md5_of_a_file_changed_just_before_its_streamed_put_is_not_written(
    s3_env: Any, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    """The hash cache judges the MD5 by when the read began, not by when the PUT ended: a
    file changed just before could change again in that tick unseen (`change_clock`)."""
    from hma_gui.core.hashes.hash_cache import HashCache

    path = _file(tmp_path / "fresh.bin", IN_MEMORY_MAX + MiB)
    proxy.latency = 1.3  # the PUT ends over a second after the file was written
    with HashCache(tmp_path / "h.db") as cache:
        config = UploadConfig(transfer=transfer)
        uploader = Uploader(make_s3_client(load_settings()), config, md5_cache=cache)
        result = uploader.upload(path, s3_env.mba_bucket, "fresh.bin")
        uploader.close()
        assert result.md5 == _md5(path)
        assert cache.lookup(path, path.stat()) == result.md5  # this process reuses it
        assert cache.count() == 0  # a later run reads the file again
