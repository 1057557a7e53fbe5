"""`hma-ingest watch` as a real process, for the tests where processes meet."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from tests.cli_runner import cli_command
from tests.watch_harness import wait_until


class WatchProcess:
    """`hma-ingest watch` as a real process, its output lines collected as they come."""

    def __init__(self, *argv: str) -> None:
        self.process = subprocess.Popen(
            cli_command("watch", *argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, lines: list[str]) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            lines.append(raw.decode("utf-8", "backslashreplace"))

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        wait_until(lambda: any(needle in line for line in self.out), timeout)

    def terminate(self, timeout: float = 20) -> int:
        self.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = self.process.wait(timeout)
        assert time.monotonic() - started < timeout
        for reader in self._readers:
            reader.join(10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(name="watch_procs")
def watch_procs_fixture() -> Iterator[list[WatchProcess]]:
    started: list[WatchProcess] = []
    yield started
    for proc in started:
        proc.kill()
