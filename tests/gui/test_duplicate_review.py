"""The duplicate review dialog and the Duplicates tab, as widgets alone (real S3 checks)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QDialog
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import load_settings
from hma_gui.core.duplicates.check import check_jobs
from hma_gui.core.duplicates.decisions import Decision, DuplicateReview, decide
from hma_gui.core.duplicates.local import DuplicateFile, DuplicateGroup, LocalScanResult
from hma_gui.core.duplicates.s3_check import Comparison, S3CheckResult, S3Class, S3Finding
from hma_gui.core.duplicates.summary import Findings, FindingsState
from hma_gui.core.jobs.plan import Plan, PlanOptions, plan
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.store_run import upload_queued
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader
from hma_gui.ui.duplicates.groups_model import GroupColumn
from hma_gui.ui.duplicates.models import FindingColumn
from hma_gui.ui.duplicates.panel import DuplicatesPanel
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.duplicates.views import CSV_FILTER, JSON_FILTER, select_rows
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

pytestmark = [pytest.mark.gui]

FILES = {
    "new.csv": b"only here\n",
    "same.csv": b"the same in S3\n",
    "conflict.csv": b"mine\n",
    "replace.csv": b"replacement, longer\n",
    "moved.csv": b"S3 has it elsewhere\n",
    "twin-a.csv": b"two copies here\n",
    "twin-b.csv": b"two copies here\n",
}
IN_S3 = {
    "mba/csv/same.csv": b"the same in S3\n",
    "mba/csv/conflict.csv": b"theirs\n",
    "mba/csv/replace.csv": b"old\n",
    "mba/csv/2023/moved.csv": b"S3 has it elsewhere\n",
}


@dataclass
class Checked:
    review: DuplicateReview
    planned: Plan
    folder: Path

    def path(self, name: str) -> str:
        return str(self.folder / "mba" / "csv" / name)


@pytest.fixture
def checked(s3_env: S3Env, tmp_path: Path) -> Checked:
    """A drop of FILES checked against a bucket holding IN_S3, preselected as ``ask`` does."""
    folder = tmp_path / "export"
    (folder / "mba" / "csv").mkdir(parents=True)
    for name, data in FILES.items():
        (folder / "mba" / "csv" / name).write_bytes(data)
    for key, data in IN_S3.items():
        s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=data)  # type: ignore[attr-defined]
    settings = load_settings()
    planned = plan([folder / "mba"], settings, PlanOptions.from_settings(settings))
    review = check_jobs(planned.jobs, settings=settings, client=make_s3_client(settings))
    decide(review, "ask")
    return Checked(review, planned, folder)


@pytest.fixture
def dialog(qtbot: QtBot, checked: Checked) -> Iterator[DuplicateReviewDialog]:
    widget = DuplicateReviewDialog(checked.review, label="drop: export")
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget


def row_of(model: object, path: str) -> int:
    return [f.path for f in model.rows].index(path)  # type: ignore[attr-defined]


def test_the_suggestion_skips_what_s3_has_and_keeps_one_copy(
    dialog: DuplicateReviewDialog, checked: Checked
) -> None:
    review = checked.review
    assert {Path(p).name: review.decisions[p].value for p in review.paths} == {
        "same.csv": "skip",
        "conflict.csv": "skip",
        "replace.csv": "skip",
        "moved.csv": "skip",
        "twin-a.csv": "upload",
        "twin-b.csv": "skip",
    }
    findings = dialog.findings_model
    shown = {
        findings.index(r, FindingColumn.FILE).data(): (
            findings.index(r, FindingColumn.CLASS).data(),
            findings.index(r, FindingColumn.KEY).data(),
            findings.index(r, FindingColumn.HOW).data(),
            findings.index(r, FindingColumn.DECISION).data(),
        )
        for r in range(findings.rowCount())
    }
    assert shown == {
        "mba/csv/same.csv": ("Already in S3", "mba/csv/same.csv", "ETag = MD5", "Skip"),
        "mba/csv/conflict.csv": ("Conflict", "mba/csv/conflict.csv", "size", "Skip"),
        "mba/csv/replace.csv": ("Conflict", "mba/csv/replace.csv", "size", "Skip"),
        "mba/csv/moved.csv": ("Elsewhere in S3", "mba/csv/moved.csv", "ETag = MD5", "Skip"),
    }
    groups = dialog.groups_model
    assert groups.rowCount() == 1
    group = groups.index(0, 0)
    assert group.data() == "2 copies of twin-a.csv"
    assert groups.index(0, GroupColumn.DECISION).data() == "Keep one"
    assert groups.index(0, GroupColumn.WASTED).data() == "16 B"
    assert [groups.index(r, GroupColumn.DECISION, group).data() for r in range(2)] == [
        "Upload",
        "Skip (copy)",
    ]
    assert dialog.subtitle.text() == (
        "drop: export — 1 group of local copies (1 extra, 16 B), 1 already in S3, "
        "2 conflicts, 1 elsewhere in S3"
    )
    assert dialog.outcome.text() == "Upload 1, skip 5 of the 6 listed; 2 conflicts not uploaded."
    assert (
        dialog.s3_chip.text() == "S3 findings  4" and dialog.local_chip.text() == "Local copies  1"
    )


def test_labels_sizes_and_dates_fit_their_columns_and_never_lose_their_start(
    qtbot: QtBot, dialog: DuplicateReviewDialog
) -> None:
    """The views elide paths on the left; cut that way, "16.2 KiB" would read "…6.2 KiB"
    and "Elsewhere in S3" "…where in S3" (seen at 1280 points)."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    dialog.resize(1280, 800)  # wide enough that no column is hidden
    dialog.pages.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not dialog.groups_view.isColumnHidden(GroupColumn.MD5), timeout=5000)

    checks = (
        (dialog.findings_view, dialog.findings_model, QModelIndex(), (
            FindingColumn.CLASS, FindingColumn.LOCAL_SIZE, FindingColumn.LOCAL_MODIFIED,
            FindingColumn.S3_SIZE, FindingColumn.S3_MODIFIED, FindingColumn.HOW)),
        (dialog.groups_view, dialog.groups_model, dialog.groups_model.index(0, 0), (
            GroupColumn.SIZE, GroupColumn.MODIFIED, GroupColumn.MD5)),
    )  # fmt: skip
    for view, model, parent, columns in checks:
        metrics = view.fontMetrics()
        for column in columns:
            assert not view.isColumnHidden(column), column
            delegate = view.itemDelegateForColumn(column)
            assert delegate is not None, column
            for row in range(model.rowCount(parent)):
                index = model.index(row, column, parent)
                text = str(index.data() or "")
                assert metrics.horizontalAdvance(text) + 8 <= view.columnWidth(column), text
                option = QStyleOptionViewItem()
                delegate.initStyleOption(option, index)
                assert option.textElideMode == Qt.TextElideMode.ElideRight


def edit_decision(qtbot: QtBot, view: object, index: QModelIndex, label: str) -> None:
    """Open the decision cell's combo box, pick `label`: the delegate's way."""
    view.setCurrentIndex(index)  # type: ignore[attr-defined]
    view.edit(index)  # type: ignore[attr-defined]
    editor = view.findChild(QComboBox)  # type: ignore[attr-defined]
    assert editor is not None
    editor.setCurrentIndex(editor.findText(label))
    editor.activated.emit(editor.currentIndex())
    view.closePersistentEditor(index)  # type: ignore[attr-defined]


def test_changed_decisions_change_what_lands_in_s3(
    qtbot: QtBot,
    dialog: DuplicateReviewDialog,
    checked: Checked,
    s3_env: S3Env,
    proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    findings, view = dialog.findings_model, dialog.findings_view
    conflict = findings.index(
        row_of(findings, checked.path("conflict.csv")), FindingColumn.DECISION
    )
    assert conflict.data(Qt.ItemDataRole.UserRole + 2) == [
        Decision.SKIP, Decision.OVERWRITE, Decision.KEEP_BOTH,
    ]  # fmt: skip
    edit_decision(qtbot, view, conflict, "Keep both")
    view.clearSelection()
    select_rows(view, [row_of(findings, checked.path("replace.csv"))])
    dialog.selected_buttons[Decision.OVERWRITE].click()
    dialog.show_page(1)
    dialog.groups_view.clearSelection()
    select_rows(dialog.groups_view, [0])  # the group row: both copies
    dialog.selected_buttons[Decision.UPLOAD].click()
    review = checked.review
    assert review.decisions[checked.path("conflict.csv")] is Decision.KEEP_BOTH
    assert findings.index(conflict.row(), FindingColumn.DECISION).data() == "Keep both"
    assert dialog.groups_model.index(0, GroupColumn.DECISION).data() == "Upload all"
    assert dialog.outcome.text() == (
        "Upload 4 (1 overwriting, 1 under a new name), skip 2 of the 6 listed."
    )
    dialog.apply_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted

    jobs = review.apply(checked.planned.jobs)
    settings = load_settings()
    with JobStore(tmp_path / "jobs.db") as store:
        store.enqueue(jobs)
        uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
        report = upload_queued(store, uploader, concurrency=2)
        uploader.close()
        skipped = {Path(j.source).name: j.error for j in store.jobs(state=JobState.SKIPPED)}
    assert (report.counters.done, report.counters.skipped) == (5, 2)
    bucket = s3_env.mba_bucket
    assert proxy.puts(bucket) == {
        "mba/csv/new.csv": 1, "mba/csv/conflict__2.csv": 1, "mba/csv/replace.csv": 1,
        "mba/csv/twin-a.csv": 1, "mba/csv/twin-b.csv": 1,
    }  # fmt: skip
    assert s3_env.read(bucket, "mba/csv/conflict.csv") == b"theirs\n"  # kept
    assert s3_env.read(bucket, "mba/csv/conflict__2.csv") == b"mine\n"  # both
    assert s3_env.read(bucket, "mba/csv/replace.csv") == b"replacement, longer\n"  # overwritten
    assert "mba/csv/moved.csv" not in s3_env.keys(bucket)  # skipped: S3 has it elsewhere
    assert skipped["same.csv"].startswith("already in S3")  # type: ignore[union-attr]
    assert (
        skipped["moved.csv"]
        == f"same content already in S3 at s3://{bucket}/mba/csv/2023/moved.csv"
    )


def test_apply_to_all_and_back_to_the_suggestion(
    dialog: DuplicateReviewDialog, checked: Checked
) -> None:
    dialog.all_choice.setCurrentIndex(dialog.all_choice.findData(Decision.KEEP_BOTH))
    dialog.apply_all_button.click()
    decisions = {Path(p).name: d for p, d in checked.review.decisions.items()}
    assert decisions["conflict.csv"] is Decision.KEEP_BOTH  # S3 holds it: both kept
    assert decisions["moved.csv"] is Decision.UPLOAD  # nothing at its key: uploaded
    assert decisions["twin-b.csv"] is Decision.UPLOAD
    dialog.suggest_button.click()
    assert checked.review.decisions[checked.path("conflict.csv")] is Decision.SKIP
    assert checked.review.decisions[checked.path("twin-b.csv")] is Decision.SKIP


def test_the_findings_export_as_json_and_csv(
    dialog: DuplicateReviewDialog, checked: Checked, tmp_path: Path
) -> None:
    target = tmp_path / "reports" / "findings"
    dialog.choose_path = lambda _parent, _suggested: (str(target), JSON_FILTER)
    dialog.export_button.click()
    assert dialog.last_export == target.with_suffix(".json")
    data = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    assert data["roots"] == ["drop: export"]
    assert {Path(f["path"]).name: f["class"] for f in data["s3"]["findings"]}["conflict.csv"] == (
        "conflict"
    )
    assert len(data["local"]["groups"]) == 1
    assert {Path(d["path"]).name: d["decision"] for d in data["decisions"]}["twin-b.csv"] == "skip"

    dialog.choose_path = lambda _parent, _suggested: (str(tmp_path / "out.csv"), CSV_FILTER)
    dialog.export_button.click()
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    sections = [r["section"] for r in rows]
    assert sections.count("duplicate") == 2 and sections.count("s3") == len(FILES)
    same = next(r for r in rows if r["section"] == "s3" and r["path"].endswith("same.csv"))
    assert (same["class"], same["decision"]) == ("already-uploaded", "skip")

    dialog.choose_path = lambda _parent, _suggested: ("", "")  # cancelled: nothing written
    assert dialog.export() is None


def test_the_dialog_is_the_cores_decision_callback(qtbot: QtBot, checked: Checked) -> None:
    dialog = DuplicateReviewDialog(checked.review)
    qtbot.addWidget(dialog)

    def answer() -> None:
        dialog.apply_to_all(Decision.OVERWRITE)
        dialog.apply_button.click()

    QTimer.singleShot(0, answer)
    assert decide(checked.review, "ask", dialog)  # modal: returns once answered
    assert checked.review.decisions[checked.path("conflict.csv")] is Decision.OVERWRITE
    QTimer.singleShot(0, dialog.later_button.click)
    assert not dialog.review(checked.review)  # decide later: the upload does not go on


# ----------------------------------------------------------------- 10,000 rows


def big_review(findings_count: int = 7000, groups_count: int = 1500) -> DuplicateReview:
    classes = [
        S3Class.ALREADY_UPLOADED, S3Class.CONFLICT, S3Class.DUPLICATE_ELSEWHERE,
        S3Class.UNDECIDED,
    ]  # fmt: skip
    jobs: list[NewJob] = []
    found: list[S3Finding] = []
    for n in range(findings_count):
        path, key = f"/data/mba/csv/f{n:05d}.csv", f"mba/csv/f{n:05d}.csv"
        jobs.append(NewJob(path, 100 + n, root="/data/mba", bucket="b", key=key, scope="mba"))
        found.append(
            S3Finding(
                path=path, size=100 + n, md5=f"{n:032x}", bucket="b", key=key,
                s3_class=classes[n % 4], how=Comparison.ETAG_MD5, detail="compared",
                s3_size=100 + n, other_keys=(f"mba/csv/old/f{n:05d}.csv",) if n % 4 == 2 else (),
            )
        )  # fmt: skip
    groups = []
    for g in range(groups_count):
        files = []
        for c in range(2):
            path = f"/data/mba/csv/copies/g{g:05d}-{c}.csv"
            jobs.append(NewJob(path, 50, root="/data/mba", bucket="b", key=path[6:], scope="mba"))
            files.append(DuplicateFile(path, 50, 0, f"{g:032x}", g * 2 + c, 1))
        groups.append(DuplicateGroup(f"{g:032x}", 50, tuple(files)))
    review = DuplicateReview(
        jobs,
        local=LocalScanResult(groups=groups),
        s3=S3CheckResult(findings=found),
        taken_keys={"b": [f.key for f in found]},
    )
    review.preselect("ask")
    return review


def test_the_dialog_copes_with_10000_rows(qtbot: QtBot) -> None:
    started = time.perf_counter()
    review = big_review()
    built = time.perf_counter()
    dialog = DuplicateReviewDialog(review, label="drop: big")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab()  # one full paint
    shown = time.perf_counter()
    assert dialog.findings_model.rowCount() == 7000
    assert dialog.groups_model.rowCount() == 1500 and len(review.paths) == 10_000
    dialog.all_choice.setCurrentIndex(dialog.all_choice.findData(Decision.OVERWRITE))
    dialog.apply_all_button.click()
    dialog.grab()
    applied = time.perf_counter()
    assert sum(d is Decision.OVERWRITE for d in review.decisions.values()) == 5250  # at their keys
    assert sum(d is Decision.UPLOAD for d in review.decisions.values()) == 4750  # the others
    dialog.findings_view.sortByColumn(FindingColumn.DECISION, Qt.SortOrder.AscendingOrder)
    sorted_at = time.perf_counter()
    model = dialog.findings_model
    assert [model.index(r, FindingColumn.DECISION).data() for r in (0, 6999)] == [
        "Overwrite",
        "Upload",
    ]
    dialog.show_page(1)
    dialog.keep_one_button.click()
    dialog.grab()
    kept = time.perf_counter()
    assert dialog.groups_model.index(0, GroupColumn.DECISION).data() == "Keep one"
    resolved = len(review.resolve())
    resolved_at = time.perf_counter()
    assert resolved == 10_000
    print(
        f"\n10,000-row review: build {built - started:.3f} s, open and paint "
        f"{shown - built:.3f} s, apply to all and repaint {applied - shown:.3f} s, sort "
        f"{sorted_at - applied:.3f} s, keep one per group {kept - sorted_at:.3f} s, "
        f"resolve {resolved_at - kept:.3f} s"
    )


# ----------------------------------------------------------------- the tab


def test_the_tab_shows_the_findings_read_only(qtbot: QtBot, checked: Checked) -> None:
    panel = DuplicatesPanel()
    qtbot.addWidget(panel)
    assert panel.current() is None and not panel.review_button.isEnabled()
    older = Findings("drop: older", big_review(8, 2), 1, FindingsState.APPLIED)
    latest = Findings("drop: export", checked.review, 2, FindingsState.WAITING)
    panel.set_findings([latest, older])
    assert panel.current() is latest and panel.review_button.isEnabled()
    assert panel.s3_chip.text() == "S3 findings  4"
    assert panel.state_label.text() == "6 files wait for your decision"
    model = panel.findings_model
    assert model is not None and not model.editable
    index = model.index(0, FindingColumn.DECISION)
    assert not model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert not model.setData(index, Decision.OVERWRITE)
    requested: list[object] = []
    panel.review_requested.connect(requested.append)
    panel.review_button.click()
    assert requested == [latest]
    panel.choice.setCurrentIndex(1)
    assert panel.current() is older and panel.s3_chip.text() == "S3 findings  8"
    assert panel.state_label.text() == (
        "Upload 2, skip 10 of the 12 listed; 4 conflicts not uploaded."
    )
    panel.set_policy("ask", True)
    assert panel.policy.currentData() == "ask" and panel.check_box.isChecked()
    policies: list[tuple[str, bool]] = []
    panel.policy_changed.connect(lambda policy, check: policies.append((policy, check)))
    panel.policy.setCurrentIndex(panel.policy.findData("keep-both"))
    panel.policy.activated.emit(panel.policy.currentIndex())
    panel.check_box.setChecked(False)
    assert policies == [("keep-both", True), ("keep-both", False)]
    assert not panel.policy.isEnabled()
