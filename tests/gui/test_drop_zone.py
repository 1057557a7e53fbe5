"""Drops: real drag-and-drop events, copy actions, discovery off the main thread."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.store import JobState
from hma_gui.ui.queue.drop_zone import DropZone, UploadOptions
from tests.gui.conftest import Harness, make_tree

pytestmark = pytest.mark.gui


def drop_on(widget: QWidget, mime: QMimeData) -> tuple[bool, Qt.DropAction, bool]:
    """Drag enter, move and drop on `widget`; (enter accepted, drop action, drop accepted)."""
    point = QPointF(widget.width() / 2, widget.height() / 2)
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction | Qt.DropAction.LinkAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(point.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(point, actions, mime, buttons, mods)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.dropAction(), drop.isAccepted()


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_a_drop_is_a_copy_that_returns_before_the_paths_are_handled(
    qtbot: QtBot, tmp_path: Path
) -> None:
    zone = DropZone()
    qtbot.addWidget(zone)
    zone.resize(600, 160)
    received: list[list[str]] = []
    zone.paths_dropped.connect(received.append)
    folder, file = tmp_path / "mba", tmp_path / "x.csv"
    folder.mkdir()
    file.write_text("a")
    entered, action, accepted = drop_on(zone, file_mime(folder, file, folder))
    assert entered and accepted
    assert action is Qt.DropAction.CopyAction
    assert received == []  # handed off with a zero timer: the drop returned first
    qtbot.waitUntil(lambda: received == [[str(folder), str(file)]])


def test_drags_without_local_files_are_refused(qtbot: QtBot) -> None:
    zone = DropZone()
    qtbot.addWidget(zone)
    zone.resize(600, 160)
    mime = QMimeData()
    mime.setText("just text")
    entered, _, accepted = drop_on(zone, mime)
    assert not entered and not accepted
    web = QMimeData()
    web.setUrls([QUrl("https://example.com/a.csv")])
    assert drop_on(zone, web)[0] is False


def test_upload_options_fall_back_to_the_settings(qtbot: QtBot) -> None:
    settings = load_settings(include=["csv"], exclude=["tmp"])
    options = UploadOptions(settings)
    qtbot.addWidget(options)
    planned = options.plan_options(settings)
    assert (planned.scope, planned.include, planned.exclude) == ("auto", ("csv",), ("tmp",))
    options.include.setText("PDF, .txt")
    options.scope.setCurrentIndex(options.scope.findData("policy"))
    planned = options.plan_options(settings)
    assert (planned.scope, planned.include, planned.exclude) == ("policy", ("pdf", "txt"), ("tmp",))


def test_discovery_queues_planned_jobs_and_failures_with_reasons(
    harness_factory, tmp_path: Path
) -> None:
    make_tree(
        tmp_path / "in",
        {
            "mba/csv/a.csv": 10,
            "mba/csv/b.csv": 20,
            "mba/csv/notes.tmp": 5,  # temporary: filtered out
            "elsewhere/c.csv": 30,  # no scope folder: failed, with the reason
        },
    )
    h: Harness = harness_factory(start=False)  # no uploader: the jobs stay queued
    summaries = []
    h.session.intake.finished.connect(summaries.append)
    h.drop(tmp_path / "in")
    h.wait(lambda: bool(summaries))
    assert (summaries[0].queued, summaries[0].failed, summaries[0].filtered) == (2, 1, 1)
    h.wait(lambda: len(h.model.jobs) == 3)
    by_name = {Path(j.source).name: j for j in h.model.jobs}
    assert by_name["a.csv"].state is JobState.QUEUED
    assert by_name["a.csv"].key == "mba/csv/a.csv"
    assert by_name["c.csv"].state is JobState.FAILED
    assert "no scope folder" in (by_name["c.csv"].error or "")
