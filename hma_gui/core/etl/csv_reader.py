"""Decode and split a CSV byte stream: UTF-8 (BOM or not) or cp1252, RFC 4180, streaming.

`read_batches` wraps a raw binary stream in a 1 MiB buffer, decodes it
incrementally and yields the header, then batches of records with the line
number of each: the physical line where the record starts (the header is
line 1), so quoted newlines do not shift the numbers of later rows. Blank
records (an empty line, or only separators) are skipped and not counted.

Which encoding, and what happens to bytes that are not valid UTF-8, is decided
in `text_encoding` (a byte-order mark, then UTF-8 with undecodable rows set
aside, cp1252 only for a file without any valid UTF-8 multi-byte sequence).
CSV syntax errors become `CsvSyntaxError` with the line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice

from hma_gui.core.etl.text_encoding import (
    SNIFF_BYTES,
    UTF8,
    AsciiWatch,
    Utf8Check,
    error_handler,
    shown,
    sniff,
)

BUFFER_SIZE = 1 << 20
#: the longest cell accepted (a runaway quote would otherwise swallow the file)
FIELD_LIMIT = 1 << 20


class CsvSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def read_batches(
    raw: io.RawIOBase, encoding: str, size: int, check: Utf8Check | None = None
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """The records in batches of up to `size`: ``(start lines, records)``; header first, alone.

    Records are taken from the parser `size` at a time (a C loop). When a batch
    spans exactly one physical line per record, the line numbers are a range;
    otherwise (quoted newlines, blank lines) they are counted from the records'
    own line breaks, which is how the parser counts them.

    With a `check`, a byte-order mark may choose another codec (`check.encoding`),
    and when reading UTF-8, records holding invalid bytes are not yielded but kept
    in `check.bad_rows` (`Utf8Check.sort`); without one, invalid bytes raise
    `UnicodeDecodeError`. `EncodingRefused`: a file the ETL cannot read as text.
    """
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    buffered = io.BufferedReader(AsciiWatch(raw, check) if check else raw, BUFFER_SIZE)
    errors = "strict"
    if check is not None:
        encoding = check.encoding = sniff(buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES], encoding)
        if encoding == UTF8:
            errors = error_handler()
        else:
            check = None  # UTF-16/32: strict
    text = io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="")
    reader = csv.reader(text)
    line = 1
    want = 1  # the header alone first
    blank: list[str] = []
    try:
        while True:
            rows = list(islice(reader, want))
            if not rows:
                return
            end = reader.line_num
            if end - line + 1 == len(rows):
                lines = list(range(line, end + 1))
            else:
                lines = _count_lines(rows, line)
            line = end + 1
            if [] in rows or blank in rows:  # empty lines, or only separators
                kept = [(n, r) for n, r in zip(lines, rows, strict=True) if any(r)]
                lines, rows = [n for n, _ in kept], [r for _, r in kept]
            if check is not None:
                if want == 1:
                    rows = [[shown(cell) for cell in rows[0]]] if check.bad_seen else rows
                else:
                    lines, rows = check.sort(lines, rows)
            if rows or (check is not None and check.bad_rows):
                if want == 1:
                    blank = [""] * len(rows[0])
                    want = size
                yield lines, rows
    except csv.Error as exc:
        raise CsvSyntaxError(reader.line_num, str(exc)) from None


def _count_lines(rows: list[list[str]], first: int) -> list[int]:
    lines = []
    line = first
    for row in rows:
        lines.append(line)
        text = "".join(row)
        line += 1 + text.count("\n") + text.count("\r") - text.count("\r\n")
    return lines
