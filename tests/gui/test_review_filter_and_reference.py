"""The review dialog as a newcomer uses it: filter by kind, select what is shown, decide;
keep the original of a local group (not its "(1)" copy), or mark another file to keep."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex
from pytestqt.qtbot import QtBot

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview
from hma_gui.core.duplicates.local import DuplicateFile, DuplicateGroup, LocalScanResult
from hma_gui.core.duplicates.s3_check import Comparison, S3CheckResult, S3Class, S3Finding
from hma_gui.core.jobs.store import NewJob
from hma_gui.ui.duplicates.groups_model import GroupColumn
from hma_gui.ui.duplicates.models import FindingColumn
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.duplicates.views import select_rows

pytestmark = [pytest.mark.gui]

KINDS = {S3Class.ALREADY_UPLOADED: 9, S3Class.CONFLICT: 4, S3Class.DUPLICATE_ELSEWHERE: 2}
TWINS = ("r3 (1).csv", "r3.csv", "r3 - Copy.csv")  # sorted by path: the copy comes first


def build_review() -> DuplicateReview:
    jobs: list[NewJob] = []
    findings: list[S3Finding] = []
    for s3_class, count in KINDS.items():
        for i in range(count):
            path, key = f"/d/{s3_class.value}-{i}.csv", f"mba/csv/{s3_class.value}-{i}.csv"
            jobs.append(NewJob(source=path, size=10, bucket="b", key=key, scope="mba"))
            findings.append(
                S3Finding(
                    path=path, size=10, md5="a" * 32, bucket="b", key=key, s3_class=s3_class,
                    how=Comparison.ETAG_MD5, detail="", s3_size=10,
                    other_keys=("mba/csv/other.csv",) if s3_class is S3Class.DUPLICATE_ELSEWHERE
                    else (),
                )
            )  # fmt: skip
    files = tuple(
        DuplicateFile(f"/d/twins/{n}", 5, 100 + i, "c" * 32, 50 + i, 1)
        for i, n in enumerate(sorted(TWINS))
    )
    for f in files:
        name = f.path.rsplit("/", 1)[1]
        jobs.append(NewJob(source=f.path, size=5, bucket="b", key=f"mba/csv/{name}", scope="mba"))
    group = DuplicateGroup("c" * 32, 5, files)
    review = DuplicateReview(
        jobs, local=LocalScanResult(groups=[group]), s3=S3CheckResult(findings=findings)
    )
    review.preselect("ask")
    return review


@pytest.fixture
def dialog(qtbot: QtBot) -> Iterator[DuplicateReviewDialog]:
    widget = DuplicateReviewDialog(build_review(), label="drop: newcomer")
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget


def test_each_kind_in_the_filter_shows_its_findings(dialog: DuplicateReviewDialog) -> None:
    combo, model = dialog.class_filter, dialog.findings_model
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert labels == [
        "All findings", "Already in S3 (9)", "Conflict (4)", "Elsewhere in S3 (2)",
    ]  # fmt: skip
    for index, s3_class in enumerate(KINDS, start=1):
        combo.setCurrentIndex(index)
        assert model.rowCount() == KINDS[s3_class], combo.currentText()
        shown = {model.index(r, FindingColumn.CLASS).data() for r in range(model.rowCount())}
        assert len(shown) == 1
    combo.setCurrentIndex(0)
    assert model.rowCount() == sum(KINDS.values())


def test_filter_then_select_all_shown_then_decide(dialog: DuplicateReviewDialog) -> None:
    review = dialog.review_data
    dialog.class_filter.setCurrentIndex(dialog.class_filter.findText("Conflict (4)"))
    dialog.select_shown_button.click()
    dialog.selected_buttons[Decision.KEEP_BOTH].click()
    kept_both = {p for p, d in review.decisions.items() if d is Decision.KEEP_BOTH}
    assert kept_both == {f"/d/conflict-{i}.csv" for i in range(4)}
    assert review.decisions["/d/already-uploaded-0.csv"] is Decision.SKIP  # not shown: untouched


def file_rows(dialog: DuplicateReviewDialog) -> dict[str, str]:
    model = dialog.groups_model
    group = model.index(0, 0)
    return {
        model.index(r, GroupColumn.FILE, group).data(): model.index(
            r, GroupColumn.DECISION, group
        ).data()
        for r in range(model.rowCount(group))
    }


def test_keep_one_keeps_the_original_not_the_copy(dialog: DuplicateReviewDialog) -> None:
    dialog.show_page(1)
    dialog.keep_one_button.click()
    review = dialog.review_data
    assert review.decisions["/d/twins/r3.csv"] is Decision.UPLOAD
    assert review.decisions["/d/twins/r3 (1).csv"] is Decision.SKIP
    uploaded = [d.key for d in review.resolve() if d.path.startswith("/d/twins/") and d.key]
    assert uploaded == ["mba/csv/r3.csv"]
    assert dialog.groups_model.index(0, GroupColumn.FILE).data() == "3 copies of r3.csv"
    assert file_rows(dialog)["\u2605 /d/twins/r3.csv"] == "Upload"


def test_the_user_marks_the_file_to_keep(dialog: DuplicateReviewDialog) -> None:
    dialog.show_page(1)
    assert dialog.reference_button.isEnabled()
    model, view = dialog.groups_model, dialog.groups_view
    group = model.index(0, 0)
    row = next(
        r for r in range(model.rowCount(group))
        if model.index(r, GroupColumn.FILE, group).data().endswith("r3 - Copy.csv")
    )  # fmt: skip
    view.clearSelection()
    select_rows(view, [row], QModelIndex(group))
    assert dialog.reference_button.isEnabled()
    dialog.reference_button.click()
    review = dialog.review_data
    assert review.decisions["/d/twins/r3 - Copy.csv"] is Decision.UPLOAD
    assert review.decisions["/d/twins/r3.csv"] is Decision.SKIP
    assert file_rows(dialog) == {
        "/d/twins/r3 (1).csv": "Skip (copy)",
        "\u2605 /d/twins/r3 - Copy.csv": "Upload",
        "/d/twins/r3.csv": "Skip (copy)",
    }
    dialog.suggest_button.click()  # the suggestion keeps the person's choice
    assert review.decisions["/d/twins/r3 - Copy.csv"] is Decision.UPLOAD
