"""File names that are not valid UTF-8, as Python sees them: str with lone surrogates.

On POSIX a name is bytes; Python decodes the bytes that are not UTF-8 to lone
surrogates (``b"caf\\xe9"`` → ``"caf\\udce9"``, PEP 383). Such a str cannot be
encoded to UTF-8 — not into an S3 key, a SQLite row, a log file or a terminal —
so these helpers tell them apart and write them out escaped (``caf\\xe9``).
"""

from __future__ import annotations

import re

NOT_UTF8 = "the file name is not valid UTF-8 (rename the file)"
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def is_valid_text(text: str) -> bool:
    """False when `text` holds lone surrogates (undecodable bytes of a file name)."""
    return _SURROGATE_RE.search(text) is None


def printable(text: str) -> str:
    """`text` with undecodable bytes written as ``\\xNN``: safe to encode, store and log."""
    if is_valid_text(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
