"""What every command gets: output streams, settings, the job store, the S3 client.

Everything is built lazily and once per command, and `close()` stops what was
started (a private sandbox, the store).
"""

from __future__ import annotations

import argparse
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from hma_gui.core.redaction import mask_url

if TYPE_CHECKING:  # loaded when first used: a local duplicate check needs no S3 (start-up),
    # nor the job store, nor pydantic when the settings were kept (`kept_settings`)
    from hma_gui.core.config.settings import Settings
    from hma_gui.core.jobs.store import JobStore
    from hma_gui.core.queue.interface import JobQueue
    from hma_gui.core.s3.client import S3Client
    from hma_gui.core.s3.sandbox import Sandbox


@dataclass
class CliContext:
    args: argparse.Namespace
    stdout: TextIO
    stderr: TextIO
    _settings: Settings | None = None
    _store: JobStore | None = None
    _client: S3Client | None = None
    _sandbox: Sandbox | None = None
    _queue: JobQueue | None = None
    notes: list[str] = field(default_factory=list)
    # Upload and worker threads print their outcomes at once, and a text stream is not
    # thread-safe (the io docs): unguarded, a write that blocked on a full pipe let
    # another thread's bytes in and stdout was no longer UTF-8 (CI, 2026-12-07).
    output_lock: threading.Lock = field(default_factory=threading.Lock)

    # ----------------------------------------------------------------- output

    def out(self, text: str = "") -> None:
        with self.output_lock:
            self.stdout.write(text + "\n")
            self.stdout.flush()

    def err(self, text: str) -> None:
        """One line on stderr; a URL password in it is masked (an error may quote db_url)."""
        with self.output_lock:
            self.stderr.write(mask_url(text) + "\n")
            self.stderr.flush()

    def emit_json(self, payload: Any) -> None:
        text = json.dumps(payload, indent=2, default=str) + "\n"
        with self.output_lock:
            self.stdout.write(text)
            self.stdout.flush()

    @property
    def json_output(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def interactive(self) -> bool:
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty()) and not self.json_output

    # ----------------------------------------------------------------- resources

    @property
    def sandboxed(self) -> bool:
        return bool(getattr(self.args, "sandbox", False))

    def settings(self) -> Settings:
        """The settings; with ``--sandbox`` a private sandbox is started first.

        A command that only reads them (``set_defaults(kept_settings=True)``) gets
        the values kept by an earlier run from the same inputs, without importing
        pydantic (`hma_gui.core.config.kept_settings`): the same values and the
        same errors as the full model.
        """
        if self._settings is None:
            from hma_gui.core.config import kept_settings

            env_file = self._env_file()
            keeps = bool(getattr(self.args, "kept_settings", False)) and not self.sandboxed
            seen = kept_settings.fingerprint(env_file) if keeps else None
            kept = kept_settings.read_kept(seen)
            if kept is not None:
                # Same fields, types and helpers as the model (tests/test_kept_settings.py).
                self._settings = cast("Settings", kept)
                return self._settings
            from hma_gui.core.config.settings import load_settings

            settings = load_settings(env_file=env_file)
            kept_settings.keep(settings, seen)
            if self.sandboxed:
                from hma_gui.core.s3.sandbox import start_sandbox

                self._sandbox, settings = start_sandbox(settings)
                self.notes.append(f"sandbox S3 endpoint: {self._sandbox.endpoint}")
            self._settings = settings
        return self._settings

    def _env_file(self) -> Path | None:
        env_file = getattr(self.args, "env_file", None)
        return Path(env_file) if env_file else None

    def store(self) -> JobStore:
        if self._store is None:
            from hma_gui.core.jobs.store import JobStore, default_store_path

            self.settings()
            self._store = JobStore(default_store_path(self.sandboxed))
        return self._store

    def s3(self) -> S3Client:
        """The S3 client; botocore builds it on first use where obstore can list and PUT alone."""
        if self._client is None:
            from hma_gui.core.s3.client import make_s3_client
            from hma_gui.core.s3.lazy_client import LazyS3Client

            settings = self.settings()
            self._client = LazyS3Client.for_settings(settings, lambda: make_s3_client(settings))
        return self._client

    def queue(self, url: str | None = None) -> JobQueue:
        """The shared queue: `url` (``--queue``), else the ``queue_url`` setting."""
        if self._queue is None:
            from hma_gui.core.processes import process_identity
            from hma_gui.core.queue.factory import open_queue

            self._queue = open_queue(
                self.settings(),
                store=self.store,
                s3_client=self.s3,
                url=url,
                worker=process_identity(),
            )
        return self._queue

    def close(self) -> None:
        if self._queue is not None:
            self._queue.close()
            self._queue = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
