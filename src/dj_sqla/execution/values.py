"""The value rule: a value is stored exactly as given, or refused, on every backend.

Each backend bends some values on its own: MySQL and PostgreSQL round ``1.7`` into an
integer and ``Decimal("1.234")`` into ``decimal(5,2)``; SQLite keeps a string in an integer
column and a too-large decimal in ``decimal(5,2)``. :func:`check_rows` applies one rule before
any statement runs, so the same value gives the same result everywhere:

* integers (and ``bool``): ``int`` or an integral ``float``/``Decimal`` within the type's range;
* ``float``: a real number (``int``, ``float``, ``Decimal``, or its text) within the
  type's range; an integer a double cannot hold exactly is refused. ``float32`` (DataJoint's
  ``float``) is the one declared rounding: MySQL and PostgreSQL store the nearest 4-byte
  float (15.3 is kept as 15.300000190734863 and fetched as 15.3), SQLite all 8 bytes;
* ``decimal(p,s)``: a finite number with at most ``s`` decimals and ``p - s`` integer digits;
* text (``varchar``, ``char``, ``text``, ``enum``): ``str`` within the length, without NUL
  characters or unpaired surrogates; an enum value is one of the listed values;
* bytes: ``bytes``/``bytearray``/``memoryview``, within the length of ``binary(n)``;
* ``date``/``datetime``/``time``: the Python object or its ISO 8601 text; fractional seconds
  within the declared digits; **a timezone-aware datetime is refused** (convert it to naive
  UTC or local time first: the backends disagree on what they would store);
* ``uuid``: a ``uuid.UUID`` or its text;
* a primary-key attribute is never ``None`` or missing (unless it auto-increments).

Every refusal is a :class:`~dj_sqla.errors.DataJointError` naming the table, the attribute and
the shortened value. The common case (values of the expected Python type) is checked a column
at a time with builtins that run in C.

Example:
    >>> import sqlalchemy as sa
    >>> import dj_sqla as dj
    >>> from dj_sqla.declare.build import ColumnInfo
    >>> from dj_sqla.types import resolve_type
    >>> column = sa.Column("n", resolve_type("int16").sa_type, primary_key=True)
    >>> column.info["dj"] = ColumnInfo(resolve_type("int16"), "")
    >>> table = sa.Table("t", sa.MetaData(), column, schema="s")
    >>> backend = dj.Connection("sqlite://").backend
    >>> check_rows(table, ["n"], [{"n": 3}], backend)
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
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from .._memo import memo
from ..backends import Backend
from ..errors import DataJointError, shortened
from ..types import INTEGER_RANGES, CodecColumn, enum_values

#: A per-value check: None when the value is fine, else why it is refused.
_Check = Callable[[Any], "str | None"]
#: A whole-column fast path, given the column's values (no None) and their types: True when
#: every value is of the common kind and fine.
_Fast = Callable[[list[Any], set[type]], bool]

_WIDE_RANGES = {
    "int64": (-(2**63), 2**63 - 1),
    "bigint": (-(2**63), 2**63 - 1),
    "bigint unsigned": (0, 2**64 - 1),
    "year": (0, 2155),
}
_FLOAT32_MAX = 3.4028234663852886e38
_NONE = type(None)


def _integer_check(type_name: str, low: int, high: int) -> tuple[_Fast, _Check]:
    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {int} and low <= min(values) and max(values) <= high

    def check(value: Any) -> str | None:
        if isinstance(value, bool):
            return None if low <= int(value) <= high else f"outside {type_name} ({low}..{high})"
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
            value = int(value)  # the servers read such text as the integer it spells
        if isinstance(value, float | decimal.Decimal):
            if not math.isfinite(value) or value != int(value):
                return f"{type_name} holds whole numbers only"
            value = int(value)
        if not isinstance(value, int):
            return f"{type_name} takes an integer, not {type(value).__name__}"
        if not low <= value <= high:
            return f"outside the range of {type_name} ({low}..{high})"
        return None

    return fast, check


def _bool_check() -> tuple[_Fast, _Check]:
    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {bool}

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or (type(value) is int and value in (0, 1)):
            return None
        return f"bool takes True or False, not {type(value).__name__}"

    return fast, check


def _float_check(largest: float, nan: bool, infinity: bool) -> tuple[_Fast, _Check]:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
            return f"a float takes a number (or its text), not {type(value).__name__}"
        try:
            number = float(value)
        except OverflowError:
            return "too large for a double"
        if isinstance(value, int) and number != value:
            return "a double cannot hold this integer exactly (more than 53 bits)"
        if number != number and not nan:
            return "this backend cannot store NaN; store None for a missing value"
        if math.isinf(number) and not infinity:
            return "this backend cannot store an infinity"
        if math.isfinite(number) and abs(number) > largest:
            return f"outside the range of the attribute (at most {largest:g} in magnitude)"
        return None

    def fast(values: list[Any], types: set[type]) -> bool:
        if not types <= {float}:
            return False
        if not (nan and infinity) and not math.isfinite(sum(values)):
            return False  # a NaN or an infinity (or an overflowing sum: checked one by one)
        return largest == sys.float_info.max or max(map(abs, values)) <= largest

    return fast, check


def _decimal_check(precision: int, scale: int, unsigned: bool) -> tuple[_Fast, _Check]:
    step = decimal.Decimal(1).scaleb(-scale)
    limit = decimal.Decimal(10) ** (precision - scale)
    context = decimal.Context(prec=precision + 40)
    name = f"decimal({precision},{scale})"

    def check(value: Any) -> str | None:
        if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
            value = decimal.Decimal(value)
        if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
            return f"{name} takes a number (int or Decimal), not {type(value).__name__}"
        number = decimal.Decimal(repr(value)) if isinstance(value, float) else value
        number = decimal.Decimal(number)
        if not number.is_finite():
            return f"{name} holds finite numbers only"
        if abs(number) >= limit:
            return f"{name} holds less than {limit} in magnitude"
        if number.quantize(step, context=context) != number:
            return f"{name} holds {scale} decimal digits (round it first)"
        if unsigned and number < 0:
            return f"{name} unsigned holds no negative numbers"
        return None

    def fast(values: list[Any], types: set[type]) -> bool:
        return all(check(v) is None for v in values)

    return fast, check


def _text_check(length: int | None, choices: tuple[str, ...] | None) -> tuple[_Fast, _Check]:
    allowed = frozenset(choices) if choices is not None else None

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"text takes str, not {type(value).__name__}"
        if length is not None and len(value) > length:
            return f"it has {len(value)} characters and holds at most {length}"
        if "\x00" in value:
            return "text cannot hold the NUL character"
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "the text is not valid Unicode (an unpaired surrogate)"
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

    return fast, check


def _bytes_check(length: int | None) -> tuple[_Fast, _Check]:
    def check(value: Any) -> str | None:
        if not isinstance(value, bytes | bytearray | memoryview):
            return f"bytes takes bytes, not {type(value).__name__}"
        if length is not None and len(value) > length:
            return f"it has {len(value)} bytes and holds at most {length}"
        return None

    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {bytes} and (length is None or max(map(len, values)) <= length)

    return fast, check


def _fraction_check(value: Any, digits: int) -> str | None:
    """Refuse fractional seconds finer than the attribute's ``digits`` (servers round)."""
    micro = value.microseconds if isinstance(value, dt.timedelta) else value.microsecond
    if digits < 6 and micro % 10 ** (6 - digits):
        return f"more fractional seconds than the {digits} digits the attribute holds"
    return None


def _temporal_check(kind: type, digits: int) -> tuple[_Fast, _Check]:
    parse: Callable[[str], Any] = kind.fromisoformat  # type: ignore[attr-defined]
    examples = {dt.date: "2024-05-01", dt.time: "12:30:00"}

    def check(value: Any) -> str | None:
        if isinstance(value, str):
            try:
                value = parse(value)
            except ValueError:
                return (
                    f"not ISO 8601 text; write it like {examples.get(kind, '2024-05-01 12:30')!r}"
                )
        if kind is dt.time and isinstance(value, dt.timedelta):
            return _fraction_check(value, digits)
        if kind is dt.datetime and type(value) is dt.date:
            return None
        if kind is dt.date and isinstance(value, dt.datetime):
            if value.tzinfo is None and value.time() == dt.time():
                return None  # midnight: the date itself
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
        return all(check(v) is None for v in values)

    return fast, check


def _json_check() -> tuple[_Fast, _Check]:
    def check(value: Any) -> str | None:
        try:
            json.dumps(value)
        except (TypeError, ValueError) as err:
            return f"not a JSON document ({err})"
        return None

    def fast(values: list[Any], types: set[type]) -> bool:
        return all(check(v) is None for v in values)

    return fast, check


def _uuid_check() -> tuple[_Fast, _Check]:
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

    def fast(values: list[Any], types: set[type]) -> bool:
        return types <= {uuid.UUID}

    return fast, check


_DIGITS = re.compile(r"\((\d+)\)")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_NUMBER_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _checks_for(column: sa.Column[Any], backend: Backend) -> tuple[_Fast, _Check] | None:
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
        largest = _FLOAT32_MAX if single else sys.float_info.max
        return _float_check(largest, backend.stores_float_nan, backend.stores_float_infinity)
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


def column_checks(table: sa.Table, backend: Backend) -> dict[str, tuple[_Fast, _Check]]:
    """Per attribute of ``table`` that has a rule: (a check of a whole column of values in C,
    a check of one value that says why it is refused), made once per table and backend."""

    def build() -> dict[str, tuple[_Fast, _Check]]:
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


def _required_key(table: sa.Table) -> tuple[str, ...]:
    """Primary-key attributes a row must give (not auto-incremented, no default)."""

    def build() -> tuple[str, ...]:
        return tuple(
            c.name
            for c in table.primary_key.columns
            if c is not table.autoincrement_column
            and c.server_default is None
            and c.default is None
        )

    return memo(table, "_dj_sqla_required_key", build)


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


def check_rows(
    table: sa.Table,
    names: Iterable[str],
    rows: Sequence[dict[str, Any]],
    backend: Backend,
    *,
    verb: str = "insert into",
) -> None:
    """Refuse the first value of ``rows`` (which all give the attributes ``names``) that
    ``table`` would not store exactly.

    Raises:
        DataJointError: naming the table, the attribute and the shortened value.
    """
    names = list(names)
    checks = column_checks(table, backend)
    required = _required_key(table) if verb == "insert into" else ()
    for key in required:
        if key not in names:
            raise DataJointError(
                f"Cannot insert into `{table.schema}`.`{table.name}`: the primary-key "
                f"attribute `{key}` is missing (row {shortened(rows[0])}); nothing was inserted."
            )
    keys = set(required)
    for name in names:
        found = checks.get(name)
        if found is None and name not in keys:
            continue
        values = list(map(itemgetter(name), rows))
        types = set(map(type, values))
        if _NONE in types:
            if name in keys:
                raise _refuse(table, name, None, "a primary-key attribute cannot be None")
            values = [v for v in values if v is not None]
            types.discard(_NONE)
        if found is None:
            continue
        fast, check = found
        if not values or fast(values, types):
            continue
        for row in rows:
            value = row[name]
            why = None if value is None else check(value)
            if why is not None:
                raise _refuse(table, name, value, why, row, verb)
