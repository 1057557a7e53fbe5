"""Logging for every face of the app: a rotating file, the console, a bounded memory buffer.

`setup_logging()` is called once at start-up. A `RedactingFilter` sits on
every handler it installs, so a secret that slips into a message (a password in
a URL, an AWS secret key, a session token, an Authorization header) is masked
before it is written anywhere.
"""

from __future__ import annotations

import collections
import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from typing import Any

from hma_gui.core import app_dirs
from hma_gui.core.files.path_text import printable
from hma_gui.core.redaction import MASK, redact

__all__ = ["LOG_FORMAT", "MASK", "MemoryLogHandler", "RedactingFilter", "redact", "setup_logging"]

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Masks secrets in the final message (arguments merged) and in tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = printable(redact(message))  # a file name need not be UTF-8
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = printable(redact(record.exc_text))
        return True


class MemoryLogHandler(logging.Handler):
    """Keeps the last `capacity` formatted records for a log panel to poll."""

    def __init__(self, capacity: int = 5000) -> None:
        super().__init__()
        self._records: collections.deque[tuple[int, int, str]] = collections.deque(maxlen=capacity)
        self._lock_records = threading.Lock()
        self._seq = 0
        self.setFormatter(logging.Formatter(LOG_FORMAT, "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)
            return
        with self._lock_records:
            self._seq += 1
            self._records.append((self._seq, record.levelno, line))

    def since(self, seq: int) -> list[tuple[int, int, str]]:
        """Records with a sequence number above `seq`: (seq, level, text)."""
        with self._lock_records:
            return [r for r in self._records if r[0] > seq]


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """The log file, created 0600 with each one it rotates to (they name member files).

    When it cannot be written (a full disk) that is said once, on stderr, instead
    of a "--- Logging error ---" traceback for every record.
    """

    _warned = False

    def _open(self) -> Any:
        return open(
            self.baseFilename,
            self.mode,
            encoding=self.encoding,
            errors=self.errors,
            opener=app_dirs.private_opener,
        )

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        if not self._warned and sys.stderr is not None:
            self._warned = True
            sys.stderr.write(
                f"hma-ingest: cannot write the log file {self.baseFilename}: "
                f"{exc.strerror or exc}\n"
            )


_installed: list[logging.Handler] = []
_memory: MemoryLogHandler | None = None


def setup_logging(
    *, level: int = logging.INFO, console: bool = True, log_file: bool = True
) -> MemoryLogHandler:
    """Install the app's handlers once (idempotent); return the memory handler."""
    global _memory
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
    _installed.clear()
    redactor = RedactingFilter()
    _memory = _memory or MemoryLogHandler()
    handlers: list[logging.Handler] = [_memory]
    if log_file:
        try:
            path = app_dirs.ensure_dir(app_dirs.log_dir()) / "hma-ingest.log"
            file_handler = _LogFileHandler(
                path,
                maxBytes=5 * 1024 * 1024,
                backupCount=5,
                encoding="utf-8",
                errors="backslashreplace",
            )
            file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
            handlers.append(file_handler)
        except OSError as exc:  # a read-only home must not stop the app
            print(f"hma-ingest: cannot write the log file: {exc}", file=sys.stderr)
    if console and sys.stderr is not None:  # windowed frozen apps have no stderr
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        stream.setLevel(logging.WARNING)
        handlers.append(stream)
    for handler in handlers:
        handler.addFilter(redactor)
        root.addHandler(handler)
        _installed.append(handler)
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3", "werkzeug", "watchdog"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return _memory


def log_file_path() -> Path:
    return app_dirs.log_dir() / "hma-ingest.log"
