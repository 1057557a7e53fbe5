"""ETL history without noise: no-table files stay out, keys below mba/csv/, plurals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.etl.database import AuditFinish, AuditStart, DbConfig
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.results import FileResult, FileStatus, RunResult
from hma_gui.core.etl.s3_source import SourceObject
from hma_gui.ui.etl.history import EtlHistoryModel, HistoryColumn, read_history
from hma_gui.ui.etl.model import summarize

pytestmark = [pytest.mark.gui]


def test_no_table_files_do_not_push_real_loads_out_of_the_history(
    qtbot: QtBot, tmp_path: Path
) -> None:
    config = DbConfig("sqlite", path=tmp_path / "etl.db")
    database = open_database(config)
    database.init_schema()
    now = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)

    def record(key: str, table: str | None, status: str, loaded: int = 0) -> None:
        start = AuditStart("run", "b", key, "e", None, 10, table, now)
        finish = AuditFinish(status, rows_read=loaded, rows_loaded=loaded, finished_at=now)
        database.audit_record(start, finish)

    record("mba/csv/2024/q1/MemberData.csv", "members", "succeeded", 1)
    for n in range(300):  # a folder of other CSVs below mba/csv/
        record(f"mba/csv/exports/other-{n}.csv", None, "no_table")
    database.close()

    snapshot = read_history(config)
    model = EtlHistoryModel()
    model.set_records(snapshot.records)
    assert model.rowCount() == 1
    assert model.index(0, HistoryColumn.FILE).data() == "2024/q1/MemberData.csv"
    assert model.index(0, HistoryColumn.LOADED).data() == "1"
    assert snapshot.row_counts["etl_runs"] == 301  # audited all the same


def test_one_row_is_a_row() -> None:
    start = dt.datetime(2025, 1, 1, 12, 0, 0)
    run = RunResult("r", "sqlite", False, start, finished_at=start + dt.timedelta(seconds=1))
    source = SourceObject("b", "mba/csv/plan_details.csv", 10, "e")
    run.files = [FileResult(source, "plans", FileStatus.SUCCEEDED, rows_read=1, rows_loaded=1)]
    assert summarize(run)[1].startswith("Loaded 1 file: 1 row loaded")
