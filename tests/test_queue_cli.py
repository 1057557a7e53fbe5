"""The seed's spellings of service mode: ``hma-producer``, ``hma-worker``, ``hma-db``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hma_gui.cli.worker_cmd import hma_db_main, hma_producer_main, hma_worker_main
from tests.cli_runner import run_cli
from tests.conftest import S3Env


def _run(entry: object, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = entry(list(argv), out, err)  # type: ignore[operator]
    return code, out.getvalue(), err.getvalue()


@pytest.mark.integration
def test_hma_producer_then_hma_worker_on_the_local_queue(s3_env: S3Env, tmp_path: Path) -> None:
    folder = tmp_path / "data" / "mba" / "csv"
    folder.mkdir(parents=True)
    for n in range(5):
        (folder / f"m{n}.csv").write_text(f"{n}\n")

    code, out, err = _run(hma_producer_main, "--scope", "mba", "--input", str(tmp_path / "data"))
    assert code == 0, err
    assert "5 jobs sent to local" in out
    assert run_cli("queue", "status").out.startswith("local: 5 queued, 0 in flight")

    code, out, err = _run(hma_worker_main, "--concurrency", "2", "--drain")
    assert code == 0, out + err
    assert "5 uploaded, 0 already there, 0 failed" in out
    assert s3_env.keys(s3_env.mba_bucket) == [f"mba/csv/m{n}.csv" for n in range(5)]


def test_hma_db_init_is_hma_ingest_db_init() -> None:
    code, out, err = _run(hma_db_main, "init")
    assert code == 0, err
    assert "etl_runs" in out
    assert "already up to date" in run_cli("db", "init").out  # the same database


def test_produce_with_an_unknown_scope_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("produce", str(tmp_path), "--scope", "claims")
    assert result.code == 2 and "unknown scope 'claims'" in result.err
