"""The jobs table model and its filter: only changed rows repaint, sorting keeps selection."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store import Job, JobState
from hma_gui.ui.queue.job_columns import Column
from hma_gui.ui.queue.job_model import JOB_ROLE, PROGRESS_ROLE, JobFilterProxy, JobTableModel

pytestmark = pytest.mark.gui


def job(job_id: int, state: JobState = JobState.QUEUED, **changes: object) -> Job:
    base = Job(
        id=job_id, batch_id=1, source=f"/data/mba/csv/f{job_id:05d}.csv", root="/data",
        size=1000 + job_id, mtime_ns=None, md5=None, scope="mba", bucket="b",
        key=f"mba/csv/f{job_id:05d}.csv", state=state, attempts=0, error=None, retryable=False,
        etag=None, decision=None, owner=None, rev=job_id, created_at=0.0, updated_at=0.0,
        started_at=None, finished_at=None,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def filtered(jobs: list[Job]) -> tuple[JobTableModel, JobFilterProxy]:
    """A model holding `jobs` behind the filter proxy, as the table has them."""
    model = JobTableModel()
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    model.reset_jobs(jobs)
    return model, proxy


def test_new_jobs_append_and_changes_repaint_only_their_rows(qtbot: QtBot) -> None:
    model = JobTableModel()
    model.reset_jobs([job(n) for n in range(1, 101)])
    changed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))

    model.apply_changes(
        [
            job(5, JobState.RUNNING, attempts=1),
            job(6, JobState.RUNNING, attempts=1),
            job(50, JobState.FAILED, error="boom"),
            job(101),
            job(102),
        ]
    )
    assert changed == [(4, 5), (49, 49)]  # two runs, not one signal per cell or a full reset
    assert inserted == [(100, 101)]
    assert model.rowCount() == 102
    assert model.index(49, Column.MESSAGE).data() == "boom"
    assert model.index(49, Column.STATE).data() == "Failed"
    assert model.index(49, Column.STATE).data(Qt.ItemDataRole.DecorationRole) is not None


def test_inflight_bytes_repaint_only_the_progress_cells_that_moved(qtbot: QtBot) -> None:
    model = JobTableModel()
    model.reset_jobs([job(1, JobState.RUNNING, size=200), job(2, JobState.RUNNING, size=400)])
    changed: list[tuple[int, int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row(), a.column())))
    model.set_inflight({1: (50, 200), 2: (100, 400)})
    assert changed == [(0, 1, Column.PROGRESS)]
    assert model.index(0, Column.PROGRESS).data(PROGRESS_ROLE) == 0.25
    assert model.index(0, Column.PROGRESS).data() == "25 %"
    changed.clear()
    model.set_inflight({1: (50, 200), 2: (300, 400)})
    assert changed == [(1, 1, Column.PROGRESS)]
    changed.clear()
    model.set_inflight({1: (50, 200), 2: (300, 400)})
    assert changed == []


def test_sorting_by_a_column_keeps_the_selection_on_the_same_job(qtbot: QtBot) -> None:
    model, proxy = filtered([job(n, size=10_000 - n) for n in range(1, 51)])
    selection = QItemSelectionModel(proxy)
    selection.select(
        proxy.index(0, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    proxy.sort(Column.SIZE, Qt.SortOrder.AscendingOrder)
    assert model.job_at(0).id == 50  # smallest size first
    selected = [proxy.data(i, JOB_ROLE).id for i in selection.selectedRows()]
    assert selected == [1]
    # new rows merge into the sorted order
    model.apply_changes([job(51, size=1)])
    assert model.job_at(0).id == 51
    proxy.sort(-1)  # unsorted: queue order again
    assert [model.job_at(i).id for i in range(3)] == [1, 2, 3]


def test_filter_by_state_and_text(qtbot: QtBot) -> None:
    model, proxy = filtered(
        [
            job(1, JobState.DONE),
            job(2, JobState.FAILED, error="x"),
            job(3, JobState.FAILED, source="/data/mba/csv/Claims.csv", key="mba/csv/Claims.csv"),
            job(4),
        ]
    )
    proxy.set_states([JobState.FAILED])
    assert proxy.rowCount() == 2
    proxy.set_text("claims")
    assert proxy.rowCount() == 1
    proxy.set_states([])
    assert proxy.rowCount() == 1
    proxy.set_text("")
    assert proxy.rowCount() == 4
    # a state change moves a row out of the filtered view
    proxy.set_states([JobState.FAILED])
    model.apply_changes([job(2, JobState.QUEUED)])
    assert proxy.rowCount() == 1


def test_removed_rows_leave_the_model(qtbot: QtBot) -> None:
    model = JobTableModel()
    model.reset_jobs([job(n) for n in range(1, 11)])
    model.remove_ids([2, 3, 7])
    assert [j.id for j in model.jobs] == [1, 4, 5, 6, 8, 9, 10]
    assert model.row_of(8) == 4
    model.apply_changes([job(8, JobState.DONE)])
    assert model.job_at(4).state is JobState.DONE


def test_new_and_changed_jobs_respect_the_filter(qtbot: QtBot) -> None:
    model, proxy = filtered([job(1), job(2, JobState.DONE)])
    proxy.set_states([JobState.QUEUED])
    assert [j.id for j in model.jobs] == [1]
    model.apply_changes([job(3), job(4, JobState.FAILED)])
    assert [j.id for j in model.jobs] == [1, 3]
    assert model.total == 4
    model.apply_changes([job(4, JobState.QUEUED), job(1, JobState.RUNNING)])
    assert [j.id for j in model.jobs] == [3, 4]  # 4 joins in queue order, 1 leaves
    proxy.set_states([])
    assert [j.id for j in model.jobs] == [1, 2, 3, 4]
    assert proxy.rowCount() == 4


def test_many_scattered_changes_are_one_repaint(qtbot: QtBot) -> None:
    model = JobTableModel()
    model.reset_jobs([job(n) for n in range(1, 1001)])
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))
    model.apply_changes([job(n, JobState.DONE) for n in range(1, 1001, 3)])
    assert changed == [(0, 999)]


def test_queued_changes_are_applied_in_slices_between_events(qtbot: QtBot) -> None:
    from hma_gui.ui.queue.job_model import CHUNK_ROWS

    model = JobTableModel()
    model.queue_changes([job(n) for n in range(1, 2 * CHUNK_ROWS + 2)])
    assert model.rowCount() == CHUNK_ROWS  # the first slice at once, the rest later
    model.queue_changes([job(1, JobState.DONE)])  # after the earlier ones, in order
    qtbot.waitUntil(lambda: model.pending_changes == 0)
    assert model.rowCount() == 2 * CHUNK_ROWS + 1
    assert model.job_at(0).state is JobState.DONE
    model.queue_changes([job(n) for n in range(5000, 5000 + CHUNK_ROWS + 1)])
    model.reset_jobs([job(1)])  # a reload drops what was still waiting
    assert model.pending_changes == 0
    qtbot.wait(10)
    assert model.rowCount() == 1


def test_secrets_in_error_messages_are_masked(qtbot: QtBot) -> None:
    model = JobTableModel()
    error = "cannot reach http://admin:hunter2@s3.internal:9000: connection refused"
    model.reset_jobs([job(1, JobState.FAILED, error=error)])
    shown = model.index(0, Column.MESSAGE).data()
    assert "hunter2" not in shown and "cannot reach http://admin:***@s3.internal" in shown
    assert "hunter2" not in model.index(0, Column.MESSAGE).data(Qt.ItemDataRole.ToolTipRole)


def test_running_jobs_are_filtered_as_uploading_here_or_sent(qtbot: QtBot) -> None:
    model, proxy = filtered(
        [
            job(1, JobState.RUNNING),
            job(2, JobState.RUNNING, owner=SENT_OWNER),
            job(3, JobState.RUNNING, owner=SENT_OWNER),
            job(4),
        ]
    )
    proxy.set_states([JobState.RUNNING], sent=False)
    assert [j.id for j in model.jobs] == [1]
    proxy.set_states([JobState.RUNNING], sent=True)
    assert [j.id for j in model.jobs] == [2, 3]
    model.apply_changes([job(3, JobState.DONE, owner=None)])  # settled: leaves the view
    assert [j.id for j in model.jobs] == [2]
    proxy.set_states([])
    assert proxy.rowCount() == 4
