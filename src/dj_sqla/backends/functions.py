"""MySQL functions that SQLite or PostgreSQL spell differently, as SQLAlchemy constructs.

Restriction and projection strings are written in MySQL's SQL. Where the three backends share
a spelling the expression layer uses SQLAlchemy's generic forms; each construct here renders
MySQL's function on MySQL and an expression with the same result on SQLite and PostgreSQL.
Every construct is compiled by SQLAlchemy (``@compiles``), so its arguments stay bound
parameters; the few SQL words written here (date units, ``INTERVAL`` literals) come from fixed
tables, never from user text.

Example:
    >>> import sqlalchemy as sa
    >>> from sqlalchemy.dialects import postgresql, sqlite
    >>> d = sa.column("d", sa.Date)
    >>> print(DateDiff(d, sa.literal("2024-01-01")).compile(dialect=sqlite.dialect()))
    CAST(julianday(date(d)) - julianday(date(?)) AS INTEGER)
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

#: Units of ``TIMESTAMPDIFF`` counted in seconds, by their length in seconds.
SECOND_UNITS: dict[str, int] = {
    "SECOND": 1,
    "MINUTE": 60,
    "HOUR": 3600,
    "DAY": 86400,
    "WEEK": 604800,
}
#: Units of ``TIMESTAMPDIFF`` and ``DATE_ADD`` counted in months, by their length in months.
MONTH_UNITS: dict[str, int] = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}
#: Units that keep a date a date in ``DATE_ADD`` / ``DATE_SUB``.
DATE_UNITS = frozenset({"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"})


class _Function(FunctionElement[Any]):
    """A construct with positional SQL arguments; subclasses add compile rules."""

    inherit_cache = True

    def __init__(self, *args: Any, type_: Any = None) -> None:
        super().__init__(*args)
        if type_ is not None:
            self.type = sa.types.to_instance(type_)

    @property
    def args(self) -> list[Any]:
        return list(self.clauses.clauses)


def _render(compiler: Any, expression: Any, **kw: Any) -> str:
    return str(compiler.process(expression, **kw))


def _name_call(name: str) -> Any:
    def render(element: _Function, compiler: Any, **kw: Any) -> str:
        return _render(compiler, getattr(sa.func, name)(*element.args), **kw)

    return render


# --- CONCAT_WS -----------------------------------------------------------------------------


class ConcatWs(_Function):
    """``CONCAT_WS(separator, a, b, ...)``: the non-null arguments joined by the separator."""

    type = sa.String()
    inherit_cache = True


compiles(ConcatWs)(_name_call("concat_ws"))


@compiles(ConcatWs, "sqlite")
def _concat_ws_sqlite(element: ConcatWs, compiler: Any, **kw: Any) -> str:
    # SQLite before 3.44 has no concat_ws: prefix every non-null piece with the separator,
    # then drop the first separator.
    sep, *parts = element.args
    joined: Any = sa.literal("")
    for part in parts:
        joined = joined.op("||")(sa.func.coalesce(sep.op("||")(part), ""))
    return _render(compiler, sa.func.substr(joined, sa.func.length(sep) + 1), **kw)


# --- dates and times -----------------------------------------------------------------------


class DateDiff(_Function):
    """``DATEDIFF(a, b)``: days from the date of ``b`` to the date of ``a``."""

    type = sa.Integer()
    inherit_cache = True


compiles(DateDiff)(_name_call("datediff"))


@compiles(DateDiff, "sqlite")
def _datediff_sqlite(element: DateDiff, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    days = sa.func.julianday(sa.func.date(a)) - sa.func.julianday(sa.func.date(b))
    return _render(compiler, sa.cast(days, sa.Integer), **kw)


@compiles(DateDiff, "postgresql")
def _datediff_postgresql(element: DateDiff, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    return _render(compiler, (sa.cast(a, sa.Date) - sa.cast(b, sa.Date)).self_group(), **kw)


class ToDate(_Function):
    """``DATE(x)``: the date part of a datetime (or of its text)."""

    type = sa.Date()
    inherit_cache = True


class ToTime(_Function):
    """``TIME(x)``: the time part of a datetime (or of its text)."""

    type = sa.Time()
    inherit_cache = True


class ToDateTime(_Function):
    """``CAST(x AS DATETIME)``."""

    type = sa.DateTime()
    inherit_cache = True


compiles(ToDate)(_name_call("date"))
compiles(ToTime)(_name_call("time"))
compiles(ToDate, "sqlite")(_name_call("date"))
compiles(ToTime, "sqlite")(_name_call("time"))
compiles(ToDateTime, "sqlite")(_name_call("datetime"))


@compiles(ToDateTime)
def _to_datetime(element: ToDateTime, compiler: Any, **kw: Any) -> str:
    return _render(compiler, sa.cast(element.args[0], sa.DateTime), **kw)


@compiles(ToDate, "postgresql")
def _to_date_postgresql(element: ToDate, compiler: Any, **kw: Any) -> str:
    return _render(compiler, sa.cast(element.args[0], sa.Date), **kw)


@compiles(ToTime, "postgresql")
def _to_time_postgresql(element: ToTime, compiler: Any, **kw: Any) -> str:
    return _render(compiler, sa.cast(element.args[0], sa.Time), **kw)


class TimestampDiff(_Function):
    """``TIMESTAMPDIFF(unit, a, b)``: whole units from ``a`` to ``b``, truncated toward zero."""

    type = sa.BigInteger()
    inherit_cache = False  # the unit is not a clause

    def __init__(self, unit: str, a: Any, b: Any) -> None:
        if unit not in SECOND_UNITS and unit not in MONTH_UNITS:
            raise ValueError(f"unknown unit {unit}")
        super().__init__(a, b)
        self.unit = unit


@compiles(TimestampDiff)
def _timestampdiff_mysql(element: TimestampDiff, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    # element.unit is one of the fixed names checked in __init__.
    return (
        f"timestampdiff({element.unit}, {_render(compiler, a, **kw)}, {_render(compiler, b, **kw)})"
    )


def _whole_months(a: Any, b: Any, year: Any, month: Any, rest: Any) -> Any:
    """Months from ``a`` to ``b`` truncated toward zero, as MySQL counts them."""
    months = (year(b) - year(a)) * 12 + (month(b) - month(a))
    return sa.case(
        (sa.and_(months > 0, rest(b) < rest(a)), months - 1),
        (sa.and_(months < 0, rest(b) > rest(a)), months + 1),
        else_=months,
    )


def _timestampdiff(element: TimestampDiff, seconds: Any, months: Any) -> Any:
    # ``//`` of integers is the backend's integer division, which truncates toward zero.
    if element.unit in SECOND_UNITS:
        return sa.cast(seconds // SECOND_UNITS[element.unit], sa.BigInteger)
    return sa.cast(months // MONTH_UNITS[element.unit], sa.BigInteger)


@compiles(TimestampDiff, "sqlite")
def _timestampdiff_sqlite(element: TimestampDiff, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    seconds = sa.cast(sa.func.strftime("%s", b), sa.Integer) - sa.cast(
        sa.func.strftime("%s", a), sa.Integer
    )

    def part(fmt: str) -> Any:
        return lambda x: sa.cast(sa.func.strftime(fmt, x), sa.Integer)

    months = _whole_months(
        a, b, part("%Y"), part("%m"), lambda x: sa.func.strftime("%d %H:%M:%f", x)
    )
    return _render(compiler, _timestampdiff(element, seconds.self_group(), months), **kw)


@compiles(TimestampDiff, "postgresql")
def _timestampdiff_postgresql(element: TimestampDiff, compiler: Any, **kw: Any) -> str:
    a, b = [sa.cast(x, sa.DateTime) for x in element.args]
    seconds = sa.cast(sa.func.trunc(sa.extract("epoch", b - a)), sa.BigInteger)
    months = _whole_months(
        a,
        b,
        lambda x: sa.cast(sa.extract("year", x), sa.Integer),
        lambda x: sa.cast(sa.extract("month", x), sa.Integer),
        lambda x: sa.func.to_char(x, "DD HH24:MI:SS.US"),
    )
    return _render(compiler, _timestampdiff(element, seconds, months), **kw)


class DateAdd(_Function):
    """``DATE_ADD(x, INTERVAL n unit)`` (``n`` negative for ``DATE_SUB``).

    A date stays a date for units of days or longer; otherwise the result is a datetime.
    """

    inherit_cache = False  # the unit is not a clause

    def __init__(self, x: Any, n: Any, unit: str, *, keeps_date: bool) -> None:
        if unit not in SECOND_UNITS and unit not in MONTH_UNITS:
            raise ValueError(f"unknown unit {unit}")
        super().__init__(x, n, type_=sa.Date() if keeps_date else sa.DateTime())
        self.unit = unit
        self.keeps_date = keeps_date


@compiles(DateAdd)
def _date_add_mysql(element: DateAdd, compiler: Any, **kw: Any) -> str:
    x, n = element.args
    # element.unit is one of the fixed names checked in __init__.
    x_sql, n_sql = _render(compiler, x, **kw), _render(compiler, n, **kw)
    return f"date_add({x_sql}, INTERVAL {n_sql} {element.unit})"


@compiles(DateAdd, "sqlite")
def _date_add_sqlite(element: DateAdd, compiler: Any, **kw: Any) -> str:
    x, n = element.args
    if element.unit in MONTH_UNITS:
        months = n * MONTH_UNITS[element.unit]
        day = sa.cast(sa.func.strftime("%d", x), sa.Integer) - 1
        shifted = sa.func.date(x, "start of month", sa.cast(months, sa.String).op("||")(" months"))
        # MySQL keeps the day of the month, or the last day of a shorter month.
        last = sa.func.date(
            x, "start of month", sa.cast(months + 1, sa.String).op("||")(" months"), "-1 days"
        )
        date = sa.func.min(sa.func.date(shifted, sa.cast(day, sa.String).op("||")(" days")), last)
        result = date if element.keeps_date else date.op("||")(" ").op("||")(sa.func.time(x))
        return _render(compiler, result, **kw)
    seconds = n * SECOND_UNITS[element.unit]
    modifier = sa.cast(seconds, sa.String).op("||")(" seconds")
    call = sa.func.date if element.keeps_date else sa.func.datetime
    return _render(compiler, call(x, modifier), **kw)


@compiles(DateAdd, "postgresql")
def _date_add_postgresql(element: DateAdd, compiler: Any, **kw: Any) -> str:
    x, n = element.args
    if element.unit in MONTH_UNITS:
        # A fixed interval literal times a bound count; PostgreSQL keeps the day of the month
        # or the last day of a shorter month, as MySQL does.
        step = sa.literal_column("INTERVAL '1 month'") * (n * MONTH_UNITS[element.unit])
    else:
        step = sa.literal_column("INTERVAL '1 second'") * (n * SECOND_UNITS[element.unit])
    result = sa.cast(x, sa.DateTime) + step
    if element.keeps_date:
        result = sa.cast(result, sa.Date)
    return _render(compiler, result, **kw)


# --- arithmetic ----------------------------------------------------------------------------


class IntDiv(_Function):
    """``a DIV b``: the quotient truncated toward zero; null when ``b`` is zero."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(IntDiv)
def _int_div_mysql(element: IntDiv, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    return _render(compiler, a.op("DIV")(b).self_group(), **kw)


@compiles(IntDiv, "sqlite")
def _int_div_sqlite(element: IntDiv, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    return _render(compiler, sa.cast(sa.cast(a, sa.Float) / b, sa.Integer), **kw)


@compiles(IntDiv, "postgresql")
def _int_div_postgresql(element: IntDiv, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    quotient = sa.cast(a, sa.Numeric) / sa.func.nullif(sa.cast(b, sa.Numeric), 0)
    return _render(compiler, sa.cast(sa.func.trunc(quotient), sa.BigInteger), **kw)


class Mod(_Function):
    """``MOD(a, b)`` / ``a % b``: the remainder with the sign of ``a``; null when ``b`` is 0."""

    inherit_cache = True


@compiles(Mod)
def _mod_mysql(element: Mod, compiler: Any, **kw: Any) -> str:
    return _render(compiler, sa.func.mod(*element.args), **kw)


@compiles(Mod, "sqlite")
def _mod_sqlite(element: Mod, compiler: Any, **kw: Any) -> str:
    a, b = element.args  # sqlite's % truncates reals to integers; mod() does not
    return _render(compiler, sa.func.mod(a, b), **kw)


@compiles(Mod, "postgresql")
def _mod_postgresql(element: Mod, compiler: Any, **kw: Any) -> str:
    a, b = element.args
    result = sa.func.mod(sa.cast(a, sa.Numeric), sa.func.nullif(sa.cast(b, sa.Numeric), 0))
    return _render(compiler, result, **kw)


class SignedInteger(_Function):
    """``CAST(x AS SIGNED)``: a number rounded half away from zero, as MySQL casts decimals."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(SignedInteger)
def _signed(element: SignedInteger, compiler: Any, **kw: Any) -> str:
    return _render(compiler, sa.cast(element.args[0], sa.BigInteger), **kw)


@compiles(SignedInteger, "sqlite")
def _signed_sqlite(element: SignedInteger, compiler: Any, **kw: Any) -> str:
    (x,) = element.args
    if isinstance(x.type, sa.Numeric):  # CAST truncates on SQLite; MySQL rounds
        x = sa.func.round(x)
    return _render(compiler, sa.cast(x, sa.Integer), **kw)


class Decimal(_Function):
    """``CAST(x AS DECIMAL(p, s))``: rounded to ``s`` digits."""

    inherit_cache = False  # precision and scale are not clauses

    def __init__(self, x: Any, precision: int, scale: int) -> None:
        super().__init__(x, type_=sa.Numeric(precision, scale))
        self.precision, self.scale = precision, scale


@compiles(Decimal)
def _decimal(element: Decimal, compiler: Any, **kw: Any) -> str:
    numeric = sa.Numeric(element.precision, element.scale)
    return _render(compiler, sa.cast(element.args[0], numeric), **kw)


@compiles(Decimal, "sqlite")
def _decimal_sqlite(element: Decimal, compiler: Any, **kw: Any) -> str:
    return _render(compiler, sa.func.round(element.args[0], element.scale), **kw)


# --- aggregates ----------------------------------------------------------------------------


class _Spread(_Function):
    """Population or sample variance or standard deviation."""

    inherit_cache = True
    type = sa.Float()
    sql_name = ""
    sample = False
    root = False


class StddevPop(_Spread):
    """``STD(x)`` / ``STDDEV(x)`` / ``STDDEV_POP(x)``."""

    inherit_cache = True
    sql_name, root = "stddev_pop", True


class StddevSamp(_Spread):
    """``STDDEV_SAMP(x)``."""

    inherit_cache = True
    sql_name, sample, root = "stddev_samp", True, True


class VarPop(_Spread):
    """``VARIANCE(x)`` / ``VAR_POP(x)``."""

    inherit_cache = True
    sql_name = "var_pop"


class VarSamp(_Spread):
    """``VAR_SAMP(x)``."""

    inherit_cache = True
    sql_name, sample = "var_samp", True


@compiles(_Spread)
def _spread(element: _Spread, compiler: Any, **kw: Any) -> str:
    return _render(compiler, getattr(sa.func, element.sql_name)(*element.args), **kw)


@compiles(_Spread, "sqlite")
def _spread_sqlite(element: _Spread, compiler: Any, **kw: Any) -> str:
    (x,) = element.args  # SQLite has no variance aggregate: the sums formula
    x = sa.cast(x, sa.Float)
    n = sa.func.count(x)
    squares = sa.func.sum(x * x) - sa.func.sum(x) * sa.func.sum(x) / n
    spread = squares / (n - 1 if element.sample else n)
    # Rounding can leave a tiny negative value for a constant column.
    spread = sa.func.max(spread, 0.0)
    return _render(compiler, sa.func.sqrt(spread) if element.root else spread, **kw)


class CountDistinct(_Function):
    """``COUNT(DISTINCT a, b, ...)``: the number of distinct combinations, rows with a null
    in any of them not counted (MySQL's rule). SQLite and PostgreSQL count one distinct
    value only, so they count a value standing for the combination: a row of the values on
    PostgreSQL, their quoted SQL literals joined on SQLite (``quote`` keeps ``1`` and
    ``'1'`` apart and escapes the separator)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(CountDistinct)
def _count_distinct(element: CountDistinct, compiler: Any, **kw: Any) -> str:
    args = ", ".join(_render(compiler, a, **kw) for a in element.args)
    return f"count(DISTINCT {args})"


def _unless_null(args: list[Any], value: Any) -> Any:
    return sa.case((sa.or_(*[a.is_(None) for a in args]), sa.null()), else_=value)


@compiles(CountDistinct, "sqlite")
def _count_distinct_sqlite(element: CountDistinct, compiler: Any, **kw: Any) -> str:
    args = element.args
    joined: Any = sa.func.quote(args[0])
    for arg in args[1:]:
        joined = joined.op("||")(sa.literal(",")).op("||")(sa.func.quote(arg))
    return _render(compiler, sa.func.count(sa.distinct(_unless_null(args, joined))), **kw)


@compiles(CountDistinct, "postgresql")
def _count_distinct_postgresql(element: CountDistinct, compiler: Any, **kw: Any) -> str:
    args = element.args
    row = sa.tuple_(*args)
    return _render(compiler, sa.func.count(sa.distinct(_unless_null(args, row))), **kw)


# --- strings -------------------------------------------------------------------------------


class CharLength(_Function):
    """``CHAR_LENGTH(s)``: the length in characters."""

    type = sa.Integer()
    inherit_cache = True


compiles(CharLength)(_name_call("char_length"))
compiles(CharLength, "sqlite")(_name_call("length"))


class Substring(_Function):
    """``SUBSTRING(s, start[, length])``: 1-based; a negative start counts from the end."""

    type = sa.String()
    inherit_cache = True


compiles(Substring)(_name_call("substring"))


@compiles(Substring, "sqlite")
def _substring_sqlite(element: Substring, compiler: Any, **kw: Any) -> str:
    s, start, *length = element.args
    return _render(
        compiler, sa.case((start == 0, ""), else_=sa.func.substr(s, start, *length)), **kw
    )


@compiles(Substring, "postgresql")
def _substring_postgresql(element: Substring, compiler: Any, **kw: Any) -> str:
    s, start, *length = element.args
    size = sa.func.char_length(s)
    begin = sa.case((start < 0, size + start + 1), else_=start)
    outside = sa.or_(start == 0, start < -size)
    return _render(compiler, sa.case((outside, ""), else_=sa.func.substr(s, begin, *length)), **kw)


class Left(_Function):
    """``LEFT(s, n)``: the first ``n`` characters."""

    type = sa.String()
    inherit_cache = True


class Right(_Function):
    """``RIGHT(s, n)``: the last ``n`` characters."""

    type = sa.String()
    inherit_cache = True


compiles(Left)(_name_call("left"))
compiles(Right)(_name_call("right"))


@compiles(Left, "sqlite")
def _left_sqlite(element: Left, compiler: Any, **kw: Any) -> str:
    s, n = element.args
    return _render(compiler, sa.case((n <= 0, ""), else_=sa.func.substr(s, 1, n)), **kw)


@compiles(Right, "sqlite")
def _right_sqlite(element: Right, compiler: Any, **kw: Any) -> str:
    s, n = element.args
    return _render(compiler, sa.case((n <= 0, ""), else_=sa.func.substr(s, -n)), **kw)


@compiles(Left, "postgresql")
def _left_postgresql(element: Left, compiler: Any, **kw: Any) -> str:
    s, n = element.args  # PostgreSQL's left() counts a negative n from the end
    return _render(compiler, sa.case((n <= 0, ""), else_=sa.func.left(s, n)), **kw)


@compiles(Right, "postgresql")
def _right_postgresql(element: Right, compiler: Any, **kw: Any) -> str:
    s, n = element.args
    return _render(compiler, sa.case((n <= 0, ""), else_=sa.func.right(s, n)), **kw)


# --- comparisons ---------------------------------------------------------------------------


class Least(_Function):
    """``LEAST(a, b, ...)``: the smallest argument; null when any is null."""

    inherit_cache = True
    sql_name, sqlite_name = "least", "min"


class Greatest(Least):
    """``GREATEST(a, b, ...)``: the largest argument; null when any is null."""

    inherit_cache = True
    sql_name, sqlite_name = "greatest", "max"


@compiles(Least)
def _least(element: Least, compiler: Any, **kw: Any) -> str:
    return _render(compiler, getattr(sa.func, element.sql_name)(*element.args), **kw)


@compiles(Least, "sqlite")
def _least_sqlite(element: Least, compiler: Any, **kw: Any) -> str:
    return _render(compiler, getattr(sa.func, element.sqlite_name)(*element.args), **kw)


@compiles(Least, "postgresql")
def _least_postgresql(element: Least, compiler: Any, **kw: Any) -> str:
    # PostgreSQL's least/greatest skip nulls; MySQL's return null.
    args = element.args
    any_null = sa.or_(*[a.is_(None) for a in args])
    call = getattr(sa.func, element.sql_name)(*args)
    return _render(compiler, sa.case((any_null, sa.null()), else_=call), **kw)
