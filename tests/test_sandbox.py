"""The sandbox: a private S3 endpoint on loopback, with the scope buckets, that dies with us."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hma_gui.core.processes import process_alive
from tests.cli_runner import cli_command, run_cli
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def test_sandbox_upload_lists_what_landed(tmp_path: Path) -> None:
    (tmp_path / "data/mba/csv").mkdir(parents=True)
    (tmp_path / "data/mba/csv/MemberData.csv").write_text("member_id\nM-1\n")
    (tmp_path / "data/policy").mkdir(parents=True)
    (tmp_path / "data/policy/terms.pdf").write_bytes(b"%PDF")
    result = run_cli("--sandbox", "upload", str(tmp_path / "data"))
    assert result.code == 0, result.err
    assert "2 uploaded, 0 skipped, 0 failed" in result.out
    assert "in the sandbox:" in result.out
    assert "s3://hma-mba-bucket/mba/csv/MemberData.csv" in result.out
    assert "s3://hma-policy-bucket/policy/pdf/terms.pdf" in result.out


def test_sandbox_command_serves_until_interrupted() -> None:
    port = free_port()
    process = subprocess.Popen(
        cli_command("sandbox", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None
        lines = []
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            lines.append(line)
        text = "".join(lines)
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in text
        import boto3  # here, not at collection: 0.3-0.6 s

        client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        names = {b["Name"] for b in client.list_buckets()["Buckets"]}
        assert {"hma-mba-bucket", "hma-policy-bucket"} <= names
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    with pytest.raises(Exception):  # noqa: B017 - any connection error: the server is gone
        client.list_buckets()


def test_the_sandbox_server_dies_with_its_parent(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from hma_gui.core.s3.sandbox import Sandbox\n"
        "s = Sandbox(); s.start()\n"
        "print(s._process.pid, flush=True)\n"
        "os._exit(0)\n"  # no cleanup: as if the app crashed
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    child = int(done.stdout.strip())
    deadline = time.monotonic() + 10
    while process_alive(child) and not _is_zombie(child):
        assert time.monotonic() < deadline, "the sandbox server outlived its parent"
        time.sleep(0.1)


def _is_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return bool(re.search(r"^State:\s+Z", status, re.M))


def test_a_taken_port_is_a_clear_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_cli("sandbox", "--port", str(port))
    assert result.code == 2
    assert f"is port {port} already in use?" in result.err
