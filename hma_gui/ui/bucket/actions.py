"""What the Bucket tab does to the objects selected: Download…, Copy URI, Reveal local
source and — only when the user opted in (``bucket_allow_delete``) — Delete….

Downloads and deletes run on their own one-thread pool. A download goes to a folder
the user picks, as new 0600 files that never replace one already there, and is
checked against our MD5 (`core.s3.bucket_objects.download_object`); a mismatch is
shown and leaves no file. A delete first asks, naming how many objects and which.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from hma_gui.core.errors import Cancelled
from hma_gui.core.progress import CancelToken
from hma_gui.core.rate_meter import format_bytes
from hma_gui.core.s3.bucket_objects import DeleteResult, Downloaded, delete_keys, download_object
from hma_gui.ui import icons
from hma_gui.ui.bucket.model import BucketRow
from hma_gui.ui.queue.job_actions import reveal_in_file_manager
from hma_gui.ui.tasks import run_task

if TYPE_CHECKING:
    from hma_gui.ui.bucket.tab import BucketTab

KEYS_NAMED = 10  # the confirmation names this many keys, then "and N more"
PROGRESS_MS = 250  # how often a download's progress is shown


@dataclass
class DownloadReport:
    folder: Path
    done: list[Downloaded] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # key → why
    stopped: list[str] = field(default_factory=list)  # not downloaded: Stop was pressed
    files: int = 0  # how many were asked for
    bytes_total: int = 0  # their sizes, as listed
    bytes_done: int = 0  # written so far (the worker adds, the window's timer reads)

    def add(self, delta: int) -> None:
        self.bytes_done += delta  # one writer: the download thread


def ask_folder(parent: QWidget) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Download to")
    return Path(chosen) if chosen else None


class BucketActions(QObject):
    downloaded = Signal(object)  # DownloadReport
    deleted = Signal(object)  # DeleteResult

    def __init__(
        self,
        tab: BucketTab,
        *,
        pick_folder: Callable[[QWidget], Path | None] | None = None,
        reveal: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(tab)
        self.tab = tab
        self._pick_folder = pick_folder or ask_folder
        self._reveal = reveal or reveal_in_file_manager
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.cancel = CancelToken()
        self.delete_allowed = False
        self.confirm_box: QMessageBox | None = None
        self.problem_box: QMessageBox | None = None
        self._busy = False
        self._closed = False

        self.download_action = self._action("Download…", "folder-plus", self.download, "")
        self.copy_action = self._action("Copy URI", "copy", self.copy_uris, "Ctrl+Shift+C")
        self.reveal_action = self._action(
            "Reveal local source", "folder-open", self.reveal_source, ""
        )
        self.delete_action = self._action("Delete…", "trash", self.delete, "Delete")
        self.report: DownloadReport | None = None  # the download under way
        self._ticker = QTimer(self)
        self._ticker.setInterval(PROGRESS_MS)
        self._ticker.timeout.connect(self._show_progress)
        self.buttons: list[QPushButton] = []
        for action in (
            self.download_action, self.copy_action, self.reveal_action, self.delete_action,
        ):  # fmt: skip
            button = QPushButton(action.icon(), action.text())
            button.clicked.connect(action.trigger)
            self.buttons.append(button)
        self.download_button, self.copy_button, self.reveal_button, self.delete_button = (
            self.buttons
        )
        self.stop_button = QPushButton(icons.icon("stop"), "Stop download")
        self.stop_button.setToolTip("Stop after the bytes in flight; finished files stay")
        self.stop_button.clicked.connect(self.stop_download)
        self.stop_button.hide()  # shown only while downloading; not one of `buttons`
        self.reveal_button.setToolTip("Show the file this desktop uploaded to the selected key")
        self.delete_button.setToolTip("Delete the selected objects from S3 (asks first)")
        view = tab.view
        view.setContextMenuPolicy(view.contextMenuPolicy().ActionsContextMenu)
        for action in (
            self.download_action, self.copy_action, self.reveal_action, self.delete_action,
        ):  # fmt: skip
            view.addAction(action)
        view.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        view.doubleClicked.connect(lambda _index: self.download())
        self.set_delete_allowed(False)

    def _action(self, text: str, icon: str, slot: Callable[[], object], keys: str) -> QAction:
        action = QAction(icons.icon(icon), text, self.tab.view)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(action.shortcutContext().WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    # ------------------------------------------------------------- state

    def selected_rows(self) -> list[BucketRow]:
        rows = sorted({index.row() for index in self.tab.view.selectionModel().selectedRows()})
        return [self.tab.model.row(r) for r in rows if r < self.tab.model.rowCount()]

    def set_delete_allowed(self, allowed: bool) -> None:
        """Delete exists only for a user who opted in (Settings → Uploads)."""
        self.delete_allowed = allowed
        self.delete_action.setVisible(allowed)
        self.delete_button.setVisible(allowed)
        self.update_buttons()

    def update_buttons(self) -> None:
        rows = self.selected_rows()
        chosen = bool(rows) and not self._busy
        self.download_action.setEnabled(chosen)
        self.copy_action.setEnabled(bool(rows))
        self.reveal_action.setEnabled(any(row.source for row in rows))
        self.delete_action.setEnabled(chosen and self.delete_allowed)
        for action, button in zip(
            (self.download_action, self.copy_action, self.reveal_action, self.delete_action),
            self.buttons,
            strict=True,
        ):
            button.setEnabled(action.isEnabled())

    # ------------------------------------------------------------- copy, reveal

    def copy_uris(self) -> str:
        """``s3://bucket/key`` of each selected object, one a line, on the clipboard."""
        text = "\n".join(row.obj.uri for row in self.selected_rows())
        if text:
            QGuiApplication.clipboard().setText(text)
            count = text.count("\n") + 1
            self.tab.show_status(f"Copied {count} S3 URI{'s' if count > 1 else ''}")
        return text

    def reveal_source(self) -> str | None:
        """Open the folder of the local file this desktop uploaded to the selected key."""
        source = next((row.source for row in self.selected_rows() if row.source), None)
        if source is None:
            return None
        if not Path(source).exists():
            self.tab.show_status(f"The local source {source} is no longer there")
        self._reveal(source)
        return source

    # ------------------------------------------------------------- download

    def download(self) -> None:
        rows = self.selected_rows()
        if not rows or self._busy:
            return
        folder = self._pick_folder(self.tab)
        if folder is not None:
            self.download_to(folder, rows)

    def download_to(self, folder: Path, rows: Sequence[BucketRow]) -> None:
        """Download `rows` into `folder` in the background (`downloaded` says how it went)."""
        if self._closed:
            return
        settings, bucket = self.tab.session.settings, self.tab.bucket
        keys = [row.obj.key for row in rows]
        self._set_busy(True)
        cancel = self.cancel = CancelToken()
        report = self.report = DownloadReport(
            folder, files=len(keys), bytes_total=sum(row.obj.size for row in rows)
        )
        self._show_progress()
        self.stop_button.show()
        self._ticker.start()

        def work() -> DownloadReport:
            client, _heads = self.tab.clients.get(settings)
            for key in keys:
                if cancel.cancelled:
                    report.stopped.append(key)
                    continue
                try:
                    report.done.append(
                        download_object(
                            client, bucket, key, folder, cancel=cancel, progress=report.add
                        )
                    )
                except Cancelled:
                    report.stopped.append(key)
                except Exception as exc:  # noqa: BLE001 - reported per key
                    report.failed[key] = str(exc)
            return report

        run_task(self.pool, work, self._downloaded, self._failed)

    def stop_download(self) -> None:
        """Stop: the file being written is removed, the ones finished stay."""
        if self.report is not None:
            self.cancel.cancel("stopped")
            self.stop_button.setEnabled(False)
            self.tab.show_status("Stopping the download…")

    def _show_progress(self) -> None:
        report = self.report
        if report is None or self.cancel.cancelled:
            return
        self.tab.show_status(
            f"Downloading {len(report.done) + len(report.failed):,} of {report.files:,} "
            f"object(s) to {report.folder}… {format_bytes(report.bytes_done)} of "
            f"{format_bytes(report.bytes_total)}"
        )

    def _end_download(self) -> None:
        self._ticker.stop()
        self.report = None
        self.stop_button.hide()
        self.stop_button.setEnabled(True)

    def _downloaded(self, report: DownloadReport) -> None:
        if self._closed:
            return
        self._end_download()
        self._set_busy(False)
        unchecked = sum(1 for d in report.done if not d.verified)
        text = f"Downloaded {len(report.done):,} file(s) to {report.folder}"
        if report.stopped:
            text = (
                f"Stopped: downloaded {len(report.done):,} of {report.files:,} file(s) "
                f"to {report.folder}"
            )
        if unchecked:
            text += f" ({unchecked} without an MD5 to check against)"
        if report.failed:
            text += f"; {len(report.failed):,} failed"
            self.tab.show_status(text, error=True)
            details = "\n\n".join(f"{key}: {why}" for key, why in report.failed.items())
            box = self._box(QMessageBox.Icon.Warning, "Download problems", text, details)
            box.addButton(QMessageBox.StandardButton.Ok)
            self.problem_box = box
            box.open()
        else:
            self.tab.show_status(text)
        self.downloaded.emit(report)

    # ------------------------------------------------------------- delete

    def delete(self) -> QMessageBox | None:
        """Ask (naming the count and the keys), then delete the selected objects."""
        rows = self.selected_rows()
        if not self.delete_allowed or not rows or self._busy:
            return None
        keys = [row.obj.key for row in rows]
        bucket = self.tab.bucket
        named = "\n".join(keys[:KEYS_NAMED])
        if len(keys) > KEYS_NAMED:
            named += f"\n… and {len(keys) - KEYS_NAMED:,} more"
        box = self._box(
            QMessageBox.Icon.Warning,
            "Delete from S3",
            f"Delete {len(keys):,} object{'s' if len(keys) > 1 else ''} from s3://{bucket}? "
            "This cannot be undone.",
            named,
        )
        delete_button = box.addButton(
            f"Delete {len(keys):,}", QMessageBox.ButtonRole.DestructiveRole
        )
        cancel_button = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel_button)
        box.setEscapeButton(cancel_button)

        def answered(_result: int) -> None:
            if box.clickedButton() is delete_button:
                self._delete_now(bucket, keys)

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()
        return box

    def _delete_now(self, bucket: str, keys: list[str]) -> None:
        if self._closed:
            return
        settings = self.tab.session.settings
        self._set_busy(True)
        self.tab.show_status(f"Deleting {len(keys):,} object(s)…")

        def work() -> DeleteResult:
            client, heads = self.tab.clients.get(settings)
            result = delete_keys(client, bucket, keys)
            heads.forget(bucket, result.deleted)
            return result

        run_task(self.pool, work, self._deleted, self._failed)

    def _deleted(self, result: DeleteResult) -> None:
        if self._closed:
            return
        self._set_busy(False)
        self.tab.model.remove_keys(result.deleted)
        text = f"Deleted {len(result.deleted):,} object(s)"
        if result.failed:
            key, why = next(iter(result.failed.items()))
            self.tab.show_status(
                f"{text}; S3 refused {len(result.failed):,}: {key}: {why}", error=True
            )
        else:
            self.tab.show_status(text)
        self.update_buttons()
        self.deleted.emit(result)

    # ------------------------------------------------------------- shared

    def _failed(self, exc: BaseException) -> None:
        if self._closed:
            return
        self._end_download()
        self._set_busy(False)
        self.tab.show_status(str(exc), error=True)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.update_buttons()

    def _box(self, icon: QMessageBox.Icon, title: str, text: str, details: str) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, self.tab)
        box.setInformativeText(details)
        return box

    def shutdown(self, timeout_ms: int) -> None:
        self._closed = True  # nothing new starts; answers still on their way are dropped
        self.cancel.cancel()
        self.pool.waitForDone(timeout_ms)
