"""Restriction by keys: one dict, or a list, record array or DataFrame of any length.

A key restricts to the rows whose attributes equal its values, with DataJoint's meaning:

* names that are no attribute of the query are ignored; a key naming no attribute matches
  every row;
* ``None`` means IS NULL;
* a value is taken as its attribute stores it, and a value no row can hold matches nothing
  (:mod:`._values`, the insert's value rule); every value is a bound parameter.

Many keys are not an OR of one AND per key, which SQLite refuses beyond 1,000 terms and
every database plans slowly: the keys are grouped by the attributes they name (and those they
give as None), and each group becomes one ``(a, b) IN (...)``
(:func:`dj_sqla.backends.key_lists.key_list`, one JSON parameter for a long list).

Pure: nothing here touches the database.

Example:
    >>> import sqlalchemy as sa
    >>> columns = {"a": sa.column("a", sa.Integer), "b": sa.column("b", sa.String)}
    >>> print(matching(columns, {"a": 1, "c": 2}))
    a = :a_1
    >>> [str(c) for c in key_conditions(columns, ("a", "b"), [(1, None), (2, None)])]
    ['b IS NULL AND a IN (__[POSTCOMPILE_param_1])']
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .._column_types import UInt64Numeric
from ..backends.key_lists import key_list, transposed
from ._trees import all_of
from ._values import IMPOSSIBLE, python_type, restriction_value, text_problem

#: Attribute names and the rows of values of keys that name the same attributes.
KeyBlock = tuple[tuple[str, ...], list[tuple[Any, ...]]]


class Other(NamedTuple):
    """A restriction of a collection that is no key (a string, a query, ``dj.AndList``)."""

    restriction: Any


_SIGNED = (-(2**63), 2**63 - 1)
#: Python types whose values an attribute of that type stores as they are.
_AS_THEY_ARE = frozenset(
    {int, bool, float, str, bytes, decimal.Decimal, dt.date, dt.datetime, dt.time, uuid.UUID}
)


def matching(
    columns: Mapping[str, ColumnElement[Any]], key: Mapping[str, Any]
) -> ColumnElement[bool]:
    """Rows whose attributes equal the key's values (names not in ``columns`` ignored)."""
    return all_of([_equals(k, columns[k], v) for k, v in key.items() if k in columns])


def _equals(name: str, column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """``column == value``, the value taken as the attribute stores it; false at once for
    a value no row of the attribute can hold."""
    compared = restriction_value(name, column, value)
    return sa.false() if compared is IMPOSSIBLE else column == compared


def is_frame(restriction: Any) -> bool:
    """Whether ``restriction`` is a pandas DataFrame (known by its parts: pandas is an
    optional extra, never imported here)."""
    return hasattr(restriction, "columns") and callable(getattr(restriction, "to_dict", None))


def key_blocks(restriction: Any) -> list[KeyBlock | Other] | None:
    """A collection of restrictions (list, set, generator, record array, DataFrame) as its
    keys, in blocks of consecutive keys naming the same attributes, and its other
    restrictions, in their order; None when ``restriction`` is no collection."""
    if is_frame(restriction):  # its rows, the named index included (fetched frames have it)
        frame = restriction.reset_index() if any(restriction.index.names) else restriction
        labels = tuple(map(str, frame.columns))
        values = (frame[c].tolist() for c in frame.columns)
        return [(labels, list(zip(*values, strict=True)))]
    if isinstance(restriction, np.ndarray) and restriction.dtype.names:
        return [(tuple(restriction.dtype.names), restriction.ravel().tolist())]
    if isinstance(restriction, str | bytes | bytearray) or not isinstance(restriction, Iterable):
        return None
    blocks: list[KeyBlock | Other] = []
    names: tuple[str, ...] | None = None  # of the last block, while dicts continue it
    rows: list[tuple[Any, ...]] = []  # of the last block
    for item in restriction:
        if type(item) is dict:
            if tuple(item) != names:
                names, rows = tuple(item), []
                blocks.append((names, rows))
            rows.append(tuple(item.values()))
            continue
        names = None
        if isinstance(item, np.void) and item.dtype.names:  # one record
            blocks.append((tuple(item.dtype.names), [tuple(item.tolist())]))
        elif isinstance(item, Mapping):
            blocks.append((tuple(item), [tuple(item.values())]))
        else:
            blocks.append(Other(item))
    return blocks


def key_conditions(
    columns: Mapping[str, ColumnElement[Any]], names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> list[ColumnElement[bool]] | None:
    """The conditions of keys naming ``names`` (one of them holds for a matching row), or
    None when the keys name no attribute in ``columns`` (they match every row).

    Raises:
        QueryError: a value is refused by its attribute (several values for one attribute,
            no uuid for a uuid attribute).
    """
    if not rows:
        return []
    kept = [i for i, name in enumerate(names) if name in columns]
    if not kept:
        return None
    if len(kept) < len(names):
        names = tuple(names[i] for i in kept)
        rows = [tuple(row[i] for i in kept) for row in rows]
    by_column = transposed(rows, len(names))
    if all(_as_they_are(columns[n], v) for n, v in zip(names, by_column, strict=True)):
        return [_listed(columns, names, (), rows)]  # the common case: no value to convert
    if any(_compared_one_by_one(columns[n]) for n in names):
        return [matching(columns, dict(zip(names, row, strict=True))) for row in rows]
    stored = [
        [restriction_value(n, columns[n], v) for v in values]
        for n, values in zip(names, by_column, strict=True)
    ]
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}  # by the names given None
    for row in zip(*stored, strict=True):
        if any(v is IMPOSSIBLE for v in row):
            continue  # matches no row
        if any(isinstance(v, ColumnElement) for v in row):
            return [matching(columns, dict(zip(names, key, strict=True))) for key in rows]
        nulls = tuple(n for n, v in zip(names, row, strict=True) if v is None)
        groups.setdefault(nulls, []).append(row)
    conditions = []
    for nulls, group in groups.items():
        given = tuple(i for i, n in enumerate(names) if n not in nulls)
        values = [tuple(row[i] for i in given) for row in group] if nulls else group
        conditions.append(_listed(columns, tuple(names[i] for i in given), nulls, values))
    return conditions


def _compared_one_by_one(column: ColumnElement[Any]) -> bool:
    """Whether the attribute's values cannot be listed (a JSON document, no Python type)."""
    return python_type(column) is None or isinstance(column.type, sa.JSON)


def _as_they_are(column: ColumnElement[Any], values: Sequence[Any]) -> bool:
    """Whether the attribute stores ``values`` as they are: all of its own Python type and
    each one it can hold (the value rule then changes nothing; checked here for all at once)."""
    kind = python_type(column)
    if kind not in _AS_THEY_ARE or set(map(type, values)) != {kind}:
        return False
    if isinstance(column.type, sa.JSON):
        return False
    if kind is int:
        high = 2**64 - 1 if isinstance(column.type, UInt64Numeric) else _SIGNED[1]
        return bool(_SIGNED[0] <= min(values) and max(values) <= high)
    if kind is str:
        return text_problem("".join(values)) is None
    if kind is decimal.Decimal:
        return all(value.is_finite() for value in values)
    return True


def _listed(
    columns: Mapping[str, ColumnElement[Any]],
    names: tuple[str, ...],
    nulls: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> ColumnElement[bool]:
    """Rows whose ``names`` equal one of ``rows`` and whose ``nulls`` are NULL."""
    conditions: list[ColumnElement[bool]] = [columns[n].is_(None) for n in nulls]
    if len(rows) == 1:
        conditions += [columns[n] == v for n, v in zip(names, rows[0], strict=True)]
    elif names:
        values = [row[0] for row in rows] if len(names) == 1 else rows
        conditions.append(key_list([columns[n] for n in names], values))
    return all_of(conditions)
