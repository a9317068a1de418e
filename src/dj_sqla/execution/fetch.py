"""Rows as the driver returns them → tuples, dicts and numpy arrays.

The conversions behind every fetch method of :class:`dj_sqla.execution.query.Query`: plain
functions over rows, with no knowledge of queries.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa


def all_rows(result: sa.CursorResult[Any], query: sa.Select[Any]) -> Sequence[Sequence[Any]]:
    """All rows of an executed ``query``, as tuples.

    When no column needs SQLAlchemy to convert the driver's values (the common case on
    PostgreSQL: integers, floats, text, dates), the driver's own tuples are returned, which
    saves building a ``Row`` per row: about a third of the time of a large fetch. Otherwise
    the rows come through SQLAlchemy as usual. The check uses the same per-type result
    processors SQLAlchemy itself would apply, for the column types the driver reports.
    """
    cursor = result.cursor
    description = cursor.description if cursor is not None else None
    if description is None or _converts(result, query, description):
        return result.all()
    rows: Sequence[Sequence[Any]] = cursor.fetchall()
    result.close()
    return rows


def rows_to_dicts(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """The rows as dicts keyed by ``names`` (one value per name in each row).

    Example:
        >>> rows_to_dicts(("a", "b"), [(1, "x"), (2, "y")])
        [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    return dict_maker(tuple(names))(rows)


@functools.lru_cache(maxsize=512)
def dict_maker(names: tuple[str, ...]) -> Callable[[Iterable[Sequence[Any]]], list[Any]]:
    """A function that turns rows into dicts for exactly these names.

    It is written out for the number of names, as ``[{k0: v0, k1: v1} for v0, v1, in rows]``:
    a dict display with its keys in local names builds each row's dict in about half the time
    of ``dict(zip(names, row))``, which is most of ``to_dicts`` after the fetch. The keys are
    the function's arguments, so no name from a heading becomes source code.
    """
    if not names:
        return lambda rows: [{} for _ in rows]
    keys = ", ".join(f"k{i}" for i in range(len(names)))
    values = "".join(f"v{i}, " for i in range(len(names)))
    items = ", ".join(f"k{i}: v{i}" for i in range(len(names)))
    source = f"def make({keys}):\n    return lambda rows: [{{{items}}} for {values}in rows]\n"
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # the source holds only generated names k0.., v0..
    return namespace["make"](*names)  # type: ignore[no-any-return]


#: Whether a compiled statement's rows need converting; SQLAlchemy reuses compiled forms of
#: statements of the same shape, so this is decided once per shape.
_converting: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _converts(result: sa.CursorResult[Any], query: sa.Select[Any], description: Any) -> bool:
    compiled = getattr(result.context, "compiled", None)
    known = _converting.get(compiled) if compiled is not None else None
    if known is None:
        known = _needs_processing(query, description, result.dialect)
        if compiled is not None:
            _converting[compiled] = known
    return known


def _needs_processing(query: sa.Select[Any], description: Any, dialect: sa.Dialect) -> bool:
    for column, described in zip(query.selected_columns, description, strict=True):
        try:
            if column.type.dialect_impl(dialect).result_processor(dialect, described[1]):
                return True
        except Exception:  # a type that cannot tell without more context: let SQLAlchemy do it
            return True
    return False


_NUMBERS = frozenset({int, float, bool})


def column_array(values: list[Any]) -> Any:
    """One attribute's values as a numpy array: numbers typed, everything else objects."""
    if values and type(values[0]) in _NUMBERS:
        try:
            array = np.array(values)
        except ValueError:  # numbers mixed with arrays of other shapes (a blob column)
            array = None
        if array is not None and array.dtype.kind in "biuf" and array.ndim == 1:
            return array
    # strings, dates, decimals, None...: keep the objects (numpy's own guess for text would
    # first build a fixed-width string array, which costs more than the fetch)
    array = np.empty(len(values), dtype=object)
    if hasattr(next((v for v in values if v is not None), None), "__array__"):
        for i, value in enumerate(values):  # lazy array references stay references
            array[i] = value
        return array
    try:
        array[:] = values
    except ValueError:  # arrays among the values (of a blob column): one by one
        for i, value in enumerate(values):
            array[i] = value
    return array


def rows_to_arrays(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Column arrays from row tuples."""
    return {name: column_array([row[i] for row in rows]) for i, name in enumerate(names)}


def record_array(names: Sequence[str], arrays: Sequence[Any]) -> Any:
    """A numpy record array of the named column arrays (all of one length)."""
    dtype = np.dtype([(name, array.dtype) for name, array in zip(names, arrays, strict=True)])
    # zeros, not empty nor rec.fromarrays: those set every object field to None one element
    # at a time, which costs more than the fetch for a text column
    record = np.zeros(len(arrays[0]) if len(arrays) else 0, dtype=dtype)
    for name, array in zip(names, arrays, strict=True):
        record[name] = array
    return record.view(np.recarray)


class key:  # DataJoint 0.14's name, lower case
    """DataJoint 0.14's ``dj.key``: in ``fetch`` and ``fetch1`` it stands for ``"KEY"``, the
    primary key of each row as a dict.

    Example::

        subject_ids, keys = Subject.fetch("subject_id", dj.key)
    """


def key_names(attrs: Iterable[Any]) -> tuple[str, ...]:
    """``attrs`` with :class:`key` written as ``"KEY"``."""
    return tuple("KEY" if a is key else a for a in attrs)


def squeezed(value: Any) -> Any:
    """A numpy array without its length-1 dimensions (MATLAB's arrays are at least 2-D);
    other values as they are (``fetch1(..., squeeze=True)``)."""
    return value.squeeze() if isinstance(value, np.ndarray) else value
