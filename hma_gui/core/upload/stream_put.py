"""Single PUTs of a streamed body over ``http.client``: files above 1 MiB without botocore.

Building botocore's client (importing it, loading the S3 model and endpoint rules)
took ~0.25 s before the first byte of a large file could leave; a command that
uploads a folder of 64 MiB files spent a sixth of its time on it
(bench/RESULTS.md, 2026-12-07). `StreamPut` sends the single PUTs above obstore's
`FAST_PUT_MAX` (held in memory up to 8 MiB, streamed from disk above) with the
standard library and our own signer (`sigv4`), wherever obstore's `StoreSetup`
exists — the same endpoint, region, identity, timeouts, TLS roots and number of
attempts. It keeps what the botocore path guarantees:

* the request botocore sends: SigV4 with an unsigned payload, ``Content-MD5`` and
  ``x-amz-meta-md5`` when the MD5 is known (else the uploader compares the ETag
  with the MD5 of what was read), SSE, ``If-None-Match`` / ``If-Match``;
* ``Expect: 100-continue`` from 2 MiB on: a refusal (412, 403, a missing bucket)
  arrives before the body is sent; a server that does not answer within a
  second gets the body anyway, as in botocore;
* retries as botocore's *standard* mode: 500, 502, 503, 504, throttling and
  time-out codes and connection failures, with full-jitter exponential backoff
  (at most 20 s), up to the settings' ``max_attempts`` requests in all; a
  reused keep-alive connection the server had closed is retried on a new one
  without counting;
* the body is the uploader's (`body.ProgressFile` / `ProgressBody`): read in
  `SEND_BLOCK` blocks, hashed, paced by the bandwidth limit and reported; a
  retry rewinds it (progress moves back); a cancel stops the request between
  blocks and the backoff at once; no more than ``Content-Length`` bytes are sent;
* S3's refusals become botocore's ``ClientError`` (the uploader judges them as
  before; a refused key names its source), a dead endpoint "cannot reach …",
  a failed TLS verification is not retried.

Where the environment sets a proxy, botocore carries the bytes (http.client knows
no proxies). Connections are kept alive between PUTs to the same host, per
uploader; `close` lets them go.
"""

from __future__ import annotations

import http.client
import os
import random
import select
import socket
import ssl
import threading
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hma_gui.core.errors import Cancelled, SourceFileError, UploadError
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import EXPECT_CONTINUE_MIN_BYTES, SEND_BLOCK
from hma_gui.core.s3.sigv4 import Credentials, object_path, sign
from hma_gui.core.s3.store_setup import StoreSetup, client_error, connection_failure
from hma_gui.core.upload.upload_config import MD5_METADATA_KEY, UploadConfig

if TYPE_CHECKING:
    from hma_gui.core.upload.conditions import Expected

__all__ = ["StreamPut"]

CONTINUE_WAIT = 1.0  # seconds for "100 Continue" before the body goes anyway (botocore's)
MAX_BACKOFF = 20.0  # seconds, botocore's standard mode
USER_AGENT = "hma-ingest"
_PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy")
_RETRY_STATUS = frozenset({500, 502, 503, 504})
_RETRY_CODES = frozenset(
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "RequestTimeout", "RequestTimeoutException",
    }
)  # fmt: skip
_SSE_HEADERS = {
    "ServerSideEncryption": "x-amz-server-side-encryption",
    "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id",
}
_CONDITION_HEADERS = {"IfNoneMatch": "If-None-Match", "IfMatch": "If-Match"}
_MAX_LINE = 65536


class _Answer:
    """S3's answer to one request: status, headers (lower-case names) and body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class StreamPut:
    """Single PUTs for one uploader, over kept-alive connections. Thread-safe."""

    def __init__(self, setup: StoreSetup, config: UploadConfig, client: Any = None) -> None:
        options = setup.options
        client_options = options["client_options"]
        self._setup = setup
        self._config = config
        self._client = client  # the botocore client a setup was read from (names refusals)
        self._region = str(options["region"])
        self._virtual = bool(options.get("virtual_hosted_style_request"))
        parts = urlsplit(options.get("endpoint") or f"https://s3.{self._region}.amazonaws.com")
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._connect_timeout = client_options["connect_timeout"].total_seconds()
        self._read_timeout = client_options["read_timeout"].total_seconds()
        self._roots: bytes | None = client_options.get("root_certificate")
        self._attempts = int(options["retry_config"]["max_retries"]) + 1
        self._lock = threading.Lock()
        self._idle: dict[str, list[http.client.HTTPConnection]] = {}
        self._closed = False  # a PUT that ends after `close` closes its connection
        self._tls: ssl.SSLContext | None = None

    @classmethod
    def beside(cls, fast: Any, config: UploadConfig) -> StreamPut | None:
        """The streamed path beside obstore's `FastPut` (same setup), or None: botocore."""
        setup = getattr(fast, "setup", None)
        if not isinstance(setup, StoreSetup):
            return None
        if any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES):
            return None
        return cls(setup, config, getattr(fast, "client", None))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    # ----------------------------------------------------------------- the request

    def put(
        self,
        bucket: str,
        key: str,
        body: IO[bytes],
        length: int,
        content_type: str,
        md5_hex: str | None,
        expected: Expected | None,
        cancel: CancelToken,
    ) -> dict[str, Any]:
        """PUT `length` bytes of `body`; botocore's response shape (``ETag``, SSE).

        Raises botocore's `ClientError` when S3 refuses, `UploadError` when it
        cannot be reached, `Cancelled`, and what the body raises.
        """
        headers = self._headers(length, content_type, md5_hex, expected)
        host = self._host
        if self._virtual and "." not in bucket:
            host, path = f"{bucket}.{host}", object_path(None, key)
        else:
            path = object_path(bucket, key)
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self._request(host, path, headers, body, length)
            except (OSError, http.client.HTTPException) as exc:
                if isinstance(exc, ssl.SSLCertVerificationError):
                    raise UploadError(
                        f"TLS verification failed for the S3 endpoint: {exc}", retryable=False
                    ) from exc
                if attempt >= self._attempts:
                    raise connection_failure(self._setup.endpoint, _reason(exc), attempt) from exc
            else:
                if 200 <= answer.status < 300:
                    return {
                        "ETag": answer.headers.get("etag"),
                        "ServerSideEncryption": answer.headers.get("x-amz-server-side-encryption"),
                    }
                text = answer.body.decode("utf-8", "replace")
                region = answer.headers.get("x-amz-bucket-region")
                error = client_error(answer.status, text, attempt - 1, bucket_region=region)
                code = error.response["Error"]["Code"]  # type: ignore[attr-defined]
                retry = answer.status in _RETRY_STATUS or code in _RETRY_CODES
                if not retry or attempt >= self._attempts:
                    self._setup.name_source(error, self._client)
                    raise error
            body.seek(0)  # rewound before the backoff: progress moves back, a cancel is heard
            if cancel.wait(random.random() * min(MAX_BACKOFF, 2.0 ** (attempt - 1))):
                raise Cancelled(cancel.reason)

    def _headers(
        self, length: int, content_type: str, md5_hex: str | None, expected: Expected | None
    ) -> dict[str, str]:
        headers = {"Content-Length": str(length), "Content-Type": content_type}
        if md5_hex is not None:
            headers["Content-MD5"] = _base64_md5(md5_hex)
            headers[f"x-amz-meta-{MD5_METADATA_KEY}"] = md5_hex
        for arg, value in self._config.sse_args().items():
            headers[_SSE_HEADERS[arg]] = value
        if expected is not None:
            for arg, value in expected.request_args().items():
                headers[_CONDITION_HEADERS[arg]] = value
        return headers

    def _request(
        self, host: str, path: str, headers: dict[str, str], body: IO[bytes], length: int
    ) -> _Answer:
        """One request, on a kept-alive connection when there is one (a closed one: again)."""
        connection = self._idle_connection(host)
        if connection is not None:
            try:
                return self._exchange(connection, host, path, headers, body, length)
            except (ConnectionError, http.client.RemoteDisconnected):
                body.seek(0)  # the server had closed it: one more try on a new connection
        return self._exchange(self._connect(host), host, path, headers, body, length)

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        host: str,
        path: str,
        headers: dict[str, str],
        body: IO[bytes],
        length: int,
    ) -> _Answer:
        keep = False
        try:
            now = datetime.now(UTC)
            credential = self._setup.credentials()
            signed = sign("PUT", _host_header(host, self._port, self._https), path, headers,
                          Credentials(credential["access_key_id"], credential["secret_access_key"],
                                      credential.get("token")), self._region, now)  # fmt: skip
            connection.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", _host_header(host, self._port, self._https))
            for name, value in signed.items():
                connection.putheader(name, value)
            connection.putheader("User-Agent", USER_AGENT)
            expect = length >= EXPECT_CONTINUE_MIN_BYTES
            if expect:
                connection.putheader("Expect", "100-continue")
            connection.endheaders()
            early = _early_answer(connection) if expect else None
            if early is not None:
                return early  # refused before the body: the connection is not reused
            _send_body(connection, body, length)
            response = connection.getresponse()
            answer = _Answer(
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                response.read(),
            )
            keep = not response.will_close
            return answer
        finally:
            with self._lock:
                keep = keep and not self._closed
                if keep:
                    self._idle.setdefault(host, []).append(connection)
            if not keep:
                connection.close()

    # ----------------------------------------------------------------- connections

    def _idle_connection(self, host: str) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(host)
            return idle.pop() if idle else None

    def _connect(self, host: str) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if self._https:
            connection = http.client.HTTPSConnection(
                host, self._port, timeout=self._connect_timeout, context=self._tls_context()
            )
        else:
            connection = http.client.HTTPConnection(host, self._port, timeout=self._connect_timeout)
        connection.connect()
        assert connection.sock is not None
        connection.sock.settimeout(self._read_timeout)
        connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                roots = self._roots.decode("ascii", "replace") if self._roots else None
                self._tls = ssl.create_default_context(cadata=roots)
            return self._tls


def _early_answer(connection: http.client.HTTPConnection) -> _Answer | None:
    """After headers with ``Expect: 100-continue``: None to send the body, or S3's refusal.

    The status line is read unbuffered, so nothing of what follows is taken from
    the socket before http.client reads the final answer (as botocore does).
    """
    sock = connection.sock
    assert sock is not None
    if not (isinstance(sock, ssl.SSLSocket) and sock.pending()) and not _readable(sock):
        return None  # no answer in time: the server expects the body
    stream = sock.makefile("rb", buffering=0)
    try:
        line = stream.readline(_MAX_LINE)
        if not line:  # a kept-alive connection the server had closed
            raise http.client.RemoteDisconnected("closed before answering")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise http.client.BadStatusLine(repr(b" ".join(parts)))
        headers = http.client.parse_headers(stream)
        if parts[1] == b"100":
            return None
        length = int(headers.get("Content-Length") or 0)
        body = b""
        while len(body) < length:
            chunk = stream.read(length - len(body))
            if not chunk:
                break
            body += chunk
        return _Answer(int(parts[1]), {k.lower(): v for k, v in headers.items()}, body)
    finally:
        stream.close()


def _readable(sock: socket.socket) -> bool:
    """Whether the server answered within `CONTINUE_WAIT`."""
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([sock], [], [], CONTINUE_WAIT)[0])
    waiting = select.poll()  # not select(): no limit on the descriptor's number
    waiting.register(sock, select.POLLIN)
    return bool(waiting.poll(CONTINUE_WAIT * 1000))


def _send_body(connection: http.client.HTTPConnection, body: IO[bytes], length: int) -> None:
    sent = 0
    while sent < length:
        try:
            block = body.read(min(SEND_BLOCK, length - sent))
        except OSError as exc:
            raise SourceFileError(f"the file could not be read: {exc.strerror or exc}") from exc
        if not block:
            raise SourceFileError("the file got shorter while it was sent", retryable=True)
        connection.send(block)
        sent += len(block)


def _host_header(host: str, port: int, https: bool) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == (443 if https else 80) else f"{name}:{port}"


def _base64_md5(md5_hex: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")


def _reason(exc: BaseException) -> str:
    """A failed connection in a few words, as obstore's failures are worded."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection reset by peer"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, http.client.RemoteDisconnected | http.client.IncompleteRead):
        return "connection closed"
    return str(exc) or type(exc).__name__
