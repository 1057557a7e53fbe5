"""The settings and S3 client the duplicate checks use, from any thread, once ready.

A desktop session gets its connection in the background (the sandbox starts,
the settings change): drops, watched folders and the restart re-check wait
here for it instead of each keeping a client of its own.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from hma_gui.core.errors import Cancelled, UploadError
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import S3Client, make_s3_client

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

READY_TIMEOUT = 120.0  # seconds a check waits for the sandbox or the connection


class CheckConnection:
    """`set` when ready (and again when the settings change); `get` waits for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False
        self._settings: Settings | None = None
        self._client: S3Client | None = None
        self._client_for: Settings | None = None

    @property
    def settings(self) -> Settings | None:
        return self._settings

    def set(self, settings: Settings) -> None:
        with self._lock:
            self._settings = settings
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def get(
        self, cancel: CancelToken | None = None, timeout: float = READY_TIMEOUT
    ) -> tuple[Settings, S3Client]:
        """Wait until ready (or `cancel`, or `timeout`); the settings and a client for them."""
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if time.monotonic() > deadline:
                raise UploadError("the connection to S3 is not ready yet")
        if self._closed:
            raise Cancelled("the window is closing")
        with self._lock:
            settings = self._settings
            assert settings is not None
            if self._client is None or self._client_for is not settings:
                self._client, self._client_for = make_s3_client(settings), settings
            return settings, self._client
