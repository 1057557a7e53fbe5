"""A file name that is not valid UTF-8 fails its own job; the others go; no log line breaks."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import pytest

from hma_gui.core.files.path_text import NOT_UTF8
from hma_gui.core.logging_setup import RedactingFilter
from tests.cli_runner import run_cli, run_cli_process
from tests.conftest import S3Env
from tests.watch_process import WatchProcess, watch_procs_fixture  # noqa: F401 - a fixture

BAD_NAME = os.fsdecode(b"caf\xe9.csv")  # Latin-1 bytes: "caf\udce9.csv"


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mba"
    folder.mkdir()
    (folder / BAD_NAME).write_bytes(b"a\n1\n")
    (folder / "ok.csv").write_bytes(b"a\n2\n")
    return folder


@pytest.mark.integration
def test_upload_fails_only_the_undecodable_file(s3_env: S3Env, tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    result = run_cli("upload", str(folder), "--json")
    assert result.code == 1, result.err
    jobs = {Path(job["source"]).name: job for job in json.loads(result.out)["jobs"]}
    assert jobs["ok.csv"]["state"] == "done"
    assert jobs["caf\\xe9.csv"]["state"] == "failed"
    assert jobs["caf\\xe9.csv"]["error"] == NOT_UTF8
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/ok.csv"]


@pytest.mark.integration
def test_dry_run_and_duplicate_check_as_real_processes(s3_env: S3Env, tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    dry = run_cli_process("upload", str(folder), "--dry-run")
    assert dry.code == 1, dry.err
    assert NOT_UTF8 in dry.out
    assert "ok.csv → s3://" in dry.out
    check = run_cli_process("check-duplicates", str(folder))
    assert check.code == 0, check.err
    assert "unexpected error" not in check.err


def test_no_log_line_fails_on_a_file_name() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.non_utf8")
    logger.addHandler(handler)
    errors: list[logging.LogRecord] = []
    handler.handleError = errors.append  # type: ignore[method-assign]
    try:
        logger.warning("cannot upload %s", "/data/" + BAD_NAME)
        try:
            raise OSError(f"broken {BAD_NAME}")
        except OSError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert errors == []
    text = raw.getvalue().decode("utf-8")
    assert "cannot upload /data/caf\\xe9.csv" in text
    assert "broken caf\\xe9.csv" in text


@pytest.mark.integration
def test_watch_fails_the_file_once_and_keeps_logging(
    s3_env: S3Env,
    tmp_path: Path,
    watch_procs: list[WatchProcess],
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    proc = WatchProcess(str(folder), "--scope", "mba", "--settle", "0.3", "--no-check-s3")
    watch_procs.append(proc)
    from tests.watch_harness import wait_until

    wait_until(lambda: any("watching" in line for line in proc.err), 60)
    (folder / BAD_NAME).write_bytes(b"a\n1\n")
    (folder / "fine.csv").write_bytes(b"a\n2\n")
    proc.wait_for("fine.csv")
    proc.wait_for("caf\\xe9.csv")
    assert proc.terminate() == 0
    failed = [line for line in proc.out if "caf\\xe9.csv" in line]
    assert len(failed) == 1 and failed[0].startswith("FAILED") and NOT_UTF8 in failed[0]
    assert not any("Logging error" in line for line in proc.err), proc.err
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/csv/drop/fine.csv"]
