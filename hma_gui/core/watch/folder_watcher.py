"""Watched folders: every finished file that appears (or changes) is queued for upload.

watchdog reports what happens in the folders; a `SettleTracker` decides when a
file is finished (size and mtime unchanged for the settle time, and it opens).
Temporary names (``*.part``, ``*.tmp``, ``~$*``, dotfiles) are ignored until
they are renamed into place; a rename counts as a new file.

What gets queued is decided against the job store's ledger of uploads, so a
restart catches up without re-sending: at start-up every file of the folders is
looked at once; unchanged files (same size and mtime as uploaded) cost a stat,
touched files with the same content cost a hash, and only new or changed content
is uploaded again.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from hma_gui.core.config.settings import Settings, WatchFolderSettings
from hma_gui.core.errors import HmaError
from hma_gui.core.files.change_clock import settled_before
from hma_gui.core.files.discovery import FoundFile, discover
from hma_gui.core.files.file_filter import OUTSIDE_LINK, FileFilter, leads_outside
from hma_gui.core.files.file_walk import NOT_REGULAR
from hma_gui.core.files.key_convention import resolve_target
from hma_gui.core.files.path_text import NOT_UTF8, is_valid_text
from hma_gui.core.hashes.digests import Md5Cache, NoMd5Cache, md5_file
from hma_gui.core.jobs.plan import PlanOptions
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.s3.limits import object_size_problem
from hma_gui.core.watch.folder_lock import FolderLock, FolderLocks, release_all
from hma_gui.core.watch.settle_tracker import SettleTracker

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25

# Turns the jobs a watcher found into the jobs to enqueue (the duplicate check plugs in here).
JobPreparer = Callable[[list[NewJob]], list[NewJob]]


# What the window says a watched folder did last with a file it took in, by the job's state.
_NOTES = {
    JobState.QUEUED: "queued {}",
    JobState.SKIPPED: "skipped {} (a copy)",
    JobState.WAITING: "held {} for a duplicate decision",
    JobState.FAILED: "cannot upload {}",
    JobState.NEEDS_SCOPE: "{} needs a scope",
}


@dataclass
class FolderActivity:
    """What the window shows per watched folder."""

    path: Path
    scope: str
    queued: int = 0  # files queued for upload (a skipped copy or a held file is not)
    unchanged: int = 0
    last_event: float | None = None
    last_message: str = "watching"


@dataclass(frozen=True)
class _Folder:
    path: Path
    options: PlanOptions
    filter: FileFilter = field(compare=False)

    def owns(self, path: Path) -> bool:
        return path == self.path or self.path in path.parents

    def wants(self, path: Path) -> bool:
        relative = path.relative_to(self.path)
        if any(not self.filter.wants_dir(part) for part in relative.parts[:-1]):
            return False
        if (
            not self.filter.follow_symlinks
            and path.is_symlink()
            and leads_outside(str(path), (str(self.path),))
        ):
            logger.info("not followed: %s is a %s", path, OUTSIDE_LINK)
            return False
        return self.filter.wants(path.name)


class FolderWatcher:
    """Watches folders and enqueues finished files into `store` under `batch_id`."""

    def __init__(
        self,
        folders: Sequence[WatchFolderSettings],
        settings: Settings,
        store: JobStore,
        *,
        batch_id: int = 0,
        md5_cache: Md5Cache | None = None,
        prepare: JobPreparer | None = None,
        on_enqueued: Callable[[list[int]], None] | None = None,
        settle_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        locks: FolderLocks | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._batch_id = batch_id
        self._md5_cache = md5_cache or NoMd5Cache()
        self._prepare = prepare
        self._on_enqueued = on_enqueued
        self._folders = [_folder(f, settings) for f in folders if f.enabled]
        self.tracker = SettleTracker(
            settings.watch_settle_seconds if settle_seconds is None else settle_seconds, clock
        )
        self.activity = {f.path: FolderActivity(f.path, f.options.scope) for f in self._folders}
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._locks = locks  # None: no other process can watch these folders (tests)
        self._held: list[FolderLock] = []

    @property
    def folders(self) -> list[Path]:
        return [f.path for f in self._folders]

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Watch the folders, look at what is already there, and poll in a thread."""
        for folder in self._folders:
            if not folder.path.is_dir():
                raise HmaError(f"cannot watch {folder.path}: not a folder")
        self._lock_folders()
        try:
            observer = Observer()
            handler = _Events(self)
            for folder in self._folders:
                observer.schedule(handler, str(folder.path), recursive=True)
            observer.start()
        except BaseException:
            self._unlock_folders()
            raise
        self._observer = observer
        self.adopt_unfinished()
        self.catch_up()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="folder-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(10)
            self._observer = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._unlock_folders()

    def _lock_folders(self) -> None:
        """Hold each folder's watch lock; `FolderBusy` names the process that has one."""
        if self._locks is not None:
            self._held = self._locks.acquire_all([folder.path for folder in self._folders])

    def _unlock_folders(self) -> None:
        held, self._held = self._held, []
        release_all(held)

    def adopt_unfinished(self) -> list[int]:
        """Take over the queued jobs of the folders (a predecessor stopped or killed)."""
        ids = self._store.adopt([str(f.path) for f in self._folders], self._batch_id)
        if ids:
            logger.info("%d unfinished jobs of the watched folders taken over", len(ids))
            if self._on_enqueued is not None:
                self._on_enqueued(ids)
        return ids

    def catch_up(self) -> int:
        """Queue a look at every file already in the folders (start-up, or a folder moved in)."""
        count = 0
        for folder in self._folders:
            count += self._touch_tree(folder, folder.path)
        return count

    def _touch_tree(self, folder: _Folder, root: Path) -> int:
        count = 0
        for item in discover([root], folder.filter):
            if isinstance(item, FoundFile):
                self.tracker.touch(item.path)
                count += 1
        return count

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll_once()
            except Exception:  # a bad file must not stop the watcher
                logger.exception("watched folder poll failed")

    # ---------------------------------------------------------------- events

    def _folder_of(self, path: Path) -> _Folder | None:
        return next((f for f in self._folders if f.owns(path)), None)

    def on_path_changed(self, path: Path) -> None:
        folder = self._folder_of(path)
        if folder is not None and folder.wants(path):
            self.tracker.touch(path)
            self._note(folder, "change seen")

    def on_path_gone(self, path: Path) -> None:
        self.tracker.forget(path)

    def on_folder_arrived(self, path: Path) -> None:
        folder = self._folder_of(path)
        if folder is not None and folder.filter.wants_dir(path.name):
            self._touch_tree(folder, path)

    # ---------------------------------------------------------------- decisions

    def poll_once(self) -> list[int]:
        """Enqueue the files that have settled; return the new or re-queued job ids."""
        jobs: list[NewJob] = []
        for path, info in self.tracker.due():
            folder = self._folder_of(path)
            if folder is None:
                continue
            try:
                job = self._decide(folder, path, info)
            except Exception:
                logger.exception("cannot decide about %s; trying again later", path)
                self.tracker.touch(path)
                continue
            if job is not None:
                jobs.append(job)
        if not jobs:
            return []
        try:
            if self._prepare is not None:
                jobs = self._prepare(jobs)
            results = self._store.enqueue_files(jobs, self._batch_id, requeue_done=False)
        except Exception:
            # The files have settled but are not queued: put them back in the tracker so
            # the next poll after the settle time tries again, instead of losing them.
            for job in jobs:
                self.tracker.touch(Path(job.source))
            raise
        # A file another process uploaded or is uploading meanwhile is not this watcher's.
        ids = [result.job_id for result in results if result.queued_here]
        for job, result in zip(jobs, results, strict=True):
            folder = self._folder_of(Path(job.source))
            if folder is not None and result.queued_here:
                if job.state is JobState.QUEUED:  # not a skipped copy, a held or failed file
                    self.activity[folder.path].queued += 1
                note = _NOTES.get(job.state, "took in {}")
                self._note(folder, note.format(Path(job.source).name))
        if self._on_enqueued is not None:
            self._on_enqueued(ids)
        return ids

    def _decide(self, folder: _Folder, path: Path, info: os.stat_result | None) -> NewJob | None:
        if info is None:
            return NewJob(
                source=str(path),
                root=str(folder.path),
                size=0,
                state=JobState.FAILED,
                error="permission denied: the file cannot be read",
            )
        if not stat.S_ISREG(info.st_mode):
            return NewJob(
                source=str(path),
                root=str(folder.path),
                size=0,
                state=JobState.FAILED,
                error=NOT_REGULAR,
            )
        try:
            too_large = object_size_problem(info.st_size)
            if too_large:
                raise HmaError(too_large)
            if not is_valid_text(str(path)):
                raise HmaError(NOT_UTF8)
            target = resolve_target(path, self._settings, folder.options.scope, folder.path)
        except HmaError as exc:
            return NewJob(
                source=str(path),
                root=str(folder.path),
                size=info.st_size,
                mtime_ns=info.st_mtime_ns,
                state=JobState.FAILED,
                error=str(exc),
            )
        pending = self._store.pending_job(str(path), target.bucket, target.key)
        if pending is not None:
            if pending.state is JobState.RUNNING:
                self.tracker.touch(path)  # it may have changed after the upload read it
            return None
        md5: str | None = None
        record = self._store.uploaded_record(target.bucket, target.key)
        if record is not None and record.source == str(path) and record.size == info.st_size:
            # Same mtime is "unchanged" only if the last change (ctime) lies a clock grain
            # before the upload began: an in-place rewrite that kept the mtime (cp -p,
            # rsync -t --inplace), or one during the upload, gets hashed (`change_clock`).
            if record.mtime_ns == info.st_mtime_ns and settled_before(
                info.st_ctime_ns, record.upload_began
            ):
                return None
            read_at = time.time()
            try:
                md5 = self._md5_cache.lookup(path, info) or md5_file(path)
            except OSError:
                return None  # vanished meanwhile; its events will tell
            self._md5_cache.store(path, info, md5, read_at)
            if md5 == record.md5:
                self._store.note_unchanged(target.bucket, target.key, info.st_mtime_ns)
                self.activity[folder.path].unchanged += 1
                return None
        return NewJob(
            source=str(path),
            root=str(folder.path),
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
            scope=target.scope,
            bucket=target.bucket,
            key=target.key,
            md5=md5,
        )

    def _note(self, folder: _Folder, message: str) -> None:
        activity = self.activity[folder.path]
        activity.last_event = time.time()
        activity.last_message = message


class _Events(FileSystemEventHandler):
    """watchdog's callbacks (its thread) → the watcher's bookkeeping."""

    def __init__(self, watcher: FolderWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        source = Path(_text(event.src_path))
        if isinstance(event, DirCreatedEvent):
            self._watcher.on_folder_arrived(source)
        elif isinstance(event, DirMovedEvent):
            self._watcher.on_folder_arrived(Path(_text(event.dest_path)))
        elif event.is_directory:
            return
        elif kind == "moved":
            self._watcher.on_path_gone(source)
            self._watcher.on_path_changed(Path(_text(event.dest_path)))
        elif kind == "deleted":
            self._watcher.on_path_gone(source)
        elif kind in ("created", "modified", "closed"):
            self._watcher.on_path_changed(source)


def _text(path: str | bytes) -> str:
    return os.fsdecode(path)  # undecodable bytes become surrogates, as os.listdir gives them


def _folder(config: WatchFolderSettings, settings: Settings) -> _Folder:
    options = PlanOptions.from_settings(
        settings,
        scope=config.scope,
        include=config.include or None,
        exclude=config.exclude or None,
    )
    return _Folder(config.path.expanduser().resolve(), options, options.file_filter())


def watch_folders_from_paths(
    paths: Iterable[str | Path],
    *,
    scope: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[WatchFolderSettings]:
    return [
        WatchFolderSettings(path=Path(p), scope=scope, include=list(include), exclude=list(exclude))
        for p in paths
    ]
