"""Aggregation (``A.aggr(B, ...)``), ``dj.U`` and union (``A + B``).

Each result is a query over a grouped (or united) subquery, so it can be restricted, joined
and aggregated again like any other expression; a restriction on an aggregated value becomes
a WHERE on the subquery, the same SQL on every backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import QueryError
from .core import QueryExpression, as_expression
from .strings import parse_value


def _kept(expr: QueryExpression, attributes: Sequence[Any]) -> list[str]:
    names = list(expr.primary_key)
    for item in attributes:
        extra = expr.heading_names if item is Ellipsis else [item]
        names.extend(n for n in extra if n not in names and expr.column(n) is not None)
    return names


def aggregate(
    expr: QueryExpression,
    other: QueryExpression,
    attributes: Sequence[Any],
    named: Mapping[str, str],
    exclude_nonmatching: bool,
) -> QueryExpression:
    """``expr.aggr(other, *attributes, **named)``."""
    missing = [k for k in expr.primary_key if k not in other.heading_names]
    if missing:
        raise QueryError(
            f"aggr: the aggregated query must contain the primary key of the left operand; "
            f"it lacks {', '.join(missing)}."
        )
    joined = expr.joined(other, left=not exclude_nonmatching)
    # over a left join, count(*) counts the right side's rows: 0 where nothing matched
    marker = next(
        (k for k in other.primary_key if k not in expr.heading_names), other.primary_key[0]
    )
    count_star = sa.func.count(joined.column(marker)) if not exclude_nonmatching else None
    keep = _kept(expr, attributes)
    columns = [expr.column(n).label(n) for n in keep]
    values = [
        parse_value(text, joined.column, count_star=count_star).label(name)
        for name, text in named.items()
    ]
    query = (
        sa.select(*columns, *values)
        .select_from(joined._source)
        .where(*joined._where)
        .group_by(*(expr.column(n) for n in keep))
    )
    return expr.as_subquery(query)


class U:
    """DataJoint's universal set: ``dj.U("a") & expr`` (distinct values),
    ``dj.U("a").aggr(expr, n="count(*)")`` (group by ``a``), ``dj.U().aggr(...)`` (totals).

    Example:
        >>> import dj_sqla as dj
        >>> dj.U("sex", "species").primary_key
        ['sex', 'species']
    """

    def __init__(self, *attributes: str) -> None:
        self.attributes = list(attributes)

    @property
    def primary_key(self) -> list[str]:
        """The grouping attributes (the primary key of the results)."""
        return list(self.attributes)

    def _check(self, expr: QueryExpression) -> None:
        for name in self.attributes:
            expr.column(name)

    def __and__(self, other: Any) -> QueryExpression:
        expr = as_expression(other)
        self._check(expr)
        columns = [expr.column(n).label(n) for n in self.attributes]
        query = sa.select(*columns).select_from(expr._source).where(*expr._where).distinct()
        return _keyed(expr.as_subquery(query), self.attributes)

    def aggr(self, other: Any, **named: str) -> QueryExpression:
        """Aggregates of ``other`` per combination of the attributes (no left join)."""
        expr = as_expression(other)
        self._check(expr)
        columns = [expr.column(n).label(n) for n in self.attributes]
        values = [parse_value(t, expr.column).label(n) for n, t in named.items()]
        query = sa.select(*columns, *values).select_from(expr._source).where(*expr._where)
        if self.attributes:
            query = query.group_by(*(expr.column(n) for n in self.attributes))
        return _keyed(expr.as_subquery(query), self.attributes)

    def __mul__(self, other: Any) -> QueryExpression:
        raise QueryError("dj.U cannot be joined; use dj.U(...) & query or dj.U(...).aggr(...).")

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"U({', '.join(map(repr, self.attributes))})"


def _keyed(expr: QueryExpression, key: Sequence[str]) -> QueryExpression:
    return expr._replace(primary_key=tuple(key))


def union(left: QueryExpression, right: QueryExpression) -> QueryExpression:
    """``left + right``: the rows of either (same primary key and attributes).

    Unlike DataJoint, two restrictions of one table with secondary attributes can be united
    (``(A & c1) + (A & c2)``); only the primary keys must share their lineage.
    """
    if left.primary_key != right.primary_key or set(left.heading_names) != set(right.heading_names):
        raise QueryError(
            "A union needs operands with the same primary key and attributes "
            f"({', '.join(left.heading_names)} vs {', '.join(right.heading_names)}); "
            "project both with .proj() first."
        )
    # the keys must mean the same thing; secondary values are just values to unite
    left.proj().shared_attributes(right.proj(), operation="unite")
    ordered = right.proj(*left.heading_names).select()
    return left.as_subquery(sa.union(left.select(), ordered).subquery().select())
