"""Decode and split a CSV byte stream: UTF-8 (BOM or not) or cp1252, RFC 4180, streaming.

`read_batches` wraps a raw binary stream in a 1 MiB buffer, decodes it
incrementally and yields the header, then batches of records with the line
number of each: the physical line where the record starts (the header is
line 1), so quoted newlines do not shift the numbers of later rows. Blank
records (an empty line, or only separators) are skipped and not counted.

The caller tries `ENCODINGS` in order: a `UnicodeDecodeError` while reading as
UTF-8 means "start again as cp1252" (the run report says so). CSV syntax errors
become `CsvSyntaxError` with the line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice

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


def read_batches(
    raw: io.RawIOBase, encoding: str, size: int
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """The records in batches of up to `size`: ``(start lines, records)``; header first, alone.

    Records are taken from the parser `size` at a time (a C loop). When a batch
    spans exactly one physical line per record, the line numbers are a range;
    otherwise (quoted newlines, blank lines) they are counted from the records'
    own line breaks, which is how the parser counts them.
    """
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    buffered = io.BufferedReader(raw, buffer_size=BUFFER_SIZE)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline="")
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
            if rows:
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
