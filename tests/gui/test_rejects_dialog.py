"""The rejects report shown in the app: one row per rejected CSV row, every problem listed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from hma_gui.core.etl.rejects import HEADER
from hma_gui.ui.etl.rejects_dialog import RejectColumn, RejectsDialog

pytestmark = [pytest.mark.gui]


def test_a_row_with_two_problems_is_one_row_listing_both(qtbot: QtBot, tmp_path: Path) -> None:
    report = tmp_path / "rejects.csv"
    with report.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(("b", "mba/csv/2024/m.csv", 7, "M-1", "zip_code", "2139", "not a ZIP code"))
        writer.writerow(
            ("b", "mba/csv/2024/m.csv", 7, "M-1", "plan_id", "P-X", "P-X does not exist in plans")
        )
        writer.writerow(("b", "mba/csv/2024/m.csv", 9, "M-2", "", "", "has 3 fields"))
    opened: list[QUrl] = []
    dialog = RejectsDialog(report, opened.append)
    qtbot.addWidget(dialog)
    dialog.show()
    model = dialog.model
    assert model.rowCount() == 2
    assert model.index(0, RejectColumn.FILE).data() == "2024/m.csv"  # the key below mba/csv/
    assert model.index(0, RejectColumn.PROBLEMS).data() == (
        "zip_code: not a ZIP code; plan_id: P-X does not exist in plans"
    )
    assert "value '2139'" in model.index(0, RejectColumn.PROBLEMS).data(3)  # tooltip
    assert dialog.summary.text().startswith("2 rejected rows, 3 problems.")
    dialog.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(report))]
