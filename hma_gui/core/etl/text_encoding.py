"""Which text encoding a CSV object is in, and the rows that break it.

The rule (docs/etl.md, "Encodings"):

* A byte-order mark decides: UTF-8 (``EF BB BF``), UTF-16 (``FF FE`` / ``FE FF``) and
  UTF-32 are decoded as such. Without one, a file whose first KiB holds NUL bytes is
  refused as "UTF-16 without a byte-order mark" instead of failing on its header.
* Otherwise the file is read as UTF-8. Bytes that are not valid UTF-8 are kept as
  surrogate escapes (``surrogateescape``) and the rows holding them are rejected, each
  with its line and the bad bytes: one cp1252 ``é`` among UTF-8 rows costs that row, not
  the whole file (before, the file was re-read as cp1252 and every other row mojibaked).
* Only a file with invalid bytes and *no valid UTF-8 multi-byte sequence at all* is read
  again as cp1252 — then the run report says so.

`Utf8Check` learns this while the reader streams: the decoder's error handler counts
invalid bytes (it runs only when there are some, so a clean file costs nothing), and the
batches are scanned for surrogates only once a bad byte was seen.
"""

from __future__ import annotations

import codecs
import io
import re
import threading
from dataclasses import dataclass, field
from typing import Any

UTF8, CP1252 = "utf-8-sig", "cp1252"
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, UTF8),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
SNIFF_BYTES = 1024
ERROR_HANDLER = "hma-etl-mark-bad-utf8"
_SURROGATES = re.compile("[\udc80-\udcff]+")


class EncodingRefused(Exception):
    """The file is in an encoding the ETL does not read (it is rejected as a whole)."""


def label(encoding: str) -> str:
    """The name shown to people and stored in ``etl_runs.encoding``."""
    return "utf-8" if encoding == UTF8 else encoding


def sniff(head: bytes, requested: str) -> str:
    """The codec to read a file that starts with `head`, when `requested` was asked for."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    if b"\x00" in head[:SNIFF_BYTES]:
        raise EncodingRefused(
            "the file holds NUL bytes: UTF-16 text without a byte-order mark, or not text "
            "(save it as UTF-8)"
        )
    return requested


# The decoder's error handler is process-wide (codecs has no other kind); it counts per
# thread, and each check compares the count before and after its own reading.
_bad_bytes = threading.local()
_SURROGATE_ESCAPE = codecs.lookup_error("surrogateescape")


def _mark_bad_utf8(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    _bad_bytes.count = getattr(_bad_bytes, "count", 0) + 1
    replacement, end = _SURROGATE_ESCAPE(error)
    return str(replacement), end


def error_handler() -> str:
    """The name of the handler to decode UTF-8 with (registered on first use)."""
    codecs.register_error(ERROR_HANDLER, _mark_bad_utf8)
    return ERROR_HANDLER


def _bad_count() -> int:
    return int(getattr(_bad_bytes, "count", 0))


@dataclass
class BadRow:
    """A record holding bytes that are not valid UTF-8: where, and which cells."""

    line: int
    row: list[str]
    #: (column index, the cell with its bad bytes shown as \\xNN)
    cells: list[tuple[int, str]]

    def reason(self) -> str:
        return "not valid UTF-8 (bytes shown as \\xNN); the rest of the file is UTF-8"


@dataclass
class Utf8Check:
    """What one UTF-8 reading of a file has seen so far."""

    start: int = field(default_factory=_bad_count)
    #: the codec the reader chose (`sniff`)
    encoding: str = UTF8
    multibyte_seen: bool = False
    bad_rows: list[BadRow] = field(default_factory=list)

    @property
    def bad_seen(self) -> bool:
        return _bad_count() != self.start

    #: a byte above 0x7F has been read (`AsciiWatch`); until then there is nothing to check
    non_ascii_read: bool = False

    def sort(self, lines: list[int], rows: list[list[str]]) -> tuple[list[int], list[list[str]]]:
        """The batch without its undecodable rows (kept in `bad_rows`); notes multi-byte text."""
        if not self.non_ascii_read:  # an ASCII file so far: no scan at all
            return lines, rows
        bad = self.bad_seen
        if not self.multibyte_seen or bad:
            text = "\x1f".join(map("\x1f".join, rows))
            if bad:
                if not _SURROGATES.search(text):
                    bad = False
                elif not self.multibyte_seen:
                    self.multibyte_seen = not _SURROGATES.sub("", text).isascii()
            if not bad and not self.multibyte_seen:
                self.multibyte_seen = not text.isascii()
        if not bad:
            return lines, rows
        kept_lines, kept_rows = [], []
        for line, row in zip(lines, rows, strict=True):
            cells = [(i, shown(cell)) for i, cell in enumerate(row) if _SURROGATES.search(cell)]
            if cells:
                self.bad_rows.append(BadRow(line, row, cells))
            else:
                kept_lines.append(line)
                kept_rows.append(row)
        return kept_lines, kept_rows

    def take_bad_rows(self) -> list[BadRow]:
        rows, self.bad_rows = self.bad_rows, []
        return rows

    @property
    def read_as_cp1252(self) -> bool:
        """Bad bytes and not one valid multi-byte sequence: the file is cp1252, not UTF-8."""
        return self.bad_seen and not self.multibyte_seen


class AsciiWatch(io.RawIOBase):
    """A raw stream that tells `check` once a byte above 0x7F passes (C-speed `isascii` per
    1 MiB read), so a pure-ASCII file never pays for the text scans of `Utf8Check.sort`."""

    def __init__(self, raw: io.RawIOBase, check: Utf8Check) -> None:
        super().__init__()
        self._raw = raw
        self._check = check

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        count = self._raw.readinto(buffer)
        if count and not self._check.non_ascii_read:
            self._check.non_ascii_read = not bytes(memoryview(buffer)[:count]).isascii()
        return count


def shown(cell: str) -> str:
    """A cell decoded with surrogate escapes, its bad bytes written as ``\\xNN``."""
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
