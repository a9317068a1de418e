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

from .._column_types import UInt64Numeric
from ..backends import functions as fn
from ..errors import QueryError, shortened
from ._trees import all_of, any_of
from ._values import text_problem

#: Characters of a restriction string quoted in an error.
_QUOTED = 200

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
}
#: Functions a string may call, by sqlglot node, with their portable SQLAlchemy form.
FUNCTIONS: dict[type[exp.Expression], Callable[..., Any]] = {
    exp.Sum: sa.func.sum,
    exp.Avg: sa.func.avg,
    exp.Min: sa.func.min,
    exp.Max: sa.func.max,
    exp.Lower: sa.func.lower,
    exp.Upper: sa.func.upper,
    exp.Abs: sa.func.abs,
    exp.Round: sa.func.round,
    exp.Coalesce: sa.func.coalesce,
    exp.Nullif: sa.func.nullif,
    exp.Floor: sa.func.floor,
    exp.Ceil: sa.func.ceil,
    exp.Sqrt: sa.func.sqrt,
    exp.Sign: sa.func.sign,
    exp.Year: lambda x: sa.extract("year", x),
    exp.Month: lambda x: sa.extract("month", x),
    exp.Day: lambda x: sa.extract("day", x),
    exp.Hour: lambda x: sa.extract("hour", x),
    exp.Minute: lambda x: sa.extract("minute", x),
    exp.TsOrDsToDate: fn.ToDate,
    exp.Time: fn.ToTime,
    exp.DateDiff: fn.DateDiff,
    exp.ConcatWs: fn.ConcatWs,
    exp.IntDiv: fn.IntDiv,
    exp.Mod: fn.Mod,
    exp.StddevPop: fn.StddevPop,
    exp.Stddev: fn.StddevSamp,
    exp.StddevSamp: fn.StddevSamp,
    exp.VariancePop: fn.VarPop,
    exp.Variance: fn.VarSamp,
    exp.Least: fn.Least,
    exp.Greatest: fn.Greatest,
    exp.Left: fn.Left,
    exp.Right: fn.Right,
}
#: Functions sqlglot leaves anonymous, by lower-case name.
_NAMED: dict[str, Callable[..., Any]] = {
    "now": sa.func.current_timestamp,
    "current_timestamp": sa.func.current_timestamp,
    "curdate": sa.func.current_date,
    "current_date": sa.func.current_date,
}
#: What a string may use, as the error for an unsupported part lists it.
SUPPORTED = (
    "comparisons (= <> != < <= > >= <=>), AND OR XOR NOT, IS [NOT] NULL, IN (...), BETWEEN, "
    "[NOT] LIKE, [NOT] REGEXP / RLIKE, + - * / DIV % MOD, INTERVAL arithmetic, JSON paths "
    "(j.a.b, j->'$.a', j->>'$.a', JSON_EXTRACT); functions: ABS AVG CAST CEIL CEILING "
    "CHAR_LENGTH COALESCE CONCAT CONCAT_WS CONVERT COUNT CURDATE CURRENT_DATE "
    "CURRENT_TIMESTAMP DATE DATEDIFF DATE_ADD DATE_SUB DAY FLOOR GREATEST GROUP_CONCAT HOUR IF "
    "IFNULL LEAST LEFT LENGTH LOWER LTRIM MAX MIN MINUTE MOD MONTH NOW NULLIF RIGHT ROUND RTRIM "
    "SIGN SQRT STD STDDEV STDDEV_POP STDDEV_SAMP SUBSTR SUBSTRING SUM TIME TIMESTAMPDIFF TRIM "
    "UPPER VARIANCE VAR_POP VAR_SAMP YEAR"
)
#: The unwrapped argument: sqlglot reads ``YEAR(x)`` as ``YEAR(DATE(x))``.
_DATE_PARTS = (exp.Year, exp.Month, exp.Day)

_CONVERTERS: dict[type, Callable[[str], Any]] = {
    dt.date: dt.date.fromisoformat,
    dt.datetime: dt.datetime.fromisoformat,
    dt.time: dt.time.fromisoformat,
    uuid.UUID: uuid.UUID,
    decimal.Decimal: decimal.Decimal,
    int: int,
    float: float,
}

_SIGNED = (-(2**63), 2**63 - 1)


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
        # escaped as repr() would: an unpaired surrogate in the message could not be printed
        where = node.sql(dialect="mysql").encode("utf-8", "backslashreplace").decode("utf-8")
        where = where if len(where) <= _QUOTED else where[: _QUOTED - 3] + "..."
        return QueryError(f"In {shortened(self.text, _QUOTED)}: `{where}` — {problem}")

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
        problem = text_problem(raw) if isinstance(raw, str) else None
        if problem is not None:
            raise self.fail(node, problem)
        # beyond every signed 64-bit integer (SQLite's driver cannot bind it): compared as a
        # double, unless the other side holds unsigned 64-bit integers
        unsigned = isinstance(getattr(like, "type", None), UInt64Numeric)
        if isinstance(raw, int) and not _SIGNED[0] <= raw <= _SIGNED[1] and not unsigned:
            raw = float(raw)
        if like is not None and target is not None:
            return sa.literal(raw, type_=like.type)
        return sa.literal(raw)

    def build(self, node: exp.Expression) -> Any:  # one branch per kind of node
        if isinstance(node, exp.Paren):
            return self.build(node.this).self_group()
        if isinstance(node, (exp.And, exp.Or)):
            group = all_of if isinstance(node, exp.And) else any_of
            return group(list(map(self.build, _chain(node))))
        if isinstance(node, exp.Not):
            return sa.not_(self.build(node.this))
        json = self.json_path(node)
        if json is not None:
            return json[0][json[1]].as_string()
        if isinstance(node, exp.Column):
            return self.lookup(node.name)
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean)):
            return self.value(node)
        built = self.build_function(node)
        if built is not None:
            return built
        if type(node) in _COMPARISONS:
            left, right = self.operands(node.this, node.expression)
            return _COMPARISONS[type(node)](left, right)
        if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval):
            interval = node.expression
            return self.date_add(
                node.this, interval.this, interval.args.get("unit"), node, isinstance(node, exp.Sub)
            )
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
                counted = [self.build(e) for e in inner.expressions]
                if len(counted) == 1:
                    return sa.func.count(sa.distinct(counted[0]))
                return fn.CountDistinct(*counted)
            return sa.func.count(self.build(inner))
        if type(node) in FUNCTIONS:
            args = [
                node.this,
                *[
                    node.args[k]
                    for k in ("expression", "start", "length")
                    if node.args.get(k) is not None
                ],
                *node.expressions,
            ]
            args = [a for a in args if a is not None]
            if isinstance(node, _DATE_PARTS):
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
        raise self.fail(
            node,
            "this SQL is not supported in restriction or projection strings. Supported: "
            f"{SUPPORTED}.",
        )

    def build_function(self, node: exp.Expression) -> Any:
        """MySQL's functions with their own argument shapes; None for other nodes."""
        if isinstance(node, exp.If):
            false = node.args.get("false")
            return sa.case(
                (self.build(node.this), self.build(node.args["true"])),
                else_=self.build(false) if false is not None else None,
            )
        if type(node) is exp.Concat:  # not its subclass ConcatWs
            parts = [_text(self.build(a)) for a in node.expressions]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined.concat(part)
            return joined
        if isinstance(node, exp.Length):
            column = self.build(node.this)
            return sa.func.length(column) if node.args.get("binary") else fn.CharLength(column)
        if isinstance(node, exp.Substring):
            args = [node.this, node.args.get("start"), node.args.get("length")]
            return fn.Substring(*[self.build(a) for a in args if a is not None])
        if isinstance(node, exp.Trim):
            if node.expression is not None:
                raise self.fail(node, "TRIM takes only the string (spaces are removed).")
            call = {"LEADING": sa.func.ltrim, "TRAILING": sa.func.rtrim}
            return call.get(str(node.args.get("position") or ""), sa.func.trim)(
                self.build(node.this)
            )
        if isinstance(node, exp.TimestampDiff):
            unit = self.unit(node, node.args.get("unit"))
            if unit not in fn.SECOND_UNITS and unit not in fn.MONTH_UNITS:
                raise self.fail(node, f"unit {unit} is not one of {_UNITS}.")
            return fn.TimestampDiff(unit, self.build(node.expression), self.build(node.this))
        if isinstance(node, (exp.DateAdd, exp.DateSub)):
            return self.date_add(
                node.this,
                node.expression,
                node.args.get("unit"),
                node,
                isinstance(node, exp.DateSub),
            )
        if isinstance(node, exp.Cast):
            return self.cast(node)
        if isinstance(node, exp.GroupConcat):
            if isinstance(node.this, (exp.Order, exp.Distinct)):
                raise self.fail(node, "GROUP_CONCAT takes no ORDER BY or DISTINCT here.")
            separator = node.args.get("separator")
            sep = str(separator.this) if separator is not None else ","
            return sa.func.aggregate_strings(_text(self.build(node.this)), sep)
        if isinstance(node, exp.RegexpLike):
            left, right = self.operands(node.this, node.expression)
            return left.regexp_match(right)
        if isinstance(node, exp.NullSafeEQ):
            left, right = self.operands(node.this, node.expression)
            return left.is_not_distinct_from(right)
        if isinstance(node, exp.Xor):
            a, b = self.build(node.this), self.build(node.expression)
            return sa.and_(sa.or_(a, b), sa.not_(sa.and_(a, b))).self_group()
        return None

    def unit(self, node: exp.Expression, unit: Any) -> str:
        return str(unit.this if isinstance(unit, exp.Var) else unit or "DAY").upper()

    def date_add(
        self,
        subject: exp.Expression,
        amount: exp.Expression,
        unit: Any,
        node: exp.Expression,
        subtract: bool,
    ) -> Any:
        name = self.unit(node, unit)
        if name not in fn.SECOND_UNITS and name not in fn.MONTH_UNITS:
            raise self.fail(node, f"unit {name} is not one of {_UNITS}.")
        x = self.build(subject)
        if isinstance(amount, exp.Literal):
            raw = str(amount.this)
            if not raw.lstrip("-").isdigit():
                raise self.fail(node, "the interval must be a whole number.")
            n: Any = sa.literal(-int(raw) if subtract else int(raw), sa.Integer)
        else:
            n = -self.build(amount) if subtract else self.build(amount)
        keeps_date = isinstance(x.type, sa.Date) and not isinstance(x.type, sa.DateTime)
        return fn.DateAdd(x, n, name, keeps_date=keeps_date and name in fn.DATE_UNITS)

    def cast(self, node: exp.Cast) -> Any:
        x = self.build(node.this)
        to = node.args["to"]
        kind = to.this
        params = [int(p.this.this) for p in to.expressions]
        types = exp.DataType.Type
        if kind in (types.CHAR, types.VARCHAR, types.TEXT, types.NCHAR, types.NVARCHAR):
            return _text(x)
        if kind in (
            types.BIGINT,
            types.INT,
            types.UBIGINT,
            types.UINT,
            types.SMALLINT,
            types.TINYINT,
        ):
            return fn.SignedInteger(x)
        if kind == types.DECIMAL:
            precision = params[0] if params else 10
            return fn.Decimal(x, precision, params[1] if len(params) > 1 else 0)
        if kind in (types.DOUBLE, types.FLOAT):
            return sa.cast(x, sa.Float)
        if kind == types.DATE:
            return fn.ToDate(x)
        if kind == types.TIME:
            return fn.ToTime(x)
        if kind in (types.DATETIME, types.TIMESTAMP):
            return fn.ToDateTime(x)
        raise self.fail(
            node,
            "CAST takes CHAR, SIGNED, UNSIGNED, DECIMAL(p, s), DOUBLE, DATE, TIME or DATETIME.",
        )

    def json_path(self, node: exp.Expression) -> tuple[Any, tuple[str | int, ...]] | None:
        """The JSON attribute and path of ``j.a.b``, ``j->'$.a'`` or ``j->>'$.a'``."""
        if isinstance(node, (exp.JSONExtract, exp.JSONExtractScalar)):
            if not isinstance(node.this, exp.Column) or node.this.table:
                raise self.fail(node, "the JSON path must follow an attribute name.")
            path: list[str | int] = []
            for step in node.expression.expressions:
                if isinstance(step, exp.JSONPathKey):
                    path.append(str(step.this))
                elif isinstance(step, exp.JSONPathSubscript):
                    path.append(int(step.this))
                elif not isinstance(step, exp.JSONPathRoot):
                    raise self.fail(node, "JSON paths take keys and array positions only.")
            return self.lookup(node.this.name), tuple(path)
        if isinstance(node, exp.Dot) or (isinstance(node, exp.Column) and node.table):
            names = [part.name for part in _parts(node)]
            try:
                root = self.lookup(names[0])
            except QueryError:
                root = None
            if root is None or not isinstance(root.type, sa.JSON):
                raise self.fail(
                    node,
                    "name attributes without a table prefix (a dotted path needs a json "
                    "attribute).",
                )
            return root, tuple(names[1:])
        return None

    def value_or_build(self, node: exp.Expression, like: Any) -> Any:
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean)):
            return self.value(node, like)
        return self.build(node)

    def operands(self, left: exp.Expression, right: exp.Expression) -> tuple[Any, Any]:
        """Both sides; a literal takes the type of the other side (a JSON value is read as
        the literal's type)."""
        for json_side, other, flip in ((left, right, False), (right, left, True)):
            json = self.json_path(json_side)
            if json is not None and isinstance(other, exp.Literal):
                target, path = json
                value = self.value(other)
                raw = value.value
                element = target[path]
                if isinstance(raw, bool):
                    built = element.as_boolean()
                elif isinstance(raw, int):
                    built = element.as_integer()
                elif isinstance(raw, float):
                    built = element.as_float()
                else:
                    built = element.as_string()
                return (value, built) if flip else (built, value)
        if isinstance(left, exp.Literal) and not isinstance(right, exp.Literal):
            built_right = self.build(right)
            return self.value(left, built_right), built_right
        built_left = self.build(left)
        return built_left, self.value_or_build(right, built_left)


_UNITS = ", ".join([*fn.SECOND_UNITS, *fn.MONTH_UNITS])


def _text(value: Any) -> Any:
    """``value`` as text (MySQL converts CONCAT's arguments to strings)."""
    return value if isinstance(value.type, sa.String) else sa.cast(value, sa.String)


def _parts(node: exp.Expression) -> list[exp.Expression]:
    """The dotted names of ``j.a.b.c`` from first to last."""
    if isinstance(node, exp.Dot):
        return [*_parts(node.this), node.expression]
    return list(node.parts)  # type: ignore[attr-defined]


def _chain(node: exp.Expression) -> list[exp.Expression]:
    """The operands of ``a AND b AND c`` (or of ORs), left to right, found without recursion:
    sqlglot nests a chain of thousands one level per operand."""
    operands, pending = [], [node]
    while pending:
        each = pending.pop()
        if type(each) is type(node):
            pending += [each.expression, each.this]
        else:
            operands.append(each)
    return operands


def parse_expression(text: str, lookup: ColumnLookup, *, count_star: Any = None) -> Any:
    """The SQLAlchemy expression for ``text``; ``lookup(name)`` gives attribute columns.

    ``count_star`` replaces ``count(*)`` (an aggregation over a left join counts the matching
    rows of the right side, not the joined rows).

    Raises:
        QueryError: the text is not valid SQL, or uses something unsupported.
    """
    try:
        tree: Any = sqlglot.parse_one(text, read="mysql")
        if isinstance(tree, (exp.Select, exp.Command)) or tree is None:
            raise QueryError(f"{shortened(text, _QUOTED)} is not a condition or an expression.")
        return _Builder(text, lookup, count_star).build(tree)
    except ParseError as err:
        raise QueryError(
            f"Cannot parse {shortened(text, _QUOTED)}: {err.errors[0]['description']}"
        ) from None
    except RecursionError:
        raise QueryError(
            f"{shortened(text, _QUOTED)} nests too deeply to translate ({len(text)} characters); "
            "restrict by a list of dicts, or by another query, instead of one long string."
        ) from None


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
