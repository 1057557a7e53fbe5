"""Issue 13 item 15 ("Smaller"): the throughput chart's scale, front-elided paths,
the remembered Parallel value — each driven through the real widgets."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QAbstractItemView, QAbstractSlider, QHeaderView, QTableView
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import load_settings
from hma_gui.core.duplicates.check import check_jobs
from hma_gui.core.duplicates.decisions import decide
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.records import NewJob
from hma_gui.core.jobs.store import JobState
from hma_gui.core.s3.client import make_s3_client
from hma_gui.ui import theme
from hma_gui.ui.duplicates.models import FindingColumn
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.queue.job_columns import Column
from hma_gui.ui.queue.job_model import JobTableModel
from hma_gui.ui.queue.throughput_chart import ThroughputChart
from tests.conftest import S3Env
from tests.gui.conftest import Harness

pytestmark = [pytest.mark.gui, pytest.mark.integration]  # real windows; moto for some

KiB = 1024


def _highest_line_pixel(image: QImage, colour: QColor) -> int | None:
    """The smallest y where the chart's line colour (±24 per channel) is drawn."""
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - colour.red()) < 24
                and abs(pixel.green() - colour.green()) < 24
                and abs(pixel.blue() - colour.blue()) < 24
            ):
                return y
    return None


def test_chart_scales_down_to_kib_for_small_file_uploads(qtbot: QtBot) -> None:
    chart = ThroughputChart()
    qtbot.addWidget(chart)
    chart.resize(320, 140)
    for second, rate in enumerate([2 * KiB, 6 * KiB, 9 * KiB, 4 * KiB, 7 * KiB]):
        chart.add_sample(100.0 + second, rate, files_rate=3.5)
    assert chart.scale == 10 * KiB  # a round top just above the 9 KiB/s peak
    assert "files/s" in chart.caption() and "3.5" in chart.caption()
    image = chart.grab().toImage()
    top = _highest_line_pixel(image, QColor(theme.ACCENT))
    assert top is not None
    # the 9 KiB/s peak reaches the upper part of the plot, not a flat line at the bottom
    assert top < image.height() // 2, (top, image.height())


def test_chart_scale_reaches_bytes_per_second(qtbot: QtBot) -> None:
    chart = ThroughputChart()
    qtbot.addWidget(chart)
    chart.add_sample(1.0, 30)
    chart.add_sample(2.0, 140)
    assert chart.scale == 200
    chart.add_sample(3.0, 3 * 1024 * 1024)
    assert chart.scale == 5 * 1024 * 1024


# ----------------------------------------------------------------- paths keep their end

DEEP = "a-long-export-folder-name-" * 3


def _cells_differ(view: QAbstractItemView, column: int, rows: tuple[int, int]) -> bool:
    """Whether two cells of `view` paint differently (no alternating colours, no selection)."""
    view.setAlternatingRowColors(False)
    view.clearSelection()
    view.setCurrentIndex(QModelIndex())
    model = view.model()
    images = []
    for row in rows:
        rect = view.visualRect(model.index(row, column))
        assert rect.isValid() and rect.width() > 20
        images.append(view.viewport().grab(rect).toImage())
    return images[0] != images[1]


def _fit_column(view: QAbstractItemView, column: int, tail: str) -> None:
    """Narrow `column` to about the width of "…" + `tail` (+ padding): the path cannot fit."""
    metrics = view.fontMetrics()
    assert isinstance(view, QTableView)
    view.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    view.setColumnWidth(column, metrics.horizontalAdvance("…" + tail) + 24)
    assert view.columnWidth(column) < metrics.horizontalAdvance(DEEP)


def test_job_table_keeps_the_folder_that_tells_copies_apart(
    harness_factory: Callable[..., Harness],
) -> None:
    harness = harness_factory(start=False)
    root = f"/data/{DEEP}"
    harness.store.enqueue(
        [NewJob(source=f"{root}/mba/csv/run-{n}/report.csv", size=10, root=root) for n in (1, 2)]
    )
    harness.wait(lambda: harness.model.rowCount() == 2)
    view = harness.table.view
    harness.table.resize(1200, 400)
    harness.table.show()
    harness.qtbot.waitExposed(harness.table)
    _fit_column(view, Column.SOURCE, "run-1/report.csv")
    assert _cells_differ(view, Column.SOURCE, (0, 1))


def test_review_dialog_keeps_the_folder_that_tells_copies_apart(
    qtbot: QtBot, s3_env: S3Env, tmp_path: Path
) -> None:
    folder = tmp_path / DEEP
    for n in (1, 2):
        path = folder / "mba" / "csv" / f"run-{n}" / "report.csv"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"same bytes in both copies\n")
        key = f"mba/csv/run-{n}/report.csv"
        s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=path.read_bytes())  # type: ignore[attr-defined]
    dialog = _review_dialog(qtbot, folder)
    view = dialog.findings_view
    assert dialog.findings_model.rowCount() == 2
    _fit_column(view, FindingColumn.FILE, "run-1/report.csv")
    assert _cells_differ(view, FindingColumn.FILE, (0, 1))


def _review_dialog(qtbot: QtBot, folder: Path) -> DuplicateReviewDialog:
    settings = load_settings()
    planned = plan([folder / "mba"], settings, PlanOptions.from_settings(settings))
    review = check_jobs(planned.jobs, settings=settings, client=make_s3_client(settings))
    decide(review, "ask")
    dialog = DuplicateReviewDialog(review, label="drop")
    qtbot.addWidget(dialog)
    dialog.resize(1400, 700)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


# ----------------------------------------------------------------- conflicts: both sides


def test_conflicts_show_local_and_s3_size_and_date(
    qtbot: QtBot, s3_env: S3Env, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    path = folder / "mba" / "csv" / "conflict.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"L" * 3072)
    local_time = datetime(2021, 3, 4, 5, 6, tzinfo=UTC)
    os.utime(path, (local_time.timestamp(), local_time.timestamp()))
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/csv/conflict.csv", Body=b"S" * 500
    )
    dialog = _review_dialog(qtbot, folder)
    model = dialog.findings_model
    headers = [
        model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for c in range(model.columnCount())
    ]
    assert headers[3:7] == ["Local size", "Local modified", "S3 size", "S3 modified"]
    row = {name: model.index(0, headers.index(name)).data() for name in headers}
    assert row["Found"] == "Conflict"
    assert row["Local size"] == "3.0 KiB"
    assert row["S3 size"] == "500 B"
    assert row["Local modified"] == local_time.astimezone().strftime("%Y-%m-%d %H:%M")
    s3_time = datetime.strptime(row["S3 modified"], "%Y-%m-%d %H:%M")
    assert abs(s3_time - datetime.now()) < timedelta(minutes=10)  # just put there
    # the columns are shown, wide enough to read, not only in a tooltip
    view = dialog.findings_view
    for name in ("Local size", "Local modified", "S3 size", "S3 modified"):
        column = headers.index(name)
        assert not view.isColumnHidden(column) and view.columnWidth(column) >= 60


# ----------------------------------------------------------------- Parallel is remembered


def test_parallel_value_is_remembered_across_restarts(
    qtbot: QtBot, open_window: Callable[..., MainWindow]
) -> None:
    first = open_window(check_s3=False)
    spin = first.queue_controls.concurrency
    wanted = spin.value() + 3
    spin.setFocus()
    for _ in range(3):
        qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert first.session.queue.concurrency == wanted  # this run uses it at once
    first.quit()

    second = open_window(check_s3=False)
    assert second.queue_controls.concurrency.value() == wanted
    assert second.session.queue.concurrency == wanted
    assert second.session.base_settings.concurrency == wanted  # Settings shows it too


# ----------------------------------------------------------------- running rows in view


def _running_rows_visible(table: QTableView, model: JobTableModel) -> bool:
    first = max(0, table.rowAt(0))
    last = table.rowAt(table.viewport().height() - 1)
    last = model.rowCount() - 1 if last < 0 else last
    return any(model.jobs[r].state is JobState.RUNNING for r in range(first, last + 1))


def test_running_uploads_are_kept_in_view(harness_factory: Callable[..., Harness]) -> None:
    harness = harness_factory(start=False)
    store = harness.store
    store.enqueue(
        [
            NewJob(
                source=f"/data/mba/csv/f{n:04d}.csv",
                size=10,
                root="/data",
                scope="mba",
                bucket="b",
                key=f"mba/csv/f{n:04d}.csv",
            )
            for n in range(300)
        ]
    )
    for job in store.claim(limit=250):  # the first 250 finished: the running ones come after
        store.mark_done(job.id, etag="e", md5=None)
    harness.table.resize(1000, 400)
    harness.table.show()
    harness.qtbot.waitExposed(harness.table)
    view, model = harness.table.view, harness.model
    harness.wait(lambda: sum(j.state is JobState.DONE for j in model.jobs) == 250)
    assert not _running_rows_visible(view, model)
    store.claim(limit=3)  # rows 251 to 253 start uploading
    harness.wait(lambda: sum(j.state is JobState.RUNNING for j in model.jobs) == 3)
    harness.wait(lambda: _running_rows_visible(view, model), timeout=5_000)
    assert model.jobs[view.rowAt(0)].state is JobState.RUNNING  # at the top, not the bottom

    # the user scrolls back to read the finished ones: the view stays there
    view.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)
    assert view.rowAt(0) == 0
    store.claim(limit=1)
    harness.wait(lambda: sum(j.state is JobState.RUNNING for j in model.jobs) == 4)
    harness.qtbot.wait(1_000)
    assert view.rowAt(0) == 0
