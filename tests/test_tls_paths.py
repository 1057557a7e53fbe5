"""Uploads over real TLS: moto's server with a certificate from a CA of our own.

Every path that carries bytes — obstore (small files), `stream_put` (larger
single PUTs) and botocore (multipart) — must verify the server's certificate
against the same trust: the settings' CA bundle, botocore's ``AWS_CA_BUNDLE``,
or the system's roots, which do not hold our CA (a refusal that says so, once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import UploadError
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.store_setup import setup_of_settings
from hma_gui.core.upload.uploader import Uploader
from tests.cli_runner import run_cli
from tests.conftest import MotoServer, start_moto_server, stop_moto_server
from tests.tls_certs import Certificates, make_certificates

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
SIZES = {"small": 1024, "larger": 3 * MiB, "multipart": 11 * MiB}  # obstore, http.client, botocore


@dataclass
class TlsS3:
    server: MotoServer
    certificates: Certificates

    def client(self) -> Any:
        """boto3's client of the TLS server, trusting the test CA (set-up and checks)."""
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.server.endpoint, verify=str(self.certificates.ca)
        )


@pytest.fixture(scope="module")
def tls_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsS3]:
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    server = start_moto_server(tls=certificates)
    yield TlsS3(server, certificates)
    stop_moto_server(server)


@pytest.fixture
def bucket(tls_s3: TlsS3, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A fresh bucket on the TLS server; the settings point at it (no CA bundle yet)."""
    name = f"tls-{abs(hash(request.node.nodeid)) % 10**10}"
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HMA_S3_ENDPOINT_URL": tls_s3.server.endpoint,
        "HMA_MBA_BUCKET": name,
        "HMA_MULTIPART_THRESHOLD": "8MiB",
        "HMA_MULTIPART_CHUNKSIZE": "5MiB",
    }.items():
        monkeypatch.setenv(variable, value)
    tls_s3.client().create_bucket(Bucket=name)
    return name


def _files(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    files = {}
    for label, size in SIZES.items():
        block = hashlib.sha256(label.encode()).digest() * 4096
        path = folder / f"MBA_{label}.csv"
        path.write_bytes((block * (size // len(block) + 1))[:size])
        files[label] = path
    return files


def _stored(tls_s3: TlsS3, bucket: str) -> dict[str, str]:
    """Key → MD5 of the bytes in the bucket, read back over TLS."""
    client = tls_s3.client()
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {
        key: hashlib.md5(client.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()
        for key in keys
    }


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_every_path_uploads_over_tls_trusting_the_settings_ca_bundle(
    tls_s3: TlsS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_CA_BUNDLE", str(tls_s3.certificates.ca))
    files = _files(tmp_path / "data")
    settings = load_settings()
    uploader = Uploader.for_settings(settings, make_s3_client(settings))
    assert uploader.transfer == "obstore"  # the direct paths are in play, not botocore alone
    for label, path in files.items():
        result = uploader.upload(path, bucket, f"up/{label}")
        assert result.md5 == _md5(path)
    uploader.close()
    assert _stored(tls_s3, bucket) == {f"up/{label}": _md5(p) for label, p in files.items()}


def test_the_command_line_trusts_aws_ca_bundle_on_every_path(
    tls_s3: TlsS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tls_s3.certificates.ca))  # botocore's variable
    monkeypatch.setenv("HMA_MBA_PREFIX", "up/")
    files = _files(tmp_path / "data")
    result = run_cli("upload", "--scope", "mba", str(tmp_path / "data"))
    assert result.code == 0, result.out + result.err
    stored = _stored(tls_s3, bucket)
    assert sorted(stored.values()) == sorted(_md5(p) for p in files.values())


@pytest.mark.parametrize("label", ["small", "larger", "multipart"])
def test_a_certificate_nobody_trusts_is_refused_and_not_retried(
    label: str, tls_s3: TlsS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "3")
    path = _files(tmp_path / "data")[label]
    settings = load_settings()
    uploader = Uploader.for_settings(settings, make_s3_client(settings))
    with pytest.raises(UploadError) as caught:
        uploader.upload(path, bucket, f"up/{label}")
    uploader.close()
    assert str(caught.value).startswith("TLS verification failed for the S3 endpoint"), str(
        caught.value
    )
    assert not caught.value.retryable
    assert _stored(tls_s3, bucket) == {}


def test_a_ca_bundle_in_the_aws_config_file_is_trusted_too(
    tls_s3: TlsS3, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "aws-config"
    config.write_text(f"[default]\nca_bundle = {tls_s3.certificates.ca}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    setup, why_not = setup_of_settings(load_settings())
    assert setup is None and why_not == f"a CA bundle may be in {config} (botocore reads it)"
    files = _files(tmp_path / "data")
    result = run_cli("upload", "--scope", "mba", str(tmp_path / "data"))
    assert result.code == 0, result.out + result.err
    stored = _stored(tls_s3, bucket)
    assert sorted(stored.values()) == sorted(_md5(p) for p in files.values())
