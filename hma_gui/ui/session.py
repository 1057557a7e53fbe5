"""One running app: settings, the job store, the S3 client, the sandbox, the pools.

The window holds a `Session`; tests build one directly. What takes time (starting
the sandbox, building the boto3 client) runs on a pool, so the window is up at
once and shows the queue while the connection gets ready. `ready` fires when
uploads can start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from hma_gui.core.config.settings import Settings
from hma_gui.core.config.settings_file import save_settings
from hma_gui.core.hashes.hash_cache import HashCache, default_cache_path
from hma_gui.core.jobs.store import JobStore, default_store_path
from hma_gui.core.progress import ByteProgress
from hma_gui.core.queue.snapshot import SharedQueueClient
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.sandbox import Sandbox, create_scope_buckets, sandbox_settings, start_sandbox
from hma_gui.core.upload.orphans import abort_orphaned_uploads
from hma_gui.core.upload.uploader import Uploader
from hma_gui.ui.queue.intake import Intake
from hma_gui.ui.queue.upload_queue import UploadQueue
from hma_gui.ui.tasks import Pools, run_task

logger = logging.getLogger(__name__)

FOLLOW_MS = 2000  # how often the outcomes of jobs sent to a shared queue are asked
FAILED_EVERY = 5  # … and of those that failed there (a retry or a redrive may end them done)
# Starts a sandbox endpoint with the scope buckets; returns it and the settings to use.
SandboxStarter = Callable[[Settings], tuple[Sandbox, Settings]]
# Writes values into the settings file (`save_settings`); raises ConfigError.
SettingsSaver = Callable[..., object]


@dataclass(frozen=True)
class Connection:
    """What the header shows about where uploads go."""

    sandboxed: bool
    endpoint: str | None
    region: str | None
    profile: str | None

    def describe(self) -> str:
        if self.sandboxed:
            return f"Sandbox S3 at {self.endpoint}" if self.endpoint else "Starting the sandbox…"
        where = self.endpoint or "AWS S3"
        extra = [x for x in (self.region, f"profile {self.profile}" if self.profile else None) if x]
        return where + (f" · {' · '.join(extra)}" if extra else "")


class Session(QObject):
    ready = Signal()  # uploads can start (client built, sandbox running)
    start_failed = Signal(str)
    settings_changed = Signal(object)  # the effective Settings

    def __init__(
        self,
        base_settings: Settings,
        *,
        sandbox: bool | None = None,  # None: as the settings say (`sandbox`); else this run's
        sandbox_starter: SandboxStarter = start_sandbox,
        store_file: Path | None = None,  # default_store_path(); the self-test keeps its own
        settings_saver: SettingsSaver = save_settings,
    ) -> None:
        super().__init__()
        self.base_settings = base_settings
        self.sandboxed = base_settings.sandbox if sandbox is None else sandbox
        self.settings = self._for_this_run(base_settings)
        self.sandbox: Sandbox | None = None
        self._sandbox_starter = sandbox_starter
        self._save_settings = settings_saver
        self._sandbox_endpoint = ""
        self._started_sandboxes: list[Sandbox] = []
        self.store = JobStore(store_file or default_store_path(self.sandboxed))
        self.hash_cache = _open_hash_cache()  # the duplicate check's MD5s, reused by uploads
        self.progress = ByteProgress()
        self.pools = Pools()
        # With a shared queue set, every job this window would upload goes there instead
        # (after discovery and the duplicate review, whatever made it runnable).
        self.shared_queue = SharedQueueClient(self.store, cache=self.hash_cache)
        self.queue = UploadQueue(
            self.store,
            self.progress,
            base_settings.concurrency,
            forward_to=lambda: self.shared_queue.forwarder(self.settings),
        )
        self.intake = Intake(self.store, self.pools.scan)
        self._follow_pool = QThreadPool()  # asks what became of the jobs sent
        self._follow_pool.setMaxThreadCount(1)
        self._following = False
        self._follows = 0
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_MS)
        self._follow_timer.timeout.connect(self.follow_sent)
        self.recovered = self.store.recover_orphans()
        self._closed = False
        if self.recovered:
            logger.info("%d uploads interrupted last time are queued again", self.recovered)

    def _for_this_run(self, settings: Settings) -> Settings:
        """Outside the sandbox (``--no-sandbox``), a saved "start in the sandbox" is for
        the next start: this run's clients use the AWS credentials, not the dummy key."""
        if self.sandboxed or not settings.sandbox:
            return settings
        return settings.model_copy(update={"sandbox": False})

    @property
    def is_ready(self) -> bool:
        return self.queue.has_uploader

    def connection(self) -> Connection:
        settings = self.settings
        return Connection(
            self.sandboxed,
            self._sandbox_endpoint if self.sandboxed else settings.effective_endpoint(),
            None if self.sandboxed else settings.region,
            None if self.sandboxed else settings.aws_profile,
        )

    # ------------------------------------------------------------- start

    def start(self) -> None:
        """Start the sandbox (if any) and build the uploader, in the background."""
        self._follow_timer.start()
        base = self.base_settings
        if self.sandboxed:
            starter, cache, store = self._sandbox_starter, self.hash_cache, self.store
            started = self._started_sandboxes

            def start_sandbox() -> tuple[Sandbox, Settings, Uploader]:
                result = _start_sandbox(starter, base, cache, store)
                started.append(result[0])  # close() stops it even if _sandbox_up never runs
                return result

            run_task(self.pools.store, start_sandbox, self._sandbox_up, self._fail)
        else:
            cache, store, aws = self.hash_cache, self.store, self._for_this_run(base)
            run_task(
                self.pools.store,
                lambda: _build_uploader(aws, cache, store),
                self._uploader_built,
                self._fail,
            )

    def restart_sandbox(self) -> None:
        """The sandbox stopped answering: stop what is left of it and start an empty one."""
        old, self.sandbox = self.sandbox, None
        if old is not None:
            old.stop()
        self.start()

    def _sandbox_up(self, result: tuple[Sandbox, Settings, Uploader]) -> None:
        sandbox, started, uploader = result
        self._sandbox_endpoint = started.s3_endpoint_url or sandbox.endpoint
        settings = sandbox_settings(self.base_settings, self._sandbox_endpoint)  # may have changed
        if self._closed:
            uploader.close()
            sandbox.stop()
            return
        self.sandbox, self.settings = sandbox, settings
        self.settings_changed.emit(settings)
        self._uploader_built(uploader)

    def _uploader_built(self, uploader: Uploader) -> None:
        if self._closed:
            uploader.close()
            return
        self.queue.set_uploader(uploader)
        self.ready.emit()

    def _fail(self, exc: BaseException) -> None:
        logger.error("cannot connect: %s", exc)
        self.start_failed.emit(str(exc))

    # ------------------------------------------------------------- settings

    def apply_settings(self, base: Settings) -> None:
        """New settings from the dialog: concurrency at once, a new client for new jobs."""
        self.base_settings = base
        if self.sandboxed and self.sandbox is None:  # still starting: it will read base_settings
            self.queue.set_concurrency(base.concurrency)
            return
        effective = self._for_this_run(base)
        if self.sandbox is not None:
            effective = sandbox_settings(base, self._sandbox_endpoint)
        self.settings = effective
        self.queue.set_concurrency(effective.concurrency)
        self.settings_changed.emit(effective)

        def build() -> Uploader:
            if self.sandbox is not None:
                create_scope_buckets(make_s3_client(effective), effective)
            return _build_uploader(effective, self.hash_cache)

        run_task(self.pools.store, build, self._uploader_built, self._fail)

    def update_settings(self, values: dict[str, Any], *, replace: Sequence[str] = ()) -> Settings:
        """Save a few values (a watch list, a duplicate policy) and apply them: one path.

        The settings file is written first (a `ConfigError` leaves everything as it
        was); then this session's settings change and `settings_changed` tells everyone.
        Values that need a new S3 client go through `apply_settings` instead.
        """
        self._save_settings(values, replace=list(replace))
        self.base_settings = self.base_settings.model_copy(update=values)
        # A saved "start in the sandbox" is for the next start, never this run's clients.
        running = {name: value for name, value in values.items() if name != "sandbox"}
        self.settings = self.settings.model_copy(update=running)
        self.settings_changed.emit(self.settings)
        return self.settings

    # ------------------------------------------------------------- shared queue

    def follow_sent(self) -> None:
        """Settle the jobs sent to the shared queue whose outcome is known (off the main thread)."""
        # Also without a shared queue now: jobs sent before it was turned off still settle.
        if self._following or self._closed:
            return
        self._following = True
        self._follows += 1
        failed_too = self._follows % FAILED_EVERY == 1  # failures change seldom: less often
        settings, shared = self.settings, self.shared_queue
        run_task(
            self._follow_pool,
            lambda: shared.follow(settings, failed_too=failed_too),
            self._followed,
            self._followed,
        )

    def _followed(self, result: object) -> None:
        self._following = False
        if isinstance(result, BaseException):
            logger.warning("could not ask the shared queue about sent jobs: %s", result)

    # ------------------------------------------------------------- close

    def close(self, timeout_ms: int = 30_000) -> None:
        """Stop cleanly: scans stop, uploads finish or go back to queued, then close."""
        if self._closed:
            return
        self._closed = True
        self.intake.cancel()
        self.queue.shutdown(timeout_ms)
        self.pools.wait(timeout_ms)
        self._follow_timer.stop()
        self._follow_pool.waitForDone(timeout_ms)
        self.shared_queue.close()
        self.store.close()
        if self.hash_cache is not None:
            self.hash_cache.close()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        # Closed while the sandbox was starting: its result may never reach _sandbox_up.
        for sandbox in self._started_sandboxes:
            sandbox.stop()
        logger.info("session closed")


def _open_hash_cache() -> HashCache | None:
    """The hash cache shared with the CLI; None (uploads hash as before) if it cannot open."""
    try:
        return HashCache(default_cache_path())
    except Exception as exc:  # noqa: BLE001 - the cache is an optimisation, never a failure
        logger.warning("hash cache unavailable (%s); hashing without it", exc)
        return None


def _build_uploader(
    settings: Settings, cache: HashCache | None = None, store: JobStore | None = None
) -> Uploader:
    """The uploader; with `store`, first abort our multipart uploads nobody will resume."""
    client = make_s3_client(settings)
    if store is not None and store.multipart.open_uploads():
        try:
            abort_orphaned_uploads(store, client)
        except Exception as exc:  # noqa: BLE001 - uploads can start; the next start tries again
            logger.warning("unfinished multipart uploads were not checked: %s", exc)
    return Uploader.for_settings(settings, client, md5_cache=cache)


def _start_sandbox(
    starter: SandboxStarter,
    settings: Settings,
    cache: HashCache | None = None,
    store: JobStore | None = None,
) -> tuple[Sandbox, Settings, Uploader]:
    sandbox, sandboxed = starter(settings)
    try:
        return sandbox, sandboxed, _build_uploader(sandboxed, cache, store)
    except BaseException:
        sandbox.stop()
        raise
