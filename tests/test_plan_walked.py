"""A plan keeps what its walk saw of each file: the duplicate check after it stats nothing again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.plan import PlanOptions, plan


def test_a_plan_keeps_the_identity_the_walk_saw_of_each_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MBA_BUCKET", "bucket")
    root = tmp_path / "mba"
    (root / "sub").mkdir(parents=True)
    for name, body in (("a.csv", b"id\n1\n"), ("sub/b.csv", b"id\n22\n"), ("c.csv", b"")):
        (root / name).write_bytes(body)
    planned = plan([root], load_settings(), PlanOptions(scope="mba"))
    assert len(planned.queued) == 3
    expected = []
    for job in planned.queued:
        info = os.stat(job.source)
        expected.append(
            (job.source, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev,
             info.st_ctime_ns)
        )  # fmt: skip
    assert sorted(planned.walked) == sorted(expected)
