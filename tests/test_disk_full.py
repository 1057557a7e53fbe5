"""The data directory fills up mid-run: say so, with the folder, stop cleanly, resume later.

The data directory is a tmpfs of a few hundred KiB (we are root here and in CI;
elsewhere the test is skipped, never under CI=true).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import cli_command
from tests.conftest import IN_CI, S3Env

pytestmark = pytest.mark.integration

FILES = 1500


@pytest.fixture(name="small_data_dir")
def small_data_dir_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    mount_point = tmp_path / "data"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        message = f"cannot mount a small tmpfs: {mounted.stderr.strip()}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setenv("HMA_DATA_DIR", str(mount_point))
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*argv),
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=600,
        check=False,
    )


def test_disk_full_is_said_and_resume_finishes_later(
    s3_env: S3Env, small_data_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    for n in range(FILES):
        (folder / f"f{n:05d}.csv").write_bytes(f"{n}\n".encode())
    first = run("upload", str(folder), "--no-check-s3", "--concurrency", "4")
    assert first.returncode == 2, (first.stdout, first.stderr)
    assert f"disk full: no space left in the data directory {small_data_dir}" in first.stderr
    assert "Traceback" not in first.stderr, first.stderr
    assert "hma-ingest resume" in first.stderr
    subprocess.run(
        ["mount", "-o", "remount,size=64m", str(small_data_dir)], check=True
    )  # space freed
    second = run("resume")
    assert second.returncode == 0, (second.stdout, second.stderr)
    assert len(s3_env.keys(s3_env.mba_bucket)) == FILES
