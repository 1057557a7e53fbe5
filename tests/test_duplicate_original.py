"""Keep one per group keeps the original, not the copy a file manager named; or the marked one."""

from __future__ import annotations

from pathlib import Path

import pytest

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview, decide
from hma_gui.core.duplicates.local import DuplicateFile, DuplicateGroup, LocalScanResult
from hma_gui.core.duplicates.original import has_copy_marker, originals_first
from hma_gui.core.jobs.store import NewJob

MD5 = "c" * 32


def group_of(*names: str, mtimes: dict[str, int] | None = None) -> DuplicateGroup:
    files = tuple(
        DuplicateFile(f"/d/{n}", 10, (mtimes or {}).get(n, 100), MD5, i, 1)
        for i, n in enumerate(sorted(names))
    )
    return DuplicateGroup(MD5, 10, files)


def review_of(group: DuplicateGroup) -> DuplicateReview:
    jobs = [
        NewJob(source=p, size=10, bucket="b", key=f"mba/csv/{Path(p).name}", scope="mba")
        for p in group.paths
    ]
    return DuplicateReview(jobs, local=LocalScanResult(groups=[group]))


@pytest.mark.parametrize(
    "name",
    [
        "r3 (1).csv", "r3 (12).csv", "r3 - Copy.csv", "r3 - Copy (2).csv", "r3 copy.csv",
        "r3 copy 2.csv", "r3_copy.csv", "Copy of r3.csv", "copy (2) of r3.csv", "R3 COPY.CSV",
    ],
)  # fmt: skip
def test_copy_markers_are_recognised(name: str) -> None:
    assert has_copy_marker(f"/d/{name}")


@pytest.mark.parametrize(
    "name", ["r3.csv", "copyright.csv", "r3(1)x.csv", "photocopy.csv", "1.csv"]
)
def test_plain_names_are_not_copies(name: str) -> None:
    assert not has_copy_marker(f"/d/{name}")


def test_the_original_is_kept_not_the_first_name_alphabetically() -> None:
    group = group_of("r3.csv", "r3 (1).csv")
    assert group.paths[0] == "/d/r3 (1).csv"  # what "the first by path" used to keep
    review = review_of(group)
    assert decide(review, "skip")
    assert review.decisions == {"/d/r3.csv": Decision.UPLOAD, "/d/r3 (1).csv": Decision.SKIP}
    kept = [d for d in review.resolve() if d.decision is Decision.UPLOAD]
    assert [d.key for d in kept] == ["mba/csv/r3.csv"]


def test_without_markers_the_shortest_then_the_oldest_name_wins() -> None:
    assert originals_first(group_of("ab.csv", "a.csv").files)[0].path == "/d/a.csv"
    older = group_of("x.csv", "y.csv", mtimes={"x.csv": 200, "y.csv": 100})
    assert originals_first(older.files)[0].path == "/d/y.csv"


def test_a_marked_reference_is_kept_and_survives_the_suggestion() -> None:
    group = group_of("r3.csv", "r3 (1).csv", "r3 - Copy.csv")
    review = review_of(group)
    decide(review, "skip")
    review.set_reference(group, "/d/r3 - Copy.csv")
    assert review.reference_of(group) == "/d/r3 - Copy.csv"
    assert review.decisions["/d/r3 - Copy.csv"] is Decision.UPLOAD
    assert review.copy_of == {"/d/r3.csv": "/d/r3 - Copy.csv", "/d/r3 (1).csv": "/d/r3 - Copy.csv"}
    review.preselect("skip")  # "Suggested" again: the person's reference stays
    assert review.decisions["/d/r3 - Copy.csv"] is Decision.UPLOAD
    review.keep_one(group)
    assert review.decisions["/d/r3 - Copy.csv"] is Decision.UPLOAD
    with pytest.raises(ValueError):
        review.set_reference(group, "/d/elsewhere.csv")
