"""The window's watched folders: the core's `FolderWatcher`, started from the settings.

The watcher runs its own threads (watchdog's and a poller) and enqueues
finished files into the session's job store, checked for duplicates first
when the service is built with a `check` connection (`WatchDuplicateCheck`);
this adapter turns "jobs were queued" and "duplicates were found" into signals
on the main thread (the window kicks the upload queue, lists the findings),
restarts the watcher when the watch list changes, and saves the list to the
settings file when the user adds or removes a folder. With a shared queue set,
the queued files go there after the duplicate check: the window's upload queue
sends what it would run (`core.queue.store_forwarding`).
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import Settings, WatchFolderSettings
from hma_gui.core.config.settings_file import save_settings
from hma_gui.core.duplicates.decisions import DuplicateReview
from hma_gui.core.duplicates.summary import Findings, FindingsState
from hma_gui.core.duplicates.watch_screen import Connector, WatchDuplicateCheck
from hma_gui.core.errors import ConfigError, HmaError
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.watch.folder_lock import FolderLocks
from hma_gui.core.watch.folder_watcher import FolderActivity, FolderWatcher

logger = logging.getLogger(__name__)

# Saves settings values and applies them (`Session.update_settings`); raises ConfigError.
SettingsUpdate = Callable[..., object]


def _save_to_file(values: dict[str, Any], *, replace: Sequence[str] = ()) -> None:
    """Without a session (tests of the service alone): the settings file only."""
    save_settings(values, replace=list(replace))


@dataclass(frozen=True)
class WatchRow:
    """One line of the watched-folders table."""

    config: WatchFolderSettings
    activity: FolderActivity | None  # None while the folder is not watched (disabled, missing)
    problem: str | None = None
    to_upload: int = 0  # its files queued or uploading now
    to_decide: int = 0  # its files waiting for a duplicate decision


@dataclass(frozen=True)
class SkippedCopy:
    """A file the watcher did not upload (a copy S3 or the queue already has), and why."""

    path: Path
    reason: str
    at: float  # time.time()


MAX_SKIPPED = 500  # the newest skipped copies the tab lists
# From this many unfinished jobs, each folder's count is taken again every few seconds only.
LARGE_BACKLOG = 10_000
RECOUNT_SECONDS = 3.0


class WatchService(QObject):
    enqueued = Signal(int)  # jobs the watcher queued (main thread)
    changed = Signal()  # the watch list changed, or the watcher skipped copies
    reviewed = Signal(object)  # Findings of a duplicate check with something found (main thread)
    _from_watcher = Signal(int)
    _found = Signal(object)
    _skipped_found = Signal(object)

    def __init__(
        self,
        store: JobStore,
        parent: QObject | None = None,
        *,
        check: Connector | None = None,
        cache: HashCache | None = None,
        update_settings: SettingsUpdate | None = None,  # the window: Session.update_settings
    ) -> None:
        """`check`: the settings and client to check duplicates with (None: no check)."""
        super().__init__(parent)
        self._store = store
        self._update_settings = update_settings or _save_to_file
        self._settings: Settings | None = None
        self._watcher: FolderWatcher | None = None
        self._batch = 0
        self._counted: dict[str, dict[JobState, int]] = {}  # `_unfinished`'s last answer
        self._counted_at = -RECOUNT_SECONDS
        self._problems: dict[Path, str] = {}
        self._cache = cache
        self._check = (
            None
            if check is None
            else WatchDuplicateCheck(store, check, cache=cache, on_review=self._on_review)
        )
        self._skipped: collections.deque[SkippedCopy] = collections.deque(maxlen=MAX_SKIPPED)
        self._from_watcher.connect(self.enqueued, Qt.ConnectionType.QueuedConnection)
        self._found.connect(self.reviewed, Qt.ConnectionType.QueuedConnection)
        self._skipped_found.connect(self._note_skipped, Qt.ConnectionType.QueuedConnection)

    @property
    def folders(self) -> list[WatchFolderSettings]:
        return list(self._settings.watch_folders) if self._settings else []

    @property
    def batch_id(self) -> int:
        """The batch the watcher's jobs go to (0 until a folder is watched)."""
        return self._batch

    @property
    def running(self) -> bool:
        return self._watcher is not None

    @property
    def skipped(self) -> list[SkippedCopy]:
        """The copies the watcher skipped this session, newest first."""
        return list(reversed(self._skipped))

    def _note_skipped(self, copies: list[SkippedCopy]) -> None:
        self._skipped.extend(copies)
        self.changed.emit()

    def apply(self, settings: Settings) -> None:
        """Watch what `settings` lists (restarting only when the list or its rules changed)."""
        previous = self._settings
        self._settings = settings
        if (
            previous is not None
            and self._watcher is not None
            and previous.watch_folders == settings.watch_folders
            and previous.watch_settle_seconds == settings.watch_settle_seconds
            and previous.scopes == settings.scopes
        ):
            return
        self.stop()
        self._problems.clear()
        folders = []
        for folder in settings.watch_folders:
            if not folder.enabled:
                continue
            if not folder.path.expanduser().is_dir():
                self._problems[folder.path] = "folder not found"
                continue
            folders.append(folder)
        if folders:
            if not self._batch:
                self._batch = self._store.new_batch("watched folders")
            watcher = FolderWatcher(
                folders,
                settings,
                self._store,
                batch_id=self._batch,
                md5_cache=self._cache,
                prepare=None if self._check is None else self._prepare_jobs,
                on_enqueued=lambda ids: self._from_watcher.emit(len(ids)),
                locks=FolderLocks(app_dirs.data_dir(), "the HMA Ingest window"),
            )
            try:
                watcher.start()
            except (HmaError, OSError) as exc:
                logger.error("cannot watch folders: %s", exc)
                for folder in folders:
                    self._problems[folder.path] = str(exc)
            else:
                self._watcher = watcher
                logger.info("watching %d folder(s)", len(folders))
        self.changed.emit()

    def _prepare_jobs(self, jobs: list[NewJob]) -> list[NewJob]:
        """(The watcher's thread.) The duplicate check; the copies it skipped are shown."""
        if self._check is None:
            return jobs
        jobs = self._check(jobs)
        now = time.time()
        skipped = [
            SkippedCopy(Path(job.source), job.error or "a duplicate", now)
            for job in jobs
            if job.state is JobState.SKIPPED
        ]
        if skipped:
            self._skipped_found.emit(skipped)
        return jobs

    def _on_review(self, review: DuplicateReview, _jobs: list[NewJob]) -> None:
        """(The watcher's thread.) The findings, counted there, to the main thread."""
        findings = Findings("watched folders", review, self._batch, FindingsState.APPLIED, "watch")
        findings.summary()
        self._found.emit(findings)

    def stop(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def rows(self, *, work: bool = True) -> list[WatchRow]:
        """The table's lines; `work`: with each folder's unfinished files (a query)."""
        activity = self._watcher.activity if self._watcher else {}
        unfinished = self._unfinished() if work else {}
        rows = []
        for config in self.folders:
            resolved = config.path.expanduser().resolve()
            states = unfinished.get(str(resolved), {})
            rows.append(
                WatchRow(
                    config, activity.get(resolved), self._problems.get(config.path),
                    to_upload=states.get(JobState.QUEUED, 0) + states.get(JobState.RUNNING, 0),
                    to_decide=states.get(JobState.WAITING, 0),
                )
            )  # fmt: skip
        return rows

    def _unfinished(self) -> dict[str, dict[JobState, int]]:
        """The watched folders' unfinished jobs; no query while their batch has none."""
        if self._watcher is None or not self._batch:  # not watching (or stopped)
            return {}
        counters = self._store.counters(self._batch)  # kept by triggers: O(1)
        unfinished = counters.queued + counters.running + counters.waiting
        if not unfinished:
            return {}
        now = time.monotonic()
        if unfinished >= LARGE_BACKLOG and now - self._counted_at < RECOUNT_SECONDS:
            return self._counted  # ~18 ms per 50,000 jobs: not on every tick of the window
        self._counted, self._counted_at = self._store.unfinished_by_root(self._batch), now
        return self._counted

    # ------------------------------------------------------------- editing the list

    def add_folder(self, folder: WatchFolderSettings) -> Settings:
        folders = [f for f in self.folders if f.path != folder.path] + [folder]
        return self._save(folders)

    def replace_folder(self, path: Path, folder: WatchFolderSettings) -> Settings:
        """The folder at `path` becomes `folder` (its place in the list and its pause kept);
        the watcher restarts with the new rules."""
        folder = folder.model_copy(update={"enabled": self._enabled(path)})
        folders = [f for f in self.folders if f.path != folder.path or f.path == path]
        return self._save([folder if f.path == path else f for f in folders])

    def _enabled(self, path: Path) -> bool:
        return next((f.enabled for f in self.folders if f.path == path), True)

    def remove_folder(self, path: Path) -> Settings:
        return self._save([f for f in self.folders if f.path != path])

    def set_enabled(self, path: Path, enabled: bool) -> Settings:
        folders = [
            f.model_copy(update={"enabled": enabled}) if f.path == path else f for f in self.folders
        ]
        return self._save(folders)

    def _save(self, folders: list[WatchFolderSettings]) -> Settings:
        """Write the list to the settings file; `ConfigError` leaves everything as it was."""
        if self._settings is None:
            raise ConfigError("the watched folders are not loaded yet")
        self._update_settings({"watch_folders": folders}, replace=["watch_folders"])
        updated = self._settings.model_copy(update={"watch_folders": folders})
        self.apply(updated)
        return updated
