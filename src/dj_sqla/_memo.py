"""Values made once per object and kept on the object itself.

A module-level ``WeakKeyDictionary`` is the usual way to remember something per SQLAlchemy
object, but an entry whose value refers back to its key is never dropped: the dictionary holds
the value, the value holds the key. A statement over a Table, or a backend that holds its
engine, always does, so the Table (with its MetaData, a schema and its classes) or the engine
(with its pool) would live as long as the process. Kept in the object's own namespace, the value
goes when the object goes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


def memo(obj: Any, name: str, make: Callable[[], _T]) -> _T:
    """The value stored on ``obj`` under ``name``, made by ``make()`` on first use.

    Example:
        >>> import sqlalchemy as sa
        >>> table = sa.Table("t", sa.MetaData(), sa.Column("x", sa.Integer))
        >>> memo(table, "_insert", table.insert) is memo(table, "_insert", table.insert)
        True
    """
    stored = vars(obj)
    try:
        return stored[name]  # type: ignore[no-any-return]
    except KeyError:
        return stored.setdefault(name, make())  # type: ignore[no-any-return]
