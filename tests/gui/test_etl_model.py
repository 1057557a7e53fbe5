"""The ETL tab's parts without S3: the progress board, the file model, the summary line."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.etl.database import DbConfig
from hma_gui.core.etl.pipeline import PlannedFile
from hma_gui.core.etl.results import FileResult, FileStatus, RunResult
from hma_gui.core.etl.s3_source import SourceObject
from hma_gui.core.etl.schema import TABLES_BY_NAME
from hma_gui.ui.etl.history import local_time, read_history
from hma_gui.ui.etl.model import EtlBoard, EtlFileModel, FileColumn, summarize

pytestmark = pytest.mark.gui

PLANS = SourceObject("b", "mba/csv/plan_details.csv", 1000, "e1")
MEMBERS = SourceObject("b", "mba/csv/MemberData.csv", 4000, "e2")
STRAY = SourceObject("b", "mba/csv/notes.csv", 10, "e3")


def planned_board() -> EtlBoard:
    board = EtlBoard()
    board.plan(
        [
            PlannedFile(PLANS, TABLES_BY_NAME["plans"]),
            PlannedFile(MEMBERS, TABLES_BY_NAME["members"]),
        ]
    )
    return board


def result(
    source: SourceObject, status: FileStatus, read: int = 0, rejected: int = 0
) -> FileResult:
    table = "plans" if source is PLANS else "members"
    return FileResult(
        source, table, status, rows_read=read, rows_loaded=read - rejected, rows_rejected=rejected
    )


def test_the_board_coalesces_progress_into_one_change_per_file() -> None:
    board = planned_board()
    first = board.take()
    assert first is not None and first.reset
    assert [(r.name, r.table, r.status) for r in first.rows] == [
        ("plan_details.csv", "plans", None),
        ("MemberData.csv", "members", None),
    ]
    assert board.take() is None

    def worker() -> None:
        board.file_started(MEMBERS, "members", 1, 2)
        for batch in range(1, 401):
            board.file_progress(MEMBERS, batch * 10, batch * 5000)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()

    changes = board.take()
    assert changes is not None and not changes.reset
    assert len(changes.rows) == 1  # 401 calls, one row to repaint
    row = changes.rows[0]
    assert (row.status, row.bytes_done, row.rows_read, row.progress) == (
        FileStatus.RUNNING,
        4000,
        2_000_000,
        1.0,
    )
    assert board.take() is None


def test_the_model_replaces_rows_in_place_and_appends_unplanned_files(qtbot: QtBot) -> None:
    board, model = planned_board(), EtlFileModel()
    model.apply(board.take())  # type: ignore[arg-type]
    changed: list[tuple[int, int]] = []
    inserted: list[int] = []
    model.dataChanged.connect(lambda top, bottom: changed.append((top.row(), bottom.row())))
    model.rowsInserted.connect(lambda _parent, first, _last: inserted.append(first))

    board.file_finished(result(MEMBERS, FileStatus.SUCCEEDED, read=10, rejected=3))
    board.file_started(STRAY, None, 2, 3)
    model.apply(board.take())  # type: ignore[arg-type]

    assert changed == [(1, 1)] and inserted == [2]
    assert [model.text(r, FileColumn.STATUS) for r in model.rows] == [
        "Waiting",
        "Loaded",
        "Loading",
    ]
    members = model.rows[1]
    assert [model.text(members, c) for c in (FileColumn.READ, FileColumn.LOADED)] == ["10", "7"]
    assert model.text(members, FileColumn.REJECTED) == "3"
    assert model.text(model.rows[2], FileColumn.TABLE) == "—"


def test_the_summary_says_what_happened() -> None:
    start = dt.datetime(2025, 1, 1, 12, 0, 0)
    run = RunResult("r", "sqlite", False, start, finished_at=start + dt.timedelta(seconds=2.5))
    run.files = [
        result(PLANS, FileStatus.SUCCEEDED, read=200),
        result(MEMBERS, FileStatus.SUCCEEDED, read=1000, rejected=4),
    ]
    assert summarize(run) == (
        "warning",
        "Loaded 2 files: 1,196 rows loaded · 4 rejected — 2.5 s",
    )
    run.files = [result(PLANS, FileStatus.SKIPPED), result(MEMBERS, FileStatus.SKIPPED)]
    kind, text = summarize(run)
    assert kind == "ok" and text.startswith("Nothing new: 2 files loaded before")
    run.files = [result(PLANS, FileStatus.SUCCEEDED, read=5), result(MEMBERS, FileStatus.FAILED)]
    assert summarize(run)[0] == "error" and "1 file failed" in summarize(run)[1]
    run.cancelled = True
    assert summarize(run)[1].startswith("Stopped: the file being loaded was rolled back.")
    run.cancelled, run.dry_run = False, True
    run.files = [result(PLANS, FileStatus.VALIDATED, read=5)]
    assert summarize(run)[1] == (
        "Validated 1 file: 5 rows checked — dry run, nothing written — 2.5 s"
    )


def test_history_of_a_database_not_created_yet_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "mba.db"

    snapshot = read_history(DbConfig("sqlite", path=path))

    assert snapshot.records == [] and not path.exists()
    assert snapshot.describe_counts() == "No tables yet: the first run creates them."


def test_history_times_are_shown_in_local_time() -> None:
    stamp = "2025-03-01 14:02:03.123456"
    expected = dt.datetime(2025, 3, 1, 14, 2, 3, tzinfo=dt.UTC).astimezone()
    assert local_time(stamp) == expected.strftime("%Y-%m-%d %H:%M:%S")
    assert local_time(None) == ""
