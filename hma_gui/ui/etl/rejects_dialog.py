"""The rejects report of a run, shown in the app: one row per rejected CSV row.

"Open rejects report" used to hand the CSV to the desktop, which does nothing
where no application opens CSV files. The dialog reads the report itself
(`read_rejects`: the problems of one row together, so a row with a bad ZIP and
an unknown PlanID lists both) and offers *Copy path*, *Reveal* and, for those
who have a spreadsheet, *Open with the default app*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from PySide6.QtCore import Qt as QtNs
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hma_gui.core.etl.rejects import RejectedRow, read_rejects
from hma_gui.ui.queue.job_actions import reveal_in_file_manager
from hma_gui.ui.shell import fit_screen
from hma_gui.ui.shell.fit_screen import FlowLayout
from hma_gui.ui.table_model import HeaderedTableModel, ModelIndex

UrlOpener = Callable[[QUrl], Any]


class RejectColumn(IntEnum):
    FILE = 0
    LINE = 1
    ROW_KEY = 2
    PROBLEMS = 3


class RejectsModel(HeaderedTableModel):
    headers: ClassVar[Mapping[Any, str]] = {
        RejectColumn.FILE: "File",
        RejectColumn.LINE: "Line",
        RejectColumn.ROW_KEY: "Row key",
        RejectColumn.PROBLEMS: "Problems",
    }
    right_aligned: ClassVar = (RejectColumn.LINE,)

    def __init__(self, rows: list[RejectedRow], parent: Any = None) -> None:
        super().__init__(parent)
        self.rows = rows

    def row_total(self) -> int:
        return len(self.rows)

    def data(self, index: ModelIndex, role: int = QtNs.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        column = index.column()
        if role == QtNs.ItemDataRole.DisplayRole:
            if column == RejectColumn.FILE:
                return shown_key(row.source_key)
            if column == RejectColumn.LINE:
                return str(row.line)
            if column == RejectColumn.ROW_KEY:
                return row.row_key
            return "; ".join(_problem(*p) for p in row.problems)
        if role == QtNs.ItemDataRole.ToolTipRole:
            if column == RejectColumn.FILE:
                return f"s3://{row.bucket}/{row.source_key}"
            if column == RejectColumn.PROBLEMS:
                return "\n".join(_problem(*p, with_value=True) for p in row.problems)
        if role == QtNs.ItemDataRole.TextAlignmentRole and column == RejectColumn.LINE:
            return QtNs.AlignmentFlag.AlignRight | QtNs.AlignmentFlag.AlignVCenter
        return None


def shown_key(key: str) -> str:
    """The key below ``mba/csv/`` (where the ETL reads), else the whole key."""
    parts = PurePosixPath(key).parts
    for at in range(len(parts) - 1):
        if parts[at] == "mba" and parts[at + 1] == "csv":
            return "/".join(parts[at + 2 :]) or key
    return key


def _problem(column: str, cell: str, reason: str, *, with_value: bool = False) -> str:
    where = f"{column}: " if column else ""
    shown = f" (value {cell!r})" if with_value and cell else ""
    return f"{where}{reason}{shown}"


class RejectsDialog(QDialog):
    """The rows of one rejects report, with Copy path, Reveal and Open."""

    def __init__(
        self, path: Path, open_url: UrlOpener, parent: QWidget | None = None, limit: int = 10_000
    ) -> None:
        super().__init__(parent)
        self.path = path
        self._open_url = open_url
        self.setWindowTitle("Rejected rows")
        self.setObjectName("rejectsDialog")
        self.resize(980, 520)
        rows, cut = read_rejects(path, limit)
        self.model = RejectsModel(rows, self)
        problems = sum(len(r.problems) for r in rows)
        noun = "row" if len(rows) == 1 else "rows"
        self.summary = QLabel(
            f"{len(rows):,} rejected {noun}{' (the first ones)' if cut else ''}, "
            f"{problems:,} problem{'s' if problems != 1 else ''}. Report: {path}"
        )
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtNs.TextInteractionFlag.TextSelectableByMouse)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RejectColumn.PROBLEMS, QHeaderView.ResizeMode.Stretch)

        self.copy_button = QPushButton("Copy path")
        self.copy_button.clicked.connect(self.copy_path)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setToolTip("Show the report in the file manager")
        self.reveal_button.clicked.connect(lambda: reveal_in_file_manager(str(self.path)))
        self.open_button = QPushButton("Open with the default app")
        self.open_button.clicked.connect(lambda: self._open_url(QUrl.fromLocalFile(str(path))))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = FlowLayout(spacing=6)  # wraps on a narrow screen
        for button in (self.copy_button, self.reveal_button, self.open_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(fit_screen.scroll_body(self))
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        fit_screen.fit_to_screen(self)  # a 1024×700 screen, QT_SCALE_FACTOR=2

    def copy_path(self) -> str:
        QGuiApplication.clipboard().setText(str(self.path))
        return str(self.path)
