"""Rows as Arrow tables and polars DataFrames (the optional ``arrow`` and ``polars`` extras).

Both are built column by column from the driver's rows, with no dict per row in between:
Arrow and polars infer each column's type from its values (dates, datetimes, decimals, bytes
and numbers keep theirs; a uuid becomes its text; numbers go through numpy without a copy).

Example:
    >>> table = rows_to_arrow(["id", "name"], [(1, "a"), (2, "b")])
    >>> table.column("name").to_pylist()
    ['a', 'b']
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from ..errors import DataJointError
from .fetch import column_array


def _arrow() -> Any:
    try:
        import pyarrow  # an optional extra (dj_sqla[arrow]): imported when a table is asked for
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise DataJointError("Arrow tables need pyarrow: pip install 'dj_sqla[arrow]'.") from None
    return pyarrow


def _polars() -> Any:
    try:
        import polars  # an optional extra (dj_sqla[polars]): imported when a frame is asked for
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise DataJointError(
            "polars DataFrames need polars: pip install 'dj_sqla[polars]'."
        ) from None
    return polars


def _column(pa: Any, name: str, values: list[Any]) -> Any:
    numbers = column_array(values)
    if numbers.dtype != object:  # numbers without nulls: from numpy, without a copy
        return pa.array(numbers)
    first = next((v for v in values if v is not None), None)
    if isinstance(first, uuid.UUID):
        values = [None if v is None else str(v) for v in values]
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as err:
        raise DataJointError(
            f"Attribute `{name}` holds {type(first).__name__} values, which Arrow cannot "
            f"store ({err}); leave it out with proj() or fetch it with to_arrays()."
        ) from None


def rows_to_arrow(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """A ``pyarrow.Table`` with one column per name."""
    pa = _arrow()
    return pa.table({n: _column(pa, n, [row[i] for row in rows]) for i, n in enumerate(names)})


def _series(pl: Any, name: str, values: list[Any]) -> Any:
    numbers = column_array(values)
    if numbers.dtype != object:  # numbers without nulls: from numpy
        return pl.Series(name, numbers)
    first = next((v for v in values if v is not None), None)
    if isinstance(first, uuid.UUID):
        values = [None if v is None else str(v) for v in values]
    try:
        return pl.Series(name, values, strict=False)
    except (TypeError, ValueError, AttributeError, pl.exceptions.PolarsError):
        return pl.Series(name, values, dtype=pl.Object)  # blobs: kept as Python objects


def rows_to_polars(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """A ``polars.DataFrame`` with one column per name."""
    pl = _polars()
    return pl.DataFrame([_series(pl, n, [row[i] for row in rows]) for i, n in enumerate(names)])
