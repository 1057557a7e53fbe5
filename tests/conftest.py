"""Shared fixtures: an isolated environment for every test, and a real S3 endpoint.

The S3 endpoint is moto's server in its own process on 127.0.0.1, reached over
HTTP exactly as AWS would be. Each test gets its own buckets on it.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.early import EarlyRuns, build_of

if TYPE_CHECKING:
    from tests.fault_proxy import FaultProxy
    from tests.tls_certs import Certificates

REPO_ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_SCRUBBED_PREFIXES = ("HMA_", "AWS_")

# A test that reaches a server is an integration test, whatever its module is marked:
# the fast core subset (`-m "not integration and …"`) must never start one.
_SERVER_FIXTURES = frozenset({"moto_server", "mariadb"})


# Every test under tests/gui builds widgets and is marked `gui` (tests/gui/conftest.py):
# when the mark expression leaves `gui` out, that folder is not even imported (it
# loads the whole window, ~0.4 s of the fast subset's collection).
GUI_TESTS = Path(__file__).resolve().parent / "gui"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        if GUI_TESTS in item.path.parents:
            item.add_marker(pytest.mark.gui)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    return True if collection_path == GUI_TESTS and _leaves_out(config, "gui") else None


def _leaves_out(config: pytest.Config, mark: str) -> bool:
    """The `-m` expression is a plain conjunction with `not <mark>` among its terms."""
    expression = " ".join(str(config.getoption("markexpr", "") or "").split())
    if "(" in expression or " or " in f" {expression} ":
        return False
    return f"not {mark}" in [term.strip() for term in expression.split(" and ")]


def isolated_settings(home: Path) -> dict[str, str]:
    """The variables every test runs with (beside removing every ``HMA_*``/``AWS_*`` one)."""
    return {
        "HMA_CONFIG_DIR": str(home / "config"),
        "HMA_DATA_DIR": str(home / "data"),
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "QT_QPA_PLATFORM": "offscreen",
        # Subprocesses (`python -m hma_gui.cli`) import this checkout, whatever is installed.
        "PYTHONPATH": str(REPO_ROOT),
    }


def isolated_environ(home: Path) -> dict[str, str]:
    """A child process's whole environment with `isolated_env`'s settings (`tests.early`)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    return kept | isolated_settings(home)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No developer settings, credentials or .env leak into a test."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES):
            monkeypatch.delenv(name)
    for name, value in isolated_settings(home).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(home)
    return home


_early: EarlyRuns | None = None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the commands of the selected `@starts_early` tests (`tests.early`)."""
    global _early
    _early = EarlyRuns(isolated_environ)
    _early.start(session.items)


def pytest_sessionfinish() -> None:
    if _early is not None:
        _early.close()


@pytest.fixture
def early(request: pytest.FixtureRequest) -> list[subprocess.CompletedProcess[str]]:
    """The results of this test's early commands, in order (`tests.early.starts_early`)."""
    assert _early is not None, "pytest_collection_finish sets it up"
    return _early.results(request.node.nodeid, build_of(request.function))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 30.0, *, ca_file: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1, context=context):  # noqa: S310 - loopback test server
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass
class MotoServer:
    endpoint: str
    process: subprocess.Popen[bytes]

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310


def start_moto_server(
    port: int | None = None, env: dict[str, str] | None = None, *, tls: Certificates | None = None
) -> MotoServer:
    """moto's server on 127.0.0.1; `env` adds to its environment (moto's own switches).

    `tls`: serve HTTPS with that certificate (`tests.tls_certs.make_certificates`).
    """
    port = port or free_port()
    serve_tls = ["-c", str(tls.server), "-k", str(tls.key)] if tls else []
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port), *serve_tls],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    endpoint = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        wait_for_http(f"{endpoint}/moto-api/", ca_file=tls.ca if tls else None)
    except OSError:
        process.kill()
        raise
    return MotoServer(endpoint, process)


def stop_moto_server(server: MotoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = start_moto_server()
    yield server
    stop_moto_server(server)


def s3_client_for(endpoint: str) -> object:
    import boto3  # here: 0.3-0.6 s that a run without a server should not pay
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


@dataclass
class S3Env:
    """A test's view of the S3 endpoint: its buckets, a client to read them back."""

    endpoint: str
    client: object  # mypy_boto3_s3.S3Client
    mba_bucket: str
    policy_bucket: str

    def keys(self, bucket: str) -> list[str]:
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
        for page in paginator.paginate(Bucket=bucket):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def read(self, bucket: str, key: str) -> bytes:
        body = self.client.get_object(Bucket=bucket, Key=key)["Body"]  # type: ignore[attr-defined]
        return bytes(body.read())

    def head(self, bucket: str, key: str) -> dict[str, object]:
        return dict(self.client.head_object(Bucket=bucket, Key=key))  # type: ignore[attr-defined]


@pytest.fixture(params=["obstore", "botocore"])
def transfer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test of an upload guarantee, run on both paths that carry small files' bytes.

    ``HMA_TRANSFER`` for commands and `load_settings`; tests that build an
    `UploadConfig` themselves pass ``transfer=`` too.
    """
    monkeypatch.setenv("HMA_TRANSFER", request.param)
    return str(request.param)


@pytest.fixture
def s3_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> S3Env:
    """Settings pointed at the moto server, with fresh scope buckets for this test."""
    suffix = uuid.uuid4().hex[:10]
    mba, policy = f"mba-{suffix}", f"policy-{suffix}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", moto_server.endpoint)
    monkeypatch.setenv("HMA_MBA_BUCKET", mba)
    monkeypatch.setenv("HMA_POLICY_BUCKET", policy)
    client = s3_client_for(moto_server.endpoint)
    for bucket in (mba, policy):
        client.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    return S3Env(moto_server.endpoint, client, mba, policy)


@pytest.fixture
def proxy(s3_env: S3Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fault proxy in front of moto (resets, 503s, cuts); the tests' S3 goes through it."""
    from tests.fault_proxy import FaultProxy

    faulty = FaultProxy(s3_env.endpoint)
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", faulty.endpoint)
    yield faulty
    faulty.close()


def require_tool(name: str) -> str:
    """Path of an external program; a missing one fails in CI and skips elsewhere."""
    import shutil

    path = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if path:
        return path
    message = f"{name} is not installed (.ci/run installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
