"""Decisions: preselection by policy, per file / group / class / all, keep-both keys, jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview, decide, keep_both_key
from hma_gui.core.duplicates.local import DuplicateFile, DuplicateGroup, LocalScanResult
from hma_gui.core.duplicates.s3_check import Comparison, S3CheckResult, S3Class, S3Finding
from hma_gui.core.duplicates.stored_decisions import update_stored_jobs
from hma_gui.core.jobs.store import JobState, JobStore, NewJob

B = "bucket-1"


def job(name: str) -> NewJob:
    return NewJob(source=f"/d/{name}", size=10, bucket=B, key=f"mba/csv/{name}", scope="mba")


def finding(name: str, s3_class: S3Class, other: str | None = None) -> S3Finding:
    return S3Finding(
        path=f"/d/{name}", size=10, md5="a" * 32, bucket=B, key=f"mba/csv/{name}",
        s3_class=s3_class, how=Comparison.ETAG_MD5, detail="the ETag equals the local MD5",
        other_keys=(other,) if other else (),
    )  # fmt: skip


@pytest.fixture
def review() -> DuplicateReview:
    names = [
        "new.csv",
        "same.csv",
        "conflict.csv",
        "undecided.csv",
        "moved.csv",
        "x1.csv",
        "x2.csv",
    ]
    jobs = [job(n) for n in names]
    s3 = S3CheckResult(
        findings=[
            finding("new.csv", S3Class.NEW),
            finding("same.csv", S3Class.ALREADY_UPLOADED),
            finding("conflict.csv", S3Class.CONFLICT),
            finding("undecided.csv", S3Class.UNDECIDED),
            finding("moved.csv", S3Class.DUPLICATE_ELSEWHERE, "mba/csv/2023/moved.csv"),
            finding("x1.csv", S3Class.NEW),
            finding("x2.csv", S3Class.NEW),
        ]
    )
    group = DuplicateGroup(
        "b" * 32, 10, tuple(DuplicateFile(f"/d/{n}", 10, 0, "b" * 32, i, 1) for i, n in
                            enumerate(["x1.csv", "x2.csv"]))
    )  # fmt: skip
    taken = {B: ["mba/csv/conflict.csv", "mba/csv/conflict__2.csv", "mba/csv/undecided.csv"]}
    return DuplicateReview(jobs, local=LocalScanResult(groups=[group]), s3=s3, taken_keys=taken)


def decisions(review: DuplicateReview) -> dict[str, str]:
    return {Path(p).name: d.value for p, d in review.decisions.items()}


def test_skip_policy_skips_identical_and_leaves_conflicts_unresolved(
    review: DuplicateReview,
) -> None:
    assert decide(review, "skip")
    assert decisions(review) == {
        "new.csv": "upload", "same.csv": "skip", "conflict.csv": "skip", "undecided.csv": "skip",
        "moved.csv": "skip", "x1.csv": "upload", "x2.csv": "skip",
    }  # fmt: skip
    assert {Path(f.path).name for f in review.unresolved()} == {"conflict.csv", "undecided.csv"}
    reasons = {Path(d.path).name: d.reason for d in review.resolve()}
    assert reasons["same.csv"].startswith("already in S3: s3://bucket-1/mba/csv/same.csv")
    assert "choose overwrite or keep both" in reasons["conflict.csv"]
    assert (
        reasons["moved.csv"] == "same content already in S3 at s3://bucket-1/mba/csv/2023/moved.csv"
    )
    assert reasons["x2.csv"] == "same content as /d/x1.csv, which is uploaded in this run"


def test_overwrite_and_keep_both_policies(review: DuplicateReview) -> None:
    decide(review, "overwrite")
    assert decisions(review) == {
        "new.csv": "upload", "same.csv": "overwrite", "conflict.csv": "overwrite",
        "undecided.csv": "overwrite", "moved.csv": "upload", "x1.csv": "upload",
        "x2.csv": "upload",
    }  # fmt: skip
    assert review.unresolved() == []
    decide(review, "keep-both")
    assert decisions(review)["same.csv"] == "skip"
    keys = {Path(d.path).name: d.key for d in review.resolve()}
    # conflict__2 is taken in S3: the next free name; and none collides with another
    assert keys["conflict.csv"] == "mba/csv/conflict__3.csv"
    assert keys["undecided.csv"] == "mba/csv/undecided__2.csv"


def test_per_file_group_class_and_all(review: DuplicateReview) -> None:
    decide(review, "skip")
    review.set_file("/d/conflict.csv", Decision.KEEP_BOTH)
    assert review.decisions["/d/conflict.csv"] is Decision.KEEP_BOTH
    review.set_file("/d/new.csv", Decision.OVERWRITE)  # nothing to overwrite: an upload
    assert review.decisions["/d/new.csv"] is Decision.UPLOAD
    review.set_file("/d/same.csv", Decision.UPLOAD)  # onto an existing object: an overwrite
    assert review.decisions["/d/same.csv"] is Decision.OVERWRITE

    group = review.groups[0]
    review.keep_one(group, keep="/d/x2.csv")
    assert (review.decisions["/d/x1.csv"], review.decisions["/d/x2.csv"]) == (
        Decision.SKIP, Decision.UPLOAD,
    )  # fmt: skip
    review.set_group(group, Decision.UPLOAD)
    assert review.decisions["/d/x1.csv"] is review.decisions["/d/x2.csv"] is Decision.UPLOAD

    review.set_class(S3Class.CONFLICT, Decision.OVERWRITE)
    assert review.decisions["/d/conflict.csv"] is Decision.OVERWRITE
    review.set_all(Decision.SKIP)
    assert {review.decisions[p] for p in review.paths} == {Decision.SKIP}
    assert review.decisions["/d/new.csv"] is Decision.UPLOAD  # nothing to decide for it


def test_decisions_go_onto_new_jobs_and_stored_jobs(
    review: DuplicateReview, tmp_path: Path
) -> None:
    decide(review, "keep-both")
    review.set_file("/d/same.csv", Decision.SKIP)
    jobs = review.apply([job(n) for n in ("same.csv", "conflict.csv", "new.csv")])
    same, conflict, new = jobs
    assert same.state is JobState.SKIPPED and same.decision is Decision.SKIP
    assert same.error and same.error.startswith("already in S3")
    assert (conflict.state, conflict.key, conflict.decision) == (
        JobState.QUEUED, "mba/csv/conflict__3.csv", Decision.KEEP_BOTH,
    )  # fmt: skip
    assert (new.state, new.key, new.decision) == (JobState.QUEUED, "mba/csv/new.csv", None)

    with JobStore(tmp_path / "jobs.db") as store:
        store.enqueue([job(n) for n in ("same.csv", "conflict.csv", "new.csv")])
        update_stored_jobs(review, store, store.jobs())
        stored = {Path(j.source).name: j for j in store.jobs()}
    assert stored["same.csv"].state is JobState.SKIPPED
    assert stored["same.csv"].decision is Decision.SKIP  # an enum, from the stored code
    assert stored["conflict.csv"].key == "mba/csv/conflict__3.csv"
    assert stored["new.csv"].state is JobState.QUEUED


def test_ask_hands_the_preselected_review_to_the_callback(review: DuplicateReview) -> None:
    seen: list[dict[str, str]] = []

    class Dialog:
        def review(self, review: DuplicateReview) -> bool:
            seen.append(decisions(review))
            review.set_class(S3Class.CONFLICT, Decision.KEEP_BOTH)
            return True

    assert decide(review, "ask", Dialog())
    assert seen[0]["conflict.csv"] == "skip"  # preselected like skip
    assert review.decisions["/d/conflict.csv"] is Decision.KEEP_BOTH

    class Cancel:
        def review(self, review: DuplicateReview) -> bool:
            return False

    assert not decide(review, "ask", Cancel())
    with pytest.raises(ValueError, match="unknown duplicate policy"):
        decide(review, "delete")


@pytest.mark.parametrize(
    ("key", "taken", "expected"),
    [
        ("mba/csv/a.csv", set(), "mba/csv/a__2.csv"),
        ("mba/csv/a.csv", {"mba/csv/a__2.csv"}, "mba/csv/a__3.csv"),
        ("mba/other/README", set(), "mba/other/README__2"),
        ("mba/other/.env", set(), "mba/other/.env__2"),
        ("mba/gz/x.tar.gz", set(), "mba/gz/x.tar__2.gz"),
        ("top.csv", set(), "top__2.csv"),
    ],
)
def test_keep_both_key(key: str, taken: set[str], expected: str) -> None:
    assert keep_both_key(key, taken) == expected
