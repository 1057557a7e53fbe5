"""An HTTP proxy in front of the S3 endpoint that misbehaves on request.

* ``fail_next(n, status, code, after=k)`` answers the next `n` requests (after `k`
  more that pass) with an S3-style error (`code` defaults to S3's for `status`:
  SlowDown, InternalError, AccessDenied);
  ``reset_next(n)`` resets the connection of the next `n` (after reading the body);
  ``corrupt_next(n)`` flips a byte in the body of the next `n` PUTs it forwards;
* ``down()`` stops listening (connections are refused), ``up()`` listens again
  on the same port;
* ``open_connections``: the client connections open now;
* ``latency`` (seconds) delays every request, as a far server would; ``peak_active``
  is the most requests it handled at once;
* ``requests`` counts what reached the proxy, by method and query (``started``: the
  request lines it read, whole body or not); ``put_bytes``
  the request bytes of PUTs (objects and parts) it received whole, ``put_headers``
  their headers (lower-case names); ``wait_idle()``
  waits until no request is being handled;
* ``redirect_agent(agent)`` answers requests whose User-Agent is exactly `agent`
  with S3's 301 for a bucket in another region (``redirected`` counts them);
* ``hold()`` keeps requests (or those of one method: ``hold("PUT")``) waiting
  (``held`` counts them) until ``release()``.

It forwards everything else unchanged, so the client under test talks real
HTTP to a real S3 implementation behind it.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import socket
import struct
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

_ERROR_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
    "<Message>injected by the test proxy</Message></Error>"
)
_REDIRECT_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code>'
    "<Message>The bucket you are attempting to access must be addressed using the specified"
    " endpoint.</Message><Endpoint>bucket.s3.{region}.amazonaws.com</Endpoint></Error>"
)
_RESET = 0  # the "status" of a reset connection
_CODES = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied"}


class _QuietServer(http.server.ThreadingHTTPServer):
    """A client killed mid-request (the crash harness) is not an error worth a traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._lock = threading.Lock()
        self._fail_left = 0
        self._fail_skip = 0  # requests that pass before the failures begin
        self._fail_status = 503
        self._fail_code = "SlowDown"
        self.requests: Counter[str] = Counter()
        self.started: Counter[str] = Counter()  # request lines read, by method (body or not)
        self.log: list[tuple[str, str]] = []  # (method, path with query) of every request
        self.put_bytes = 0
        self.put_headers: list[dict[str, str]] = []
        self._corrupt_left = 0
        self.active = 0  # requests being handled now
        self.peak_active = 0  # the most handled at once
        self.latency = 0.0  # seconds each request waits before it is forwarded (a far server)
        self.port = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._open = threading.Event()
        self._open.set()
        self._hold_method: str | None = None
        self.held = 0
        self._redirect: tuple[str, str] | None = None  # (User-Agent, region)
        self.redirected = 0
        self.up()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        """Client connections open now (kept alive between requests, or in a request)."""
        with self._lock:
            return len(self._connections)

    def fail_next(
        self, count: int, status: int = 503, code: str | None = None, *, after: int = 0
    ) -> None:
        """The next `count` requests (after `after` more that pass) get `status`."""
        with self._lock:
            self._fail_left, self._fail_status, self._fail_skip = count, status, after
            self._fail_code = code or _CODES.get(status, "Error")

    def reset_next(self, count: int) -> None:
        """The next `count` requests are read whole, then their connection is reset (RST)."""
        self.fail_next(count, _RESET)

    def corrupt_next(self, count: int) -> None:
        """The next `count` PUT bodies reach the server with one byte changed."""
        with self._lock:
            self._corrupt_left = count

    def puts(self, bucket: str) -> Counter[str]:
        """How many PUT requests each key of `bucket` received (parts count as one upload)."""
        from urllib.parse import unquote

        counts: Counter[str] = Counter()
        with self._lock:
            log = list(self.log)
        for method, path in log:
            route, _, query = path.partition("?")
            if route.startswith(f"/{bucket}/") and (
                (method == "PUT" and "partNumber=" not in query)
                or (method == "POST" and "uploadId=" in query)
            ):
                counts[unquote(route[len(bucket) + 2 :])] += 1
        return counts

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until no request is in the proxy (those of a killed client finish first)."""
        deadline = time.monotonic() + timeout
        while self.active:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.active} requests still in the proxy")
            time.sleep(0.01)

    def failures_left(self) -> int:
        with self._lock:
            return self._fail_left

    def redirect_agent(self, agent: str, region: str = "eu-west-1") -> None:
        """Requests from the client `agent` meet S3's answer for a bucket in `region`."""
        self._redirect = (agent, region)

    def _redirect_region(self, agent: str | None) -> str | None:
        redirect = self._redirect
        if redirect is None or agent != redirect[0]:
            return None
        with self._lock:
            self.redirected += 1
        return redirect[1]

    def hold(self, method: str | None = None) -> None:
        """Requests from now on (of `method` only, if given) wait up to a minute for `release()`."""
        self._hold_method = method
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def _wait_if_held(self, method: str) -> None:
        if self._open.is_set() or self._hold_method not in (None, method):
            return
        with self._lock:
            self.held += 1
        self._open.wait(60)
        with self._lock:
            self.held -= 1

    def _take_failure(self) -> int | None:
        with self._lock:
            if self._fail_skip > 0:
                self._fail_skip -= 1
            elif self._fail_left > 0:
                self._fail_left -= 1
                return self._fail_status
            return None

    def up(self) -> None:
        if self._server is not None:
            return
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return None

            def parse_request(self) -> bool:
                parsed = super().parse_request()
                if parsed:
                    with proxy._lock:
                        proxy.started[self.command] += 1
                return parsed

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._connections.add(self.connection)

            def finish(self) -> None:
                with proxy._lock:
                    proxy._connections.discard(self.connection)
                super().finish()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = urlsplit(self.path).query
                region = proxy._redirect_region(self.headers.get("User-Agent"))
                if region is not None:
                    payload = _REDIRECT_BODY.format(region=region)
                    self._answer(301, payload, {"x-amz-bucket-region": region})
                    return
                with proxy._lock:
                    proxy.requests[f"{self.command} {query.split('=')[0] if query else ''}"] += 1
                    proxy.log.append((self.command, self.path))
                    if self.command == "PUT" and len(body) == length:  # not cut off
                        proxy.put_bytes += len(body)
                        proxy.put_headers.append({k.lower(): v for k, v in self.headers.items()})
                        if proxy._corrupt_left > 0 and body:
                            proxy._corrupt_left -= 1
                            body = bytes([body[0] ^ 0xFF]) + body[1:]
                if len(body) < length:  # the client died mid-body: S3 would never see it
                    self.close_connection = True
                    return
                proxy._wait_if_held(self.command)
                if proxy.latency:
                    time.sleep(proxy.latency)
                status = proxy._take_failure()
                if status == _RESET:  # no answer: the client sees "connection reset by peer"
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.close_connection = True
                    return
                if status is not None:
                    self._answer(status, _ERROR_BODY.format(code=proxy._fail_code))
                    return
                upstream = http.client.HTTPConnection(*proxy._upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                length = response.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))  # HEAD: the object's
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            def _answer(self, status: int, xml: str, headers: dict[str, str] | None = None) -> None:
                """An S3-style answer of the proxy's own (no body for a HEAD)."""
                payload = xml.encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _counted(self) -> None:
                with proxy._lock:
                    proxy.active += 1
                    proxy.peak_active = max(proxy.peak_active, proxy.active)
                try:
                    self._handle()
                finally:
                    with proxy._lock:
                        proxy.active -= 1

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _counted

        server = _QuietServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._lock:  # kept-alive connections must die too, or "down" is not down
            connections, self._connections = set(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join()

    def close(self) -> None:
        self.release()
        self.down()
