"""A watched folder wired as the CLI and the GUI wire it: watcher, runner, job store.

`WatchSession(folder, store, settle)` watches and uploads; with `hash_cache`
the watcher also runs the duplicate check (`WatchDuplicateCheck`) as its
``prepare`` hook and the uploader reuses the cached MD5s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.duplicates.watch_screen import WatchDuplicateCheck
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.store_run import store_executor
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader
from hma_gui.core.watch.folder_watcher import FolderWatcher, watch_folders_from_paths


def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class WatchSession:
    def __init__(
        self,
        folder: Path,
        store_path: Path,
        settle: float,
        *,
        hash_cache: Path | None = None,
        concurrency: int = 4,
        **settings: object,
    ) -> None:
        self.settings: Settings = load_settings(**settings)
        self.store = JobStore(store_path)
        self.store.recover_orphans()
        self.batch = self.store.new_batch("test watch")
        self.cache = HashCache(hash_cache) if hash_cache is not None else None
        client = make_s3_client(self.settings)
        self.uploader = Uploader(
            client, UploadConfig.from_settings(self.settings), md5_cache=self.cache
        )
        self.executor = store_executor(
            self.store, self.uploader, concurrency=concurrency, batch_id=self.batch
        )
        self.check: WatchDuplicateCheck | None = None
        if self.cache is not None:
            self.check = WatchDuplicateCheck(
                self.store, lambda: (self.settings, client), cache=self.cache,
                uploads_batch=self.batch,
            )  # fmt: skip
        self.watcher = FolderWatcher(
            watch_folders_from_paths([folder], scope="mba"), self.settings, self.store,
            batch_id=self.batch, md5_cache=self.cache, prepare=self.check,
            on_enqueued=lambda ids: self.executor.wake(), settle_seconds=settle,
        )  # fmt: skip

    def __enter__(self) -> WatchSession:
        self.watcher.start()
        self.executor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.watcher.stop()
        self.executor.shutdown()  # closes the uploader
        if self.cache is not None:
            self.cache.close()
        self.store.close()

    def wait_done(self, count: int, timeout: float = 120) -> None:
        wait_until(lambda: self.store.counters(self.batch).done >= count, timeout)
        assert self.store.counters(self.batch).failed == 0

    def settled(self, count: int) -> None:
        """Wait until `count` jobs exist and none is queued or running."""
        wait_until(
            lambda: (c := self.store.counters(self.batch)).total >= count and not c.pending, 60
        )

    def states(self) -> dict[str, list[JobState]]:
        found: dict[str, list[JobState]] = {}
        for job in self.store.jobs(batch_id=self.batch):
            found.setdefault(Path(job.source).name, []).append(job.state)
        return found
