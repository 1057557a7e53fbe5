"""Decode and split a CSV byte stream: UTF-8 (BOM or not) or cp1252, RFC 4180, streaming.

`read_records` wraps a raw binary stream in a 1 MiB buffer, decodes it
incrementally and yields ``(line number, fields)`` for every record; the line
number is the physical line where the record starts (the header is line 1),
so quoted newlines do not shift the numbers of later rows. Blank records
(an empty line, or only separators) are skipped and not counted.

The caller tries `ENCODINGS` in order: a `UnicodeDecodeError` while reading as
UTF-8 means "start again as cp1252" (the run report says so). CSV syntax errors
become `CsvSyntaxError` with the line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

ENCODINGS = ("utf-8-sig", "cp1252")
BUFFER_SIZE = 1 << 20
#: the longest cell accepted (a runaway quote would otherwise swallow the file)
FIELD_LIMIT = 1 << 20


class CsvSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def encoding_label(encoding: str) -> str:
    return "utf-8" if encoding == "utf-8-sig" else encoding


def read_records(raw: io.RawIOBase, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """``(start line, fields)`` of each non-blank record of the stream, header included."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    buffered = io.BufferedReader(raw, buffer_size=BUFFER_SIZE)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline="")
    reader = csv.reader(text)
    start = 1
    try:
        for fields in reader:
            line = start
            start = reader.line_num + 1
            if not any(fields):  # an empty line, or only separators
                continue
            yield line, fields
    except csv.Error as exc:
        raise CsvSyntaxError(reader.line_num, str(exc)) from None
