"""The Bucket tab driven as a person would, against moto's S3 over HTTP: pages past
1,000 objects, the filter, lazy encryption/MD5, the local source from a real job
store, downloads (0600, never overwriting, a corrupted object caught), Copy URI,
Delete only after opting in and confirming; and the tab in the window's sandbox."""

from __future__ import annotations

import gc
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.store_run import upload_queued
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader
from hma_gui.ui.bucket.model import ENCRYPTION, MD5, MODIFIED, NAME, PENDING, SIZE, SOURCE
from hma_gui.ui.bucket.tab import BucketTab
from hma_gui.ui.session import Session
from hma_gui.ui.settings.dialog import SettingsDialog
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy
from tests.gui.conftest import WAIT_MS

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def put_many(client: Any, bucket: str, keys: list[str], threads: int = 8) -> None:
    def put(key: str) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, keys))


class Opened:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, path: str) -> None:
        self.paths.append(path)


@pytest.fixture
def make_tab(qtbot: QtBot) -> Iterator[Callable[..., BucketTab]]:
    built: list[tuple[BucketTab, Session]] = []

    def build(
        folder: Path | None = None, reveal: Opened | None = None, **settings: Any
    ) -> BucketTab:
        session = Session(load_settings(**settings))
        tab = BucketTab(session, pick_folder=lambda _parent: folder, reveal=reveal)
        tab.resize(1100, 600)
        built.append((tab, session))
        session.start()
        return tab

    yield build
    for tab, session in built:  # not qtbot.addWidget: the tab outlives its S3 answers
        tab.shutdown()
        session.close(timeout_ms=WAIT_MS)
        tab.close()
        tab.deleteLater()


def show_and_list(qtbot: QtBot, tab: BucketTab) -> None:
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):
        tab.show()


def select(tab: BucketTab, *rows: int) -> None:
    selection = tab.view.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(tab.model.index(row, 0), flags)


def row_of(tab: BucketTab, key: str) -> int:
    return next(i for i, row in enumerate(tab.model.rows) if row.obj.key == key)


def text(tab: BucketTab, row: int, column: int) -> str:
    return str(tab.model.data(tab.model.index(row, column)))


def test_listing_pages_past_1000_and_filters(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env
) -> None:
    keys = [f"mba/csv/f{n:05d}.csv" for n in range(2300)]
    put_many(s3_env.client, s3_env.mba_bucket, [*keys, "mba/pdf/sub/MemberGuide.pdf"])
    put_many(s3_env.client, s3_env.policy_bucket, ["policy/csv/p.csv"])
    tab = make_tab()
    show_and_list(qtbot, tab)
    assert tab.scope_box.currentText() == "mba"
    assert tab.location.text() == f"s3://{s3_env.mba_bucket}/mba/"
    assert tab.model.rowCount() == 1000
    assert tab.status.text().startswith("1,000 of many")
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):
        tab.more_button.click()
    assert tab.model.rowCount() == 2000
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):  # scrolling to the end lists the rest
        tab.view.scrollToBottom()
    assert tab.model.rowCount() == 2301
    assert [r.obj.key for r in tab.model.rows] == sorted([*keys, "mba/pdf/sub/MemberGuide.pdf"])
    assert tab.status.text() == "2,301 objects" and not tab.more_button.isEnabled()

    qtbot.keyClicks(tab.filter_edit, "GUIDE")  # substring, any case, after a pause
    qtbot.waitUntil(
        lambda: tab.status.text() == "1 match in 2,301 objects looked at (all)", timeout=WAIT_MS
    )
    assert [r.obj.key for r in tab.model.rows] == ["mba/pdf/sub/MemberGuide.pdf"]
    tab.filter_edit.clear()
    qtbot.keyClicks(tab.filter_edit, "pdf/")  # a folder: listed on the server
    qtbot.waitUntil(lambda: tab.status.text() == "1 object", timeout=WAIT_MS)
    assert tab.location.text() == f"s3://{s3_env.mba_bucket}/mba/pdf/"
    assert tab.model.rowCount() == 1
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):
        tab.scope_box.setCurrentText("policy")
    assert tab.location.text() == f"s3://{s3_env.policy_bucket}/policy/pdf/"
    assert tab.model.rowCount() == 0 and tab.status.text() == "0 objects"


def click_header(qtbot: QtBot, tab: BucketTab, column: int) -> None:
    header = tab.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_a_header_click_sorts_the_rows_and_keeps_the_selection(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env
) -> None:
    sizes = {f"mba/csv/f{n}.csv": (n * 7919) % 1500 + 1 for n in range(1200)}

    def put(item: tuple[str, int]) -> None:
        s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=item[0], Body=b"x" * item[1])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, sizes.items()))
    tab = make_tab()
    show_and_list(qtbot, tab)
    assert tab.model.rowCount() == 1000  # the first page
    chosen = tab.model.rows[500].obj.key
    select(tab, 500)

    click_header(qtbot, tab, SIZE)
    listed = [r.obj.size for r in tab.model.rows]
    assert listed == sorted(listed) and listed[0] < listed[-1]
    assert row_of(tab, chosen) != 500  # it moved
    assert [tab.model.rows[i.row()].obj.key for i in tab.view.selectionModel().selectedRows()] == [
        chosen
    ]  # the same object stays selected
    click_header(qtbot, tab, SIZE)  # again: descending
    listed = [r.obj.size for r in tab.model.rows]
    assert listed == sorted(listed, reverse=True)
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):  # the next page joins the order
        tab.more_button.click()
    assert tab.model.rowCount() == 1200
    listed = [r.obj.size for r in tab.model.rows]
    assert listed == sorted(listed, reverse=True)
    assert text(tab, 0, SIZE).endswith("B")  # still shown as sizes
    click_header(qtbot, tab, NAME)  # back to S3's own order
    assert [r.obj.key for r in tab.model.rows] == sorted(sizes)


def test_encryption_and_md5_are_fetched_for_the_rows_on_screen(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env
) -> None:
    client = s3_env.client
    md5 = hashlib.md5(b"ours").hexdigest()
    client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/a-ours.csv", Body=b"ours", Metadata={"md5": md5},
        ServerSideEncryption="AES256",
    )  # fmt: skip
    put_many(client, s3_env.mba_bucket, [f"mba/b{n:04d}" for n in range(400)])
    tab = make_tab()
    show_and_list(qtbot, tab)
    qtbot.waitUntil(lambda: tab.model.rows[0].head is not None, timeout=WAIT_MS)
    assert (text(tab, 0, ENCRYPTION), text(tab, 0, MD5)) == ("SSE-S3", md5)
    metrics = tab.view.fontMetrics()
    for column in (SIZE, MODIFIED, ENCRYPTION):  # whole, not "2026-12-0…" (seen at 1400 px)
        assert metrics.horizontalAdvance(text(tab, 0, column)) + 8 <= tab.view.columnWidth(column)
    first, last = tab.visible_rows()
    assert first == 0 and 5 < last < 100
    qtbot.waitUntil(lambda: tab.model.rows[last].head is not None, timeout=WAIT_MS)
    assert text(tab, 1, MD5) == "none"  # not uploaded by us: no x-amz-meta-md5
    _client, heads = tab.clients.get(tab.session.settings)
    assert heads.calls < 150  # lazily: not 401 HEADs
    assert text(tab, 400, ENCRYPTION) == PENDING
    tab.view.scrollToBottom()
    qtbot.waitUntil(lambda: tab.model.rows[400].head is not None, timeout=WAIT_MS)
    assert text(tab, 400, MD5) == "none"
    assert tab.model.rows[200].head is None  # the middle was never on screen
    client.put_object(Bucket=s3_env.mba_bucket, Key="mba/a-ours.csv", Body=b"theirs")  # type: ignore[attr-defined]
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):
        tab.refresh_button.click()  # lists again and asks for the details again
    qtbot.waitUntil(lambda: tab.model.rows[0].head is not None, timeout=WAIT_MS)
    assert (text(tab, 0, ENCRYPTION), text(tab, 0, MD5)) == ("none", "none")


def upload_tree(tab: BucketTab, root: Path, files: dict[str, bytes]) -> None:
    """Upload `files` below `root` with the real uploader into the tab's job store."""
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    settings = load_settings()
    planned = plan([root], settings, PlanOptions.from_settings(settings))
    store = tab.session.store
    batch = store.new_batch()
    store.enqueue(planned.jobs, batch)
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    report = upload_queued(store, uploader, concurrency=2, batch_id=batch)
    assert report.counters.done == len(files)


def test_local_source_download_copy_and_reveal(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env, tmp_path: Path
) -> None:
    down = tmp_path / "down"
    down.mkdir()
    opened = Opened()
    tab = make_tab(folder=down, reveal=opened)
    qtbot.waitUntil(lambda: tab.session.is_ready, timeout=WAIT_MS)
    upload_tree(tab, tmp_path / "data" / "mba", {"csv/m.csv": b"member\n" * 500})
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/csv/other.csv", Body=b"from someone else"
    )
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/csv/rotten.csv", Body=b"changed later",
        Metadata={"md5": hashlib.md5(b"as uploaded").hexdigest()},
    )  # fmt: skip
    show_and_list(qtbot, tab)
    mine, other, rotten = (row_of(tab, f"mba/csv/{n}.csv") for n in ("m", "other", "rotten"))
    source = str(tmp_path / "data" / "mba" / "csv" / "m.csv")
    assert text(tab, mine, SOURCE) == source and text(tab, other, SOURCE) == ""
    qtbot.waitUntil(lambda: tab.model.rows[mine].head is not None, timeout=WAIT_MS)
    assert text(tab, mine, ENCRYPTION) == "SSE-S3"  # the uploader's default
    assert text(tab, mine, MD5) == hashlib.md5(b"member\n" * 500).hexdigest()

    actions = tab.commands
    select(tab, other)
    assert not actions.reveal_button.isEnabled() and actions.copy_button.isEnabled()
    select(tab, mine)
    assert actions.reveal_button.isEnabled()
    actions.reveal_button.click()
    assert opened.paths == [source]

    select(tab, mine, other)
    actions.copy_button.click()
    assert QGuiApplication.clipboard().text() == (
        f"s3://{s3_env.mba_bucket}/mba/csv/m.csv\ns3://{s3_env.mba_bucket}/mba/csv/other.csv"
    )

    (down / "m.csv").write_bytes(b"already here")
    with qtbot.waitSignal(actions.downloaded, timeout=WAIT_MS) as done:
        actions.download_button.click()
    report = done.args[0]
    assert report.failed == {}
    assert [d.path.name for d in report.done] == ["m (1).csv", "other.csv"]
    assert [d.checked_against for d in report.done] == ["metadata MD5", "ETag"]
    assert (down / "m.csv").read_bytes() == b"already here"  # never overwritten
    assert (down / "m (1).csv").read_bytes() == b"member\n" * 500
    for name in ("m (1).csv", "other.csv"):
        assert stat.S_IMODE((down / name).stat().st_mode) == 0o600
    assert "Downloaded 2 file(s)" in tab.status.text()

    select(tab, rotten)
    with qtbot.waitSignal(actions.downloaded, timeout=WAIT_MS) as done:
        actions.download_button.click()
    assert list(done.args[0].failed) == ["mba/csv/rotten.csv"]
    assert not (down / "rotten.csv").exists()
    assert sorted(p.name for p in down.iterdir()) == ["m (1).csv", "m.csv", "other.csv"]
    assert tab.is_error_shown() and "1 failed" in tab.status.text()
    box = actions.problem_box
    assert box is not None and box.isVisible()
    assert "does not match its metadata MD5" in box.informativeText()
    box.button(QMessageBox.StandardButton.Ok).click()


def test_a_download_shows_its_progress_and_stops_when_asked(
    qtbot: QtBot,
    make_tab: Callable[..., BucketTab],
    s3_env: S3Env,
    proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    down = tmp_path / "down"
    down.mkdir()
    big = os.urandom(3 * 1024 * 1024)
    for key, body in (("mba/a.csv", b"a" * 1000), ("mba/b.bin", big), ("mba/c.csv", b"c" * 10)):
        s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=body)  # type: ignore[attr-defined]
    tab = make_tab(folder=down)
    show_and_list(qtbot, tab)
    actions = tab.commands
    assert not actions.stop_button.isVisible()
    select(tab, 0, 1, 2)
    proxy.hold("GET")  # the first object's bytes wait at the proxy
    actions.download_button.click()
    qtbot.waitUntil(lambda: proxy.held == 1, timeout=WAIT_MS)
    assert actions.stop_button.isVisible() and not actions.download_button.isEnabled()
    qtbot.waitUntil(
        lambda: (
            re.fullmatch(
                rf"Downloading 0 of 3 object\(s\) to {re.escape(str(down))}… 0 B of 3\.0 MiB",
                tab.status.text(),
            )
            is not None
        ),
        timeout=WAIT_MS,
    )
    with qtbot.waitSignal(actions.downloaded, timeout=WAIT_MS) as done:
        actions.stop_button.click()
        assert tab.status.text() == "Stopping the download…"
        proxy.release()
    report = done.args[0]
    assert (report.done, report.failed) == ([], {})
    assert report.stopped == ["mba/a.csv", "mba/b.bin", "mba/c.csv"]
    assert report.bytes_done == 0  # nothing was written: the stop came before the bytes
    assert list(down.iterdir()) == []  # no partial file left
    assert tab.status.text() == f"Stopped: downloaded 0 of 3 file(s) to {down}"
    assert actions.problem_box is None and not actions.stop_button.isVisible()

    select(tab, 1)
    with qtbot.waitSignal(actions.downloaded, timeout=WAIT_MS) as done:
        actions.download_button.click()
    report = done.args[0]
    assert report.bytes_done == report.bytes_total == len(big)
    assert (down / "b.bin").read_bytes() == big
    assert tab.status.text() == f"Downloaded 1 file(s) to {down}"


def test_delete_is_hidden_until_opted_in_and_asks_first(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env
) -> None:
    keys = [f"mba/d/{n}.csv" for n in range(4)]
    put_many(s3_env.client, s3_env.mba_bucket, keys)
    tab = make_tab()
    show_and_list(qtbot, tab)
    actions = tab.commands
    select(tab, 0, 1)
    assert actions.delete_button.isHidden() and not actions.delete_action.isVisible()
    assert actions.delete() is None  # read-only: not even asked
    assert s3_env.keys(s3_env.mba_bucket) == keys

    tab.session.update_settings({"bucket_allow_delete": True})  # Settings → Uploads
    assert not actions.delete_button.isHidden() and actions.delete_button.isEnabled()
    select(tab, 0, 1)
    actions.delete_button.click()
    box = actions.confirm_box
    assert box is not None and box.isVisible()
    assert box.text().startswith(f"Delete 2 objects from s3://{s3_env.mba_bucket}?")
    assert box.informativeText() == "mba/d/0.csv\nmba/d/1.csv"
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT_MS)
    assert s3_env.keys(s3_env.mba_bucket) == keys  # cancelled: nothing gone

    actions.delete_button.click()
    box = actions.confirm_box
    assert box is not None
    delete = next(b for b in box.buttons() if b.text() == "Delete 2")
    with qtbot.waitSignal(actions.deleted, timeout=WAIT_MS) as deleted:
        delete.click()
    assert sorted(deleted.args[0].deleted) == keys[:2]
    assert s3_env.keys(s3_env.mba_bucket) == keys[2:]
    assert [r.obj.key for r in tab.model.rows] == keys[2:]
    assert tab.status.text() == "Deleted 2 object(s)"


def test_the_settings_dialog_holds_the_opt_in(qtbot: QtBot) -> None:
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    assert not dialog.bucket_allow_delete.isChecked()
    assert dialog.values()["bucket_allow_delete"] is False
    dialog.bucket_allow_delete.setChecked(True)
    assert dialog.values()["bucket_allow_delete"] is True
    assert load_settings(bucket_allow_delete=True).bucket_allow_delete


def test_a_missing_bucket_is_shown_as_an_error(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("HMA_MBA_BUCKET", "no-such-bucket-anywhere")
    tab = make_tab()
    with qtbot.waitSignal(tab.failed, timeout=WAIT_MS) as failed:
        tab.show()
    assert failed.args[0] == (
        "Cannot list s3://no-such-bucket-anywhere/mba/: bucket 'no-such-bucket-anywhere' does "
        "not exist (check the scope's bucket in the settings)"
    )
    assert tab.is_error_shown() and tab.status.text() == failed.args[0]
    assert not tab.busy  # a failed listing is over too


def test_the_window_has_the_tab_and_it_lists_the_sandbox(qtbot: QtBot, open_window: Any) -> None:
    window = open_window(sandbox=True)
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    settings = window.session.settings
    bucket = settings.scopes["mba"].bucket
    make_s3_client(settings).put_object(Bucket=bucket, Key="mba/csv/sandboxed.csv", Body=b"s")
    index = window.tabs.indexOf(window.bucket_tab)
    assert window.tabs.tabText(index) == "Bucket"
    window.menus.name_tabs()
    action = window.menus.tab_actions[index]
    assert action.text() == "Bucket"
    with qtbot.waitSignal(window.bucket_tab.listed, timeout=WAIT_MS):
        action.trigger()  # View → Bucket (Ctrl+<n>)
    assert window.tabs.currentWidget() is window.bucket_tab
    assert [r.obj.key for r in window.bucket_tab.model.rows] == ["mba/csv/sandboxed.csv"]


def test_the_window_puts_off_full_garbage_collections_while_the_tab_lists(
    qtbot: QtBot, open_window: Any, s3_env: S3Env
) -> None:
    """A full collection (100–400 ms with this window) waits while a listing or HEADs run."""
    put_many(s3_env.client, s3_env.mba_bucket, [f"mba/csv/f{n:04d}.csv" for n in range(1200)])
    window = open_window()
    qtbot.waitUntil(lambda: window.session.is_ready, timeout=WAIT_MS)
    governor, tab = window.gc_governor, window.bucket_tab
    told: list[bool] = []  # what the tab tells the governor
    tab.busy_changed.connect(told.append)
    qtbot.waitUntil(lambda: not governor.busy, timeout=WAIT_MS)  # the queue's idle workers
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):
        window.tabs.setCurrentWidget(tab)  # shown: the first 1,000 are listed
        assert tab.busy and governor.busy
        gc.collect()  # a full collection now is put off (frozen) …
        assert governor.deferred >= 1
        assert governor.tick() is False  # … and the idle check does not run it either
    qtbot.waitUntil(lambda: tab.model.row(0).head is not None and not tab.busy, timeout=WAIT_MS)
    assert told[0] is True and told[-1] is False
    qtbot.waitUntil(lambda: not governor.busy, timeout=WAIT_MS)
    assert governor.tick() is True  # idle: the collection runs now
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):
        tab.more_button.click()  # Load more: busy again until the page is shown
        assert governor.busy
    assert tab.model.rowCount() == 1200
    qtbot.waitUntil(lambda: not governor.busy, timeout=WAIT_MS)


def test_access_denied_names_the_permission_and_the_credential_hint(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env, proxy: FaultProxy
) -> None:
    put_many(s3_env.client, s3_env.mba_bucket, ["mba/a.csv"])
    tab = make_tab()
    qtbot.waitUntil(lambda: tab.session.is_ready, timeout=WAIT_MS)
    proxy.fail_next(1, 403)
    with qtbot.waitSignal(tab.failed, timeout=WAIT_MS) as failed:
        tab.show()
    where = f"s3://{s3_env.mba_bucket}/mba/"
    assert failed.args[0] == (
        f"Cannot list {where}: access denied: your AWS identity may not list {where} (it needs "
        "s3:ListBucket); ask for that permission or choose another AWS profile (Settings → "
        "AWS connection, or HMA_AWS_PROFILE)"
    )
    assert tab.is_error_shown()
    with qtbot.waitSignal(tab.listed, timeout=WAIT_MS):
        tab.refresh_button.click()
    assert [r.obj.key for r in tab.model.rows] == ["mba/a.csv"] and not tab.is_error_shown()


def test_the_window_thread_never_waits_for_s3(
    qtbot: QtBot, make_tab: Callable[..., BucketTab], s3_env: S3Env, proxy: FaultProxy
) -> None:
    put_many(s3_env.client, s3_env.mba_bucket, ["mba/a.csv"])
    tab = make_tab()
    qtbot.waitUntil(lambda: tab.session.is_ready, timeout=WAIT_MS)
    proxy.hold("GET")  # the listing hangs in the proxy
    tab.show()
    qtbot.waitUntil(lambda: proxy.held == 1, timeout=WAIT_MS)
    assert tab.status.text().startswith("Listing s3://")
    qtbot.keyClicks(tab.filter_edit, "a")  # the tab takes typing while S3 has not answered
    assert tab.filter_edit.text() == "a"
    proxy.release()  # the held answer is for the old filter: dropped; the new one is shown
    qtbot.waitUntil(lambda: [r.obj.key for r in tab.model.rows] == ["mba/a.csv"], timeout=WAIT_MS)
