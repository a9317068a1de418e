"""``dj.U``, DataJoint's universal set: distinct values and aggregation by any attributes.

``dj.U("a") & expr`` and ``dj.U("a").aggr(expr, ...)`` are queries over a grouped subquery, so
they can be restricted, joined and aggregated again like any other expression. (``A.aggr(B)``
and ``A + B`` themselves are methods of :class:`~dj_sqla.expression.core.QueryExpression`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import QueryError
from .core import QueryExpression, as_expression
from .strings import parse_value


class U:
    """DataJoint's universal set: ``dj.U("a") & expr`` (distinct values),
    ``dj.U("a").aggr(expr, n="count(*)")`` (group by ``a``), ``dj.U().aggr(...)`` (totals).

    Example:
        >>> import dj_sqla as dj
        >>> dj.U("sex", "species").primary_key
        ['sex', 'species']
    """

    #: ``expr & dj.U(...)`` restricts nothing (read by the restriction code, a lower module).
    matches_every_row = True

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
        query = sa.select(*columns).select_from(expr._from_clause).where(*expr._where).distinct()
        return _keyed(expr.as_subquery(query), self.attributes)

    def aggr(self, other: Any, **named: str) -> QueryExpression:
        """Aggregates of ``other`` per combination of the attributes (no left join)."""
        expr = as_expression(other)
        self._check(expr)
        columns = [expr.column(n).label(n) for n in self.attributes]
        values = [parse_value(t, expr.column).label(n) for n, t in named.items()]
        query = sa.select(*columns, *values).select_from(expr._from_clause).where(*expr._where)
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
