"""The probe that adds reader threads on a cold cache: reads from storage, or slow calls."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hma_gui.core.files.disk_probe import DiskProbe, proc_read_bytes


def test_a_warm_process_is_not_reading_the_disk(tmp_path: Path) -> None:
    data = tmp_path / "f.bin"
    data.write_bytes(os.urandom(4 * 1024 * 1024))
    data.read_bytes()  # in the page cache now
    probe = DiskProbe()
    data.read_bytes()
    assert not any(probe.reading() for _ in range(40))


def test_reading_from_storage_is_noticed(tmp_path: Path) -> None:
    if proc_read_bytes() is None:
        pytest.skip("this OS does not count bytes read from storage (/proc/self/io)")
    data = tmp_path / "f.bin"
    data.write_bytes(os.urandom(8 * 1024 * 1024))
    subprocess.run(["sync"], check=True)
    fd = os.open(data, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # this file only, not the machine
        before = proc_read_bytes()
        probe = DiskProbe()
        os.read(fd, 8 * 1024 * 1024)
    finally:
        os.close(fd)
    if proc_read_bytes() == before:
        pytest.skip(f"{tmp_path} is not on a disk (tmpfs?): nothing is read from storage")
    assert probe.reading()


def test_without_a_byte_counter_slow_calls_mean_a_cold_cache() -> None:
    fast = DiskProbe(slow_seconds=10.0, read_bytes=lambda: None)
    assert not any(fast.reading() for _ in range(8))
    slow = DiskProbe(slow_seconds=0.0, read_bytes=lambda: None)
    assert [slow.reading() for _ in range(4)] == [False, False, False, True]
