"""Duplicates end to end: a drop checked, reviewed and applied; S3 unreachable; watched folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import WatchFolderSettings, load_settings
from hma_gui.core.duplicates.decisions import Decision
from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.s3.client import make_s3_client
from hma_gui.ui.duplicates.models import FindingColumn
from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.watch.service import WatchService
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.gui.conftest import WAIT_MS
from tests.gui.test_drop_zone import drop_on, file_mime

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = folder / "mba" / "csv" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder / "mba"


def decide_later(qtbot: QtBot, window: MainWindow, folder: Path) -> list[DuplicateReviewDialog]:
    """Drop `folder` (the window asks) and answer its review with "Decide later"."""
    dialogs: list[DuplicateReviewDialog] = []
    window.duplicates.dialog_opened.connect(dialogs.append)
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    window.add_paths([folder])
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=WAIT_MS)
    dialogs[0].later_button.click()
    return dialogs


def test_a_copy_dropped_while_its_original_uploads_is_skipped(
    qtbot: QtBot, proxy: FaultProxy, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    bucket = s3_env.mba_bucket
    first = write(tmp_path / "first", {"members.csv": b"member_id\nM-0001\n"})
    second = write(tmp_path / "second", {"members-again.csv": b"member_id\nM-0001\n"})
    window = open_window(on_duplicate="skip")
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    proxy.hold("PUT")
    window.add_paths([first])
    qtbot.waitUntil(lambda: proxy.held == 1, timeout=WAIT_MS)
    window.add_paths([second])  # the original is still on its way
    store = window.session.store
    qtbot.waitUntil(lambda: store.counters().skipped == 1, timeout=WAIT_MS)
    proxy.release()
    qtbot.waitUntil(lambda: store.counters().pending == 0, timeout=WAIT_MS)
    jobs = {Path(j.source).name: j for j in store.jobs()}
    assert jobs["members.csv"].state is JobState.DONE
    assert jobs["members-again.csv"].error == (
        f"same content as {first / 'csv' / 'members.csv'}, "
        f"on its way to s3://{bucket}/mba/csv/members.csv"
    )
    assert proxy.puts(bucket) == {"mba/csv/members.csv": 1}


def test_a_decision_left_open_comes_back_at_the_next_start(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    bucket, client = s3_env.mba_bucket, s3_env.client
    client.put_object(Bucket=bucket, Key="mba/csv/report.csv", Body=b"theirs\n")  # type: ignore[attr-defined]
    folder = write(tmp_path / "drop", {"report.csv": b"mine\n", "new.csv": b"new\n"})
    first = open_window(on_duplicate="ask")
    dialogs = decide_later(qtbot, first, folder)  # … and close the app
    qtbot.waitUntil(lambda: "mba/csv/new.csv" in s3_env.keys(bucket), timeout=WAIT_MS)
    first.quit()

    second = open_window(on_duplicate="ask")
    flow = second.duplicates
    flow.dialog_opened.connect(dialogs.append)
    qtbot.waitUntil(lambda: second.banner.topic == "duplicates", timeout=WAIT_MS)
    assert second.banner.message.text() == (
        "1 file from last time waits for your duplicate decision."
    )
    assert second.counters.tiles["to_decide"].value.text() == "1"
    assert flow.panel.findings[0].label == "waiting since last time"
    review = next(b for b in second.banner.buttons if b.text() == "Review…")
    review.click()
    assert len(dialogs) == 2
    model = dialogs[1].findings_model
    assert [f.path for f in model.rows] == [str(folder / "csv" / "report.csv")]
    assert model.setData(model.index(0, FindingColumn.DECISION), Decision.KEEP_BOTH)
    dialogs[1].apply_button.click()
    qtbot.waitUntil(lambda: "mba/csv/report__2.csv" in s3_env.keys(bucket), timeout=WAIT_MS)
    assert s3_env.read(bucket, "mba/csv/report__2.csv") == b"mine\n"
    assert s3_env.read(bucket, "mba/csv/report.csv") == b"theirs\n"
    [job] = [j for j in second.session.store.jobs() if j.source.endswith("report.csv")]
    assert (job.key, job.decision) == ("mba/csv/report__2.csv", Decision.KEEP_BOTH)


def test_when_s3_is_down_at_start_the_waiting_files_say_so_and_check_again(
    qtbot: QtBot, proxy: FaultProxy, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    bucket = s3_env.mba_bucket
    s3_env.client.put_object(Bucket=bucket, Key="mba/csv/report.csv", Body=b"theirs\n")  # type: ignore[attr-defined]
    folder = write(tmp_path / "drop", {"report.csv": b"mine\n"})
    first = open_window(on_duplicate="ask")
    decide_later(qtbot, first, folder)
    first.quit()

    proxy.down()
    second = open_window(on_duplicate="ask")
    banner = second.banner
    qtbot.waitUntil(lambda: "could not run" in banner.message.text(), timeout=WAIT_MS)
    assert banner.message.text().startswith(
        "Files from last time wait for your duplicate decision, but the check could not run: "
        "cannot reach"
    )
    [job] = second.session.store.jobs()
    assert (job.state, job.error) == (JobState.WAITING, None)  # nothing lost
    proxy.up()
    next(b for b in banner.buttons if b.text() == "Check again").click()
    qtbot.waitUntil(lambda: "from last time waits" in banner.message.text(), timeout=WAIT_MS)


def test_a_drop_with_ask_opens_the_review_and_its_decisions_are_uploaded(
    qtbot: QtBot, open_window, s3_env: S3Env, tmp_path: Path
) -> None:
    bucket, client = s3_env.mba_bucket, s3_env.client
    client.put_object(Bucket=bucket, Key="mba/csv/same.csv", Body=b"same\n")  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key="mba/csv/conflict.csv", Body=b"theirs\n")  # type: ignore[attr-defined]
    first = write(
        tmp_path / "first",
        {
            "new.csv": b"new\n",
            "same.csv": b"same\n",
            "conflict.csv": b"mine, longer\n",
            "twin-a.csv": b"twin\n",
            "twin-b.csv": b"twin\n",
        },
    )
    second = write(tmp_path / "second", {"late.csv": b"late\n", "same-again.csv": b"same\n"})
    window = open_window(on_duplicate="ask")
    flow = window.duplicates
    dialogs: list[DuplicateReviewDialog] = []
    flow.dialog_opened.connect(dialogs.append)
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    entered, _, accepted = drop_on(window, file_mime(first))
    assert entered and accepted
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=WAIT_MS)
    dialog = dialogs[0]
    assert dialog.isVisible() and not dialog.isModal()
    # The new file does not wait for the review; the others wait as skipped jobs.
    qtbot.waitUntil(lambda: "mba/csv/new.csv" in s3_env.keys(bucket), timeout=WAIT_MS)
    waiting = window.session.store.jobs(state=JobState.WAITING)
    assert sorted(Path(j.source).name for j in waiting) == [
        "conflict.csv", "same.csv", "twin-a.csv", "twin-b.csv",
    ]  # fmt: skip
    assert {j.error for j in waiting} == {None}
    assert window.session.store.counters().skipped == 0
    assert window.counters.tiles["to_decide"].value.text() == "4"
    assert window.tabs.tabText(1) == "Duplicates  (4)"

    # A second drop while the dialog is open: its new file uploads, its review waits in line.
    drop_on(window, file_mime(second))
    qtbot.waitUntil(lambda: "mba/csv/late.csv" in s3_env.keys(bucket), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dialog.waiting_label.text() == "1 more drop waits for a review")

    model = dialog.findings_model
    row = [f.path for f in model.rows].index(str(first / "csv" / "conflict.csv"))
    assert model.setData(model.index(row, FindingColumn.DECISION), Decision.KEEP_BOTH)
    applied: list[object] = []
    flow.decisions_applied.connect(applied.append)
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: len(applied) == 1 and len(dialogs) == 2, timeout=WAIT_MS)
    dialogs[1].later_button.click()  # the second drop's review: later
    assert window.banner.isVisible() and window.banner.topic == "duplicates"
    assert "1 file of drop: mba waits for your duplicate decision" in window.banner.message.text()

    qtbot.waitUntil(
        lambda: {"mba/csv/conflict__2.csv", "mba/csv/twin-a.csv"} <= set(s3_env.keys(bucket)),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: window.session.store.counters().pending == 0, timeout=WAIT_MS)
    assert s3_env.keys(bucket) == [
        "mba/csv/conflict.csv", "mba/csv/conflict__2.csv", "mba/csv/late.csv",
        "mba/csv/new.csv", "mba/csv/same.csv", "mba/csv/twin-a.csv",
    ]  # fmt: skip
    assert s3_env.read(bucket, "mba/csv/conflict.csv") == b"theirs\n"
    assert s3_env.read(bucket, "mba/csv/conflict__2.csv") == b"mine, longer\n"
    jobs = {Path(j.source).name: j for j in window.session.store.jobs()}
    assert jobs["conflict.csv"].decision is Decision.KEEP_BOTH
    assert jobs["same.csv"].error.startswith("already in S3")  # type: ignore[union-attr]
    assert jobs["twin-b.csv"].error.startswith("same content as")  # type: ignore[union-attr]
    assert jobs["same-again.csv"].state is JobState.WAITING
    qtbot.waitUntil(lambda: window.counters.tiles["duplicates"].value.text() == "2")
    assert window.counters.tiles["to_decide"].value.text() == "1"  # same-again.csv
    panel = flow.panel
    assert [f.label for f in panel.findings] == ["drop: mba", "drop: mba"]
    assert panel.current() is panel.findings[0] and panel.findings[0].waiting


def test_when_s3_cannot_be_listed_the_drop_waits_and_can_be_checked_again(
    qtbot: QtBot, open_window, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    bucket = s3_env.mba_bucket
    s3_env.client.put_object(Bucket=bucket, Key="mba/csv/b.csv", Body=b"b\n")  # type: ignore[attr-defined]
    first = write(tmp_path / "first", {"a.csv": b"a\n", "b.csv": b"b\n"})
    second = write(tmp_path / "second", {"c.csv": b"c\n", "d.csv": b"d, theirs differ\n"})
    window = open_window()
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    proxy.down()
    window.add_paths([first])
    qtbot.waitUntil(lambda: window.banner.topic == "dupcheck", timeout=WAIT_MS)
    assert window.banner.isVisible()
    text = window.banner.message.text()
    assert text.startswith("The duplicate check could not list S3: cannot reach")
    assert text.endswith("Nothing from drop: mba (2 files) was queued.")
    assert window.session.store.counters().total == 0
    assert [b.text() for b in window.banner.buttons] == ["Upload without the check", "Check again"]
    proxy.up()
    window.banner.buttons[1].click()  # checked again: b.csv is already in S3
    qtbot.waitUntil(lambda: window.session.store.counters().done == 1, timeout=WAIT_MS)
    assert window.session.store.counters().skipped == 1
    assert not window.duplicates.failures

    s3_env.client.put_object(Bucket=bucket, Key="mba/csv/d.csv", Body=b"d\n")  # type: ignore[attr-defined]
    proxy.down()
    window.add_paths([second])
    qtbot.waitUntil(
        lambda: window.banner.topic == "dupcheck" and window.banner.isVisible(), timeout=WAIT_MS
    )
    proxy.up()
    window.banner.buttons[0].click()  # without the check: d.csv replaces what S3 holds
    qtbot.waitUntil(lambda: window.session.store.counters().done == 3, timeout=WAIT_MS)
    assert s3_env.keys(bucket) == [
        "mba/csv/a.csv",
        "mba/csv/b.csv",
        "mba/csv/c.csv",
        "mba/csv/d.csv",
    ]
    assert s3_env.read(bucket, "mba/csv/d.csv") == b"d, theirs differ\n"
    assert not window.duplicates.failures and not window.banner.isVisible()


def test_a_watched_folder_skips_a_file_already_in_s3(
    qtbot: QtBot, s3_env: S3Env, tmp_path: Path
) -> None:
    bucket = s3_env.mba_bucket
    s3_env.client.put_object(Bucket=bucket, Key="mba/csv/exports/there.csv", Body=b"there\n")  # type: ignore[attr-defined]
    etag = s3_env.head(bucket, "mba/csv/exports/there.csv")["ETag"]
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "there.csv").write_bytes(b"there\n")
    (folder / "fresh.csv").write_bytes(b"fresh\n")
    settings = load_settings(
        watch_settle_seconds=0.3,
        watch_folders=[WatchFolderSettings(path=folder, scope="mba")],
    )
    client = make_s3_client(settings)
    with JobStore(tmp_path / "jobs.db") as store:
        service = WatchService(store, check=lambda: (settings, client))
        reviews: list[object] = []
        service.reviewed.connect(reviews.append)
        with qtbot.waitSignal(service.enqueued, timeout=WAIT_MS) as blocker:
            service.apply(settings)
        qtbot.waitUntil(lambda: len(reviews) == 1, timeout=WAIT_MS)
        service.stop()
        jobs = {Path(j.source).name: j for j in store.jobs()}
    assert blocker.args == [2]
    assert jobs["there.csv"].state is JobState.SKIPPED
    assert jobs["there.csv"].error.startswith(f"already in S3: s3://{bucket}/mba/csv/exports/")  # type: ignore[union-attr]
    assert jobs["fresh.csv"].state is JobState.QUEUED
    assert len(reviews) == 1
    assert s3_env.head(bucket, "mba/csv/exports/there.csv")["ETag"] == etag  # not re-uploaded
