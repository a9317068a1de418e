"""Restrictions: what may follow ``&`` and ``-``, turned into SQLAlchemy boolean clauses.

Pure: building a condition never touches the database.

==========================  =================================================================
restriction                 meaning
==========================  =================================================================
``dict``                    all its items that name attributes of the expression (others are
                            ignored, as in DataJoint); no such item: no restriction
list, set, generator        any of its restrictions (OR; a tuple too); empty: nothing
                            matches. Its keys become one ``IN`` per set of attributes, at
                            any length (:mod:`dj_sqla.expression._keys`)
numpy record array          its records, as a list of dicts
pandas DataFrame            its rows (its named index included), as a list of dicts
``dj.AndList([...])``       all of its restrictions
``dj.Not(r)``               the opposite of ``r``
``dj.Top(n, order_by)``     the first ``n`` rows in that order
``True`` / ``False``        everything / nothing (``dj.U(...)`` is always true)
another query (or table)     rows whose shared attributes match one of its rows (semi-join)
SQLAlchemy boolean clause   used as it is (``Mouse.dob > date(2020, 1, 1)``)
string                      DataJoint's MySQL-flavoured SQL, parsed and rebuilt for the
                            backend with bound values (:mod:`dj_sqla.expression.strings`)
==========================  =================================================================
"""

from __future__ import annotations

import contextlib
import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..errors import QueryArgumentError, QueryError
from ._keys import KeyBlock, Other, key_blocks, key_conditions, matching
from ._trees import all_of, any_of
from .strings import parse_expression


class Restrictable(Protocol):
    """What a restriction needs of the query it restricts (a ``QueryExpression``)."""

    @property
    def columns(self) -> Mapping[str, ColumnElement[Any]]: ...

    def column(self, name: str) -> ColumnElement[Any]: ...

    def shared_attributes(self, other: Any, *, operation: str) -> list[str]: ...

    def select(self) -> sa.Select[Any]: ...

    def _query_of(self, value: Any) -> Restrictable | None: ...


class AndList(list[Any]):
    """A restriction that holds when all of its items hold.

    Example:
        >>> import dj_sqla as dj
        >>> dj.AndList([{"sex": "F"}, {"species": "mouse"}])
        AndList([{'sex': 'F'}, {'species': 'mouse'}])
    """

    def __repr__(self) -> str:
        return f"AndList({list.__repr__(self)})"


class Not:
    """A restriction that holds when ``restriction`` does not.

    Example:
        >>> import dj_sqla as dj
        >>> dj.Not({"sex": "F"})
        Not({'sex': 'F'})
    """

    def __init__(self, restriction: Any) -> None:
        self.restriction = restriction

    def __repr__(self) -> str:
        return f"Not({self.restriction!r})"


#: ``attr``, ``attr ASC`` or ``attr DESC``; the name may be quoted in backticks (MySQL's
#: quotes, which DataJoint 0.14 code writes)
_ORDER_TERM = re.compile(r"\s*`?([A-Za-z_][A-Za-z0-9_]*)`?(?:\s+(ASC|DESC))?\s*", re.IGNORECASE)


def order_terms(order_by: str | Sequence[str] | None) -> list[tuple[str, bool]]:
    """``(name, descending)`` for each term of ``order_by``: ``attr``, ``attr ASC``,
    ``attr DESC`` or ``KEY`` (the primary key), alone or in a list.

    Example:
        >>> order_terms(["KEY", "weight DESC"])
        [('KEY', False), ('weight', True)]

    Raises:
        QueryArgumentError: ``order_by`` is not a string or a list of strings.
        QueryError: a term is anything else.
    """
    if not isinstance(order_by, str | list | tuple) and order_by is not None:
        raise QueryArgumentError(
            f"order_by takes an attribute name (with ASC or DESC) or a list of them, not "
            f"{order_by!r:.60}."
        )
    terms = [order_by] if isinstance(order_by, str) else list(order_by or ["KEY"])
    parsed = []
    for term in terms:
        if not isinstance(term, str):
            raise QueryArgumentError(
                f"order_by terms must be strings (`attr`, `attr DESC`, `KEY`), not {term!r:.60}."
            )
        match = _ORDER_TERM.fullmatch(term)
        if match is None:
            raise QueryError(
                f"order_by term {term!r} is not `attr`, `attr ASC`, `attr DESC` or `KEY`; "
                "give attribute names, each optionally followed by ASC or DESC."
            )
        name = match[1]  # ``KEY`` in another case: an attribute `key` if there is one
        parsed.append((name, (match[2] or "").upper() == "DESC"))
    return parsed


#: The largest row count every backend binds (a signed 64-bit integer); no table is longer.
_MOST_ROWS = 2**63 - 1


def row_count(value: Any, what: str, *, none: bool) -> int | None:
    """``value`` as a count of rows (a limit or an offset): an integer >= 0 (numpy's too),
    or None where ``none``; beyond what the backends bind it means "all rows".

    Example:
        >>> row_count(10**30, "limit", none=True)
        9223372036854775807

    Raises:
        QueryError: ``value`` is anything else (a negative number, a float, a bool, text).
    """
    if value is None and none:
        return None
    number = None
    if not isinstance(value, bool | np.bool_):
        with contextlib.suppress(TypeError):  # no integer: refused below
            number = operator.index(value)
    if number is None or number < 0:
        allowed = "an integer >= 0 or None" if none else "an integer >= 0"
        raise QueryError(f"{what} must be {allowed}, not {value!r}.")
    return min(number, _MOST_ROWS)


class Top:
    """A restriction to the first ``limit`` rows in ``order_by`` order (after ``offset``).

    The restricted query keeps that order: fetching it without an ``order_by`` returns its
    rows in it, and a further ``dj.Top(order_by=None)`` continues in it (DataJoint 2).
    ``order_by`` is kept as a list of terms; ``None`` means "the order so far" (the primary
    key where there is none).

    Example:
        >>> import dj_sqla as dj
        >>> dj.Top(3, "weight DESC")
        Top(limit=3, order_by=['weight DESC'], offset=0)
        >>> dj.Top(10, "id DESC", offset=2).merge(dj.Top(3, None, offset=1))
        Top(limit=3, order_by=['id DESC'], offset=3)

    Raises:
        QueryArgumentError: ``limit`` or ``offset`` is not an integer, or ``order_by`` not a
            string or a list of strings (also a ``TypeError``, as in DataJoint).
        QueryError: ``limit`` or ``offset`` is negative, or an ``order_by`` term is not
            ``attr [ASC|DESC]`` or ``KEY``.
    """

    def __init__(
        self,
        limit: int | None = 1,
        order_by: str | Sequence[str] | None = "KEY",
        offset: int = 0,
    ) -> None:
        for what, value, none in (("limit", limit, True), ("offset", offset, False)):
            if not (value is None and none) and not _is_integer(value):
                raise QueryArgumentError(
                    f"dj.Top: {what} must be an integer >= 0{' or None' if none else ''}, "
                    f"not {value!r:.60}."
                )
        self.limit = row_count(limit, "dj.Top: limit", none=True)
        if order_by is not None:
            order_terms(order_by)
        self.order_by: list[str] | None = (
            None
            if order_by is None
            else [order_by]
            if isinstance(order_by, str)
            else list(order_by)
        )
        self.offset = row_count(offset, "dj.Top: offset", none=False) or 0

    def merge(self, other: Top) -> Top:
        """The one ``Top`` that ``query & self & other`` amounts to, when ``other`` keeps the
        order (its ``order_by`` is None or the same).

        Raises:
            QueryError: ``other`` orders otherwise; apply the two one after the other.
        """
        if other.order_by is not None and other.order_by != self.order_by:
            raise QueryError(
                f"{other!r} orders otherwise than {self!r}; they cannot merge into one Top."
            )
        limit = other.limit
        if self.limit is not None:
            left = max(self.limit - other.offset, 0)
            limit = left if limit is None else min(limit, left)
        return Top(limit, self.order_by, self.offset + other.offset)

    def __repr__(self) -> str:
        return f"Top(limit={self.limit}, order_by={self.order_by!r}, offset={self.offset})"


def _is_integer(value: Any) -> bool:
    """An integer (numpy's too), not a bool."""
    if isinstance(value, bool | np.bool_):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def to_condition(
    expr: Restrictable, restriction: Any, semantic_check: bool = True
) -> ColumnElement[bool]:
    """The SQL condition that ``expr & restriction`` applies."""
    if type(restriction) is dict:  # a key, the usual restriction: no type tests below
        return matching(expr.columns, restriction)
    other = expr._query_of(restriction)  # another query, or a table class for its table
    if other is not None:
        return _semijoin(expr, other, semantic_check)
    if isinstance(restriction, bool):
        return sa.true() if restriction else sa.false()
    if getattr(restriction, "matches_every_row", False):  # dj.U(...): DataJoint's always-true
        return sa.true()
    if isinstance(restriction, Not):
        return sa.not_(to_condition(expr, restriction.restriction, semantic_check))
    if isinstance(restriction, AndList):
        return all_of([to_condition(expr, item, semantic_check) for item in restriction])
    if isinstance(restriction, Mapping):
        return matching(expr.columns, restriction)
    if isinstance(restriction, np.void) and restriction.dtype.names:  # a row of fetch()
        return matching(
            expr.columns, dict(zip(restriction.dtype.names, restriction.tolist(), strict=True))
        )
    clause = getattr(restriction, "__clause_element__", None)
    element = clause() if clause is not None else restriction
    if isinstance(element, ColumnElement):
        return element
    if isinstance(restriction, str):
        return parse_expression(restriction, expr.column)  # type: ignore[no-any-return]
    collection = key_blocks(restriction)  # a list, set, generator, record array, DataFrame
    if collection is not None:
        return _any_of(expr, collection, semantic_check)
    raise QueryError(
        f"Cannot restrict by {restriction!r} ({type(restriction).__name__}); use a dict, a list "
        "of restrictions, dj.AndList, dj.Not, True/False, another query or a SQLAlchemy "
        "condition."
    )


def _any_of(
    expr: Restrictable, items: list[KeyBlock | Other], semantic_check: bool
) -> ColumnElement[bool]:
    """Whether any of the blocks of keys or other restrictions in ``items`` holds (in their
    order, so that SQL text made of them reads as the restriction was written)."""
    conditions: list[ColumnElement[bool]] = []
    for item in items:
        if isinstance(item, Other):
            conditions.append(to_condition(expr, item.restriction, semantic_check))
            continue
        found = key_conditions(expr.columns, *item)
        if found is None:  # a key that names no attribute matches every row
            return sa.true()
        conditions += found
    return any_of(conditions)


def _semijoin(
    expr: Restrictable, other: Restrictable, semantic_check: bool = True
) -> ColumnElement[bool]:
    """Rows of ``expr`` matching a row of ``other`` on their shared attributes (EXISTS);
    without ``semantic_check``, namesakes match whatever their lineage (DataJoint's ``^``)."""
    if semantic_check:
        shared = expr.shared_attributes(other, operation="restrict")
    else:
        shared = [name for name in expr.columns if name in other.columns]
    inner = other.select().subquery()
    match = [inner.c[name] == expr.column(name) for name in shared]
    return sa.exists(sa.select(sa.literal(1)).select_from(inner).where(*match))
