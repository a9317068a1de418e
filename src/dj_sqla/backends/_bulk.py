"""Rows prepared for a backend's bulk path, a column at a time.

SQLAlchemy's ``executemany`` builds a parameter dict per row and runs each value's bind
processor in a Python loop: for 100k rows that costs more than the database's own work. The
bulk paths here take the rows as dicts with the same attributes, run each column's bind
processor once over the column (only where the type has one), and hand the driver what it
takes fastest:

* :func:`positional_rows` -- tuples for a DB-API ``executemany`` (SQLite);
* :func:`delimited_text` -- tab-separated lines for PostgreSQL's ``COPY`` and MySQL's
  ``LOAD DATA``, each column turned into text by one converter chosen from its values' types.

The values are those SQLAlchemy would send (same bind processing); only the loop differs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

#: COPY's and LOAD DATA's text formats escape these characters with a backslash.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


@dataclass(frozen=True)
class TextFormat:
    """How a backend's bulk loader reads a value from text (both read ``\\N`` as NULL)."""

    #: ``True`` and ``False``.
    true: str
    false: str
    #: bytes as text: PostgreSQL's bytea hex input; MySQL's hex, decoded by ``UNHEX``.
    binary: Callable[[bytes], str]


#: PostgreSQL's ``COPY ... FROM STDIN`` text format.
COPY_FORMAT = TextFormat("t", "f", lambda value: "\\\\x" + value.hex())
#: MySQL's ``LOAD DATA`` with the default field options (bytes columns go through UNHEX).
LOAD_DATA_FORMAT = TextFormat("1", "0", bytes.hex)


def column_values(
    conn: sa.Connection, table: sa.Table, names: Sequence[str], rows: list[dict[str, Any]]
) -> list[list[Any]]:
    """The rows' values per column, after each column type's bind processing."""
    dialect = conn.dialect
    columns: list[list[Any]] = []
    for name in names:
        values = list(map(itemgetter(name), rows))
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(values if process is None else list(map(process, values)))
    return columns


def positional_rows(
    conn: sa.Connection, table: sa.Table, names: Sequence[str], rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as parameter tuples in the order of ``names``, bind-processed."""
    return list(zip(*column_values(conn, table, names, rows), strict=True))


def value_text(value: Any, text_format: TextFormat) -> str:
    """One value in a bulk loader's text format (after SQLAlchemy's bind processing).

    Example:
        >>> [value_text(v, COPY_FORMAT) for v in (None, True, 1.5, float("nan"), "a\\tb")]
        ['\\\\N', 't', '1.5', 'nan', 'a\\\\tb']
    """
    if value is None:
        return "\\N"
    value = getattr(value, "adapted", value)  # the driver's wrappers (Binary, Json)
    if isinstance(value, bool):
        return text_format.true if value else text_format.false
    if isinstance(value, float):
        return repr(value)  # shortest exact text; both loaders read nan and inf
    if isinstance(value, int):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")  # no exponent: MySQL reads 1E+2 into a decimal as 1
    if isinstance(value, (bytes, bytearray, memoryview)):
        return text_format.binary(bytes(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return str(value).translate(_ESCAPES)


def _texts(values: list[Any], text_format: TextFormat) -> list[str]:
    """A column's values as text: one builtin over the column when all values have one of
    the common types, else value by value."""
    types = set(map(type, values))
    if len(types) == 1:
        kind = next(iter(types))
        if kind is int or kind is uuid.UUID:
            return list(map(str, values))
        if kind is float and all(map(math.isfinite, values)):
            return list(map(repr, values))
        if kind is str:
            if _NEEDS_ESCAPE.search("".join(values)):
                return [value.translate(_ESCAPES) for value in values]
            return values
    return [value_text(value, text_format) for value in values]


def delimited_text(columns: list[list[Any]], text_format: TextFormat) -> str:
    """Bind-processed columns (:func:`column_values`) as tab-separated lines, one per row,
    each ending in a newline."""
    texts = [_texts(values, text_format) for values in columns]
    return "".join(f"{line}\n" for line in map("\t".join, zip(*texts, strict=True)))
