"""Member data, settings and logs are private to the user under umask 022 (issue 12, item 13):
every folder we create 0700, every file 0600, SQLite's -wal/-shm included."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.config.settings_file import save_settings
from hma_gui.core.jobs.store import JobStore
from tests.cli_runner import run_cli_process
from tests.conftest import S3Env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes (ACLs on Windows)")


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(*roots: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            found[str(path)] = stat.S_IMODE(path.lstat().st_mode)
    return found


@pytest.mark.integration
def test_everything_we_write_is_private_under_umask_022(
    s3_env: S3Env, tmp_path: Path, umask_022: None
) -> None:
    csv_dir = tmp_path / "export" / "mba" / "csv"
    csv_dir.mkdir(parents=True)
    (csv_dir / "MemberData.csv").write_text(
        "member_id,first_name,last_name,date_of_birth,gender,plan_id,effective_date,"
        "termination_date,zip_code,email\n"
        "M-0001,Ann,Lee,1980-05-01,F,P-1,2024-01-01,,02139,\n"
    )
    upload = run_cli_process("upload", str(tmp_path / "export"))
    assert upload.code == 0, upload.err
    etl = run_cli_process("etl")  # P-1 is no plan: a rejects report, the SQLite database
    assert etl.code == 0, etl.err
    save_settings({"concurrency": 3})
    store = JobStore(app_dirs.data_dir() / "jobs.db")  # open: its -wal and -shm exist
    try:
        modes = _modes(app_dirs.config_dir(), app_dirs.data_dir())
    finally:
        store.close()
    names = {Path(p).name for p in modes}
    for expected in (
        "jobs.db",
        "jobs.db-wal",
        "jobs.db-shm",
        "mba.db",
        "hma-ingest.log",
        "settings.toml",
    ):
        assert expected in names, sorted(names)
    assert any(name.startswith("rejects-") for name in names), sorted(names)
    assert any(name.startswith("hash-cache") for name in names), sorted(names)
    wrong = {
        path: oct(mode)
        for path, mode in modes.items()
        if mode != (0o700 if Path(path).is_dir() else 0o600)
    }
    assert wrong == {}


def test_existing_files_and_folders_of_ours_are_tightened(umask_022: None) -> None:
    data = app_dirs.data_dir()
    data.mkdir(parents=True)
    data.chmod(0o755)
    old_db = data / "jobs.db"
    old_db.touch(mode=0o644)
    (data / "jobs.db-wal").touch(mode=0o644)
    app_dirs.private_file(old_db)
    assert _modes(data) == {str(data): 0o700, str(old_db): 0o600, str(old_db) + "-wal": 0o600}


def test_a_folder_that_is_not_ours_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    mine = tmp_path / "my-exports"
    mine.mkdir(mode=0o755)
    mine.chmod(0o755)
    app_dirs.ensure_dir(mine)
    assert stat.S_IMODE(mine.stat().st_mode) == 0o755
    report = app_dirs.private_file(mine / "mba.db")
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
