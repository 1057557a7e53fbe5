"""Header mapping and row validation, compiled from the schema for one file's header.

`map_header` matches the file's header to the table's columns (case, spaces,
``_`` and ``-`` ignored; aliases allowed), and says what is missing, unknown
or ambiguous. `RowValidator` then turns each CSV record into the canonical
values of the output columns, or raises `RowRejected` with every problem of
the row (column, raw value, reason). Foreign keys are checked by the pipeline
in batches (`parent_keys.py`), because they need the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, repeat
from operator import is_
from typing import TypeVar

from hma_gui.core.etl.column_convert import ColumnConverter, column_converter
from hma_gui.core.etl.schema import Column, Date, Table, header_names, normalize_header


@dataclass(frozen=True, slots=True)
class Problem:
    column: str
    value: str
    reason: str


class RowRejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


class FileRejected(Exception):
    """The file cannot be loaded at all (missing required column, no header...)."""


@dataclass(frozen=True)
class HeaderMapping:
    table: Table
    header: list[str]
    #: column name -> position in the record
    positions: dict[str, int]
    #: header cells that match no column (original spelling), reported once
    unknown: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    #: (first header cell, second header cell, column) pairs that collide
    ambiguous: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """The columns written to the table: present in the file, or with a default."""
        return [
            c.name for c in self.table.columns if c.name in self.positions or c.default is not None
        ]

    def check(self) -> None:
        """Raise `FileRejected` when the file cannot be loaded."""
        if self.ambiguous:
            first, second, column = self.ambiguous[0]
            raise FileRejected(f"columns {first!r} and {second!r} both mean {column}")
        if self.missing_required:
            names = ", ".join(self.missing_required)
            plural = "s" if len(self.missing_required) > 1 else ""
            raise FileRejected(f"required column{plural} missing: {names}")


def map_header(table: Table, header: list[str]) -> HeaderMapping:
    spellings = header_names(table)
    positions: dict[str, int] = {}
    unknown: list[str] = []
    ambiguous: list[tuple[str, str, str]] = []
    for index, cell in enumerate(header):
        name = spellings.get(normalize_header(cell))
        if name is None:
            if cell.strip():
                unknown.append(cell.strip())
            continue
        if name in positions:
            ambiguous.append((header[positions[name]].strip(), cell.strip(), name))
            continue
        positions[name] = index
    missing = [
        c.name
        for c in table.columns
        if c.required and c.default is None and c.name not in positions
    ]
    return HeaderMapping(table, header, positions, unknown, missing, ambiguous)


T = TypeVar("T")

_Step = tuple[int, ColumnConverter, bool, "str | None", str]


@dataclass
class Batch:
    """One batch of records after validation, column by column.

    `lines` and `columns` hold every record of the batch; `keep` marks the good
    ones (None: all of them), so rejecting a row is one flag, not a copy of
    every column. `select` narrows any per-row sequence to the good rows.
    """

    lines: list[int]
    #: one list per output column (`RowValidator.columns` order); cells of rejected rows are junk
    columns: list[list[str | None]]
    #: (line, row key as written, problems), in line order
    rejected: list[tuple[int, str, list[Problem]]] = field(default_factory=list)
    keep: list[bool] | None = None
    good: int = 0
    #: position -> the problem list of a rejected row (shared with `rejected`)
    problems_at: dict[int, list[Problem]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.good = len(self.lines) - sum(1 for k in self.keep or () if not k)

    def __len__(self) -> int:
        return self.good

    def select(self, values: Iterable[T]) -> Iterable[T]:
        return values if self.keep is None else compress(values, self.keep)

    def is_good(self, index: int) -> bool:
        return self.keep is None or self.keep[index]

    def add_problems(self, problems: dict[int, list[Problem]]) -> None:
        """More problems of rows already rejected (a row's report lists all of them)."""
        for index, more in problems.items():
            self.problems_at[index].extend(more)

    def value_rows(self) -> Iterable[tuple[str | None, ...]]:
        """The good rows as tuples of values."""
        return self.select(zip(*self.columns, strict=True))

    def drop(self, problems: dict[int, list[Problem]], key_of: Callable[[int], str]) -> None:
        """Reject the rows at these positions (still good ones) with their problems."""
        if not problems:
            return
        if self.keep is None:
            self.keep = [True] * len(self.lines)
        for index in sorted(problems):
            self.keep[index] = False
            self.problems_at[index] = problems[index]
            self.rejected.append((self.lines[index], key_of(index), problems[index]))
        self.good -= len(problems)
        self.rejected.sort(key=lambda item: item[0])


class RowValidator:
    """Validates the records of one file (compiled once per file from its `HeaderMapping`)."""

    def __init__(self, mapping: HeaderMapping, *, today: dt.date | None = None) -> None:
        table = mapping.table
        today = today or dt.date.today()
        self.table = table
        self.columns = mapping.columns
        self.width = len(mapping.header)
        index_of = {name: i for i, name in enumerate(self.columns)}
        steps: list[_Step] = []
        for name in self.columns:
            column = table.column(name)
            position = mapping.positions.get(name, -1)
            steps.append(
                (position, column_converter(column, today), column.required, column.default, name)
            )
        self._steps = steps
        self._at_least = [
            (index_of[c.name], index_of[c.at_least], c.at_least, _numeric(c))
            for c in table.columns
            if c.at_least and c.name in index_of and c.at_least in index_of
        ]
        self.key_indexes = [index_of[k] for k in table.key]
        self.references = [
            (index_of[c.name], parent, parent_column, c.name)
            for c, parent, parent_column in table.foreign_keys
            if c.name in index_of
        ]

    def validate(self, fields: list[str]) -> list[str | None]:
        """One row's canonical values (in `columns` order), or raise `RowRejected`."""
        batch = self.validate_batch([0], [fields])
        if batch.rejected:
            raise RowRejected(batch.rejected[0][2])
        return list(next(iter(batch.value_rows())))

    def validate_batch(self, lines: Sequence[int], rows: list[list[str]]) -> Batch:
        count = len(rows)
        width = self.width
        misshapen: dict[int, list[Problem]] = {}
        if set(map(len, rows)) - {width}:
            for index, row in enumerate(rows):
                if len(row) != width:
                    reason = f"has {len(row)} fields, the header has {width}"
                    misshapen[index] = [Problem("", "", reason)]
            blank = [""] * width
            rows = [blank if i in misshapen else row for i, row in enumerate(rows)]
        used = {step[0] for step in self._steps if step[0] >= 0}
        raw: list[list[str]] = [[row[i] for row in rows] if i in used else [] for i in range(width)]
        problems: dict[int, list[Problem]] = {}
        columns: list[list[str | None]] = []
        for position, convert, required, default, name in self._steps:
            if position < 0:
                values: list[str | None] = [default] * count
                errors: dict[int, str] = {}
            else:
                values, errors = convert(raw[position])
                for index, reason in errors.items():
                    problems.setdefault(index, []).append(
                        Problem(name, raw[position][index], reason)
                    )
            if None in values:
                if default is not None:
                    values = [default if v is None else v for v in values]
                elif required:
                    for index in compress(range(count), map(is_, values, repeat(None))):
                        if index not in errors:
                            cell = raw[position][index] if position >= 0 else ""
                            problems.setdefault(index, []).append(
                                Problem(name, cell, "required value is missing")
                            )
            columns.append(values)
        for index, other, other_name, numeric in self._at_least:
            upper, lower = columns[index], columns[other]
            for at in compress(range(count), upper):
                value, floor = upper[at], lower[at]
                if floor is None or value is None:
                    continue
                if (Decimal(value) < Decimal(floor)) if numeric else (value < floor):
                    cell = raw[self._steps[index][0]][at]
                    problems.setdefault(at, []).append(
                        Problem(self.columns[index], cell, f"must be ≥ {other_name} ({floor})")
                    )
        problems.update(misshapen)
        batch = Batch(list(lines), columns)
        original = rows
        batch.drop(problems, lambda i: self.raw_key_of(original[i]))
        return batch

    def keys(self, batch: Batch) -> Iterable[str | None]:
        """The table key of each good row; composite keys joined into one compact string."""
        if len(self.key_indexes) == 1:
            return batch.select(batch.columns[self.key_indexes[0]])
        parts = batch.select(zip(*(batch.columns[i] for i in self.key_indexes), strict=True))
        return map("\x1f".join, parts)  # key values are never None

    def key_text(self, batch: Batch, index: int) -> str:
        return "|".join(str(batch.columns[k][index]) for k in self.key_indexes)

    def raw_key_of(self, fields: list[str]) -> str:
        """Best-effort key of a rejected record, as written in the file."""
        parts = []
        for index in self.key_indexes:
            position = self._steps[index][0]
            parts.append(fields[position].strip() if 0 <= position < len(fields) else "")
        return "|".join(parts)


def _numeric(column: Column) -> bool:
    """Dates compare as ISO text; numbers as decimals."""
    return not isinstance(column.type, Date)
