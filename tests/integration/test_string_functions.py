"""MySQL-flavoured restriction and projection strings give MySQL's answer on every backend.

Each case is a string and the value Python computes for it, which is also MySQL's answer: the
mysql run checks that, and the sqlite and postgresql runs check that they agree.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import statistics
from collections.abc import Callable
from typing import Any

import pytest

import dj_sqla as dj

T = dt.datetime(2024, 3, 10, 8, 30, 15)
T2 = dt.datetime(2024, 5, 9, 8, 30, 14)
D = dt.date(2024, 1, 31)
S = "Hello World"
VALUES = [1.0, 2.0, 3.0, 4.0, 10.0]


def _toward_zero(x: float) -> int:
    return math.trunc(x)


#: (string, Python's value = MySQL's answer) for one row: a=7 b=-3 x=2.5 s, n=null, d, t, t2, j.
CASES: list[tuple[str, Any]] = [
    ("IF(a > 5, 'big', 'small')", "big"),
    ("IF(n IS NULL, 1, 2)", 1),
    ("CONCAT(s, '-', a)", f"{S}-7"),
    ("CONCAT(s, n)", None),
    ("CONCAT_WS('-', s, n, a)", f"{S}-7"),
    ("CONCAT_WS('', n)", ""),
    ("DATEDIFF(t2, t)", (T2.date() - T.date()).days),
    ("DATEDIFF(t, t2)", (T.date() - T2.date()).days),
    ("DATEDIFF(d, '2024-01-01')", 30),
    ("TIMESTAMPDIFF(SECOND, t, t2)", int((T2 - T).total_seconds())),
    ("TIMESTAMPDIFF(MINUTE, t, t2)", _toward_zero((T2 - T).total_seconds() / 60)),
    ("TIMESTAMPDIFF(HOUR, t2, t)", _toward_zero((T - T2).total_seconds() / 3600)),
    ("TIMESTAMPDIFF(DAY, t, t2)", 59),
    ("TIMESTAMPDIFF(WEEK, t, t2)", 8),
    ("TIMESTAMPDIFF(MONTH, t, t2)", 1),
    ("TIMESTAMPDIFF(MONTH, t2, t)", -1),
    ("TIMESTAMPDIFF(MONTH, d, t2)", 3),
    ("TIMESTAMPDIFF(YEAR, d, t2)", 0),
    ("a DIV 2", 3),
    ("b DIV 2", -1),
    ("x DIV 1", 2),
    ("a DIV 0", None),
    ("a / 2", 3.5),
    ("a - b * 2", 13),
    ("FLOOR(x)", 2),
    ("FLOOR(-x)", -3),
    ("CEIL(x)", 3),
    ("CEILING(b / 2)", -1),
    ("CAST(7 / 2 AS SIGNED)", 4),
    ("CAST('12' AS SIGNED) + 1", 13),
    ("CAST(a AS CHAR)", "7"),
    ("CONVERT(a, CHAR)", "7"),
    ("CAST(2.25 AS DECIMAL(5,1))", decimal.Decimal("2.3")),
    ("CAST(t AS DATE)", T.date()),
    ("CAST('2024-02-03 04:05:06' AS DATETIME)", dt.datetime(2024, 2, 3, 4, 5, 6)),
    ("DATE(t)", T.date()),
    ("TIME(t)", T.time()),
    ("s REGEXP '^Hel+o'", 1),
    ("s RLIKE 'x$'", 0),
    ("s NOT REGEXP 'W'", 0),
    ("n <=> NULL", 1),
    ("a <=> 7", 1),
    ("n <=> 1", 0),
    ("(a > 1) XOR (b > 1)", 1),
    ("DATE_ADD(d, INTERVAL 1 MONTH)", dt.date(2024, 2, 29)),
    ("DATE_ADD(d, INTERVAL 2 MONTH)", dt.date(2024, 3, 31)),
    ("DATE_SUB(d, INTERVAL 2 DAY)", dt.date(2024, 1, 29)),
    ("d + INTERVAL 1 YEAR", dt.date(2025, 1, 31)),
    ("d - INTERVAL 1 WEEK", dt.date(2024, 1, 24)),
    ("DATE_ADD(t, INTERVAL 2 HOUR)", T + dt.timedelta(hours=2)),
    ("t - INTERVAL 1 MONTH", dt.datetime(2024, 2, 10, 8, 30, 15)),
    ("DATE_ADD(d, INTERVAL 3 HOUR)", dt.datetime(2024, 1, 31, 3, 0)),
    ("IFNULL(n, 5)", 5),
    ("NULLIF(a, 7)", None),
    ("LEAST(a, b, 4)", -3),
    ("GREATEST(a, b)", 7),
    ("LEAST(a, n)", None),
    ("SUBSTRING(s, 2, 3)", "ell"),
    ("SUBSTRING(s, -5)", "World"),
    ("SUBSTR(s, 7)", "World"),
    ("SUBSTRING(s, 0)", ""),
    ("LEFT(s, 5)", "Hello"),
    ("RIGHT(s, 5)", "World"),
    ("TRIM('  pad  ')", "pad"),
    ("LTRIM('  pad ')", "pad "),
    ("RTRIM(' pad  ')", " pad"),
    ("CHAR_LENGTH(s)", 11),
    ("LENGTH(s)", 11),
    ("MOD(a, 3)", 1),
    ("b % 2", -1),
    ("MOD(x, 2)", 0.5),
    ("MOD(a, 0)", None),
    ("UPPER(s)", S.upper()),
    ("YEAR(d)", 2024),
    ("MONTH(t)", 3),
    ("DAY(d)", 31),
    ("HOUR(t)", 8),
    ("MINUTE(t)", 30),
    ("j->>'$.name'", "x"),
]

#: Strings that hold for the row (restrictions).
TRUE_RESTRICTIONS = [
    "j.a.b = 3",
    "j.a.b > 2",
    "j.name = 'x'",
    "j->>'$.name' = 'x'",
    "j->'$.a.b' = 3",
    "JSON_EXTRACT(j, '$.a.b') = 3",
    "s REGEXP 'World$'",
    "DATE(t) = '2024-03-10'",
    "DATEDIFF(t2, t) = 60 AND TIMESTAMPDIFF(DAY, t, t2) = 59",
    "n <=> NULL",
    "IF(a > 5, 1, 0) = 1",
    "CONCAT(s, '!') LIKE '%World!'",
]

#: (string, Python's value) for aggregates over VALUES.
AGGREGATES: list[tuple[str, Any]] = [
    ("STD(v)", statistics.pstdev(VALUES)),
    ("STDDEV(v)", statistics.pstdev(VALUES)),
    ("STDDEV_POP(v)", statistics.pstdev(VALUES)),
    ("STDDEV_SAMP(v)", statistics.stdev(VALUES)),
    ("VARIANCE(v)", statistics.pvariance(VALUES)),
    ("VAR_POP(v)", statistics.pvariance(VALUES)),
    ("VAR_SAMP(v)", statistics.variance(VALUES)),
    ("min(date(w))", dt.date(2024, 1, 1)),
    ("max(date(w))", dt.date(2024, 1, 5)),
    ("count(distinct date(w))", 5),
]


def _normal(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.timedelta):  # MySQL TIME through a driver that gives timedelta
        return (dt.datetime.min + value).time()
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return dt.date.fromisoformat(value)
    return value


def _same(got: Any, expected: Any) -> bool:
    got = _normal(got)
    if expected is None or got is None:
        return got is expected
    if isinstance(expected, (int, float, decimal.Decimal)) and not isinstance(expected, bool):
        return isinstance(got, (int, float, decimal.Decimal)) and math.isclose(
            float(got), float(expected), rel_tol=1e-9
        )
    if isinstance(expected, dt.datetime) and isinstance(got, str):
        got = dt.datetime.fromisoformat(got)
    if isinstance(expected, dt.time) and isinstance(got, str):
        got = dt.time.fromisoformat(got)
    return bool(got == expected)


@pytest.fixture
def tables(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("fn")

    @schema
    class Row(dj.Manual):
        definition = """
        id : int32
        ---
        a : int32
        b : int32
        x : float64
        s : varchar(40)
        n = null : int32
        d : date
        t : datetime
        t2 : datetime
        j : json
        """

    @schema
    class Value(dj.Manual):
        definition = """
        k : int32
        ---
        v : float64
        w : datetime
        """

    Row.insert1(
        {
            "id": 1,
            "a": 7,
            "b": -3,
            "x": 2.5,
            "s": S,
            "d": D,
            "t": T,
            "t2": T2,
            "j": {"a": {"b": 3}, "name": "x"},
        }
    )
    Value.insert(
        [
            {"k": i, "v": v, "w": dt.datetime(2024, 1, 5 - i, 23 - i, 0)}
            for i, v in enumerate(VALUES)
        ]
    )
    return Row, Value


def test_projection_strings_match_mysql(tables: Any) -> None:
    Row, _ = tables
    wrong = []
    for text, expected in CASES:
        try:
            got = Row.proj(v=text).fetch1("v")
        except Exception as err:  # collect every failure, not only the first
            wrong.append(f"{text}: {type(err).__name__}: {err}"[:300])
            continue
        if not _same(got, expected):
            wrong.append(f"{text}: got {got!r}, expected {expected!r}")
    assert not wrong, "\n".join(wrong)


def test_restriction_strings_match_mysql(tables: Any) -> None:
    Row, _ = tables
    wrong = []
    for text in TRUE_RESTRICTIONS:
        try:
            if len(Row & text) != 1 or len(Row - text) != 0:
                wrong.append(f"{text}: does not hold")
        except Exception as err:
            wrong.append(f"{text}: {type(err).__name__}: {err}"[:300])
    assert not wrong, "\n".join(wrong)


def test_aggregate_strings_match_mysql(tables: Any) -> None:
    _, Value = tables
    wrong = []
    for text, expected in AGGREGATES:
        got = dj.U().aggr(Value, v=text).fetch1("v")
        if not _same(got, expected):
            wrong.append(f"{text}: got {got!r}, expected {expected!r}")
    assert not wrong, "\n".join(wrong)
    joined = dj.U().aggr(Value, g="GROUP_CONCAT(k)").fetch1("g")
    assert sorted(joined.split(",")) == ["0", "1", "2", "3", "4"]
    joined = dj.U().aggr(Value, g="GROUP_CONCAT(k SEPARATOR ';')").fetch1("g")
    assert sorted(joined.split(";")) == ["0", "1", "2", "3", "4"]


def test_unsupported_function_lists_what_is_supported(tables: Any) -> None:
    Row, _ = tables
    with pytest.raises(dj.DataJointError, match=r"Supported:.*GROUP_CONCAT"):
        Row & "SOUNDEX(s) = 'x'"
    with pytest.raises(dj.DataJointError, match="CAST takes"):
        Row.proj(v="CAST(a AS JSON)")
    with pytest.raises(dj.DataJointError, match="unit"):
        Row.proj(v="TIMESTAMPDIFF(MICROSECOND, t, t2)")


def test_values_stay_bound_parameters(tables: Any) -> None:
    Row, _ = tables
    query = Row & "CONCAT(s, 'zz_secret') = 'q' AND DATE_ADD(d, INTERVAL 123456789 DAY) > d"
    compiled = query.select().compile(dialect=Row.connection.engine.dialect)
    assert "zz_secret" not in str(compiled)
    assert "123456789" not in str(compiled)  # longer than any generated name part
    assert "zz_secret" in compiled.params.values()


def test_count_distinct_of_several_attributes(new_schema: Callable[..., dj.Schema]) -> None:
    """``count(distinct a, b)`` counts combinations, skipping rows with a null (MySQL's rule),
    and a text that looks like a number is not the number."""
    schema = new_schema("cd")

    @schema
    class Shot(dj.Manual):
        definition = """
        shot : int32
        ---
        grp : int32
        a = null : int32
        b = null : varchar(8)
        """

    Shot.insert(
        [
            (1, 1, 1, "x"),
            (2, 1, 1, "x"),
            (3, 1, 1, "y"),
            (4, 1, 2, "x"),
            (5, 1, None, "x"),
            (6, 1, 2, None),
            (7, 2, 1, "1"),
            (8, 2, 1, "1,1"),
            (9, 2, 11, ","),
        ]
    )
    total = dj.U().aggr(Shot, n="count(distinct a, b)", m="count(distinct a)").fetch1()
    assert (total["n"], total["m"]) == (6, 3)
    per_group = dj.U("grp").aggr(Shot, n="COUNT(DISTINCT a, b, grp)").to_dicts(order_by="grp")
    assert [(row["grp"], row["n"]) for row in per_group] == [(1, 3), (2, 3)]
    with pytest.raises(dj.DataJointError, match="nothing"):
        dj.U().aggr(Shot, n="count(distinct a, nothing)").fetch1()
