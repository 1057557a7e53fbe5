"""The window's upload queue on a full data directory: stopped with the reason, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from hma_gui.ui.queue.upload_queue import QueueMode
from tests.conftest import S3Env
from tests.gui.conftest import Harness
from tests.test_disk_full import small_data_dir_fixture  # noqa: F401 - a fixture

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_the_queue_stops_saying_disk_full(
    harness_factory, s3_env: S3Env, small_data_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    for n in range(1500):
        (folder / f"f{n:05d}.csv").write_bytes(f"{n}\n".encode())
    h: Harness = harness_factory(concurrency=4)
    h.wait_ready()
    with h.qtbot.waitSignal(h.session.queue.halted, timeout=120_000) as halted:
        h.session.queue.start()
        h.drop(folder)
    assert "disk full: no space left in the data directory" in halted.args[0]
    assert h.session.queue.mode is QueueMode.STOPPED
