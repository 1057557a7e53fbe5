"""The ETL tab against moto's S3 server and a SQLite file in the data directory.

The panel is built alone over a `Session` (no main window), except for the two
tests of the header's Run ETL button and the error banner.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.results import FileStatus, RunResult
from hma_gui.core.jobs.plan import PlanOptions
from hma_gui.ui.etl.history import HistoryColumn
from hma_gui.ui.etl.model import FileColumn
from hma_gui.ui.etl.panel import EtlPanel
from hma_gui.ui.etl.service import EtlService
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.session import Session
from tests.conftest import S3Env, free_port
from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_data"
SAMPLE_CSV = SAMPLE / "mba" / "csv"
EXPECTED: dict[str, int] = json.loads((SAMPLE / "expected_counts.json").read_text())
PASSWORD = "pw-Secret-4711"


def upload_sample(client: object, bucket: str) -> None:
    for path in sorted(SAMPLE_CSV.glob("*.csv")):
        client.upload_file(str(path), bucket, f"mba/csv/{path.name}")  # type: ignore[attr-defined]


def put(s3_env: S3Env, name: str, data: bytes) -> None:
    s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=f"mba/csv/{name}", Body=data)  # type: ignore[attr-defined]


def db_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in EXPECTED}


@dataclass
class Tab:
    panel: EtlPanel
    service: EtlService
    session: Session
    qtbot: QtBot
    busy: list[bool] = field(default_factory=list)
    opened: list[QUrl] = field(default_factory=list)
    results: list[RunResult] = field(default_factory=list)

    def click_run(self) -> None:
        self.qtbot.mouseClick(self.panel.run_button, Qt.MouseButton.LeftButton)

    def wait_idle(self) -> None:
        self.qtbot.waitUntil(lambda: not self.service.busy, timeout=WAIT_MS)

    def statuses(self) -> dict[str, FileStatus | None]:
        return {row.name: row.status for row in self.panel.file_model.rows}

    def cell(self, view_model: object, row: int, column: int) -> str:
        model = view_model  # EtlFileModel or EtlHistoryModel
        return str(model.data(model.index(row, column)))  # type: ignore[attr-defined]


@pytest.fixture
def etl_tab(qtbot: QtBot) -> Iterator[Callable[..., Tab]]:
    built: list[Tab] = []

    def build(sandbox: bool = False, start: bool = False) -> Tab:
        session = Session(load_settings(), sandbox=sandbox)
        service = EtlService(session, poll_ms=50)
        opened: list[QUrl] = []
        tab = Tab(EtlPanel(service, open_url=opened.append), service, session, qtbot, opened=opened)
        service.busy_changed.connect(tab.busy.append)
        service.run_finished.connect(tab.results.append)
        qtbot.addWidget(tab.panel)
        tab.panel.resize(1100, 700)
        tab.panel.show()
        if start:
            session.start()
        built.append(tab)
        return tab

    yield build
    for tab in built:
        tab.service.shutdown()
        tab.session.close(timeout_ms=WAIT_MS)


def test_run_etl_loads_the_sample_then_skips_it_the_second_time(
    etl_tab: Callable[..., Tab], s3_env: S3Env
) -> None:
    upload_sample(s3_env.client, s3_env.mba_bucket)
    tab = etl_tab()
    panel = tab.panel
    database = app_dirs.data_dir() / "mba.db"
    assert panel.target_label.text() == f"Database: {database} (SQLite)"
    assert panel.source_label.text() == f"From: s3://{s3_env.mba_bucket}/mba/csv/"
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()

    tab.click_run()

    assert not panel.run_button.isEnabled()  # at once, before the worker has done anything
    assert panel.stop_button.isEnabled() and not panel.force_box.isEnabled()
    tab.wait_idle()
    assert tab.busy == [True, False]
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()
    rows = panel.file_model.rows
    assert [r.name for r in rows] == [
        "plan_details.csv",
        "MemberData.csv",
        "deductibles_oop.csv",
        "benefit_accumulator.csv",
    ]
    assert {r.table: r.rows_loaded for r in rows} == EXPECTED
    for index, row in enumerate(rows):
        assert row.status is FileStatus.SUCCEEDED
        assert row.rows_read == row.rows_loaded and row.rows_rejected == 0
        assert row.progress == 1.0
        assert tab.cell(panel.file_model, index, FileColumn.STATUS) == "Loaded"
        assert tab.cell(panel.file_model, index, FileColumn.LOADED) == f"{EXPECTED[row.table]:,}"
    assert db_counts(database) == EXPECTED
    total = sum(EXPECTED.values())
    assert panel.summary.text().startswith(f"Loaded 4 files: {total:,} rows loaded")
    assert panel.rejects_button.isHidden()  # nothing rejected: no report
    qtbot = tab.qtbot
    qtbot.waitUntil(lambda: panel.history_model.rowCount() == 4, timeout=WAIT_MS)
    history = panel.history_model
    assert {tab.cell(history, i, HistoryColumn.STATUS) for i in range(4)} == {"Loaded"}
    assert {tab.cell(history, i, HistoryColumn.SOURCE) for i in range(4)} == {"Window"}
    assert {r.rows_loaded for r in history.records} == set(EXPECTED.values())
    assert "members 500" in panel.counts_label.text()
    assert panel.history_chip.text() == "History  4" and panel.run_chip.text() == "This run  4"
    tab.qtbot.mouseClick(panel.history_chip, Qt.MouseButton.LeftButton)
    assert panel.pages.currentWidget() is panel.history_view

    tab.click_run()  # the same objects again: their ETags were loaded

    assert not panel.run_button.isEnabled()
    assert panel.pages.currentWidget() is not panel.history_view  # a run shows its files
    tab.wait_idle()
    assert set(tab.statuses().values()) == {FileStatus.SKIPPED}
    assert panel.summary.text().startswith("Nothing new: 4 files loaded before")
    assert db_counts(database) == EXPECTED
    qtbot.waitUntil(lambda: panel.history_model.rowCount() == 8, timeout=WAIT_MS)
    assert tab.cell(panel.history_model, 0, HistoryColumn.STATUS) == "Skipped"

    panel.force_box.setChecked(True)
    tab.click_run()
    tab.wait_idle()
    assert set(tab.statuses().values()) == {FileStatus.SUCCEEDED}
    assert db_counts(database) == EXPECTED


def test_a_bad_file_gives_a_rejects_report_the_link_opens(
    etl_tab: Callable[..., Tab], s3_env: S3Env
) -> None:
    upload_sample(s3_env.client, s3_env.mba_bucket)
    header = (SAMPLE_CSV / "MemberData.csv").read_text(encoding="utf-8").splitlines()[0]
    put(
        s3_env,
        "members_extra.csv",
        (
            f"{header}\n"
            "M90000001,Ada,Good,1980-01-02,F,HMO-NJ-23-0002,2024-01-01,,07030,\n"
            "M90000002,Bob,Bad,1980-13-45,M,HMO-NJ-23-0002,2024-01-01,,07030,\n"
        ).encode(),
    )
    put(s3_env, "benefit_accumulator_empty.csv", b"")
    tab = etl_tab()

    tab.click_run()
    tab.wait_idle()

    model = tab.panel.file_model
    extra = model.row_by_name("members_extra.csv")
    assert extra is not None and extra.status is FileStatus.SUCCEEDED
    assert (extra.rows_read, extra.rows_loaded, extra.rows_rejected) == (2, 1, 1)
    assert extra.message == "1 row rejected: see the rejects report"
    empty = model.row_by_name("benefit_accumulator_empty.csv")
    assert empty is not None and empty.status is FileStatus.REJECTED
    assert "rejected" in empty.message
    assert tab.cell(model, model.rows.index(empty), FileColumn.STATUS) == "Rejected"
    summary = tab.panel.summary
    assert summary.property("kind") == "error"
    assert "1 rejected" in summary.text() and "1 file rejected as a whole" in summary.text()
    button = tab.panel.rejects_button
    assert button.isVisible() and button.isEnabled()

    tab.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    # the report is shown in the app: no CSV handler needed
    dialog = tab.panel.rejects_dialog
    assert dialog is not None and dialog.isVisible() and not tab.opened
    shown = {
        (dialog.model.index(r, 0).data(), dialog.model.index(r, 2).data())
        for r in range(dialog.model.rowCount())
    }
    assert shown == {("members_extra.csv", "M90000002"), ("benefit_accumulator_empty.csv", "")}
    assert dialog.copy_path() == str(tab.results[0].rejects_path)
    assert QGuiApplication.clipboard().text() == str(tab.results[0].rejects_path)
    assert dialog.reveal_button.isEnabled()
    dialog.open_button.click()  # for those with a spreadsheet app
    dialog.close()
    assert len(tab.opened) == 1 and tab.opened[0].isLocalFile()
    report = Path(tab.opened[0].toLocalFile())
    assert report == tab.results[0].rejects_path and report.exists()
    with report.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert {(line["source_key"], line["row_key"]) for line in lines} == {
        ("mba/csv/members_extra.csv", "M90000002"),
        ("mba/csv/benefit_accumulator_empty.csv", ""),
    }

    panel = tab.panel
    tab.qtbot.waitUntil(lambda: panel.history_model.rowCount() == 6, timeout=WAIT_MS)
    panel.show_page(1)
    row = next(
        i for i, r in enumerate(panel.history_model.records) if r.key.endswith("members_extra.csv")
    )
    view = panel.history_view
    where = view.visualRect(panel.history_model.index(row, HistoryColumn.FILE)).center()
    assert panel.history_model.records[row].rejects_path == str(report)
    tab.qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)  # as a hand does
    tab.qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    again = panel.rejects_dialog  # the same report, from history
    assert again is not None and again is not dialog and again.path == report


def test_progress_reaches_the_table_during_the_run_and_stop_rolls_back(
    etl_tab: Callable[..., Tab], s3_env: S3Env
) -> None:
    upload_sample(s3_env.client, s3_env.mba_bucket)
    header = (SAMPLE_CSV / "MemberData.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"Z{n:08d},A,B,1980-01-01,F,HMO-NJ-23-0002,2024-01-01,,,\n" for n in range(150_000)]
    put(s3_env, "MemberData.csv", (header + "\n" + "".join(rows)).encode())
    tab = etl_tab()
    seen: list[tuple[FileStatus | None, float | None, int]] = []

    def member_row_moving() -> bool:
        row = tab.panel.file_model.row_by_name("MemberData.csv")
        if row is not None:
            seen.append((row.status, row.progress, row.rows_read))
        return bool(row and row.status is FileStatus.RUNNING and 0 < (row.progress or 0) < 1)

    tab.click_run()
    tab.qtbot.waitUntil(member_row_moving, timeout=WAIT_MS)
    model = tab.panel.file_model
    assert tab.cell(model, 1, FileColumn.STATUS) == "Loading"
    assert model.rows[0].status is FileStatus.SUCCEEDED  # plans done, the rest waiting
    assert [r.status for r in model.rows[2:]] == [None, None]
    assert tab.cell(model, 2, FileColumn.STATUS) == "Waiting"
    assert "MemberData.csv" in tab.panel.summary.text()

    tab.qtbot.mouseClick(tab.panel.stop_button, Qt.MouseButton.LeftButton)
    tab.wait_idle()

    assert [r.status for r in model.rows] == [
        FileStatus.SUCCEEDED,
        FileStatus.CANCELLED,
        None,
        None,
    ]
    assert tab.panel.summary.text().startswith("Stopped: the file being loaded was rolled back")
    counts = db_counts(app_dirs.data_dir() / "mba.db")
    assert counts["plans"] == EXPECTED["plans"] and counts["members"] == 0
    assert tab.panel.run_button.isEnabled()


def test_closing_during_a_run_rolls_the_current_file_back(
    etl_tab: Callable[..., Tab], s3_env: S3Env
) -> None:
    upload_sample(s3_env.client, s3_env.mba_bucket)
    header = (SAMPLE_CSV / "MemberData.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"Z{n:08d},A,B,1980-01-01,F,HMO-NJ-23-0002,2024-01-01,,,\n" for n in range(150_000)]
    put(s3_env, "MemberData.csv", (header + "\n" + "".join(rows)).encode())
    tab = etl_tab()
    tab.click_run()
    tab.qtbot.waitUntil(
        lambda: any(
            r.status is FileStatus.RUNNING and r.rows_read for r in tab.panel.file_model.rows
        ),
        timeout=WAIT_MS,
    )

    tab.service.shutdown()  # what the window does when it closes, before the session
    tab.session.close(timeout_ms=WAIT_MS)

    database = app_dirs.data_dir() / "mba.db"
    assert db_counts(database)["members"] == 0
    with sqlite3.connect(database) as conn:
        statuses = [row[0] for row in conn.execute("SELECT status FROM etl_runs ORDER BY id")]
    assert statuses == ["succeeded", "cancelled"]


def test_a_database_that_cannot_be_reached_is_one_clear_line(
    etl_tab: Callable[..., Tab], s3_env: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("HMA_DB_URL", f"mysql://etl@127.0.0.1:{port}/mba")
    monkeypatch.setenv("HMA_DB_PASSWORD", PASSWORD)
    upload_sample(s3_env.client, s3_env.mba_bucket)
    tab = etl_tab()
    assert tab.panel.target_label.text() == f"Database: mysql://etl@127.0.0.1:{port}/mba"

    tab.click_run()
    tab.wait_idle()

    text = tab.panel.summary.text()
    assert text.startswith(f"The run did not start: cannot reach MySQL at 127.0.0.1:{port}")
    assert PASSWORD not in text and "Traceback" not in text and "\n" not in text
    assert tab.panel.summary.property("kind") == "error"
    assert tab.panel.file_model.rowCount() == 0 and not tab.results
    assert tab.panel.run_button.isEnabled()


def test_sandbox_end_to_end_upload_the_sample_then_run_etl_into_its_own_sqlite(
    etl_tab: Callable[..., Tab], qtbot: QtBot
) -> None:
    tab = etl_tab(sandbox=True, start=True)
    assert not tab.panel.run_button.isEnabled()  # the endpoint is not up yet
    qtbot.waitUntil(lambda: tab.session.is_ready, timeout=WAIT_MS)
    assert tab.panel.run_button.isEnabled()
    session, settings = tab.session, tab.session.settings
    session.intake.enqueued.connect(lambda _n: session.queue.kick())
    session.queue.start()
    session.intake.submit([SAMPLE / "mba"], settings, PlanOptions.from_settings(settings))
    qtbot.waitUntil(lambda: session.store.counters().done == 5, timeout=WAIT_MS)  # 4 CSVs, 1 PDF
    database = app_dirs.data_dir() / "sandbox" / "mba.db"
    assert tab.panel.target_label.text() == f"Database: {database} (SQLite)"

    tab.click_run()
    tab.wait_idle()

    assert set(tab.statuses().values()) == {FileStatus.SUCCEEDED}
    assert db_counts(database) == EXPECTED
    assert not (app_dirs.data_dir() / "mba.db").exists()


# ----------------------------------------------------------------- the main window


def test_the_header_button_runs_in_one_click_and_is_disabled_meanwhile(
    qtbot: QtBot, open_window: Callable[..., MainWindow], s3_env: S3Env
) -> None:
    upload_sample(s3_env.client, s3_env.mba_bucket)
    main = open_window()
    assert main.tabs.currentWidget() is not main.etl_panel
    main.etl_panel.dry_run_box.setChecked(True)  # the header button ignores the tab's choices

    qtbot.mouseClick(main.etl_button, Qt.MouseButton.LeftButton)

    assert main.tabs.currentWidget() is main.etl_panel
    assert not main.etl_button.isEnabled() and not main.etl_panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: not main.etl.busy, timeout=WAIT_MS)
    assert main.etl_button.isEnabled() and main.etl_panel.run_button.isEnabled()
    rows = main.etl_panel.file_model.rows
    assert {r.table: (r.status, r.rows_loaded) for r in rows} == {
        t: (FileStatus.SUCCEEDED, n) for t, n in EXPECTED.items()
    }
    assert main.statusBar().currentMessage().startswith("ETL: Loaded 4 files")
    assert main.tabs.tabText(main.tabs.indexOf(main.etl_panel)) == "ETL"
    assert main.tabs.indexOf(main.etl_panel) == main.tabs.indexOf(main.log_panel) - 1


def test_a_refused_database_shows_one_message_in_the_banner(
    qtbot: QtBot,
    open_window: Callable[..., MainWindow],
    s3_env: S3Env,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    monkeypatch.setenv("HMA_DB_URL", f"mysql://etl@127.0.0.1:{port}/mba")
    monkeypatch.setenv("HMA_DB_PASSWORD", PASSWORD)
    main = open_window()

    qtbot.mouseClick(main.etl_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: main.banner.isVisible(), timeout=WAIT_MS)

    assert main.banner.kind == "error" and main.banner.topic == "etl"
    message = main.banner.message.text()
    assert message.startswith(f"ETL: cannot reach MySQL at 127.0.0.1:{port}")
    assert "\n" not in message and PASSWORD not in message and "Traceback" not in message
    assert [b.text() for b in main.banner.buttons] == ["Retry"]
    assert main.etl_button.isEnabled() and not main.etl.busy

    qtbot.mouseClick(main.banner.buttons[0], Qt.MouseButton.LeftButton)  # Retry: same answer

    assert main.banner.isHidden() and not main.etl_button.isEnabled()
    qtbot.waitUntil(lambda: main.banner.isVisible() and not main.etl.busy, timeout=WAIT_MS)
    assert main.banner.message.text() == message
