"""`hma-ingest upload` end to end against moto's server: what the bench relies on."""

from __future__ import annotations

import gc
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from hma_gui.cli.main import main

pytestmark = pytest.mark.integration


def _tree(root: Path, count: int) -> dict[str, bytes]:
    files = {}
    for n in range(count):
        data = hashlib.sha256(str(n).encode()).digest() * (n + 1)
        path = root / f"d{n % 3}" / f"f{n}.dat"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files[f"mba/dat/{root.name}/d{n % 3}/f{n}.dat"] = data
    return files


def test_upload_run_sends_every_file_and_leaves_the_collector_as_it_was(
    s3_env: Any, tmp_path: Path
) -> None:
    files = _tree(tmp_path / "src", 30)
    out, err = io.StringIO(), io.StringIO()
    status = main(["upload", "--scope", "mba", str(tmp_path / "src")], out, err)
    assert status == 0, err.getvalue()
    assert s3_env.keys(s3_env.mba_bucket) == sorted(files)
    for key, data in files.items():
        assert s3_env.read(s3_env.mba_bucket, key) == data
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert s3_env.head(s3_env.mba_bucket, key)["Metadata"]["md5"] == md5
    assert gc.get_freeze_count() == 0  # the run froze start-up objects only while it ran
    assert "30 uploaded, 0 skipped, 0 failed" in out.getvalue()
