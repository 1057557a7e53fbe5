"""Exit codes of `hma-ingest`, for scripts."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    SOME_FAILED = 1  # some files failed (or, for check-duplicates, conflicts were found)
    ERROR = 2  # usage or configuration error, bad credentials
    INTERRUPTED = 130  # Ctrl-C; the work left is resumable
