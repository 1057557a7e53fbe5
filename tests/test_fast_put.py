"""The obstore path for small files: chosen only where it keeps botocore's guarantees.

The guarantees themselves (integrity, MD5 metadata, SSE, conditional writes,
retries, error texts) are tested on both paths by the tests that take the
`transfer` fixture; here: which path is taken, what S3 verified, progress,
cancel, the bandwidth limit and connection resets.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import Cancelled, IntegrityError, UploadError
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import make_s3_client, translate_error
from hma_gui.core.upload.conditions import ABSENT
from hma_gui.core.upload.fast_put import FastPut, as_client_error
from hma_gui.core.upload.upload_config import FAST_PUT_MAX, UploadConfig
from hma_gui.core.upload.uploader import Uploader
from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

KiB = 1024


def botocore_client(endpoint: str, **kwargs: Any) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("endpoint", "kwargs", "fast"),
    [
        ("http://127.0.0.1:9000", {}, True),  # the sandbox
        ("https://s3.us-east-1.amazonaws.com", {}, True),
        ("https://minio.example.org", {}, True),
        ("http://minio.example.org", {}, False),  # plain HTTP beyond this machine
        ("https://minio.example.org", {"verify": False}, False),  # TLS check off
        ("https://s3.dualstack.us-east-1.amazonaws.com", {}, False),
    ],
)
def test_obstore_carries_small_files_only_where_it_keeps_the_guarantees(
    endpoint: str, kwargs: dict[str, Any], fast: bool
) -> None:
    client = botocore_client(endpoint, **kwargs)
    assert (FastPut.for_client(client, UploadConfig()) is not None) is fast
    assert FastPut.for_client(client, UploadConfig(transfer="botocore")) is None


@pytest.mark.integration
@pytest.mark.parametrize(
    ("transfer", "mode", "carrier"),
    [("auto", "standard", "obstore"), ("auto", "adaptive", "botocore"),
     ("obstore", "adaptive", "obstore"), ("botocore", "standard", "botocore")],
)  # fmt: skip
def test_adaptive_retries_leave_every_put_to_botocore_s_rate_limiter(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    transfer: str, mode: str, carrier: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("HMA_TRANSFER", transfer)
    monkeypatch.setenv("HMA_RETRY_MODE", mode)
    settings = load_settings()
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 100)
    uploader.upload(path, s3_env.mba_bucket, "a.csv")
    uploader.close()
    [sent] = proxy.put_headers
    assert ("x-amz-checksum-sha256" in sent) is (carrier == "obstore")  # obstore's checksum
    assert ("content-md5" in sent) is (carrier == "botocore")


_HEAD = "Error performing PUT http://127.0.0.1:4567/bkt/k in 3ms"
_XML = "<Error><Code>{}</Code><Message>{}</Message></Error>\n\nDebug source:\n..."


def test_obstore_failures_read_as_botocore_s() -> None:
    refused = as_client_error(
        Exception(f"{_HEAD} - Server returned non-2xx status code: 412 Precondition Failed: "
                  + _XML.format("PreconditionFailed", "did not hold")),
        "http://127.0.0.1:4567",
    )  # fmt: skip
    response = refused.response  # type: ignore[attr-defined]
    assert response["Error"]["Code"] == "PreconditionFailed"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 412
    denied = as_client_error(
        Exception(f"{_HEAD} - Server returned non-2xx status code: 403 Forbidden: "
                  + _XML.format("AccessDenied", "no")),
        None,
    )  # fmt: skip
    assert str(translate_error(denied, bucket="bkt")).startswith(
        "access denied: your AWS identity may not write to s3://bkt"
    )
    throttled = as_client_error(
        Exception(f"{_HEAD}, after 4 retries, max_retries: 4 - Server returned non-2xx "
                  "status code: 503 Service Unavailable: " + _XML.format("SlowDown", "slow")),
        None,
    )  # fmt: skip
    error = translate_error(throttled)
    assert error.retryable and "after 5 attempts" in str(error)
    dead = as_client_error(
        Exception(f"{_HEAD}, after 1 retries, max_retries: 1 - HTTP error: error sending "
                  "request\n\nDebug source:\n Os { code: 111, message: \"Connection refused\" }"),
        "http://127.0.0.1:4567",
    )  # fmt: skip
    assert isinstance(dead, UploadError) and dead.code == "connection" and dead.retryable
    assert str(dead) == "cannot reach http://127.0.0.1:4567: connection refused (after 2 attempts)"
    assert "/bkt/k" not in str(dead)  # the message stands for other files too


# ----------------------------------------------------------------- against moto


def uploader_for(transfer: str, **config: Any) -> Uploader:
    settings = load_settings()
    return Uploader(make_s3_client(settings), UploadConfig(transfer=transfer, **config))


@pytest.mark.integration
@pytest.mark.parametrize("size", [0, 5000, FAST_PUT_MAX, FAST_PUT_MAX + 1])
def test_obstore_sends_a_sha256_for_s3_to_check_and_our_md5(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    uploader = uploader_for("auto")
    assert uploader.transfer == "obstore"
    result = uploader.upload(path, s3_env.mba_bucket, "mba/csv/a.csv", expected=ABSENT)
    uploader.close()
    md5 = hashlib.md5(data).hexdigest()
    assert (result.etag, result.md5, result.size, result.sse) == (md5, md5, size, "AES256")
    [sent] = proxy.put_headers
    sha256 = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert sent["x-amz-meta-md5"] == md5
    assert sent["x-amz-server-side-encryption"] == "AES256"
    assert sent["if-none-match"] == "*"
    if size <= FAST_PUT_MAX:  # obstore: S3 checks x-amz-checksum-sha256
        assert sent["x-amz-checksum-sha256"] == sha256 and "content-md5" not in sent
    else:  # larger: botocore, Content-MD5
        assert sent["content-md5"] == base64.b64encode(bytes.fromhex(md5)).decode()
    head = s3_env.head(s3_env.mba_bucket, "mba/csv/a.csv")
    assert head["Metadata"] == {"md5": md5}
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "text/csv"
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/a.csv") == data


@pytest.mark.integration
def test_bytes_damaged_on_the_way_never_stay_under_the_key(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    """moto checks neither digest header; S3 would refuse the body, this ETag check is after."""
    path = tmp_path / "a.csv"
    path.write_bytes(os.urandom(5000))
    uploader = uploader_for(transfer)
    proxy.corrupt_next(1)
    with pytest.raises(IntegrityError, match="does not match the local checksum"):
        uploader.upload(path, s3_env.mba_bucket, "a.csv")
    assert s3_env.keys(s3_env.mba_bucket) == []
    uploader.upload(path, s3_env.mba_bucket, "a.csv")  # the runner's retry
    uploader.close()
    assert s3_env.read(s3_env.mba_bucket, "a.csv") == path.read_bytes()


@pytest.mark.integration
def test_botocore_alone_when_asked(s3_env: S3Env, proxy: FaultProxy, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 100)
    uploader = uploader_for("botocore")
    assert uploader.transfer == "botocore"
    uploader.upload(path, s3_env.mba_bucket, "a.csv")
    uploader.close()
    [sent] = proxy.put_headers
    assert "content-md5" in sent and "x-amz-checksum-sha256" not in sent


@pytest.mark.integration
def test_progress_is_exact_through_503s_and_resets(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    size = 300 * KiB
    path = tmp_path / "a.csv"
    path.write_bytes(os.urandom(size))
    uploader = uploader_for(transfer)
    for key, status in (("a.csv", 503), ("b.csv", 0)):  # 0: a reset connection
        seen: list[int] = []  # the bytes reported so far, after each report (unclamped)

        def sink(delta: int, seen: list[int] = seen) -> None:
            seen.append((seen[-1] if seen else 0) + delta)

        proxy.fail_next(1, status) if status else proxy.reset_next(1)
        uploader.upload(path, s3_env.mba_bucket, key, progress=sink)
        assert proxy.failures_left() == 0  # the fault happened
        assert max(seen) <= size and seen[-1] == size, (key, seen)
    uploader.close()
    assert s3_env.read(s3_env.mba_bucket, "b.csv") == path.read_bytes()


@pytest.mark.integration
def test_connection_resets_are_retried_and_every_file_arrives(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, transfer: str
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    files = {f"mba/csv/f{n}.csv": os.urandom(3000) for n in range(10)}
    for key, data in files.items():
        (folder / key.rsplit("/", 1)[1]).write_bytes(data)
    proxy.reset_next(6)
    result = run_cli("upload", str(folder), "--concurrency", "3", "--no-check-s3")
    assert result.code == 0, result.err
    assert proxy.failures_left() == 0
    assert "10 uploaded, 0 skipped, 0 failed" in result.out
    for key, data in files.items():
        assert s3_env.read(s3_env.mba_bucket, key) == data


@pytest.mark.integration
def test_a_cancel_ends_the_wait_for_bandwidth_and_nothing_is_written(
    s3_env: S3Env, tmp_path: Path, transfer: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(os.urandom(64 * KiB))
    uploader = uploader_for(transfer, bwlimit=1000)  # 64 s for the file
    cancel = CancelToken()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            uploader.upload(path, s3_env.mba_bucket, "a.csv", cancel=cancel)
        except BaseException as exc:  # the test looks at it
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.3)
    cancel.cancel("stopped by the test")
    worker.join(30)
    uploader.close()
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    assert s3_env.keys(s3_env.mba_bucket) == []


@pytest.mark.integration
def test_small_files_are_paced_by_the_bandwidth_limit(
    s3_env: S3Env, tmp_path: Path, transfer: str
) -> None:
    uploader = uploader_for(transfer, bwlimit=1024 * KiB)
    paths = []
    for n in range(4):
        paths.append(tmp_path / f"f{n}.csv")
        paths[-1].write_bytes(os.urandom(512 * KiB))
    started = time.monotonic()
    for path in paths:
        uploader.upload(path, s3_env.mba_bucket, path.name)
    elapsed = time.monotonic() - started
    uploader.close()
    assert elapsed >= 1.7  # 2 MiB at 1 MiB/s (the bucket starts empty); only a floor: load
    assert len(s3_env.keys(s3_env.mba_bucket)) == 4


@pytest.mark.integration
def test_a_closed_uploader_lets_its_connections_go(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The GUI builds a new uploader on every settings change and closes the old one."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,plan\n1,A\n")
    for round_ in range(3):
        uploader = uploader_for("obstore")
        uploader.upload(path, s3_env.mba_bucket, f"k{round_}.csv")
        assert proxy.open_connections >= 1  # kept alive for the next file
        uploader.close()
        deadline = time.monotonic() + 10
        while proxy.open_connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.open_connections == 0, round_


@pytest.mark.integration
@pytest.mark.parametrize("size", [5000, 3 * 1024 * 1024], ids=["obstore", "http.client"])
def test_a_missing_bucket_is_named_on_the_direct_paths(
    size: int, s3_env: S3Env, tmp_path: Path
) -> None:
    # obstore raises the builtin FileNotFoundError for a 404, not one of its own errors
    path = tmp_path / "orphan.csv"
    path.write_bytes(os.urandom(size))
    uploader = uploader_for("obstore")
    with pytest.raises(UploadError) as caught:
        uploader.upload(path, f"{s3_env.mba_bucket}-gone", "orphan.csv")
    uploader.close()
    assert str(caught.value) == (
        f"bucket '{s3_env.mba_bucket}-gone' does not exist (check the scope's bucket in the"
        " settings)"
    )
    assert not caught.value.retryable
