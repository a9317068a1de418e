"""Restriction and projection strings, written in DataJoint's MySQL-flavoured SQL.

DataJoint sends ``'sex="F" and year(dob) < 2020'`` to the server as it is, so such strings fail
on PostgreSQL. dj_sqla parses them with sqlglot (MySQL dialect: ``"F"`` is a string) and builds
the SQLAlchemy expression from the syntax tree, so the same string works on every backend and
every value becomes a bound parameter. A string value compared with a date, time, number or
uuid attribute is converted to that type first (``dob < "2020-01-01"`` compares dates).

Supported: comparisons (``= <> != < <= > >=``), ``and or not``, parentheses, ``is [not] null``,
``in (...)``, ``between``, ``like``, arithmetic, and the functions in :data:`FUNCTIONS`.
Anything else raises :class:`~dj_sqla.errors.QueryError` naming the part it cannot use.

Example:
    >>> import sqlalchemy as sa
    >>> t = sa.table("t", sa.column("a", sa.Integer), sa.column("b", sa.String))
    >>> clause = parse_expression('a > 3 and b = "x"', lambda name: t.c[name])
    >>> print(clause)
    t.a > :param_1 AND t.b = :param_2
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ..errors import QueryError

ColumnLookup = Callable[[str], Any]

_COMPARISONS: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
_ARITHMETIC: dict[type[exp.Expression], Callable[[Any, Any], Any]] = {
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
    exp.Div: lambda a, b: a / b,
    exp.Mod: lambda a, b: a % b,
}
#: Functions a string may call, by sqlglot node, with their portable SQLAlchemy form.
FUNCTIONS: dict[type[exp.Expression], Callable[..., Any]] = {
    exp.Sum: sa.func.sum,
    exp.Avg: sa.func.avg,
    exp.Min: sa.func.min,
    exp.Max: sa.func.max,
    exp.Lower: sa.func.lower,
    exp.Upper: sa.func.upper,
    exp.Length: sa.func.length,
    exp.Abs: sa.func.abs,
    exp.Round: sa.func.round,
    exp.Coalesce: sa.func.coalesce,
    exp.Year: lambda x: sa.extract("year", x),
    exp.Month: lambda x: sa.extract("month", x),
    exp.Day: lambda x: sa.extract("day", x),
}
#: Functions sqlglot leaves anonymous, by lower-case name.
_NAMED: dict[str, Callable[..., Any]] = {
    "now": sa.func.current_timestamp,
    "current_timestamp": sa.func.current_timestamp,
    "curdate": sa.func.current_date,
    "current_date": sa.func.current_date,
}

_CONVERTERS: dict[type, Callable[[str], Any]] = {
    dt.date: dt.date.fromisoformat,
    dt.datetime: dt.datetime.fromisoformat,
    dt.time: dt.time.fromisoformat,
    uuid.UUID: uuid.UUID,
    decimal.Decimal: decimal.Decimal,
    int: int,
    float: float,
}


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type  # type: ignore[no-any-return]
    except (AttributeError, NotImplementedError):
        return None


class _Builder:
    def __init__(self, text: str, lookup: ColumnLookup, count_star: Any) -> None:
        self.text = text
        self.lookup = lookup
        self.count_star = count_star

    def fail(self, node: exp.Expression, problem: str) -> QueryError:
        return QueryError(f"In {self.text!r}: `{node.sql(dialect='mysql')}` — {problem}")

    def value(self, node: exp.Expression, like: Any = None) -> Any:
        """A bound literal, converted to the type of ``like`` (the other side) if it has one."""
        if isinstance(node, exp.Null):
            return None
        if isinstance(node, exp.Boolean):
            return sa.literal(bool(node.this))
        raw: Any = node.this
        if not node.is_string:
            raw = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        target = _python_type(like) if like is not None else None
        if isinstance(raw, str) and target in _CONVERTERS and target is not str:
            try:
                raw = _CONVERTERS[target](raw)
            except ValueError as err:
                raise self.fail(node, f"cannot be read as {target.__name__}: {err}") from None
        if like is not None and target is not None:
            return sa.literal(raw, type_=like.type)
        return sa.literal(raw)

    def build(self, node: exp.Expression) -> Any:  # one branch per kind of node
        if isinstance(node, exp.Paren):
            return self.build(node.this).self_group()
        if isinstance(node, exp.And):
            return sa.and_(self.build(node.this), self.build(node.expression))
        if isinstance(node, exp.Or):
            return sa.or_(self.build(node.this), self.build(node.expression))
        if isinstance(node, exp.Not):
            return sa.not_(self.build(node.this))
        if isinstance(node, exp.Column):
            if node.table:
                raise self.fail(node, "name attributes without a table prefix.")
            return self.lookup(node.name)
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean)):
            return self.value(node)
        if type(node) in _COMPARISONS:
            left, right = self.operands(node.this, node.expression)
            return _COMPARISONS[type(node)](left, right)
        if type(node) in _ARITHMETIC:
            left, right = self.operands(node.this, node.expression)
            return _ARITHMETIC[type(node)](left, right).self_group()
        if isinstance(node, exp.Neg):
            return -self.build(node.this)
        if isinstance(node, exp.Is):
            subject = self.build(node.this)
            if isinstance(node.expression, exp.Null):
                return subject.is_(None)
            return subject.is_(self.build(node.expression))
        if isinstance(node, exp.In):
            subject = self.build(node.this)
            if node.args.get("query") is not None:
                raise self.fail(node, "subqueries are not supported; restrict by a query instead.")
            return subject.in_([self.value_or_build(v, subject) for v in node.expressions])
        if isinstance(node, exp.Between):
            subject = self.build(node.this)
            low = self.value_or_build(node.args["low"], subject)
            high = self.value_or_build(node.args["high"], subject)
            return subject.between(low, high)
        if isinstance(node, exp.Like):
            left, right = self.operands(node.this, node.expression)
            return left.like(right)
        if isinstance(node, exp.Count):
            inner = node.this
            if isinstance(inner, exp.Star):
                return self.count_star if self.count_star is not None else sa.func.count()
            if isinstance(inner, exp.Distinct):
                return sa.func.count(sa.distinct(*[self.build(e) for e in inner.expressions]))
            return sa.func.count(self.build(inner))
        if type(node) in FUNCTIONS:
            args = [node.this, *node.expressions] if node.this is not None else node.expressions
            args = [a.this if isinstance(a, exp.TsOrDsToDate) else a for a in args]
            return FUNCTIONS[type(node)](*[self.build(a) for a in args])
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _NAMED:
            return _NAMED[str(node.this).lower()](*[self.build(a) for a in node.expressions])
        if isinstance(node, (exp.CurrentTimestamp, exp.CurrentDate)):
            return (
                sa.func.current_timestamp()
                if isinstance(node, exp.CurrentTimestamp)
                else (sa.func.current_date())
            )
        raise self.fail(node, "this SQL is not supported in restriction or projection strings.")

    def value_or_build(self, node: exp.Expression, like: Any) -> Any:
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean)):
            return self.value(node, like)
        return self.build(node)

    def operands(self, left: exp.Expression, right: exp.Expression) -> tuple[Any, Any]:
        """Both sides; a literal takes the type of the other side."""
        if isinstance(left, exp.Literal) and not isinstance(right, exp.Literal):
            built_right = self.build(right)
            return self.value(left, built_right), built_right
        built_left = self.build(left)
        return built_left, self.value_or_build(right, built_left)


def parse_expression(text: str, lookup: ColumnLookup, *, count_star: Any = None) -> Any:
    """The SQLAlchemy expression for ``text``; ``lookup(name)`` gives attribute columns.

    ``count_star`` replaces ``count(*)`` (an aggregation over a left join counts the matching
    rows of the right side, not the joined rows).

    Raises:
        QueryError: the text is not valid SQL, or uses something unsupported.
    """
    try:
        tree: Any = sqlglot.parse_one(text, read="mysql")
    except ParseError as err:
        raise QueryError(f"Cannot parse {text!r}: {err.errors[0]['description']}") from None
    if isinstance(tree, (exp.Select, exp.Command)) or tree is None:
        raise QueryError(f"{text!r} is not a condition or an expression.")
    return _Builder(text, lookup, count_star).build(tree)


def parse_value(text: str, lookup: ColumnLookup, *, count_star: Any = None) -> Any:
    """A computed attribute (``proj``/``aggr``): like :func:`parse_expression`, and a decimal
    result keeps all its digits.

    SQLAlchemy gives ``sum(points * credits) / sum(credits)`` the scale of ``points``, and on
    SQLite (which returns a float) rounds the result to it; a decimal without a fixed scale
    does not round.
    """
    value = parse_expression(text, lookup, count_star=count_star)
    if isinstance(value.type, sa.Numeric) and not isinstance(value.type, sa.Float):
        value = sa.type_coerce(value, sa.Numeric(asdecimal=True))
    return value
