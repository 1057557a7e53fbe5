"""Files waiting for a duplicate decision in the window (defects 1 and 3 of the desktop issue).

1. "Clear finished" removed them (they were skipped jobs), so the review's
   Upload then had nothing to upload;
3. they showed as orange "Skipped", were counted in the Skipped tile, and the
   progress bar counted them as finished.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hma_gui.core.duplicates.decisions import Decision
from hma_gui.core.jobs.store import JobState
from hma_gui.ui import theme
from hma_gui.ui.duplicates.models import FindingColumn
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.queue.job_columns import Column
from tests.conftest import S3Env
from tests.gui.conftest import WAIT_MS
from tests.gui.test_duplicate_flow import decide_later

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def drop_with_a_conflict(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> tuple[MainWindow, list[DuplicateReviewDialog], Path]:
    """A drop with ``ask``: new.csv uploads, report.csv (a conflict) waits; "Decide later"."""
    bucket = s3_env.mba_bucket
    s3_env.client.put_object(Bucket=bucket, Key="mba/csv/report.csv", Body=b"theirs\n")  # type: ignore[attr-defined]
    folder = tmp_path / "drop" / "mba"
    (folder / "csv").mkdir(parents=True)
    (folder / "csv" / "report.csv").write_bytes(b"mine, a longer line\n")
    (folder / "csv" / "new.csv").write_bytes(b"new\n")
    window = open_window(on_duplicate="ask")
    dialogs = decide_later(qtbot, window, folder)
    store = window.session.store
    qtbot.waitUntil(lambda: store.counters().done == 1, timeout=WAIT_MS)
    qtbot.waitUntil(  # the feed has shown both files
        lambda: (
            {Path(j.source).name: j.state for j in window.model.jobs}
            == {"new.csv": JobState.DONE, "report.csv": JobState.WAITING}
        ),
        timeout=WAIT_MS,
    )
    return window, dialogs, folder


def test_clear_finished_keeps_waiting_files_and_the_review_uploads_them(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    window, dialogs, _ = drop_with_a_conflict(qtbot, open_window, s3_env, tmp_path)
    store = window.session.store
    clear = window.table.clear_button
    assert clear.isEnabled()
    clear.click()
    qtbot.waitUntil(
        lambda: [Path(j.source).name for j in window.model.jobs] == ["report.csv"],
        timeout=WAIT_MS,
    )
    assert [j.state for j in store.jobs()] == [JobState.WAITING]

    review = next(b for b in window.banner.buttons if b.text() == "Review…")
    review.click()
    assert len(dialogs) == 2
    dialog = dialogs[1]
    assert dialog.apply_button.text() == "Upload with these decisions"
    model = dialog.findings_model
    assert model.setData(model.index(0, FindingColumn.DECISION), Decision.KEEP_BOTH)
    dialog.apply_button.click()
    bucket = s3_env.mba_bucket
    qtbot.waitUntil(lambda: "mba/csv/report__2.csv" in s3_env.keys(bucket), timeout=WAIT_MS)
    assert s3_env.read(bucket, "mba/csv/report__2.csv") == b"mine, a longer line\n"
    assert s3_env.read(bucket, "mba/csv/report.csv") == b"theirs\n"


def test_waiting_files_show_as_waiting_not_skipped_and_not_finished(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    window, _, _ = drop_with_a_conflict(qtbot, open_window, s3_env, tmp_path)
    model = window.model
    row = [Path(j.source).name for j in model.jobs].index("report.csv")
    state = model.index(row, Column.STATE)
    assert model.data(state) == "To decide" == theme.STATE_LABELS[JobState.WAITING]
    message = model.data(model.index(row, Column.MESSAGE))
    assert message.startswith("waiting for your duplicate decision")
    color = model.data(model.index(row, Column.MESSAGE), Qt.ItemDataRole.ForegroundRole)
    assert color is not None and color.name() == theme.TO_DECIDE

    tiles = window.counters.tiles
    qtbot.waitUntil(lambda: tiles["done"].value.text() == "1", timeout=WAIT_MS)
    assert tiles["skipped"].value.text() == "0"
    assert tiles["to_decide"].value.text() == "1"
    table = window.table
    assert table.chips["To decide"].text() == "To decide  1"
    assert table.chips["Skipped"].text() == "Skipped"
    figures = window.counters.figures
    assert figures is not None and figures.skipped == 0
    assert 0 < figures.fraction < 1  # the waiting file is not finished
    assert window.counters.bar.fraction < 1
    assert window.counters.percent_label.text() != "100 %"
    assert "1 to decide" in window.counters.bytes_label.text()

    table.chips["Skipped"].click()
    assert table.proxy.rowCount() == 0
    table.chips["To decide"].click()
    assert table.proxy.rowCount() == 1
