"""What every command gets: output streams, settings, the job store, the S3 client.

Everything is built lazily and once per command, and `close()` stops what was
started (a private sandbox, the store).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.jobs.store import JobStore, default_store_path

if TYPE_CHECKING:  # loaded when first used: a local duplicate check needs no S3 (start-up)
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
    notes: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------- output

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def err(self, text: str) -> None:
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def emit_json(self, payload: Any) -> None:
        self.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
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
        """The settings; with ``--sandbox`` a private sandbox is started first."""
        if self._settings is None:
            settings = load_settings()
            if self.sandboxed:
                from hma_gui.core.s3.sandbox import start_sandbox

                self._sandbox, settings = start_sandbox(settings)
                self.notes.append(f"sandbox S3 endpoint: {self._sandbox.endpoint}")
            self._settings = settings
        return self._settings

    def store(self) -> JobStore:
        if self._store is None:
            self.settings()
            self._store = JobStore(default_store_path(self.sandboxed))
        return self._store

    def s3(self) -> S3Client:
        if self._client is None:
            from hma_gui.core.s3.client import make_s3_client

            self._client = make_s3_client(self.settings())
        return self._client

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
