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
from dataclasses import dataclass, field
from decimal import Decimal

from hma_gui.core.etl.coercion import BadValue, Converter, converter
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


_Step = tuple[int, Converter, bool, "str | None", str]


class RowValidator:
    """Validates records of one file (compiled once per file from its `HeaderMapping`)."""

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
                (position, converter(column, today), column.required, column.default, name)
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
        """The row's canonical values (in `columns` order), or raise `RowRejected`."""
        if len(fields) != self.width:
            raise RowRejected(
                [Problem("", "", f"has {len(fields)} fields, the header has {self.width}")]
            )
        values: list[str | None] = []
        problems: list[Problem] | None = None
        for position, convert, required, default, name in self._steps:
            raw = fields[position] if position >= 0 else ""
            try:
                value = convert(raw)
            except BadValue as exc:
                problems = problems or []
                problems.append(Problem(name, raw, str(exc)))
                values.append(None)
                continue
            if value is None:
                if default is not None:
                    value = default
                elif required:
                    problems = problems or []
                    problems.append(Problem(name, raw, "required value is missing"))
            values.append(value)
        for index, other, other_name, numeric in self._at_least:
            value, floor = values[index], values[other]
            if value is None or floor is None:
                continue
            if (Decimal(value) < Decimal(floor)) if numeric else (value < floor):
                problems = problems or []
                raw = fields[self._steps[index][0]]
                problems.append(
                    Problem(self.columns[index], raw, f"must be ≥ {other_name} ({floor})")
                )
        if problems:
            raise RowRejected(problems)
        return values

    def key_of(self, values: list[str | None]) -> str:
        """The row's table key as one string (for duplicate detection and reports)."""
        if len(self.key_indexes) == 1:
            return str(values[self.key_indexes[0]])
        return "|".join(str(values[i]) for i in self.key_indexes)

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
