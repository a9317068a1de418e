"""The value rule on every backend: each value is stored exactly or refused, naming table,
attribute and value, and a refused insert writes nothing.

One table holds an attribute of each kind; every case inserts one row that sets one attribute
(the others stay at their defaults) and checks the stored value or the error. The cases run in
one test per backend (declaring a table per case would take minutes on the servers); a failure
lists every case that went wrong.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import dj_sqla as dj

REFUSED = object()
#: NaN and infinities: stored as they are where the backend can (PostgreSQL), else refused
STORED_OR_REFUSED = object()

#: (case id, attribute, value, stored value or REFUSED)
CASES: list[tuple[str, str, Any, Any]] = [
    ("int ok", "i16", 7, 7),
    ("int from integral float", "i16", 2.0, 2),
    ("int 1.7", "i16", 1.7, REFUSED),
    ("int -0.5", "i16", -0.5, REFUSED),
    ("int nan", "i16", float("nan"), REFUSED),
    ("int inf", "i16", float("inf"), REFUSED),
    ("int text", "i16", "5", 5),
    ("int text 1.7", "i16", "1.7", REFUSED),
    ("int str abc", "i16", "abc", REFUSED),
    ("int16 overflow", "i16", 40000, REFUSED),
    ("int32 10**30", "i32", 10**30, REFUSED),
    ("int64 10**30", "i64", 10**30, REFUSED),
    ("int64 max", "i64", 2**63 - 1, 2**63 - 1),
    ("uint8 negative", "u8", -1, REFUSED),
    ("uint8 256", "u8", 256, REFUSED),
    ("int decimal 1.5", "i32", Decimal("1.5"), REFUSED),
    ("int bytes", "i32", b"1", REFUSED),
    ("int list", "i32", [1], REFUSED),
    ("bool ok", "flag", True, True),
    ("bool str", "flag", "yes", REFUSED),
    ("float ok", "f64", 1.25, 1.25),
    ("float from int", "f64", 3, 3.0),
    ("float text", "f64", "1.5", 1.5),
    ("float text nan", "f64", "nan", REFUSED),
    ("float 10**400", "f64", 10**400, REFUSED),
    ("float 2**53 + 1", "f64", 2**53 + 1, REFUSED),
    ("float bool", "f64", True, REFUSED),
    ("float32 1e39", "f32", 1e39, REFUSED),
    ("float32 ok", "f32", 0.5, 0.5),
    ("float nan", "f64", float("nan"), STORED_OR_REFUSED),
    ("float inf", "f64", float("inf"), STORED_OR_REFUSED),
    ("float -inf", "f64", float("-inf"), STORED_OR_REFUSED),
    ("decimal ok", "d52", Decimal("123.45"), Decimal("123.45")),
    ("decimal trailing zero", "d52", Decimal("1.20"), Decimal("1.20")),
    ("decimal too big", "d52", Decimal("12345.6"), REFUSED),
    ("decimal 1000", "d52", Decimal("1000"), REFUSED),
    ("decimal too precise", "d52", Decimal("1.234"), REFUSED),
    ("decimal nan", "d52", Decimal("nan"), REFUSED),
    ("decimal inf", "d52", Decimal("inf"), REFUSED),
    ("decimal float 0.1", "d52", 0.1, Decimal("0.10")),
    ("decimal float 0.125", "d52", 0.125, REFUSED),
    ("decimal text", "d52", "1.5", Decimal("1.50")),
    ("decimal text too precise", "d52", "1.505", REFUSED),
    ("varchar ok", "name", "abc", "abc"),
    ("varchar unicode", "name", "é🐭", "é🐭"),
    ("varchar too long", "name", "x" * 11, REFUSED),
    ("varchar bytes", "name", b"abc", REFUSED),
    ("varchar dict", "name", {"a": 1}, REFUSED),
    ("varchar int", "name", 5, REFUSED),
    ("varchar NUL", "name", "a\x00b", REFUSED),
    ("varchar surrogate", "name", "a\ud800", REFUSED),
    ("varchar huge", "name", "y" * 100_000, REFUSED),
    ("enum ok", "sex", "F", "F"),
    ("enum other", "sex", "X", REFUSED),
    ("enum lower", "sex", "f", REFUSED),
    ("bytes ok", "raw", b"\x00\x01", b"\x00\x01"),
    ("bytes str", "raw", "abc", REFUSED),
    ("date ok", "day", dt.date(2024, 5, 1), dt.date(2024, 5, 1)),
    ("date iso text", "day", "2024-05-01", dt.date(2024, 5, 1)),
    ("date bad text", "day", "May 1st", REFUSED),
    ("date from datetime", "day", dt.datetime(2024, 5, 1, 12), REFUSED),
    ("date from midnight datetime", "day", dt.datetime(2024, 5, 1), dt.date(2024, 5, 1)),
    ("date int", "day", 20240501, REFUSED),
    ("datetime ok", "ts", dt.datetime(2024, 5, 1, 12), dt.datetime(2024, 5, 1, 12)),
    ("datetime iso", "ts", "2024-05-01 12:30:00", dt.datetime(2024, 5, 1, 12, 30)),
    (
        "datetime aware",
        "ts",
        dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        REFUSED,
    ),
    ("datetime aware text", "ts", "2024-05-01T12:00:00+05:00", REFUSED),
    ("datetime fraction", "ts", dt.datetime(2024, 5, 1, 12, 0, 0, 700000), REFUSED),
    ("datetime(3) ok", "ts3", dt.datetime(2024, 5, 1, 12, 0, 0, 123000), None),
    ("datetime(3) too fine", "ts3", dt.datetime(2024, 5, 1, 12, 0, 0, 123456), REFUSED),
    ("uuid ok", "uid", uuid.UUID(int=5), uuid.UUID(int=5)),
    ("uuid text", "uid", str(uuid.UUID(int=6)), uuid.UUID(int=6)),
    ("uuid bad text", "uid", "not-a-uuid", REFUSED),
    ("uuid int", "uid", 5, REFUSED),
    ("json ok", "doc", {"a": [1, 2]}, {"a": [1, 2]}),
    ("json set", "doc", {"a": {1, 2}}, REFUSED),
    ("json object", "doc", object(), REFUSED),
    ("text ok", "note", "long " * 100, "long " * 100),
    ("text bytes", "note", b"abc", REFUSED),
    ("text NUL", "note", "\x00", REFUSED),
    ("char ok", "code", "ab", "ab"),
    ("char too long", "code", "abcd", REFUSED),
    ("key None", "id", None, REFUSED),
    ("key float", "id", 2.5, REFUSED),
]
# datetime(3) keeps the value: fill in its expected value
CASES = [(c, a, v, v if e is None and a == "ts3" else e) for c, a, v, e in CASES]


@pytest.fixture
def table(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("values")

    @schema
    class Value(dj.Manual):
        definition = """
        id : int32
        ---
        i16 = null : int16
        i32 = null : int32
        i64 = null : int64
        u8 = null : uint8
        flag = null : bool
        f64 = null : float64
        f32 = null : float32
        d52 = null : decimal(5,2)
        name = null : varchar(10)
        sex = null : enum('M', 'F')
        raw = null : bytes
        day = null : date
        ts = null : datetime
        ts3 = null : datetime(3)
        uid = null : uuid
        doc = null : json
        note = null : varchar(4000)
        code = null : char(3)
        """

    return Value


def test_bad_values(table: Any, backend: str) -> None:
    wrong = []
    for number, (case, attribute, value, expected) in enumerate(CASES, start=1):
        row = {"id": number, attribute: value}
        try:
            table.insert1(row)
        except dj.DataJointError as err:
            text = str(err)
            named = "Value" in text or "value" in text
            if expected is not REFUSED and expected is not STORED_OR_REFUSED:
                wrong.append(f"{case}: refused, expected {expected!r} ({text[:200]})")
            elif not (named and f"`{attribute}`" in text and len(text) < 600):
                wrong.append(f"{case}: the error does not name table and attribute: {text}")
            elif attribute != "id" and len(table & {"id": number}):
                wrong.append(f"{case}: refused but a row was written")
            continue
        except Exception as err:  # a raw driver error is a failure of the rule
            wrong.append(f"{case}: raw {type(err).__name__}: {str(err)[:200]}")
            continue
        if expected is REFUSED:
            stored = table & {"id": number}
            wrong.append(f"{case}: stored as {stored.fetch1(attribute)!r}, expected a refusal")
            continue
        got = (table & {"id": number}).fetch1(attribute)
        if expected is STORED_OR_REFUSED:
            if repr(got) != repr(value):
                wrong.append(f"{case}: stored {got!r}, expected {value!r} or a refusal")
            continue
        if got != expected or type(got) is not type(expected):
            wrong.append(f"{case}: stored {got!r}, expected {expected!r}")
    assert not wrong, f"{backend}:\n" + "\n".join(wrong)
    stored = sum(e is not REFUSED and e is not STORED_OR_REFUSED for *_, e in CASES)
    assert stored <= len(table()) <= stored + 3


def test_omitted_key_is_refused(table: Any) -> None:
    with pytest.raises(dj.DataJointError, match="`id`"):
        table.insert1({"i16": 1})
    assert len(table()) == 0


def test_refused_batch_writes_nothing(table: Any) -> None:
    rows = [{"id": n, "i16": n} for n in range(100)] + [{"id": 100, "i16": 1.5}]
    with pytest.raises(dj.DataJointError, match=r"1\.5"):
        table.insert(rows)
    assert len(table()) == 0


RESTRICTIONS: list[tuple[str, str, Any, int]] = [
    ("int text abc", "i32", "abc", 0),
    ("int text 1.5", "i32", "1.5", 0),
    ("int text", "i32", "7", 1),
    ("int 7.0", "i32", 7.0, 1),
    ("text NUL", "name", "a\x00b", 0),
    ("date bad text", "day", "May 1st", 0),
    ("date text", "day", "2024-05-01", 1),
    ("decimal text", "d52", "abc", 0),
    ("float text", "f64", "x", 0),
]


def test_restrictions_by_impossible_values_match_nothing(table: Any) -> None:
    table.insert1(
        {
            "id": 1,
            "i32": 7,
            "name": "ab",
            "uid": uuid.UUID(int=1),
            "day": dt.date(2024, 5, 1),
            "d52": Decimal("1.00"),
            "f64": 1.0,
        }
    )
    table.insert1({"id": 2, "i32": 0})  # MySQL would match "abc" to 0 if it compared as text
    wrong = []
    for case, attribute, value, expected in RESTRICTIONS:
        try:
            found = len(table & {attribute: value})
        except Exception as err:  # a raw driver error is a failure
            wrong.append(f"{case}: {type(err).__name__}: {str(err)[:200]}")
            continue
        if found != expected:
            wrong.append(f"{case}: {found} rows, expected {expected}")
    assert not wrong, "\n".join(wrong)
    # a uuid attribute restricted by what is no uuid is a clear error (a mistake, not a miss)
    with pytest.raises(dj.QueryError, match="uuid attribute `uid`"):
        len(table & {"uid": "not-a-uuid"})


def test_update1_follows_the_same_rule(table: Any) -> None:
    table.insert1({"id": 1, "i16": 1, "d52": Decimal("1.00")})
    for attribute, value in [("i16", 1.7), ("d52", Decimal("1.234")), ("name", b"abc")]:
        with pytest.raises(dj.DataJointError, match=f"`{attribute}`.*nothing was changed"):
            table.update1({"id": 1, attribute: value})
    table.update1({"id": 1, "i16": 2.0})
    assert (table & {"id": 1}).fetch1("i16", "d52") == (2, Decimal("1.00"))
