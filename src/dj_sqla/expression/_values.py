"""The value a key restriction compares an attribute with, by the insert's value rule.

``Mouse & {"mouse_id": v}`` compares ``mouse_id`` with ``v``. Each backend reads a value of
another type its own way: PostgreSQL refuses ``True`` for an integer or ``b"x"`` for text,
MySQL finds ``'abc' = 0`` and ``b"n2" = 'n2'``, SQLite binds a numpy integer as bytes that
match nothing, and drivers raise their own errors for ``10**30``, a NUL or an unpaired
surrogate. So, as an insert would (:mod:`dj_sqla.execution.values`):

* a value is taken as the Python object its attribute stores: numpy scalars and 0-d arrays
  as Python values, ``True`` as 1 for an integer, ``2.0`` as 2, ``"7"`` as 7, ISO text as a
  date, a ``timedelta`` within a day as a time of day, a uuid's text or 16 bytes as a UUID;
* a value no row can hold (text for an integer, ``2.5`` for an integer, bytes for text, an
  integer beyond 64 bits, text with a NUL) matches no row, on every backend;
* a list, set or dict for an attribute that is no JSON document is refused (a restriction by
  several values is a list of dicts).

Pure: nothing here touches the database.

Example:
    >>> import sqlalchemy as sa
    >>> n = sa.column("n", sa.Integer)
    >>> restriction_value("n", n, "7"), restriction_value("n", n, True)
    (7, 1)
    >>> restriction_value("n", n, "abc") is IMPOSSIBLE
    True
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import uuid
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .._column_types import UInt64Numeric
from ..errors import QueryError

#: What :func:`restriction_value` returns for a value no row of the attribute can hold.
IMPOSSIBLE: Any = type("Impossible", (), {"__repr__": lambda self: "IMPOSSIBLE"})()

# ASCII digits only: Python's int() and float() also read other scripts' digits ("٣"), which
# the servers refuse
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_SIGNED = (-(2**63), 2**63 - 1)
_DAY = dt.timedelta(days=1)
_PANDAS_MISSING = frozenset({"NAType", "NaTType"})


def python_type(column: Any) -> type | None:
    """The Python type of the attribute's values, or None when its type does not say."""
    try:
        return column.type.python_type  # type: ignore[no-any-return]
    except (AttributeError, NotImplementedError):
        return None


def plain(value: Any) -> Any:
    """numpy scalars and 0-d arrays as Python values; pandas' NA and NaT as None."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        if isinstance(value, np.datetime64 | np.timedelta64):
            if np.isnat(value):
                return None
            micro = value.astype(
                "datetime64[us]" if isinstance(value, np.datetime64) else "timedelta64[us]"
            )
            return micro.item() if micro == value else value
        return value.item()
    if type(value).__name__ in _PANDAS_MISSING and type(value).__module__.startswith("pandas"):
        return None
    return value


def restriction_value(name: str, column: ColumnElement[Any], value: Any) -> Any:
    """``value`` as attribute ``name`` (``column``) stores it, or :data:`IMPOSSIBLE`.

    Raises:
        QueryError: ``value`` is several values, or no uuid for a uuid attribute.
    """
    value = plain(value)
    if value is None or isinstance(value, ColumnElement):
        return value
    if getattr(column.type, "adapted", False):
        return value  # an adapted type's object: bound through the adapter's put
    kind = python_type(column)
    if kind is uuid.UUID:
        return _uuid(name, value)
    if kind is None or isinstance(column.type, sa.JSON):  # no type, or a JSON document
        return value
    if isinstance(value, list | tuple | set | frozenset | dict | np.ndarray):
        raise QueryError(
            f"Cannot restrict `{name}` by {type(value).__name__} {value!r:.60}: give one "
            "value, or a list of dicts to match any of several values."
        )
    convert = _BY_KIND.get(kind)
    return value if convert is None else convert(column, value)


def _uuid(name: str, value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value
    try:
        if isinstance(value, str):
            return uuid.UUID(value)
        if isinstance(value, bytes) and len(value) == 16:
            return uuid.UUID(bytes=value)
    except ValueError:
        pass
    raise QueryError(
        f"Cannot restrict uuid attribute `{name}` by {value!r:.80}: give a uuid.UUID or its "
        "text (such as '12345678-1234-5678-1234-567812345678')."
    )


def _integer(column: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        if not INTEGER_TEXT.fullmatch(value):
            return IMPOSSIBLE
        value = int(value)
    elif isinstance(value, float | decimal.Decimal):
        finite = value.is_finite() if isinstance(value, decimal.Decimal) else math.isfinite(value)
        if not finite or value != int(value):
            return IMPOSSIBLE
        value = int(value)
    if not isinstance(value, int):
        return IMPOSSIBLE
    high = 2**64 - 1 if isinstance(getattr(column, "type", None), UInt64Numeric) else _SIGNED[1]
    return value if _SIGNED[0] <= value <= high else IMPOSSIBLE


def _boolean(column: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    return IMPOSSIBLE


def _float(column: Any, value: Any) -> Any:
    if isinstance(value, str):
        value = float(value) if NUMBER_TEXT.fullmatch(value) else IMPOSSIBLE
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return IMPOSSIBLE
    if isinstance(value, float):
        return value
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return IMPOSSIBLE
    return number if math.isfinite(number) else IMPOSSIBLE


def _decimal(column: Any, value: Any) -> Any:
    if isinstance(value, str):
        value = decimal.Decimal(value) if NUMBER_TEXT.fullmatch(value) else IMPOSSIBLE
    elif isinstance(value, float):
        value = decimal.Decimal(repr(value))
    if isinstance(value, bool) or not isinstance(value, int | decimal.Decimal):
        return IMPOSSIBLE
    return value if not isinstance(value, decimal.Decimal) or value.is_finite() else IMPOSSIBLE


def text_problem(value: str) -> str | None:
    """Why no backend can hold the text ``value`` (a NUL, an unpaired surrogate), or None."""
    if "\x00" in value:
        return "text cannot hold the NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "the text is not valid Unicode (an unpaired surrogate)"
    return None


def _text(column: Any, value: Any) -> Any:
    return value if isinstance(value, str) and text_problem(value) is None else IMPOSSIBLE


def _bytes(column: Any, value: Any) -> Any:
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value if isinstance(value, bytes) else IMPOSSIBLE


def _temporal(kind: type) -> Any:
    parse = kind.fromisoformat  # type: ignore[attr-defined]

    def convert(column: Any, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = parse(value)
            except ValueError:
                return IMPOSSIBLE
        if kind is dt.time and isinstance(value, dt.timedelta):
            if not dt.timedelta(0) <= value < _DAY:
                return IMPOSSIBLE
            return (dt.datetime.min + value).time()
        if kind is dt.date and isinstance(value, dt.datetime):
            midnight = value.tzinfo is None and value.time() == dt.time()
            return value.date() if midnight else IMPOSSIBLE
        if kind is dt.datetime and type(value) is dt.date:
            return dt.datetime.combine(value, dt.time())
        return _builtin(value) if isinstance(value, kind) else IMPOSSIBLE

    return convert


def _builtin(value: Any) -> Any:
    """A date or datetime as the builtin type (pandas' Timestamp as a datetime), or
    :data:`IMPOSSIBLE` when it is finer than microseconds."""
    if getattr(value, "nanosecond", False):
        return IMPOSSIBLE
    if type(value) in (dt.date, dt.datetime, dt.time):
        return value
    if isinstance(value, dt.datetime):
        return dt.datetime.combine(value.date(), value.time(), value.tzinfo)
    return dt.date(value.year, value.month, value.day)


_BY_KIND: dict[type, Any] = {
    int: _integer,
    bool: _boolean,
    float: _float,
    decimal.Decimal: _decimal,
    str: _text,
    bytes: _bytes,
    dt.date: _temporal(dt.date),
    dt.datetime: _temporal(dt.datetime),
    dt.time: _temporal(dt.time),
}
