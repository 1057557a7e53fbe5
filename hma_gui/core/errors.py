"""The error hierarchy. Every message is written for the person who will read it."""

from __future__ import annotations

import sqlite3
from pathlib import PurePath


class HmaError(Exception):
    """Base of everything HMA Ingest raises on purpose."""


class ConfigError(HmaError):
    """A setting is missing or invalid. The message names the setting."""


class KeyValidationError(HmaError):
    """An S3 key broke the rules in `key_convention.validate_key`."""


class ScopeError(HmaError):
    """A file's scope could not be decided, or the scope is not configured."""


class NoScopeFolderError(ScopeError):
    """No scope folder in a file's path and none chosen: a person must choose one."""


class SourceFileError(HmaError):
    """The local file vanished, changed or could not be read.

    `retryable` is True when the file is still there and a later try may succeed
    (it was changing while being read).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class UploadError(HmaError):
    """An upload failed. `retryable` is False for errors another try cannot fix."""

    def __init__(self, message: str, *, retryable: bool = True, code: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class AuthError(UploadError):
    """The credentials are missing, wrong or expired: every request would fail alike."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, retryable=False, code=code)


class IntegrityError(UploadError):
    """What S3 stored does not match what we sent (ETag mismatch)."""


class Cancelled(HmaError):
    """The user cancelled; the work left is resumable."""


class DiskFullError(HmaError, sqlite3.OperationalError):
    """No space left in the data directory (the job store or the hash cache could not write).

    Also a `sqlite3.OperationalError`, so code that treats a failed write of an
    optional cache as harmless (the hash cache) still does.
    """

    def __init__(self, path: str) -> None:
        folder = str(PurePath(path).parent)
        super().__init__(
            f"disk full: no space left in the data directory {folder}; free some space and "
            "try again (`hma-ingest resume` finishes the jobs already queued)"
        )
        self.path = path
