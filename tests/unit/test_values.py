"""The value rule (``execution.values``) without a database: which values pass, which are
refused, and that the error names table, attribute and a shortened value."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla.declare.build import ColumnInfo
from dj_sqla.execution.values import check_rows, shortened
from dj_sqla.types import resolve_type


def _table(**types: str) -> sa.Table:
    columns = []
    for name, spelled in types.items():
        spec = resolve_type(spelled)
        column = sa.Column(name, spec.sa_type, primary_key=name == "id", autoincrement=False)
        column.info["dj"] = ColumnInfo(spec, "")
        columns.append(column)
    return sa.Table("t", sa.MetaData(), *columns, schema="s")


SERVER = SimpleNamespace(name="pg-like", stores_float_nan=True, stores_float_infinity=True)
NO_NAN = SimpleNamespace(name="mysql-like", stores_float_nan=False, stores_float_infinity=False)


@pytest.mark.parametrize(
    ("spelled", "value", "ok"),
    [
        ("int8", 127, True),
        ("int8", 128, False),
        ("int32", "12", True),
        ("int32", " 12", False),
        ("int32", 3.0, True),
        ("int32", 3.5, False),
        ("bigint unsigned", 2**64 - 1, True),
        ("bigint unsigned", 2**64, False),
        ("decimal(4,1)", Decimal("999.9"), True),
        ("decimal(4,1)", Decimal("-999.9"), True),
        ("decimal(4,1)", Decimal("1000.0"), False),
        ("decimal(4,1)", Decimal("0.05"), False),
        ("decimal(4,1) unsigned", Decimal("-0.1"), False),
        ("varchar(3)", "abc", True),
        ("varchar(3)", "abcd", False),
        ("varchar(3)", "é\x00", False),
        ("enum('a','b')", "b", True),
        ("enum('a','b')", "c", False),
        ("datetime(6)", dt.datetime(2024, 1, 1, 0, 0, 0, 1), True),
        ("datetime(2)", dt.datetime(2024, 1, 1, 0, 0, 0, 10000), True),
        ("datetime(2)", dt.datetime(2024, 1, 1, 0, 0, 0, 1000), False),
        ("datetime", dt.datetime(2024, 1, 1, tzinfo=dt.UTC), False),
        ("time", dt.timedelta(hours=3), True),
        ("time", dt.timedelta(hours=30), False),  # a time of day: MySQL would wrap it
        ("time", dt.timedelta(hours=-1), False),
        ("time", dt.timedelta(seconds=1.5), False),
        ("time(1)", dt.timedelta(seconds=1.5), True),
        ("date", "2024-02-30", False),
        ("uuid", b"x" * 16, True),
        ("uuid", b"x" * 15, False),
        ("binary(2)", b"abc", False),
        ("json", {"a": [1, None]}, True),
        ("json", {"a": {1}}, False),
    ],
)
def test_the_rule(spelled: str, value: Any, ok: bool) -> None:
    table = _table(id="int32", v=spelled)
    rows = [{"id": 1, "v": value}]
    if ok:
        check_rows(table, ["id", "v"], rows, SERVER)  # type: ignore[arg-type]
    else:
        with pytest.raises(dj.DataJointError, match=r"`s`\.`t`: `v` = .* is refused"):
            check_rows(table, ["id", "v"], rows, SERVER)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_and_infinity_depend_on_the_backend(value: float) -> None:
    table = _table(id="int32", v="float64")
    check_rows(table, ["id", "v"], [{"id": 1, "v": value}], SERVER)  # type: ignore[arg-type]
    with pytest.raises(dj.DataJointError, match="cannot store"):
        check_rows(table, ["id", "v"], [{"id": 1, "v": value}], NO_NAN)  # type: ignore[arg-type]


def test_a_missing_or_none_key_is_refused() -> None:
    table = _table(id="int32", v="int32")
    with pytest.raises(dj.DataJointError, match="`id` is missing"):
        check_rows(table, ["v"], [{"v": 1}], SERVER)  # type: ignore[arg-type]
    with pytest.raises(dj.DataJointError, match="`id` = None"):
        check_rows(table, ["id"], [{"id": None}], SERVER)  # type: ignore[arg-type]


def test_the_culprit_is_found_among_many_rows() -> None:
    table = _table(id="int32", v="varchar(5)")
    rows = [{"id": i, "v": "ok"} for i in range(1000)] + [{"id": 1000, "v": "x" * 500}]
    with pytest.raises(dj.DataJointError, match=r"row with key \{'id': 1000\}") as raised:
        check_rows(table, ["id", "v"], rows, SERVER)  # type: ignore[arg-type]
    assert len(str(raised.value)) < 300


@pytest.mark.parametrize(
    ("spelled", "value", "sent"),
    [
        ("int16", True, 1),  # PostgreSQL has no boolean → integer assignment
        ("int64", 2.0**62, 2**62),  # as a float, PostgreSQL read 4611686018427388000
        ("int32", Decimal("1E+3"), 1000),  # SQLite's driver takes no Decimal
        ("int32", "+5", 5),
        ("bool", 1, True),
        ("float64", 3, 3.0),
        ("float64", Decimal("0.5"), 0.5),
        ("float64", -0.0, 0.0),  # SQLite and MySQL store 0.0; PostgreSQL's COPY kept -0.0
        ("float64", "1e5", 100000.0),
        ("float32", 3.4028235e38, 3.4028234663852886e38),  # a float32 as its text reads
        ("decimal(5,2)", Decimal("1E+2"), Decimal("100.00")),  # MySQL's LOAD DATA read 1
        ("decimal(5,2)", 0.1, Decimal("0.10")),
        ("decimal(5,2)", "1.5", Decimal("1.50")),
        ("bytes", bytearray(b"ab"), b"ab"),
        ("date", "2024-05-01", dt.date(2024, 5, 1)),
        ("date", dt.datetime(2024, 5, 1), dt.date(2024, 5, 1)),
        ("datetime", "2024-05-01T12:30", dt.datetime(2024, 5, 1, 12, 30)),
        ("datetime", dt.date(2024, 5, 1), dt.datetime(2024, 5, 1)),
        ("time", dt.timedelta(hours=1, minutes=2), dt.time(1, 2)),
        ("time", "T01:02:03", dt.time(1, 2, 3)),  # MySQL refuses the T
        ("uuid", "urn:uuid:" + "0" * 32, uuid.UUID(int=0)),  # PostgreSQL refuses urn: text
        ("uuid", b"\x00" * 16, uuid.UUID(int=0)),
    ],
)
def test_accepted_values_are_sent_as_the_attribute_stores_them(
    spelled: str, value: Any, sent: Any
) -> None:
    table = _table(id="int32", v=spelled)
    rows = [{"id": 1, "v": value}]
    checked = check_rows(table, ["id", "v"], rows, SERVER)  # type: ignore[arg-type]
    assert checked[0]["v"] == sent
    assert type(checked[0]["v"]) is type(sent)
    if isinstance(sent, float):
        assert math.copysign(1, checked[0]["v"]) == 1  # -0.0 is sent as 0.0
    assert rows == [{"id": 1, "v": value}]  # the caller's rows are left as they were


@pytest.mark.parametrize(
    ("spelled", "value"),
    [
        ("int32", "\u0663"),  # Python reads other scripts' digits; the servers do not
        ("float64", "\u0663.\u0665"),
        ("int32", Decimal("sNaN")),
        ("float64", Decimal("sNaN")),
        ("decimal(5,2)", Decimal("sNaN")),
        ("float64", Decimal("1e-400")),  # it would be stored as 0
        ("float64", "1e-400"),
        ("float32", 1e-50),
        ("float32", 3.5e38),
        ("float64", Decimal("1e400")),
        ("datetime(6)", "2024-05-01 12:30:00.1234567"),  # Python drops the 7th digit
        ("datetime(3)", "2024-05-01 12:30:00.1235"),
        ("json", {"a": float("nan")}),
        ("json", [float("inf")]),
        ("json", {1: "a"}),  # read back as {"1": "a"}
        ("json", {None: 1}),
        ("json", {"a": "\x00"}),
        ("json", ["\ud800"]),
    ],
)
def test_values_no_backend_stores_exactly_are_refused(spelled: str, value: Any) -> None:
    table = _table(id="int32", v=spelled)
    with pytest.raises(dj.DataJointError, match=r"`s`\.`t`: `v` = .* is refused"):
        check_rows(table, ["id", "v"], [{"id": 1, "v": value}], SERVER)  # type: ignore[arg-type]


def test_shortened() -> None:
    assert shortened(5) == "5"
    assert len(shortened(b"x" * 10_000)) < 90
