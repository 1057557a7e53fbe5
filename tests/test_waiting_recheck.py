"""Files left waiting for a duplicate decision are checked again at the next start."""

from __future__ import annotations

from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.duplicates.s3_check import S3Class
from hma_gui.core.duplicates.stored_decisions import GONE, recheck_waiting
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.s3.client import make_s3_client
from tests.conftest import S3Env

pytestmark = pytest.mark.integration


def waiting_files(s3_env: S3Env, tmp_path: Path, store: JobStore) -> tuple[Path, int, int]:
    """Five files left waiting in two batches; S3 and the disk changed since."""
    bucket, client = s3_env.mba_bucket, s3_env.client
    folder = tmp_path / "mba" / "csv"
    folder.mkdir(parents=True)
    files = {
        "conflict.csv": b"mine\n",  # S3 still holds other content at its key
        "freed.csv": b"freed\n",  # its object was deleted meanwhile: new now
        "same.csv": b"same now\n",  # S3 now holds exactly this
        "gone.csv": b"gone\n",  # deleted from the disk meanwhile
        "later.csv": b"later\n",  # another batch, a conflict too
    }
    first, second = store.new_batch("drop"), store.new_batch("drop")
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        job = NewJob(
            str(path), len(data), scope="mba", bucket=bucket, key=f"mba/csv/{name}",
            state=JobState.WAITING,
        )  # fmt: skip
        store.enqueue([job], second if name == "later.csv" else first)
    (folder / "gone.csv").unlink()
    for name, body in (("conflict", b"theirs\n"), ("same", b"same now\n"), ("later", b"x\n")):
        client.put_object(Bucket=bucket, Key=f"mba/csv/{name}.csv", Body=body)  # type: ignore[attr-defined]
    return folder, first, second


def test_with_ask_what_s3_settled_is_settled_and_the_rest_waits_again(
    s3_env: S3Env, tmp_path: Path
) -> None:
    settings = load_settings(on_duplicate="ask")
    with JobStore(tmp_path / "jobs.db") as store:
        folder, first, second = waiting_files(s3_env, tmp_path, store)

        batches = recheck_waiting(store, settings, make_s3_client(settings))

        jobs = {Path(j.source).name: j for j in store.jobs()}
    assert [(b.batch_id, sorted(b.review.paths)) for b in batches] == [
        (first, [str(folder / "conflict.csv"), str(folder / "same.csv")]),
        (second, [str(folder / "later.csv")]),
    ]
    review = batches[0].review
    conflict = review.finding(str(folder / "conflict.csv"))
    same = review.finding(str(folder / "same.csv"))
    assert conflict is not None and conflict.s3_class is S3Class.CONFLICT
    assert same is not None and same.s3_class is S3Class.ALREADY_UPLOADED
    for name in ("conflict.csv", "same.csv", "later.csv"):  # still waiting for the dialog
        assert (jobs[name].state, jobs[name].error) == (JobState.WAITING, None)
    assert (jobs["freed.csv"].state, jobs["freed.csv"].error) == (JobState.QUEUED, None)
    assert jobs["gone.csv"].state is JobState.FAILED
    assert (
        jobs["gone.csv"].error
        == GONE
        == "the file is gone: it was waiting for a duplicate decision"
    )
    assert batches[0].update.queued == 1


def test_a_policy_changed_since_decides_them_all(s3_env: S3Env, tmp_path: Path) -> None:
    settings = load_settings(on_duplicate="keep-both")
    with JobStore(tmp_path / "jobs.db") as store:
        waiting_files(s3_env, tmp_path, store)

        assert recheck_waiting(store, settings, make_s3_client(settings)) == []

        jobs = {Path(j.source).name: j for j in store.jobs()}
        assert recheck_waiting(store, settings, make_s3_client(settings)) == []  # nothing waits
    assert {n: (j.state, j.key) for n, j in jobs.items() if n != "gone.csv"} == {
        "conflict.csv": (JobState.QUEUED, "mba/csv/conflict__2.csv"),
        "freed.csv": (JobState.QUEUED, "mba/csv/freed.csv"),
        "same.csv": (JobState.SKIPPED, "mba/csv/same.csv"),
        "later.csv": (JobState.QUEUED, "mba/csv/later__2.csv"),
    }
    assert jobs["same.csv"].error.startswith("already in S3")  # type: ignore[union-attr]
