"""Cell converters: one function per column, raw CSV text → canonical text or None.

`converter(column, today)` turns a `schema.Column` into ``convert(raw) -> str | None``
that trims, maps the NULL spellings to None, parses the type, applies the rule
and returns the value in the one spelling both targets accept (``2024-01-31``,
``1234.50``, ``HMO``). A bad value raises `BadValue` with the reason a person
reads in the rejects report.

Converters of columns whose values repeat (dates, codes, amounts, ZIP codes)
remember their answers in a bounded dict: in a million-row member file the
same few thousand dates come back again and again, and a dict hit is ~20x
cheaper than parsing. Unique columns (names, e-mails, the key) are not cached.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from hma_gui.core.etl.schema import (
    Between,
    Char,
    Column,
    Date,
    DateBetween,
    Email,
    Numeric,
    OneOf,
    Pattern,
    SmallInt,
    Varchar,
    ZipCode,
)

Converter = Callable[[str], "str | None"]

NULL_TOKENS = frozenset({"", "NULL", "N/A"})
ZIP_RE = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")
#: one @, no spaces, and a dot in the domain with a character on each side
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]*[^@\s.]\.[^@\s.][^@\s]*")
EMAIL_REASON = "not an e-mail address (one @ and a dot in the domain)"
CACHE_LIMIT = 131_072  # per column: a century of dates in three spellings fits


class BadValue(ValueError):
    """A cell broke a rule; the message is the reason shown in the rejects report."""


def is_null(text: str) -> bool:
    """Empty, ``NULL`` or ``N/A`` in any case (after trimming)."""
    return len(text) <= 4 and text.upper() in NULL_TOKENS


def converter(column: Column, today: dt.date) -> Converter:
    """The converter of one column (without its ``required`` and ``default`` handling)."""
    kind = column.type
    rule = column.rule
    parse: Callable[[str], str]
    if isinstance(kind, Date):
        parse = _date_parser(rule if isinstance(rule, DateBetween) else None, today)
    elif isinstance(kind, Numeric):
        parse = _numeric_parser(kind, rule if isinstance(rule, Between) else None)
    elif isinstance(kind, SmallInt):
        parse = _int_parser(rule if isinstance(rule, Between) else None)
    elif isinstance(kind, Varchar | Char):
        parse = _text_parser(kind.length, rule)
    else:  # pragma: no cover - the schema's types are closed
        raise TypeError(f"no converter for {kind!r}")
    cached = not isinstance(kind, Varchar | Char) or isinstance(rule, OneOf | ZipCode | Pattern)
    if column.references is None and isinstance(rule, Pattern) and column.name.endswith("_id"):
        cached = False  # a table's own identifier: (nearly) every value is new
    return _with_nulls(_memoized(parse) if cached else parse)


def _with_nulls(parse: Callable[[str], str]) -> Converter:
    def convert(raw: str) -> str | None:
        text = raw.strip()
        if len(text) <= 4 and text.upper() in NULL_TOKENS:
            return None
        return parse(text)

    return convert


def _memoized(parse: Callable[[str], str]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def convert(text: str) -> str:
        try:
            return cache[text]
        except KeyError:
            value = parse(text)  # a BadValue is not cached: bad cells are rare
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[text] = value
            return value

    return convert


# ----------------------------------------------------------------------------- text


def _text_parser(length: int, rule: object) -> Callable[[str], str]:
    def too_long(text: str) -> BadValue:
        return BadValue(f"longer than {length} characters ({len(text)})")

    if isinstance(rule, Pattern):
        regex = re.compile(rule.regex)
        upper = rule.upper

        def pattern(text: str) -> str:
            value = text.upper() if upper else text
            if regex.fullmatch(value) is None:
                raise BadValue(f"does not match {rule.regex}")
            if len(value) > length:
                raise too_long(value)
            return value

        return pattern
    if isinstance(rule, OneOf):
        choices = {v.lower(): v for v in rule.values}
        choices.update((k.lower(), v) for k, v in rule.synonyms)
        listed = ", ".join(rule.values)

        def one_of(text: str) -> str:
            value = choices.get(text.lower())
            if value is None:
                raise BadValue(f"must be one of {listed}")
            return value

        return one_of
    if isinstance(rule, ZipCode):
        zip_re = ZIP_RE

        def zip_code(text: str) -> str:
            if zip_re.fullmatch(text) is None:
                raise BadValue("must be a ZIP code: 12345 or 12345-6789")
            return text

        return zip_code
    if isinstance(rule, Email):

        def email(text: str) -> str:
            if EMAIL_RE.fullmatch(text) is None:
                raise BadValue(EMAIL_REASON)
            if len(text) > length:
                raise too_long(text)
            return text

        return email

    def text_only(text: str) -> str:
        if len(text) > length:
            raise too_long(text)
        return text

    return text_only


# ----------------------------------------------------------------------------- numbers

_INT_RE = re.compile(r"[+-]?[0-9]+")
_MONEY_RE = re.compile(
    r"(?P<open>\()?(?P<sign>[+-])?\$?(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?P<frac>[0-9]*))?"
    r"(?P<pct>%)?(?P<close>\))?"
)


def _int_parser(rule: Between | None) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if _INT_RE.fullmatch(text) is None:
            raise BadValue("not a whole number")
        value = int(text)
        _check_between(value, rule)
        if not -32768 <= value <= 32767:
            raise BadValue("out of range for SMALLINT")
        return str(value)

    return parse


def _numeric_parser(kind: Numeric, rule: Between | None) -> Callable[[str], str]:
    scale = kind.scale
    max_int_digits = kind.precision - kind.scale
    quantum = Decimal(1).scaleb(-scale)

    def parse(text: str) -> str:
        match = _MONEY_RE.fullmatch(text.replace(" ", ""))
        if (
            match is None
            or not (match["int"] or match["frac"])
            or bool(match["open"]) != bool(match["close"])
        ):
            raise BadValue("not a number (1234.5 or $1,234.50)")
        if match["pct"] and not kind.percent:
            raise BadValue("a percentage is not allowed here")
        try:
            number = Decimal(f"{match['int'] or '0'}.{match['frac'] or '0'}".replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            raise BadValue("not a number") from None
        if match["open"] or match["sign"] == "-":
            number = -number
        if match["pct"]:
            number /= 100
        _check_between(number, rule)
        if number and number.adjusted() >= max_int_digits:
            raise BadValue(f"too large (at most {max_int_digits} digits before the point)")
        rounded = number.quantize(quantum)
        if rounded != number:
            raise BadValue(f"more than {scale} decimal places")
        return f"{rounded if rounded else abs(rounded):f}"  # never "-0.00"

    return parse


def _check_between(value: Decimal | int, rule: Between | None) -> None:
    if rule is None:
        return
    lo, hi = rule.lo, rule.hi
    if lo is not None and value < lo:
        if hi is None:
            raise BadValue("negative values are not allowed" if lo == 0 else f"must be ≥ {lo}")
        raise BadValue(f"must be between {lo} and {hi}")
    if hi is not None and value > hi:
        raise BadValue(f"must be ≤ {hi}" if lo is None else f"must be between {lo} and {hi}")


# ----------------------------------------------------------------------------- dates

_ISO_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_US_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_COMPACT_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
DATE_FORMATS = "YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD"


def parse_date(text: str) -> dt.date:
    match = _ISO_RE.fullmatch(text) or _COMPACT_RE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _US_RE.fullmatch(text)
        if match is None:
            raise BadValue(f"not a date ({DATE_FORMATS})")
        month, day, year = (int(g) for g in match.groups())
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise BadValue(f"not a real date ({DATE_FORMATS})") from None
    if year < 1000:
        raise BadValue("year before 1000")
    return value


def _date_parser(rule: DateBetween | None, today: dt.date) -> Callable[[str], str]:
    lo = rule.lo if rule else None
    hi = (today if rule.hi == "today" else rule.hi) if rule else None

    def parse(text: str) -> str:
        value = parse_date(text)
        if lo is not None and value < lo:
            raise BadValue(f"before {lo.isoformat()}")
        if hi is not None and value > hi:
            raise BadValue("in the future" if hi == today else f"after {hi.isoformat()}")
        return value.isoformat()

    return parse
