"""The sandbox: a local S3-compatible endpoint (moto's server) on 127.0.0.1.

With no AWS account, HMA Ingest still runs end to end against it. The server
runs in a child process (moto is CPU-heavy; a separate process keeps it off
our GIL) that exits when its parent does, so a crashed app leaves no server
behind. Objects live in the server's memory for as long as it runs.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import HmaError
from hma_gui.core.s3.client import SANDBOX_REGION, S3Client, make_s3_client
from hma_gui.core.s3.sandbox_server import SANDBOX_SERVER_FLAG

logger = logging.getLogger(__name__)

DEFAULT_SANDBOX_PORT = 4566
HOST = "127.0.0.1"


def server_command(port: int) -> list[str]:
    """How to start the server child: our module, or our own binary when frozen."""
    if getattr(sys, "frozen", False):
        return [sys.executable, SANDBOX_SERVER_FLAG, "--port", str(port)]
    return [sys.executable, "-m", "hma_gui.core.s3.sandbox_server", "--port", str(port)]


class Sandbox:
    """A private sandbox endpoint. Use as a context manager, or `start()` / `stop()`."""

    def __init__(self, port: int = 0, *, log_file: Path | None = None) -> None:
        self._port = port
        self._log_file = log_file
        self._process: subprocess.Popen[str] | None = None
        self.endpoint = ""

    def start(self, timeout: float = 60.0) -> str:
        env = dict(os.environ)
        env["HMA_SANDBOX_PARENT"] = str(os.getpid())
        stderr = open(self._log_file, "a") if self._log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                server_command(self._port),
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                text=True,
                env=env,
            )
        finally:
            if stderr is not subprocess.DEVNULL:
                stderr.close()  # type: ignore[union-attr]
        line = _read_line(self._process, timeout)  # the child prints one JSON line when ready
        if not line:
            code = self._process.poll()
            self.stop()
            raise HmaError(
                f"the sandbox S3 endpoint did not start (exit code {code}); "
                f"is port {self._port} already in use?"
            )
        ready = json.loads(line)
        self.endpoint = f"http://{HOST}:{int(ready['port'])}"
        logger.info("sandbox S3 endpoint running at %s", self.endpoint)
        return self.endpoint

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout:
            process.stdout.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The child's first line of output, or "" if it died or said nothing in time."""
    lines: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def sandbox_settings(settings: Settings, endpoint: str) -> Settings:
    """`settings` pointed at a sandbox endpoint, with the sandbox's dummy credentials."""
    return settings.model_copy(
        update={
            "s3_endpoint_url": endpoint,
            "region": SANDBOX_REGION,
            "sandbox": True,
            "aws_profile": None,
        }
    )


def create_scope_buckets(client: S3Client, settings: Settings) -> list[str]:
    """Create every scope's bucket that does not exist yet; return their names."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    buckets = sorted({scope.bucket for scope in settings.scopes.values()})
    for bucket in buckets:
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
    return buckets


def start_sandbox(settings: Settings, port: int = 0) -> tuple[Sandbox, Settings]:
    """Start a sandbox with the scope buckets created; return it and the settings to use."""
    sandbox = Sandbox(port)
    endpoint = sandbox.start()
    try:
        sandboxed = sandbox_settings(settings, endpoint)
        create_scope_buckets(make_s3_client(sandboxed), sandboxed)
    except BaseException:
        sandbox.stop()
        raise
    return sandbox, sandboxed
