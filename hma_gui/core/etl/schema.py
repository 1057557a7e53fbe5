"""The MBA data contract, declared once: tables, columns, types, rules, keys, files, order.

Everything else is derived from `TABLES`: the DDL of both targets (`ddl.py`),
the header mapping (`header_map`), the row validation (`validation.py`) and the
file-to-table matching (`table_for_key`). To adapt a column, change it here:
the loader has no column names of its own.

The contract is ``docs/data-contract.md``; the declarations below follow it
line by line.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Literal

# ----------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class Varchar:
    length: int

    def sql(self) -> str:
        return f"VARCHAR({self.length})"


@dataclass(frozen=True, slots=True)
class Char:
    length: int

    def sql(self) -> str:
        return f"CHAR({self.length})"


@dataclass(frozen=True, slots=True)
class SmallInt:
    def sql(self) -> str:
        return "SMALLINT"


@dataclass(frozen=True, slots=True)
class Numeric:
    """Fixed point, ``DECIMAL(precision, scale)``. ``percent``: ``20%`` means 0.2 (rates)."""

    precision: int
    scale: int
    percent: bool = False

    def sql(self) -> str:
        return f"DECIMAL({self.precision},{self.scale})"


@dataclass(frozen=True, slots=True)
class Date:
    """``YYYY-MM-DD``, ``MM/DD/YYYY`` or ``YYYYMMDD``; stored as a DATE."""

    def sql(self) -> str:
        return "DATE"


ColumnType = Varchar | Char | SmallInt | Numeric | Date

# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class Pattern:
    """The (trimmed) value must match `regex` entirely, after upper-casing if `upper`."""

    regex: str
    upper: bool = True


@dataclass(frozen=True, slots=True)
class OneOf:
    """One of `values` (any case); `synonyms` map other spellings (lower case) to a value."""

    values: tuple[str, ...]
    synonyms: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Between:
    """lo <= value <= hi (numbers)."""

    lo: float | int | None = None
    hi: float | int | None = None


@dataclass(frozen=True, slots=True)
class DateBetween:
    """lo <= date <= hi; ``"today"`` is the day of the run."""

    lo: dt.date | None = None
    hi: dt.date | Literal["today"] | None = None


@dataclass(frozen=True, slots=True)
class Email:
    """One ``@``, something before it, a dot inside the domain, no spaces."""


@dataclass(frozen=True, slots=True)
class ZipCode:
    """``12345`` or ``12345-6789``, kept as text so leading zeros survive."""


Rule = Pattern | OneOf | Between | DateBetween | Email | ZipCode


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    aliases: tuple[str, ...] = ()
    rule: Rule | None = None
    #: this value must be >= the value of that column of the same row (when both are set)
    at_least: str | None = None
    #: (table, column): the value must exist there, in the database or loaded in this run
    references: tuple[str, str] | None = None
    #: the value used when the cell is empty (or the column absent from the file)
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: case-insensitive globs matched against the object's file name
    file_patterns: tuple[str, ...]
    load_order: int
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self.by_name]
        if missing:
            raise ValueError(f"table {self.name}: key columns {missing} are not columns")
        for column in self.columns:
            if column.name in self.key and not (column.required or column.default):
                raise ValueError(f"table {self.name}: key column {column.name} must be required")
            if column.at_least and column.at_least not in self.by_name:
                raise ValueError(f"table {self.name}: {column.name} compares to unknown column")

    def column(self, name: str) -> Column:
        return self.by_name[name]

    @property
    def foreign_keys(self) -> list[tuple[Column, str, str]]:
        return [(c, *c.references) for c in self.columns if c.references]


# ----------------------------------------------------------------------------- the contract

ID_RULE = Pattern(r"[A-Z0-9-]{2,20}")
MONEY = Numeric(12, 2)
NON_NEGATIVE = Between(lo=0)
PLAN_YEAR = Column("plan_year", SmallInt(), required=True, rule=Between(2000, 2100))
MEMBER_ID_RULE = Pattern(r"[A-Z0-9-]{4,20}")
MEMBER_REF = Column(
    "member_id",
    Varchar(20),
    required=True,
    rule=MEMBER_ID_RULE,
    references=("members", "member_id"),
)

PLANS = Table(
    name="plans",
    key=("plan_id",),
    file_patterns=("plan_details*.csv",),
    load_order=1,
    columns=(
        Column("plan_id", Varchar(20), required=True, rule=ID_RULE),
        Column("plan_name", Varchar(200), required=True),
        Column(
            "plan_type",
            Varchar(10),
            required=True,
            rule=OneOf(("HMO", "PPO", "EPO", "POS", "HDHP")),
        ),
        Column(
            "metal_tier",
            Varchar(20),
            rule=OneOf(("Bronze", "Silver", "Gold", "Platinum", "Catastrophic")),
        ),
        PLAN_YEAR,
        Column("deductible_individual", MONEY, required=True, rule=NON_NEGATIVE),
        Column("deductible_family", MONEY, rule=NON_NEGATIVE, at_least="deductible_individual"),
        Column(
            "oop_max_individual",
            MONEY,
            required=True,
            rule=NON_NEGATIVE,
            at_least="deductible_individual",
        ),
        Column("oop_max_family", MONEY, rule=NON_NEGATIVE, at_least="oop_max_individual"),
        Column("coinsurance_rate", Numeric(5, 4, percent=True), rule=Between(0, 1)),
    ),
)

MEMBERS = Table(
    name="members",
    key=("member_id",),
    file_patterns=("MemberData*.csv", "members*.csv"),
    load_order=2,
    columns=(
        Column("member_id", Varchar(20), required=True, rule=MEMBER_ID_RULE),
        Column("first_name", Varchar(100), required=True),
        Column("last_name", Varchar(100), required=True),
        Column(
            "date_of_birth",
            Date(),
            required=True,
            aliases=("dob", "birth_date"),
            rule=DateBetween(dt.date(1900, 1, 1), "today"),
        ),
        Column(
            "gender",
            Char(1),
            rule=OneOf(("M", "F", "U", "X"), synonyms=(("male", "M"), ("female", "F"))),
        ),
        Column(
            "plan_id", Varchar(20), required=True, rule=ID_RULE, references=("plans", "plan_id")
        ),
        Column("effective_date", Date(), required=True),
        Column("termination_date", Date(), at_least="effective_date"),
        Column("zip_code", Varchar(10), aliases=("zip",), rule=ZipCode()),
        Column("email", Varchar(255), rule=Email()),
    ),
)

DEDUCTIBLES_OOP = Table(
    name="deductibles_oop",
    key=("member_id", "plan_year", "network_tier"),
    file_patterns=("deductibles_oop*.csv",),
    load_order=3,
    columns=(
        MEMBER_REF,
        Column(
            "plan_id", Varchar(20), required=True, rule=ID_RULE, references=("plans", "plan_id")
        ),
        PLAN_YEAR,
        Column("network_tier", Varchar(3), rule=OneOf(("IN", "OON")), default="IN"),
        Column("deductible_met", MONEY, required=True, rule=NON_NEGATIVE),
        Column("oop_met", MONEY, required=True, rule=NON_NEGATIVE, at_least="deductible_met"),
        Column("as_of_date", Date(), required=True),
    ),
)

BENEFIT_ACCUMULATOR = Table(
    name="benefit_accumulator",
    key=("member_id", "plan_year", "benefit_code"),
    file_patterns=("benefit_accumulator*.csv",),
    load_order=4,
    columns=(
        MEMBER_REF,
        PLAN_YEAR,
        Column("benefit_code", Varchar(20), required=True, rule=Pattern(r"[A-Z0-9_]{2,20}")),
        Column("used_amount", MONEY, required=True, rule=NON_NEGATIVE),
        Column("limit_amount", MONEY, rule=NON_NEGATIVE),
        Column("unit", Varchar(10), required=True, rule=OneOf(("VISITS", "DOLLARS", "DAYS"))),
        Column("last_service_date", Date()),
    ),
)

TABLES: tuple[Table, ...] = tuple(
    sorted((PLANS, MEMBERS, DEDUCTIBLES_OOP, BENEFIT_ACCUMULATOR), key=lambda t: t.load_order)
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Bump when the DDL of `TABLES` or of the audit tables changes; `db init` records it.
SCHEMA_VERSION = 2  # 2: etl_runs.source and the owner of a running row

# ----------------------------------------------------------------------------- derived


def normalize_header(name: str) -> str:
    """``Member ID``, ``member_id``, ``MemberID`` and ``member-id`` are one column."""
    return re.sub(r"[\s_\-]+", "", name.strip().lstrip("\ufeff")).lower()


def header_names(table: Table) -> dict[str, str]:
    """Normalised header spelling → column name, for the column names and their aliases."""
    names: dict[str, str] = {}
    for column in table.columns:
        for spelling in (column.name, *column.aliases):
            names[normalize_header(spelling)] = column.name
    return names


def table_for_key(key: str, tables: tuple[Table, ...] = TABLES) -> Table | None:
    """The table an object feeds, from its file name (case-insensitive globs), or None."""
    filename = key.rsplit("/", 1)[-1].lower()
    for table in tables:
        if any(fnmatch.fnmatchcase(filename, p.lower()) for p in table.file_patterns):
            return table
    return None


def check_tables(tables: tuple[Table, ...] = TABLES) -> None:
    """Consistency of the declarations: references point at earlier tables' key columns."""
    by_name = {t.name: t for t in tables}
    for table in tables:
        for column, parent_name, parent_column in table.foreign_keys:
            parent = by_name.get(parent_name)
            if parent is None or parent.key != (parent_column,):
                raise ValueError(
                    f"{table.name}.{column.name} references {parent_name}.{parent_column}, "
                    "which is not a table's single-column key"
                )
            if parent.load_order >= table.load_order:
                raise ValueError(f"{table.name} must load after {parent_name}")
