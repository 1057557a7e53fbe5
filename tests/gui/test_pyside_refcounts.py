"""Guard against a PySide6 that loses references to None (6.12.0 did).

On Python 3.11 None is an ordinary object: each lost reference brings the app
closer to "Fatal Python error: deallocating None". The app runs a QRunnable
five times a second and hands drops on with singleShot, so a leak per call
crashes it within hours. (On Python 3.12+ None is immortal and this passes.)
"""

from __future__ import annotations

import gc
import sys

import pytest
from PySide6.QtCore import (
    QAbstractTableModel,
    QEventLoop,
    QModelIndex,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
)
from pytestqt.qtbot import QtBot

pytestmark = pytest.mark.gui

CALLS = 2000  # 6.12.0 loses exactly one reference per call; noise stays far below


class _Nothing(QRunnable):
    def run(self) -> None:
        return None


class _Model(QAbstractTableModel):
    def rowCount(self, parent: object = QModelIndex()) -> int:
        return 1

    def columnCount(self, parent: object = QModelIndex()) -> int:
        return 1

    def data(self, index: object, role: int = 0) -> None:
        return None


def _lost_references(action: object) -> int:
    gc.collect()
    gc.disable()  # objects freed by the collector would move the count too
    try:
        before = sys.getrefcount(None)
        action()  # type: ignore[operator]
        return before - sys.getrefcount(None)
    finally:
        gc.enable()


def test_runnables_returning_none_keep_none_alive(qtbot: QtBot) -> None:
    pool = QThreadPool()

    def run_many() -> None:
        for _ in range(CALLS):
            pool.start(_Nothing())
        pool.waitForDone()

    assert _lost_references(run_many) < CALLS // 4


def test_single_shot_callables_keep_none_alive(qtbot: QtBot) -> None:
    def fire_many() -> None:
        loop = QEventLoop()
        fired = [0]

        def callback() -> None:
            fired[0] += 1
            if fired[0] == CALLS:
                loop.quit()

        for _ in range(CALLS):
            QTimer.singleShot(0, callback)
        loop.exec()

    assert _lost_references(fire_many) < CALLS // 4


def test_reading_none_from_a_model_keeps_none_alive(qtbot: QtBot) -> None:
    model = _Model()
    index = model.index(0, 0)
    assert (
        _lost_references(lambda: [index.data(Qt.ItemDataRole.UserRole) for _ in range(CALLS)])
        < CALLS // 4
    )
