"""The value rule: a value is stored exactly as given, or refused, on every backend.

Each backend bends some values on its own: MySQL and PostgreSQL round ``1.7`` into an
integer and ``Decimal("1.234")`` into ``decimal(5,2)``; SQLite keeps a string in an integer
column and a too-large decimal in ``decimal(5,2)``. :func:`check_rows` applies one rule before
any statement runs, so the same value gives the same result everywhere:

* integers (and ``bool``): ``int``, ``bool`` or an integral ``float``/``Decimal`` (or its
  text, in ASCII digits) within the type's range;
* ``float``: a real number (``int``, ``float``, ``Decimal``, or its text) within the
  type's range; an integer a double cannot hold exactly, and a non-zero number that would be
  stored as 0, are refused; ``-0.0`` is stored as ``0.0``. ``float32`` (DataJoint's
  ``float``) is the one declared rounding: MySQL and PostgreSQL store the nearest 4-byte
  float (15.3 is kept as 15.300000190734863 and fetched as 15.3), SQLite all 8 bytes;
* ``decimal(p,s)``: a finite number with at most ``s`` decimals and ``p - s`` integer digits;
* text (``varchar``, ``char``, ``text``, ``enum``): ``str`` within the length, without NUL
  characters or unpaired surrogates; an enum value is one of the listed values;
* bytes: ``bytes``/``bytearray``/``memoryview``, within the length of ``binary(n)``;
* ``date``/``datetime``/``time``: the Python object or its ISO 8601 text; fractional seconds
  within the declared digits; a ``time`` also from a ``timedelta`` within a day (as DataJoint
  0.14 fetches MySQL's TIME); **a timezone-aware datetime is refused** (convert it to naive
  UTC or local time first: the backends disagree on what they would store);
* ``uuid``: a ``uuid.UUID``, its text or its 16 bytes;
* ``json``: what ``json.dumps`` writes without NaN or infinities, with text keys only
  (``{1: 'a'}`` would be read back as ``{'1': 'a'}``), without NUL or unpaired surrogates;
* ``None`` is NULL, or the attribute's default where it is not nullable (as in DataJoint);
  a primary-key attribute is never ``None`` or missing (unless it auto-increments).

An accepted value is sent as the Python object its attribute stores (``"5"`` and ``5.0``
as 5, ISO text as a date, ...), so every backend and every insert path (row by row,
PostgreSQL's COPY, MySQL's LOAD DATA) receives the same value. Every refusal is a
:class:`~dj_sqla.errors.DataJointError` naming the table, the attribute and the shortened
value. The common case (values of the expected Python type) is checked a column at a time
with builtins that run in C.

Example:
    >>> import sqlalchemy as sa
    >>> import dj_sqla as dj
    >>> from dj_sqla.declare.build import ColumnInfo
    >>> from dj_sqla.types import resolve_type
    >>> column = sa.Column("n", resolve_type("int16").sa_type, primary_key=True)
    >>> column.info["dj"] = ColumnInfo(resolve_type("int16"), "")
    >>> table = sa.Table("t", sa.MetaData(), column, schema="s")
    >>> backend = dj.Connection("sqlite://").backend
    >>> check_rows(table, ["n"], [{"n": 3}, {"n": "4"}, {"n": 5.0}], backend)
    [{'n': 3}, {'n': 4}, {'n': 5}]
    >>> try:
    ...     check_rows(table, ["n"], [{"n": 1.7}], backend)
    ... except DataJointError as err:
    ...     print(str(err)[:60])
    Cannot insert into `s`.`t`: `n` = 1.7 is refused: int16 hold
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa

from .._memo import memo
from ..backends import Backend
from ..errors import DataJointError, MissingAttributeError, shortened
from ..expression._values import INTEGER_TEXT, NUMBER_TEXT, text_problem
from ..types import INTEGER_RANGES, CodecColumn, enum_values

#: A per-value check: None when the value is fine, else why it is refused.
_Check = Callable[[Any], "str | None"]
#: A whole-column fast path, given the column's values (no None) and their types: True when
#: every value is of the common kind, fine, and sent as it is.
_Fast = Callable[[list[Any], set[type]], bool]
#: A value the check accepted, as the Python object the attribute stores (``"5"`` → 5 for an
#: integer, ``True`` → 1, ISO text → a date), so that every backend and every insert path
#: (row by row, COPY, LOAD DATA) receives the same value.
_Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


class Rule(NamedTuple):
    """What the value rule does for one attribute (see :func:`column_checks`)."""

    fast: _Fast
    check: _Check
    convert: _Convert = _same


_WIDE_RANGES = {
    "int64": (-(2**63), 2**63 - 1),
    "bigint": (-(2**63), 2**63 - 1),
    "bigint unsigned": (0, 2**64 - 1),
    "year": (0, 2155),
}
_FLOAT32_MAX = 3.4028234663852886e38
_NONE = type(None)


def _integer_check(type_name: str, low: int, high: int) -> Rule:
    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {int} and low <= min(values) and max(values) <= high

    def whole(value: Any) -> Any:
        """The integer ``value`` spells (itself when it is none)."""
        if isinstance(value, str) and INTEGER_TEXT.fullmatch(value):
            return int(value)  # the servers read such text as the integer it spells
        if isinstance(value, float | decimal.Decimal):
            finite = (
                value.is_finite() if isinstance(value, decimal.Decimal) else math.isfinite(value)
            )
            if finite and value == int(value):
                return int(value)  # 2.0 → 2: sent as 2.0, PostgreSQL's COPY refuses it
        if isinstance(value, bool):
            return int(value)  # PostgreSQL has no bool → integer assignment
        return value

    def check(value: Any) -> str | None:
        number = whole(value)
        if isinstance(number, float | decimal.Decimal):
            return f"{type_name} holds whole numbers only"
        if not isinstance(number, int):
            return f"{type_name} takes an integer, not {type(value).__name__}"
        if not low <= number <= high:
            return f"outside the range of {type_name} ({low}..{high})"
        return None

    return Rule(fast, check, whole)


def _bool_check() -> Rule:
    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {bool}

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or (type(value) is int and value in (0, 1)):
            return None
        return f"bool takes True or False, not {type(value).__name__}"

    return Rule(fast, check, bool)


#: The smallest magnitude that rounds to a non-zero float32 (half its least subnormal), and
#: the largest that rounds to a finite one (half an ulp above its largest value).
_FLOAT32_TINY = 2.0**-150

_FLOAT32_ROUNDS_FINITE = 2.0**128 - 2.0**103


def _float_check(single: bool, nan: bool, infinity: bool) -> Rule:
    """A float64 attribute, or a float32 one (``single``: rounded to 4 bytes by the servers)."""

    def number_of(value: Any) -> Any:
        """``value`` as an int, float or Decimal (text read exactly, to tell an underflow
        from a zero), or ``value`` itself when it is no number."""
        if isinstance(value, str) and NUMBER_TEXT.fullmatch(value):
            return decimal.Decimal(value)
        return value

    def special(number: float) -> str | None:
        if number != number:
            return None if nan else "this backend cannot store NaN; store None for a missing value"
        return None if infinity else "this backend cannot store an infinity"

    def check(value: Any) -> str | None:
        value = number_of(value)
        if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
            return f"a float takes a number (or its text), not {type(value).__name__}"
        if isinstance(value, decimal.Decimal) and value.is_snan():
            return "a signaling NaN is no number to store"
        try:
            number = float(value)
        except OverflowError:
            return "too large for a double"
        if not math.isfinite(number):
            if isinstance(value, float) or not value.is_finite():  # type: ignore[union-attr]
                return special(number)
            return "too large for a double"
        if isinstance(value, int) and number != value:
            return "a double cannot hold this integer exactly (more than 53 bits)"
        if (number == 0 and value != 0) or (single and 0 < abs(number) < _FLOAT32_TINY):
            return "too close to 0: it would be stored as 0"
        if single and abs(number) >= _FLOAT32_ROUNDS_FINITE:
            return f"outside the range of float32 (at most {_FLOAT32_MAX:g} in magnitude)"
        return None

    def convert(value: Any) -> Any:
        number = float(number_of(value))
        if number == 0:
            return 0.0  # -0.0: SQLite and MySQL store 0.0, PostgreSQL's COPY would keep -0.0
        if single and _FLOAT32_MAX < abs(number) < math.inf:
            return math.copysign(_FLOAT32_MAX, number)  # a float32's own rounding (3.4028235e38)
        return number

    def fast(values: list[Any], types: set[type]) -> bool:
        if not types <= {float}:
            return False
        if not (nan and infinity) and not math.isfinite(sum(values)):
            return False  # a NaN or an infinity (or an overflowing sum: checked one by one)
        if _negative_zero(values):
            return False  # stored as 0.0
        if not single:
            return True
        magnitudes = list(map(abs, values))
        return max(magnitudes) <= _FLOAT32_MAX and not 0 < min(magnitudes) < _FLOAT32_TINY

    return Rule(fast, check, convert)


def _negative_zero(values: list[float]) -> bool:
    """Whether ``values`` hold -0.0, found by the list's own search (in C) for zeros."""
    position = -1
    try:
        while True:
            position = values.index(0.0, position + 1)
            if math.copysign(1.0, values[position]) < 0:
                return True
    except ValueError:
        return False


def _decimal_check(precision: int, scale: int, unsigned: bool) -> Rule:
    step = decimal.Decimal(1).scaleb(-scale)
    limit = decimal.Decimal(10) ** (precision - scale)
    context = decimal.Context(prec=precision + 40)
    name = f"decimal({precision},{scale})"

    def number_of(value: Any) -> Any:
        """``value`` as a Decimal, or ``value`` itself when it is no number."""
        if isinstance(value, str) and NUMBER_TEXT.fullmatch(value):
            return decimal.Decimal(value)
        if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
            return value
        return decimal.Decimal(repr(value) if isinstance(value, float) else value)

    def check(value: Any) -> str | None:
        number = number_of(value)
        if not isinstance(number, decimal.Decimal):
            return f"{name} takes a number (int or Decimal), not {type(value).__name__}"
        if not number.is_finite():
            return f"{name} holds finite numbers only"
        if abs(number) >= limit:
            return f"{name} holds less than {limit} in magnitude"
        if number.quantize(step, context=context) != number:
            return f"{name} holds {scale} decimal digits (round it first)"
        if unsigned and number < 0:
            return f"{name} unsigned holds no negative numbers"
        return None

    def convert(value: Any) -> Any:
        # written with the attribute's decimals: MySQL's LOAD DATA reads 1E+2 as 1
        return number_of(value).quantize(step, context=context)

    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {decimal.Decimal} and all(
            check(v) is None and v.as_tuple().exponent == -scale for v in values
        )

    return Rule(fast, check, convert)


def _text_check(length: int | None, choices: tuple[str, ...] | None) -> Rule:
    allowed = frozenset(choices) if choices is not None else None

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"text takes str, not {type(value).__name__}"
        if length is not None and len(value) > length:
            return f"it has {len(value)} characters and holds at most {length}"
        problem = text_problem(value)
        if problem is not None:
            return problem
        if allowed is not None and value not in allowed:
            return f"not one of the enum values {', '.join(map(repr, choices or ()))}"
        return None

    def fast(values: list[Any], types: set[type]) -> bool:
        if not types <= {str}:
            return False
        if allowed is not None:
            return allowed.issuperset(values)
        if length is not None and max(map(len, values)) > length:
            return False
        joined = "".join(values)
        if "\x00" in joined:
            return False
        return joined.isascii() or check(joined) is None

    return Rule(fast, check)


def _bytes_check(length: int | None) -> Rule:
    def check(value: Any) -> str | None:
        if not isinstance(value, bytes | bytearray | memoryview):
            return f"bytes takes bytes, not {type(value).__name__}"
        if length is not None and len(value) > length:
            return f"it has {len(value)} bytes and holds at most {length}"
        return None

    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {bytes} and (length is None or max(map(len, values)) <= length)

    return Rule(fast, check, bytes)


def _fraction_check(value: Any, digits: int) -> str | None:
    """Refuse fractional seconds finer than the attribute's ``digits`` (servers round)."""
    if getattr(value, "nanosecond", 0) or getattr(value, "nanoseconds", 0):
        return "nanoseconds: the attribute holds at most microseconds"  # pandas' types
    micro = value.microseconds if isinstance(value, dt.timedelta) else value.microsecond
    if digits < 6 and micro % 10 ** (6 - digits):
        return f"more fractional seconds than the {digits} digits the attribute holds"
    return None


#: The fractional seconds of ISO 8601 text (Python reads at most 6 digits and drops the rest).
_FRACTION = re.compile(r"[:\d]\.(\d+)|[:\d],(\d+)")
_DAY = dt.timedelta(days=1)


def _temporal_check(kind: type, digits: int) -> Rule:
    parse: Callable[[str], Any] = kind.fromisoformat  # type: ignore[attr-defined]
    examples = {dt.date: "2024-05-01", dt.time: "12:30:00"}

    def parsed(value: Any) -> Any:
        """``value`` as the attribute's Python type where it can be (else as it is)."""
        if isinstance(value, str):
            try:
                value = parse(value)
            except ValueError:
                return value
        if kind is dt.time and isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < _DAY:
            return (dt.datetime.min + value).time()  # MySQL's TIME as DataJoint 0.14 fetches it
        if kind is dt.datetime and type(value) is dt.date:
            return dt.datetime.combine(value, dt.time())
        if kind is dt.date and isinstance(value, dt.datetime):
            return value.date() if value.tzinfo is None and value.time() == dt.time() else value
        if isinstance(value, kind) and type(value) is not kind:  # pandas' Timestamp, ...
            return _plain_temporal(value)
        return value

    def check(value: Any) -> str | None:
        if isinstance(value, str):
            found = _FRACTION.search(value)
            if found and len(found.group(1) or found.group(2)) > 6:
                return "more than 6 fractional digits of a second"
            try:
                parse(value)
            except ValueError:
                return (
                    f"not ISO 8601 text; write it like {examples.get(kind, '2024-05-01 12:30')!r}"
                )
        if kind is dt.time and isinstance(value, dt.timedelta):
            if not dt.timedelta(0) <= value < _DAY:
                return "a time of day is from 00:00:00 up to 24:00:00"
            return _fraction_check(value, digits)
        if getattr(value, "nanosecond", 0):
            return "nanoseconds: the attribute holds at most microseconds"
        value = parsed(value)
        if kind is dt.date and isinstance(value, dt.datetime):
            return "a date attribute would drop the time of this datetime; pass value.date()"
        if not isinstance(value, kind):
            return f"takes a {kind.__name__} (or ISO 8601 text), not {type(value).__name__}"
        if kind is not dt.date and getattr(value, "tzinfo", None) is not None:
            return (
                "timezone-aware values are refused (backends disagree on what to store); "
                "convert it, e.g. value.astimezone(datetime.UTC).replace(tzinfo=None)"
            )
        return None if kind is dt.date else _fraction_check(value, digits)

    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {kind} and all(check(v) is None for v in values)

    return Rule(fast, check, parsed)


def _plain_temporal(value: Any) -> Any:
    """A subclass's date, datetime or time (pandas' Timestamp) as the builtin type."""
    if isinstance(value, dt.datetime):
        return dt.datetime.combine(value.date(), value.time(), value.tzinfo)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return dt.time(value.hour, value.minute, value.second, value.microsecond, value.tzinfo)


def _json_check() -> Rule:
    def check(value: Any) -> str | None:
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            return f"not a JSON document ({err})"
        except RecursionError:
            return "not a JSON document (nested too deeply)"
        return _json_problem(value)

    def fast(values: list[Any], types: set[type]) -> bool:
        return all(check(v) is None for v in values)

    return Rule(fast, check)


def _json_problem(document: Any) -> str | None:
    """What in a JSON ``document`` (that ``json.dumps`` writes) a backend would refuse or
    change: object keys other than text (written as text: ``{1: 'a'}`` is read back as
    ``{'1': 'a'}``), text with a NUL or an unpaired surrogate."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                return f"in a JSON document, {problem}"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    return (
                        f"JSON object keys are text, not {type(key).__name__} ({key!r} would "
                        f"be read back as {json.dumps(str(key) if key is not None else None)})"
                    )
                pending.append(key)
                pending.append(inner)
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return None


def _uuid_check() -> Rule:
    def check(value: Any) -> str | None:
        if isinstance(value, uuid.UUID):
            return None
        if isinstance(value, str):
            try:
                uuid.UUID(value)
            except ValueError:
                return "not the text of a UUID"
            return None
        if isinstance(value, bytes) and len(value) == 16:
            return None
        return f"uuid takes a uuid.UUID or its text, not {type(value).__name__}"

    def convert(value: Any) -> Any:
        if isinstance(value, bytes):
            return uuid.UUID(bytes=value)
        return uuid.UUID(value) if isinstance(value, str) else value

    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {uuid.UUID}

    return Rule(fast, check, convert)


_DIGITS = re.compile(r"\((\d+)\)")


def _checks_for(column: sa.Column[Any], backend: Backend) -> Rule | None:
    """The checks of one attribute, from its DataJoint type (None: nothing to check)."""
    info = column.info.get("dj")
    if info is None or isinstance(column.type, CodecColumn):
        return None
    spec = info.spec
    name = spec.name
    kind = spec.python_type
    length = getattr(spec.sa_type, "length", None)
    digits = _DIGITS.search(name)
    if kind is bool:
        return _bool_check()
    if kind is int:
        low, high = INTEGER_RANGES.get(name) or _WIDE_RANGES.get(name, (-(2**63), 2**64 - 1))
        return _integer_check(name, low, high)
    if kind is float:
        single = "float32" in name or name == "float"
        return _float_check(single, backend.stores_float_nan, backend.stores_float_infinity)
    if kind is decimal.Decimal:
        sa_type = spec.sa_type
        return _decimal_check(sa_type.precision, sa_type.scale, name.endswith(" unsigned"))
    if kind is str:
        choices = enum_values(spec)
        return _text_check(length if choices is None else None, choices)
    if kind is bytes:
        return _bytes_check(length if isinstance(length, int) else None)
    if kind in (dt.date, dt.datetime, dt.time):
        return _temporal_check(kind, int(digits.group(1)) if digits else 0)
    if kind is uuid.UUID:
        return _uuid_check()
    if spec.is_json:
        return _json_check()
    return None


def column_checks(table: sa.Table, backend: Backend) -> dict[str, Rule]:
    """Per attribute of ``table`` that has a rule: (a check of a whole column of values in C,
    a check of one value that says why it is refused), made once per table and backend."""

    def build() -> dict[str, Rule]:
        found = {}
        for column in table.columns:
            checks = _checks_for(column, backend)
            if checks is not None:
                found[column.name] = checks
        return found

    by_backend = memo(table, "_dj_sqla_value_checks", dict)
    if backend.name not in by_backend:
        by_backend[backend.name] = build()
    return by_backend[backend.name]


def _required(table: sa.Table) -> tuple[str, ...]:
    """Attributes a row must give: not nullable, not auto-incremented, no default (the
    primary key's first)."""

    def build() -> tuple[str, ...]:
        columns = [*table.primary_key.columns, *table.columns]
        return tuple(
            dict.fromkeys(
                c.name
                for c in columns
                if not (c.nullable and not c.primary_key)
                and c is not table.autoincrement_column
                and c.server_default is None
                and c.default is None
            )
        )

    return memo(table, "_dj_sqla_required", build)


def _refuse(
    table: sa.Table,
    name: str,
    value: Any,
    why: str,
    row: dict[str, Any] | None = None,
    verb: str = "insert into",
) -> DataJointError:
    key = [c.name for c in table.primary_key.columns]
    where = ""
    if row is not None and name not in key and all(k in row for k in key):
        where = f" (row with key {shortened({k: row[k] for k in key})})"
    outcome = "inserted" if verb == "insert into" else "changed"
    return DataJointError(
        f"Cannot {verb} `{table.schema}`.`{table.name}`: `{name}` = {shortened(value)}"
        f"{where} is refused: {why}; nothing was {outcome}."
    )


def _none_for(
    table: sa.Table,
    name: str,
    rows: Sequence[dict[str, Any]],
    changed: dict[int, dict[str, Any]],
    verb: str,
) -> None:
    """None for attribute ``name``: NULL where it is nullable; its default where it has one
    (as DataJoint does: the attribute is left out of an insert, and an update sets it to the
    default); else refused (the servers' own errors name it each their own way)."""
    column = table.c[name]
    if column.nullable or column is table.autoincrement_column:
        return
    default = column.server_default
    if verb == "insert into" and default is not None:
        for index, row in enumerate(rows):
            if row[name] is None:
                changed.setdefault(index, dict(row)).pop(name)
        return
    if isinstance(default, sa.DefaultClause):  # an update sets the declared default: an SQL
        for index, row in enumerate(rows):  # expression, or text bound as a value
            if row[name] is None:
                changed.setdefault(index, dict(row))[name] = default.arg
        return
    row = next(r for r in rows if r[name] is None)
    why = "the attribute is not nullable; give a value or declare it `= null`"
    raise _refuse(table, name, None, why, row, verb)


def check_rows(
    table: sa.Table,
    names: Iterable[str],
    rows: Sequence[dict[str, Any]],
    backend: Backend,
    *,
    verb: str = "insert into",
) -> Sequence[dict[str, Any]]:
    """Refuse the first value of ``rows`` (which all give the attributes ``names``) that
    ``table`` would not store exactly; return the rows with each accepted value as the
    Python object its attribute stores (``rows`` itself when none changes; the given
    dicts are never changed).

    Raises:
        DataJointError: naming the table, the attribute and the shortened value.
    """
    names = list(names)
    checks = column_checks(table, backend)
    required = _required(table) if verb == "insert into" else ()
    for name in required:
        if name not in names:
            what = "primary-key attribute" if name in table.primary_key.columns else "attribute"
            raise MissingAttributeError(
                f"Cannot insert into `{table.schema}`.`{table.name}`: the {what} `{name}` is "
                f"missing (row {shortened(rows[0])}) and has no default; nothing was inserted."
            )
    keys = {c.name for c in table.primary_key.columns if c is not table.autoincrement_column}
    changed: dict[int, dict[str, Any]] = {}
    for name in names:
        found = checks.get(name)
        values = list(map(itemgetter(name), rows))
        types = set(map(type, values))
        if _NONE in types:
            if name in keys:
                raise _refuse(table, name, None, "a primary-key attribute cannot be None")
            _none_for(table, name, rows, changed, verb)
            values = [v for v in values if v is not None]
            types.discard(_NONE)
        if found is None or not values or found.fast(values, types):
            continue
        for index, row in enumerate(rows):
            value = row[name]
            if value is None:
                continue
            why = found.check(value)
            if why is not None:
                raise _refuse(table, name, value, why, row, verb)
            stored = found.convert(value)
            if stored is not value:
                changed.setdefault(index, dict(row))[name] = stored
    if not changed:
        return rows
    return [changed.get(index, row) for index, row in enumerate(rows)]
