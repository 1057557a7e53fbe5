"""Every front-end screens duplicates the same way: one policy, one outcome.

The same files and the same S3 objects go through each caller of the core's
duplicate screen — a drop (`DropCheck`), a watched folder
(`WatchDuplicateCheck`), the restart re-check of waiting files
(`recheck_waiting`), ``hma-ingest upload`` and ``hma-ingest resume
--on-duplicate`` — against moto's server, and each one decides every file
alike. ``check-duplicates --check-s3`` reports the classes the screen found.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from hma_gui.cli.main import main
from hma_gui.core import app_dirs
from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.duplicates.connection import CheckConnection
from hma_gui.core.duplicates.drop_check import DropCheck
from hma_gui.core.duplicates.screen import screen_jobs
from hma_gui.core.duplicates.stored_decisions import recheck_waiting
from hma_gui.core.duplicates.summary import Findings, FindingsState
from hma_gui.core.duplicates.watch_screen import WatchDuplicateCheck
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.store import Decision, Job, JobState, JobStore, NewJob
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import make_s3_client
from tests.conftest import S3Env

pytestmark = pytest.mark.integration

FILES = {
    "new.csv": b"id\n1\n",
    "same.csv": b"id\n2\n",  # S3 holds exactly this at its key
    "conflict.csv": b"id\n3, mine\n",  # S3 holds other content at its key
    "twin-a.csv": b"id\n4\n",  # two copies in one upload
    "twin-b.csv": b"id\n4\n",
}
# (what happens, the key below the front-end's folder, the decision stored)
Outcome = tuple[str, str, Decision | None]
EXPECTED: dict[str, dict[str, Outcome]] = {
    "skip": {
        "new.csv": ("upload", "new.csv", None),
        "same.csv": ("skip", "same.csv", Decision.SKIP),
        "conflict.csv": ("skip", "conflict.csv", Decision.SKIP),
        "twin-a.csv": ("upload", "twin-a.csv", None),
        "twin-b.csv": ("skip", "twin-b.csv", Decision.SKIP),
    },
    "keep-both": {
        "new.csv": ("upload", "new.csv", None),
        "same.csv": ("skip", "same.csv", Decision.SKIP),
        "conflict.csv": ("upload", "conflict__2.csv", Decision.KEEP_BOTH),
        "twin-a.csv": ("upload", "twin-a.csv", None),
        "twin-b.csv": ("upload", "twin-b.csv", None),
    },
}


def files_for(s3_env: S3Env, tmp_path: Path, front_end: str) -> Path:
    """The files of one front-end, below their own key prefix, and S3 seeded for them.

    Each front-end's files differ from the others' (what one uploads is not a
    duplicate elsewhere for the next).
    """
    folder = tmp_path / front_end / "mba" / "csv" / front_end
    folder.mkdir(parents=True)
    for name, data in FILES.items():
        (folder / name).write_bytes(data + front_end.encode())
    client, bucket = s3_env.client, s3_env.mba_bucket
    same = FILES["same.csv"] + front_end.encode()
    client.put_object(Bucket=bucket, Key=f"mba/csv/{front_end}/same.csv", Body=same)  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key=f"mba/csv/{front_end}/conflict.csv", Body=b"theirs\n")  # type: ignore[attr-defined]
    return tmp_path / front_end


def outcomes(jobs: list[NewJob] | list[Job], front_end: str) -> dict[str, Outcome]:
    prefix = f"mba/csv/{front_end}/"
    happens = {
        JobState.QUEUED: "upload", JobState.RUNNING: "upload", JobState.DONE: "upload",
        JobState.SKIPPED: "skip", JobState.WAITING: "wait", JobState.FAILED: "fail",
    }  # fmt: skip
    return {
        Path(j.source).name: (happens[j.state], str(j.key).removeprefix(prefix), j.decision)
        for j in jobs
    }


def planned(root: Path, settings: Settings) -> list[NewJob]:
    return plan([str(root)], settings, PlanOptions.from_settings(settings)).jobs


def leave_waiting(store: JobStore, root: Path, settings: Settings) -> None:
    """The files below `root` as an earlier run of the desktop app left them: waiting."""
    waiting = [dataclasses.replace(j, state=JobState.WAITING) for j in planned(root, settings)]
    store.enqueue(waiting, store.new_batch("drop"))


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def cli_store_jobs() -> list[Job]:
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:
        return store.jobs()


@pytest.mark.parametrize("policy", ["skip", "keep-both"])
def test_each_front_end_decides_alike(s3_env: S3Env, tmp_path: Path, policy: str) -> None:
    settings = load_settings(on_duplicate=policy)
    client = make_s3_client(settings)
    seen: dict[str, dict[str, Outcome]] = {}

    root = files_for(s3_env, tmp_path, "drop")
    connection = CheckConnection()
    connection.set(settings)
    with JobStore(tmp_path / "drop.db") as store:
        check = DropCheck(connection, store=store)
        seen["drop"] = outcomes(
            check.screen(planned(root, settings), 1, settings, CancelToken()), "drop"
        )
        findings = check.take(1)
        assert isinstance(findings, Findings) and findings.state is FindingsState.APPLIED

    root = files_for(s3_env, tmp_path, "watch")
    with JobStore(tmp_path / "watch.db") as store:
        watch = WatchDuplicateCheck(store, lambda: (settings, client))
        seen["watch"] = outcomes(watch(planned(root, settings)), "watch")

    root = files_for(s3_env, tmp_path, "restart")
    with JobStore(tmp_path / "restart.db") as store:
        leave_waiting(store, root, settings)
        assert recheck_waiting(store, settings, client) == []  # the policy decided them all
        seen["restart"] = outcomes(store.jobs(), "restart")

    root = files_for(s3_env, tmp_path, "upload")
    code, _, err = cli("upload", str(root), "--on-duplicate", policy)
    assert code == (1 if policy == "skip" else 0), err  # skip leaves the conflict: exit 1
    seen["upload"] = outcomes([j for j in cli_store_jobs() if "/upload/" in j.source], "upload")

    root = files_for(s3_env, tmp_path, "resume")
    with JobStore(app_dirs.data_dir() / "jobs.db") as store:  # the CLI's store
        leave_waiting(store, root, settings)
    code, _, err = cli("status")
    assert "5 file(s) wait for a duplicate decision" in err
    assert "hma-ingest resume --on-duplicate" in err and "Duplicates tab" not in err
    code, _, err = cli("resume", "--on-duplicate", policy)
    assert code == 0, err
    seen["resume"] = outcomes([j for j in cli_store_jobs() if "/resume/" in j.source], "resume")

    expected = EXPECTED[policy]
    assert seen == dict.fromkeys(seen, expected)


def test_ask_holds_the_questioned_files_where_nobody_can_answer_now(
    s3_env: S3Env, tmp_path: Path
) -> None:
    """A drop and the restart re-check hold; a watcher (nobody to ask) skips."""
    settings = load_settings(on_duplicate="ask")
    client = make_s3_client(settings)
    held = {name: ("wait", name, None) for name in ("same.csv", "conflict.csv", "twin-b.csv")}
    held |= {"new.csv": ("upload", "new.csv", None), "twin-a.csv": ("wait", "twin-a.csv", None)}

    root = files_for(s3_env, tmp_path, "drop")
    connection = CheckConnection()
    connection.set(settings)
    check = DropCheck(connection)
    assert outcomes(check.screen(planned(root, settings), 7, settings, CancelToken()), "drop") == (
        held
    )
    findings = check.take(7)
    assert isinstance(findings, Findings) and findings.waiting

    root = files_for(s3_env, tmp_path, "restart")
    with JobStore(tmp_path / "restart.db") as store:
        leave_waiting(store, root, settings)
        [batch] = recheck_waiting(store, settings, client)
        assert outcomes(store.jobs(), "restart") == held
        assert sorted(Path(p).name for p in batch.review.paths) == sorted(
            n for n, (what, _, _) in held.items() if what == "wait"
        )

    root = files_for(s3_env, tmp_path, "watch")
    with JobStore(tmp_path / "watch.db") as store:
        watch = WatchDuplicateCheck(store, lambda: (settings, client))
        assert outcomes(watch(planned(root, settings)), "watch") == EXPECTED["skip"]


def test_a_producer_passes_its_own_decision_callback(s3_env: S3Env, tmp_path: Path) -> None:
    """The public face for other front-ends (queue producers): planned jobs in, jobs out."""
    settings = load_settings(on_duplicate="ask")
    root = files_for(s3_env, tmp_path, "produce")
    asked: list[int] = []

    class KeepBoth:
        def review(self, review: object) -> bool:
            from hma_gui.core.duplicates.decisions import DuplicateReview

            assert isinstance(review, DuplicateReview)
            asked.append(len(review.paths))
            review.set_all(Decision.KEEP_BOTH)
            return True

    screened = screen_jobs(
        planned(root, settings), settings=settings, client=make_s3_client(settings),
        ask=KeepBoth(),
    )  # fmt: skip
    assert asked == [4] and not screened.cancelled and not screened.waiting
    got = outcomes(screened.jobs, "produce")
    assert got["conflict.csv"] == ("upload", "conflict__2.csv", Decision.KEEP_BOTH)
    assert got["new.csv"] == ("upload", "new.csv", None)


def test_check_duplicates_reports_the_classes_the_screen_found(
    s3_env: S3Env, tmp_path: Path
) -> None:
    root = files_for(s3_env, tmp_path, "check")
    code, text, err = cli("check-duplicates", str(root), "--check-s3", "--format", "json")
    assert code == 1, err  # a conflict in S3
    report = json.loads(text)
    classes = {Path(f["path"]).name: f["class"] for f in report["s3"]["findings"]}
    settings = load_settings()
    review = screen_jobs(
        planned(root, settings), settings=settings, client=make_s3_client(settings)
    ).review
    assert classes == {Path(p).name: f.s3_class.value for p, f in review.findings.items()}
    assert classes["conflict.csv"] == "conflict" and classes["same.csv"] == "already-uploaded"
