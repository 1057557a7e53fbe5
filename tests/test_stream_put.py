"""`stream_put`: single PUTs above 1 MiB without botocore's client, with its guarantees.

What both carriers share (integrity, MD5 metadata, SSE, conditional writes,
progress, cancel, pacing) runs on both in the tests taking the `transfer`
fixture; here: when this path is taken, that it needs no botocore client, its
retries, refusals and connection handling, against moto through the fault proxy
and against a raw socket server where moto cannot show the behaviour.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions as bce
import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import Cancelled, UploadError
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.lazy_client import LazyS3Client
from hma_gui.core.s3.store_setup import setup_of_settings
from hma_gui.core.upload.conditions import ABSENT
from hma_gui.core.upload.fast_put import FastPut
from hma_gui.core.upload.stream_put import StreamPut
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader
from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


class Sink:
    def __init__(self, on_delta: Callable[[int], None] | None = None) -> None:
        self.total = self.peak = 0
        self.rewinds = 0
        self._on_delta = on_delta

    def __call__(self, delta: int) -> None:
        self.total += delta
        self.peak = max(self.peak, self.total)
        self.rewinds += delta < 0
        if self._on_delta is not None:
            self._on_delta(delta)


def _file(path: Path, size: int) -> Path:
    block = hashlib.sha256(path.name.encode()).digest() * 2048
    path.write_bytes((block * (size // len(block) + 1))[:size])
    return path


def _uploader() -> Uploader:
    settings = load_settings()
    return Uploader.for_settings(settings, make_s3_client(settings))


def test_the_stream_path_goes_beside_obstore_and_steps_aside_for_a_proxy(
    s3_env: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_s3_client(load_settings())
    for transfer, expected in (("auto", True), ("obstore", True), ("botocore", False)):
        config = UploadConfig(transfer=transfer)
        fast = FastPut.for_client(client, config)
        assert (StreamPut.beside(fast, config) is not None) is expected, transfer
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    config = UploadConfig()
    assert StreamPut.beside(FastPut.for_client(client, config), config) is None  # botocore's


def test_large_files_go_up_without_botocores_client(s3_env: S3Env, tmp_path: Path) -> None:
    """The command line's lazy client is never built for a PUT above 1 MiB (0.25 s saved)."""
    settings = load_settings()
    lazy = LazyS3Client.for_settings(settings, lambda: make_s3_client(settings))
    assert isinstance(lazy, LazyS3Client)
    uploader = Uploader.for_settings(settings, lazy)
    for name, size in (("mid.bin", 3 * MiB + 5), ("big.bin", 9 * MiB + 7)):
        path = _file(tmp_path / name, size)
        sink = Sink()
        result = uploader.upload(path, s3_env.mba_bucket, name, progress=sink)
        assert s3_env.read(s3_env.mba_bucket, name) == path.read_bytes()
        assert result.etag == result.md5 == hashlib.md5(path.read_bytes()).hexdigest()
        assert sink.total == sink.peak == size
        assert s3_env.head(s3_env.mba_bucket, name)["ServerSideEncryption"] == "AES256"
    uploader.close()
    assert not lazy.built


def test_503s_and_resets_are_retried_and_progress_never_passes_the_size(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "5")
    path = _file(tmp_path / "flaky.bin", 3 * MiB)
    uploader = _uploader()
    proxy.fail_next(2, 503)
    sink = Sink()
    uploader.upload(path, s3_env.mba_bucket, "flaky.bin", progress=sink)
    assert proxy.requests["PUT "] == 3
    assert sink.total == sink.peak == path.stat().st_size and sink.rewinds == 2
    proxy.reset_next(1)
    uploader.upload(path, s3_env.mba_bucket, "flaky-2.bin")
    uploader.close()
    assert proxy.requests["PUT "] == 5
    assert s3_env.read(s3_env.mba_bucket, "flaky-2.bin") == path.read_bytes()


def test_access_denied_is_not_retried_and_says_so(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    path = _file(tmp_path / "denied.bin", 3 * MiB)
    uploader = _uploader()
    proxy.fail_next(1, 403)
    with pytest.raises(UploadError, match="access denied: your AWS identity may not write"):
        uploader.upload(path, s3_env.mba_bucket, "denied.bin")
    uploader.close()
    assert proxy.started["PUT"] == 1  # not retried, not even begun again


def test_a_refused_key_says_where_it_came_from(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    (tmp_path / "mba").mkdir()
    _file(tmp_path / "mba" / "key.csv", 3 * MiB)
    proxy.fail_next(1, 403, "InvalidAccessKeyId")
    result = run_cli("upload", str(tmp_path / "mba"), "--json", "--no-check-s3")
    assert result.code == 2
    [job] = json.loads(result.out)["jobs"]
    assert "came from the environment variable AWS_ACCESS_KEY_ID" in job["error"], job["error"]
    assert proxy.requests["PUT "] == 1


def test_a_dead_endpoint_is_named_after_the_attempts(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "2")
    path = _file(tmp_path / "dead.bin", 2 * MiB)
    uploader = _uploader()
    proxy.down()
    with pytest.raises(UploadError) as caught:
        uploader.upload(path, s3_env.mba_bucket, "dead.bin")
    uploader.close()
    assert str(caught.value) == (
        f"cannot reach {proxy.endpoint}: connection refused (after 2 attempts)"
    )
    assert caught.value.retryable


def test_a_connection_the_server_closed_meanwhile_costs_no_attempt(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "1")  # no retries: only a fresh connection helps
    uploader = _uploader()
    for size in (3 * MiB, 3 * MiB, MiB + 1):  # with "Expect: 100-continue" and without
        path = _file(tmp_path / f"kept-{size}.bin", size)
        uploader.upload(path, s3_env.mba_bucket, path.name)
        assert proxy.open_connections == 1  # kept alive for the next PUT
        proxy.down()  # closes it
        proxy.up()
    uploader.close()
    assert sorted(s3_env.keys(s3_env.mba_bucket)) == sorted({f"kept-{3 * MiB}.bin",
                                                             f"kept-{MiB + 1}.bin"})  # fmt: skip


def test_a_cancel_during_the_backoff_ends_the_upload_at_once(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "10")
    path = _file(tmp_path / "stop.bin", 2 * MiB)
    uploader = _uploader()
    cancel = CancelToken()
    proxy.fail_next(10, 503)
    sink = Sink(lambda delta: cancel.cancel("stop") if delta < 0 else None)  # on the rewind
    with pytest.raises(Cancelled):
        uploader.upload(path, s3_env.mba_bucket, "stop.bin", progress=sink, cancel=cancel)
    uploader.close()
    assert proxy.started["PUT"] == 1  # no second request begun, not even its headers
    assert (sink.rewinds, sink.total) == (1, 0)  # the rewind was reported, nothing after it


# --------------------------------------------------------------------- a raw server


class RawServer:
    """Answers each request with `respond(headers, socket)`; counts the body bytes it got."""

    def __init__(self, respond: Callable[[bytes, socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.body_bytes = 0
        self._respond = respond
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                headers, _, rest = head.partition(b"\r\n\r\n")
                self.body_bytes += len(rest)
                self._respond(headers, connection)

    def read_body(self, connection: socket.socket, length: int) -> None:
        while self.body_bytes < length:
            chunk = connection.recv(1 << 20)
            if not chunk:
                return
            self.body_bytes += len(chunk)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def raw_server(request: pytest.FixtureRequest) -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(respond: Callable[[bytes, socket.socket], None]) -> RawServer:
        servers.append(RawServer(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _stream_put_to(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> StreamPut:
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "1")
    setup, why_not = setup_of_settings(load_settings())
    assert setup is not None, why_not
    return StreamPut(setup, UploadConfig())


def _answer(status: str, body: bytes = b"") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nContent-Type: application/xml\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


def _s3_error(code: str, message: str, extra: str = "") -> bytes:
    """The XML body of one of S3's refusals."""
    return f"<Error><Code>{code}</Code><Message>{message}</Message>{extra}</Error>".encode()


def _upload_error(endpoint: str, path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    """The `UploadError` of uploading `path` with the settings pointed at `endpoint`."""
    _stream_put_to(endpoint, monkeypatch).close()  # the environment of the direct paths
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    uploader = _uploader()
    assert uploader.transfer == "obstore"
    try:
        with pytest.raises(UploadError) as caught:
            uploader.upload(path, "bkt", path.name)
    finally:
        uploader.close()
    return caught.value


def test_a_refusal_before_the_body_means_the_body_is_never_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_server: Callable[..., RawServer]
) -> None:
    refusal = _s3_error("PreconditionFailed", "At least one")
    server = raw_server(lambda head, conn: conn.sendall(_answer("412 Precondition Failed",
                                                                refusal)))  # fmt: skip
    stream = _stream_put_to(server.endpoint, monkeypatch)
    path = _file(tmp_path / "taken.bin", 8 * MiB)
    with open(path, "rb") as body, pytest.raises(bce.ClientError) as caught:
        stream.put("bkt", "taken.bin", body, 8 * MiB, "application/octet-stream", None, ABSENT,
                   CancelToken())  # fmt: skip
    stream.close()
    error: Any = caught.value
    assert error.response["Error"]["Code"] == "PreconditionFailed"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert server.body_bytes == 0


def test_a_server_that_never_says_continue_gets_the_body_anyway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_server: Callable[..., RawServer]
) -> None:
    size = 3 * MiB
    heads: list[bytes] = []

    def respond(head: bytes, connection: socket.socket) -> None:
        heads.append(head)
        server.read_body(connection, size)
        connection.sendall(_answer("200 OK").replace(b"\r\n\r\n", b'\r\nETag: "e"\r\n\r\n', 1))

    server = raw_server(respond)
    stream = _stream_put_to(server.endpoint, monkeypatch)
    path = _file(tmp_path / "silent.bin", size)
    with open(path, "rb") as body:
        answer = stream.put("bkt", "a/b c.bin", body, size, "text/plain", None, None,
                            CancelToken())  # fmt: skip
    stream.close()
    assert answer["ETag"] == '"e"'
    assert server.body_bytes == size
    request_line, *header_lines = heads[0].decode().split("\r\n")
    assert request_line == "PUT /bkt/a/b%20c.bin HTTP/1.1"
    sent = dict(line.split(": ", 1) for line in header_lines)
    assert sent["Expect"] == "100-continue" and sent["Content-Length"] == str(size)
    assert sent["x-amz-server-side-encryption"] == "AES256"
    assert sent["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")


def test_a_put_that_ends_after_close_does_not_keep_its_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_server: Callable[..., RawServer]
) -> None:
    size = MiB + 1  # no "Expect": the body follows the headers
    closed = threading.Event()
    after_answer: list[bytes] = []

    def respond(head: bytes, connection: socket.socket) -> None:
        server.read_body(connection, size)
        assert closed.wait(10)  # the uploader is closed while its PUT is in flight
        keep_alive = b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: "e"\r\n\r\n'
        connection.sendall(keep_alive)
        connection.settimeout(10)
        after_answer.append(connection.recv(1))  # b"": the client closed it

    server = raw_server(respond)
    stream = _stream_put_to(server.endpoint, monkeypatch)
    path = _file(tmp_path / "late.bin", size)
    answers: list[dict[str, Any]] = []

    def put() -> None:
        with open(path, "rb") as body:
            answers.append(stream.put("bkt", "late.bin", body, size, "text/plain", None, None,
                                      CancelToken()))  # fmt: skip

    sender = threading.Thread(target=put)
    sender.start()
    while server.body_bytes < size:
        threading.Event().wait(0.01)
    stream.close()
    closed.set()
    sender.join(10)
    assert answers and answers[0]["ETag"] == '"e"'
    for _ in range(500):
        if after_answer:
            break
        threading.Event().wait(0.01)
    assert after_answer == [b""]


@pytest.mark.parametrize("size", [1024, 3 * MiB], ids=["obstore", "http.client"])
def test_a_bucket_botocore_cannot_reach_in_its_region_either_is_named_with_it(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_server: Callable[..., RawServer]
) -> None:
    # an endpoint of our own that answers "another region": the direct path hands the
    # bucket to botocore (tests/test_wrong_region.py), which cannot follow it here either
    redirect = _s3_error(
        "PermanentRedirect",
        "The bucket you are attempting to access must be addressed using the specified endpoint.",
        "<Bucket>bkt</Bucket><Endpoint>bkt.s3.eu-west-1.amazonaws.com</Endpoint>",
    )
    agents: list[str] = []

    def respond(head: bytes, connection: socket.socket) -> None:
        lines = head.decode().split("\r\n")
        agents.extend(line.split(":", 1)[1].strip() for line in lines
                      if line.lower().startswith("user-agent:"))  # fmt: skip
        answer = _answer("301 Moved Permanently", redirect)
        connection.sendall(answer.replace(b"\r\n\r\n", b"\r\nx-amz-bucket-region: eu-west-1"
                                                       b"\r\n\r\n", 1))  # fmt: skip

    server = raw_server(respond)
    error = _upload_error(server.endpoint, _file(tmp_path / "far.bin", size), monkeypatch)
    assert str(error) == (
        "bucket 'bkt' is in region eu-west-1, not in the region in the settings: set the region"
        " to the bucket's (Settings → AWS connection, or HMA_REGION=eu-west-1)"
    )
    assert not error.retryable
    assert agents[0] == "hma-ingest"  # the direct path, once; botocore then asks, and once
    assert [agent.split("/")[0] for agent in agents[1:]] == ["Botocore"] * 2  # more in eu-west-1


@pytest.mark.parametrize("size", [1024, 3 * MiB], ids=["small", "larger"])
def test_a_clock_s3_finds_off_says_so_and_is_not_retried(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_server: Callable[..., RawServer]
) -> None:
    skewed = _s3_error(
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        "<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>",
    )
    requests: list[bytes] = []

    def respond(head: bytes, connection: socket.socket) -> None:
        requests.append(head)
        connection.sendall(_answer("403 Forbidden", skewed))

    server = raw_server(respond)
    path = _file(tmp_path / "late.bin", size)
    error = _upload_error(server.endpoint, path, monkeypatch, HMA_MAX_ATTEMPTS="3")
    assert str(error) == "this computer's clock is too far from AWS time; fix the clock"
    assert not error.retryable
    assert len(requests) == 1


@pytest.mark.parametrize("size", [1024, 3 * MiB], ids=["small", "larger"])
def test_a_server_that_never_answers_times_out_in_words(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw_server: Callable[..., RawServer]
) -> None:
    server = raw_server(lambda head, connection: server.read_body(connection, 1 << 40))
    path = _file(tmp_path / "unanswered.bin", size)
    error = _upload_error(
        server.endpoint, path, monkeypatch, HMA_READ_TIMEOUT="1", HMA_MAX_ATTEMPTS="2"
    )
    assert str(error) == f"cannot reach {server.endpoint}: timed out (after 2 attempts)"
    assert error.retryable
