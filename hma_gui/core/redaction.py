"""Masking secrets in text we print or log: URL credentials, passwords, keys, tokens.

One place for both the log filter (`logging_setup.RedactingFilter`) and everything
that prints a setting or an error (``hma-ingest config show``, the ETL's messages,
the window's banners), so a password inside ``db_url`` is masked everywhere alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MASK = "***"

# scheme://user:password@host — the password runs to the token's last "@" (an unencoded
# "@" or "/" in a password must not let its tail leak); an empty user name counts too.
_URL_CREDENTIALS = re.compile(
    r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s]*?(?=@[^\s@]*(?:$|[\s\"'<>]))", re.I
)

_SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    _URL_CREDENTIALS,
    # password=..., secret: ..., token=...
    re.compile(
        r"(?P<keep>\b(?:[a-z_]*password|passwd|pwd|[a-z_]*secret[a-z_]*|[a-z_]*token)"
        r"\b[\"']?\s*[=:]\s*[\"']?)[^\s\"',;&]+",
        re.I,
    ),
    # Authorization: AWS4-HMAC-SHA256 Credential=..., Signature=...
    re.compile(r"(?P<keep>Signature=)[0-9a-f]{16,}", re.I),
    re.compile(r"(?P<keep>X-Amz-Security-Token[\"']?\s*[=:]\s*[\"']?)[^\s\"'&]+", re.I),
    # bare AWS secret access keys: 40 base64 characters mixing cases and digits
    re.compile(
        r"(?P<keep>)(?<![A-Za-z0-9/+=])"
        r"(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
    ),
)


def _masker(match: re.Match[str]) -> str:
    return match.group("keep") + MASK


def mask_url(text: str) -> str:
    """`text` with the password of every ``scheme://user:password@host`` replaced by ***."""
    return _URL_CREDENTIALS.sub(_masker, text)


def redact(text: str) -> str:
    """`text` with every secret we recognise masked (URL passwords, keys, tokens)."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_masker, text)
    return text


def mask_values(value: object, mask: Callable[[str], str] = mask_url) -> object:
    """A JSON-like structure with `mask` applied to every string in it."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: mask_values(item, mask) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_values(item, mask) for item in value]
    return value
