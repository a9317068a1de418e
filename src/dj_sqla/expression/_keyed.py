"""Statements for a table restricted by plain key values, made once and reused.

``Table & key`` with a dict of plain values is the restriction a ``make`` applies to every
parent, once per key. :class:`~dj_sqla.expression.core.TableExpression` keeps it as (names,
values), and fetching runs a statement made here once per table, set of names and value types,
with the values as its parameters: SQLAlchemy then finds its compiled form without building and
hashing a new statement, which is most of the cost of a small query.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .._memo import memo
from ._values import restriction_value

#: Value types a key restriction binds as they are; others (None, which means IS NULL,
#: booleans, numpy scalars, SQL expressions) take the general path.
KEY_VALUE_TYPES = frozenset(
    {int, float, str, bytes, decimal.Decimal, dt.date, dt.datetime, dt.time, uuid.UUID}
)


def key_values(
    columns: Mapping[str, ColumnElement[Any]], restriction: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
    """The names and values of a dict restriction's attributes, or None when a value needs
    the general path."""
    items = [(k, v) for k, v in restriction.items() if k in columns]
    if not KEY_VALUE_TYPES.issuperset(type(v) for _, v in items):
        return None
    if any(restriction_value(k, columns[k], v) is not v for k, v in items):
        return None  # the general path converts the value, or compares it as false
    return tuple(k for k, _ in items), tuple(v for _, v in items)


_Keyed = tuple[sa.Executable, tuple[str, ...]]


def keyed_statement(
    table: sa.Table, names: tuple[str, ...], values: tuple[Any, ...], kind: str
) -> _Keyed | None:
    """The statement of ``kind`` (see ``_executable``) over ``table`` restricted to rows
    whose ``names`` equal parameters, made once and reused.

    Kept on the table (see ``_memo``): (names, value types, kind) → the statement with one
    parameter per name and the parameter names, or None where ``column == value`` is not a
    plain comparison with a bound value. Value types are part of the key because SQLAlchemy
    types a compared value by its Python type.
    """
    statements: dict[tuple[Any, ...], _Keyed | None] = memo(table, "_dj_sqla_keyed", dict)
    cache_key = (names, tuple(map(type, values)), kind)
    if cache_key in statements:
        return statements[cache_key]
    parameters = tuple(f"dj_key_{i}" for i in range(len(names)))
    conditions = []
    found: _Keyed | None = None
    for name, value, parameter in zip(names, values, parameters, strict=True):
        column = table.c[name]
        bound = getattr(column == value, "right", None)  # typed as ``column == value`` types it
        if not isinstance(bound, sa.BindParameter):
            break
        conditions.append(column == sa.bindparam(parameter, type_=bound.type))
    else:
        found = (of_kind(sa.select(*table.columns).where(*conditions), kind), parameters)
    statements[cache_key] = found
    return found


def of_kind(query: sa.Select[Any], kind: str) -> sa.Executable:
    """``query`` itself (``"rows"``), the count of its rows (``"count"``) or whether it has
    one (``"exists"``)."""
    if kind == "count":
        return sa.select(sa.func.count()).select_from(query.subquery())
    if kind == "exists":
        return sa.select(sa.exists(query))
    return query
