"""A restarted ``hma-ingest watch`` adopts what its predecessor queued (real processes, signals).

The first watcher is stopped (SIGTERM, or SIGKILL) while it uploads; the second
one, started on the same folder, finishes every file without a manual ``resume``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import JobStore
from tests.cli_runner import cli_command
from tests.conftest import S3Env

pytestmark = pytest.mark.integration

FILES = 120


def start_watch(folder: Path, log: Path, **env: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            cli_command(
                "watch", str(folder), "--scope", "mba", "--settle", "0.2", "--concurrency", "2",
                "--no-check-s3",
            ),
            stdout=out, stderr=out, stdin=subprocess.DEVNULL, env=dict(os.environ) | env,
        )  # fmt: skip


def counters() -> tuple[int, int]:
    path = app_dirs.data_dir() / "jobs.db"
    if not path.exists():
        return 0, 0
    with JobStore(path) as store:
        c = store.counters()
        return c.done, c.total


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_restarted_watch_finishes_what_its_predecessor_queued(
    s3_env: S3Env, tmp_path: Path, stop: signal.Signals
) -> None:
    watched = tmp_path / "watched"
    watched.mkdir()
    source = tmp_path / "source"
    source.mkdir()
    for n in range(FILES):
        (source / f"f{n:03d}.csv").write_bytes(f"{n:04d}".encode() * 2000 + os.urandom(8))
    log = tmp_path / "watch.log"
    # paced (120 files of ~8 KB at 64 KiB/s: ~15 s), so that the stop finds work left
    first = start_watch(watched, log, HMA_BWLIMIT="64KiB")
    try:
        wait_for(lambda: "watching" in log.read_text(), 60, "the first watcher never started")
        for path in sorted(source.iterdir()):  # copied in while it runs
            shutil.copy2(path, watched / path.name)
        # stopped soon after: files queued (or running) but not all uploaded
        wait_for(lambda: counters()[1] >= 10, 60, "nothing was queued")
        first.send_signal(stop)
        first.wait(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    done_before, _ = counters()
    assert done_before < FILES, "the first watcher finished everything: the test proves nothing"

    second = start_watch(watched, log)
    try:
        wait_for(lambda: counters()[0] >= FILES, 120, f"not every file was uploaded: {counters()}")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    keys = s3_env.keys(s3_env.mba_bucket)
    assert keys == sorted(f"mba/csv/watched/f{n:03d}.csv" for n in range(FILES))
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        c = store.counters()
        assert (c.queued, c.running, c.failed) == (0, 0, 0), c
