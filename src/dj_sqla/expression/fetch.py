"""Fetch formats beyond dicts: numpy arrays, pandas DataFrames, the classic ``fetch()``.

numpy is a dependency; pandas is optional (``pip install dj_sqla[pandas]``). Both are imported
only when a format needs them, so importing dj_sqla stays quick.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import DataJointError

if TYPE_CHECKING:
    from .core import QueryExpression


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
    return _dict_maker(tuple(names))(rows)


@functools.lru_cache(maxsize=512)
def _dict_maker(names: tuple[str, ...]) -> Callable[[Iterable[Sequence[Any]]], list[Any]]:
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


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise DataJointError(
            "Arrays need numpy: pip install 'dj_sqla[pandas]' (or numpy)."
        ) from None
    return numpy


_NUMBERS = frozenset({int, float, bool})


def column_array(values: list[Any]) -> Any:
    """One attribute's values as a numpy array: numbers typed, everything else objects."""
    np = _numpy()
    if values and type(values[0]) in _NUMBERS:
        array = np.array(values)
        if array.dtype.kind in "biuf":
            return array
    # strings, dates, decimals, None...: keep the objects (numpy's own guess for text would
    # first build a fixed-width string array, which costs more than the fetch)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def rows_to_arrays(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Column arrays from row tuples."""
    return {name: column_array([row[i] for row in rows]) for i, name in enumerate(names)}


def record_array(names: Sequence[str], arrays: Sequence[Any]) -> Any:
    """A numpy record array of the named column arrays (all of one length)."""
    np = _numpy()
    dtype = np.dtype([(name, array.dtype) for name, array in zip(names, arrays, strict=True)])
    # zeros, not empty nor rec.fromarrays: those set every object field to None one element
    # at a time, which costs more than the fetch for a text column
    record = np.zeros(len(arrays[0]) if len(arrays) else 0, dtype=dtype)
    for name, array in zip(names, arrays, strict=True):
        record[name] = array
    return record.view(np.recarray)


def to_arrays(
    expr: QueryExpression,
    attrs: Sequence[str],
    *,
    include_key: bool = False,
    **kwargs: Any,
) -> Any:
    """A structured array of all attributes, or one array per named attribute.

    ``"KEY"`` among ``attrs`` gives the list of primary-key dicts in its place;
    ``include_key=True`` puts that list first.
    """
    _numpy()  # the error for a missing numpy comes before the fetch, not after it
    wanted = [n for n in attrs if n != "KEY"] if attrs else expr.heading_names
    query = expr.proj(*wanted)  # the primary key comes along, for "KEY" and include_key
    rows = query.fetch_rows(**kwargs)
    by_name = rows_to_arrays(query.heading_names, rows)
    key_dicts: list[dict[str, Any]] = []
    if include_key or "KEY" in attrs:
        positions = [query.heading_names.index(k) for k in expr.primary_key]
        key_dicts = [
            {k: row[i] for k, i in zip(expr.primary_key, positions, strict=True)} for row in rows
        ]
    if not attrs:
        record = record_array(wanted, [by_name[n] for n in wanted])
        return (key_dicts, record) if include_key else record
    arrays: list[Any] = [key_dicts if n == "KEY" else by_name[n] for n in attrs]
    if include_key:
        arrays.insert(0, key_dicts)
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


def to_pandas(expr: QueryExpression, **kwargs: Any) -> Any:
    """A DataFrame of the rows, indexed by the primary key."""
    try:
        import pandas
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise DataJointError("DataFrames need pandas: pip install 'dj_sqla[pandas]'.") from None
    rows = expr.fetch_rows(**kwargs)
    frame = pandas.DataFrame.from_records(rows, columns=expr.heading_names)
    return frame.set_index(expr.primary_key) if expr.primary_key else frame


def fetch(
    expr: QueryExpression,
    attrs: Sequence[str],
    *,
    as_dict: bool | None = None,
    format: str | None = None,
    **kwargs: Any,
) -> Any:
    """DataJoint's classic ``fetch``: arrays by default, dicts with ``as_dict=True``, a
    DataFrame with ``format="frame"``."""
    if format not in (None, "array", "frame"):
        raise DataJointError(f"fetch(format={format!r}): use 'array' or 'frame'.")
    if format == "frame":
        return to_pandas(expr, **kwargs)
    if as_dict:
        if not attrs:
            return expr.to_dicts(**kwargs)
        names = [n for n in attrs if n != "KEY"]
        if "KEY" in attrs:
            names = [*expr.primary_key, *(n for n in names if n not in expr.primary_key)]
        return expr.proj(*names).to_dicts(**kwargs)
    return to_arrays(expr, attrs, **kwargs)
