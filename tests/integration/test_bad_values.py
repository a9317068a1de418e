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

import numpy as np
import pandas as pd
import pytest

import dj_sqla as dj
from dj_sqla.backends.mysql import LOAD_THRESHOLD
from dj_sqla.backends.postgresql import COPY_THRESHOLD

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
    # integers at their bounds, and what is sent for them
    ("int16 min", "i16", -(2**15), -(2**15)),
    ("int16 min - 1", "i16", -(2**15) - 1, REFUSED),
    ("int64 min", "i64", -(2**63), -(2**63)),
    ("int64 max + 1", "i64", 2**63, REFUSED),
    ("uint8 max", "u8", 255, 255),
    ("int bool", "i16", True, 1),  # PostgreSQL refused a bool for an integer
    ("int np.bool_", "i16", np.bool_(True), 1),
    ("int64 float 2**62", "i64", 2.0**62, 2**62),  # PostgreSQL stored 4611686018427388000
    ("int Decimal exponent", "i32", Decimal("1E+3"), 1000),  # SQLite's driver: no Decimal
    ("int Arabic-Indic digit", "i16", "\u0663", REFUSED),  # int() reads it, servers do not
    ("int sNaN", "i32", Decimal("sNaN"), REFUSED),
    ("int np.int64", "i64", np.int64(2**62), 2**62),
    ("int np.float64", "i32", np.float64(3.0), 3),
    ("uint8 np.uint8", "u8", np.uint8(255), 255),
    ("int pd.NA", "i32", pd.NA, None),
    ("bool np.bool_", "flag", np.bool_(False), False),
    ("bool 1", "flag", 1, True),
    ("bool 2", "flag", 2, REFUSED),
    # floats
    ("float -0.0", "f64", -0.0, 0.0),
    ("float subnormal", "f64", 5e-324, 5e-324),
    ("float Decimal", "f64", Decimal("0.5"), 0.5),
    ("float Decimal underflow", "f64", Decimal("1e-400"), REFUSED),  # MySQL stored 0.0
    ("float text underflow", "f64", "1e-400", REFUSED),
    ("float Decimal overflow", "f64", Decimal("1e400"), REFUSED),
    ("float sNaN", "f64", Decimal("sNaN"), REFUSED),
    ("float np.float32", "f64", np.float32(0.5), 0.5),
    ("float32 underflow", "f32", 1e-50, REFUSED),  # MySQL stored 0.0
    ("float32 -0.0", "f32", -0.0, 0.0),
    # decimals
    ("decimal exponent", "d52", Decimal("1E+2"), Decimal("100.00")),  # LOAD DATA read 1
    ("decimal small exponent", "d52", Decimal("12E-2"), Decimal("0.12")),
    ("decimal sNaN", "d52", Decimal("sNaN"), REFUSED),
    ("decimal -inf", "d52", Decimal("-inf"), REFUSED),
    ("decimal 999.99", "d52", Decimal("999.99"), Decimal("999.99")),
    ("decimal -999.995", "d52", Decimal("-999.995"), REFUSED),
    # text: what the bulk loaders' text formats escape, and lengths counted in characters
    ("varchar escapes", "name", "\t\n\r\\N'\"", "\t\n\r\\N'\""),
    ("varchar \\N", "name", "\\N", "\\N"),
    ("varchar CRLF", "name", "a\r\n", "a\r\n"),
    ("varchar 10 emoji", "name", "\U0001f42d" * 10, "\U0001f42d" * 10),
    ("varchar 11 emoji", "name", "\U0001f42d" * 11, REFUSED),
    ("varchar 10 accents", "name", "\u00e9" * 10, "\u00e9" * 10),
    ("varchar low surrogate", "name", "\udc00", REFUSED),
    ("varchar np.str_", "name", np.str_("abc"), "abc"),
    ("char 3 emoji", "code", "\U0001f42d" * 3, "\U0001f42d" * 3),
    ("enum trailing space", "sex", "F ", REFUSED),
    ("enum leading space", "sex", " F", REFUSED),
    ("bytes bytearray", "raw", bytearray(b"\x00\\N\t"), b"\x00\\N\t"),
    ("bytes memoryview", "raw", memoryview(b"\\"), b"\\"),
    # dates and times
    ("date min", "day", dt.date(1, 1, 1), dt.date(1, 1, 1)),
    ("date max", "day", dt.date(9999, 12, 31), dt.date(9999, 12, 31)),
    ("date pd.NaT", "day", pd.NaT, None),
    ("date pd.Timestamp", "day", pd.Timestamp("2024-05-01"), dt.date(2024, 5, 1)),
    ("datetime min", "ts", dt.datetime(1, 1, 1), dt.datetime(1, 1, 1)),
    ("datetime max", "ts", dt.datetime(9999, 12, 31, 23, 59, 59), None),
    ("datetime iso T", "ts", "2024-05-01T12:30:00", dt.datetime(2024, 5, 1, 12, 30)),
    ("datetime from date", "ts", dt.date(2024, 5, 1), dt.datetime(2024, 5, 1)),
    ("datetime Z", "ts", "2024-05-01T12:30:00Z", REFUSED),
    ("datetime np.datetime64", "ts", np.datetime64("2024-05-01T12:00"), None),
    ("datetime(3) 7 digits", "ts3", "2024-05-01 12:30:00.1234567", REFUSED),  # PG rounded
    ("datetime(3) ns", "ts3", pd.Timestamp("2024-05-01 12:00:00.000000001"), REFUSED),
    ("datetime(3) np ns", "ts3", np.datetime64("2024-05-01T12:00:00.000000001"), REFUSED),
    ("time ok", "clock", dt.time(23, 59, 59), dt.time(23, 59, 59)),
    ("time timedelta", "clock", dt.timedelta(hours=1, minutes=2), dt.time(1, 2)),
    ("time 25 hours", "clock", dt.timedelta(hours=25), REFUSED),  # MySQL wrapped it to 01:00
    ("time negative", "clock", dt.timedelta(hours=-1), REFUSED),  # stored as 23:00
    ("time text T", "clock", "T01:02:03", dt.time(1, 2, 3)),  # MySQL refused the T
    ("time np.timedelta64", "clock", np.timedelta64(3600, "s"), dt.time(1)),
    # uuid and json
    ("uuid bytes", "uid", uuid.UUID(int=7).bytes, uuid.UUID(int=7)),  # PG, SQLite refused
    ("uuid urn", "uid", uuid.UUID(int=8).urn, uuid.UUID(int=8)),  # PostgreSQL refused
    ("uuid upper", "uid", str(uuid.UUID(int=2**127 + 9)).upper(), uuid.UUID(int=2**127 + 9)),
    ("json nan", "doc", {"a": float("nan")}, REFUSED),  # SQLite stored it, servers refused
    ("json int key", "doc", {1: "a"}, REFUSED),  # read back as {"1": "a"}
    ("json NUL", "doc", {"a": "\x00"}, REFUSED),  # PostgreSQL refused
    ("json surrogate", "doc", ["\ud800"], REFUSED),
    ("json big int", "doc", [10**30, -(2**70)], [10**30, -(2**70)]),
    ("json escapes", "doc", {"\t": "\\N\n"}, {"\t": "\\N\n"}),
    ("json bare float", "doc", 2.0, 2.0),  # SQLite's numeric affinity stored the integer 2
    ("json bare big int", "doc", 2**70, 2**70),  # ... and this as a double
]
# these keep the value: fill in its expected value
CASES = [
    (c, a, v, v if e is None and a in ("ts3", "ts") and v is not pd.NaT else e)
    for c, a, v, e in CASES
]
CASES = [(c, a, v, e.item() if isinstance(e, np.datetime64) else e) for c, a, v, e in CASES]


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
        clock = null : time
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
    # numpy and pandas values, as a key fetched into arrays gives them
    ("int np.int64", "i32", np.int64(7), 1),  # SQLite matched nothing, PostgreSQL refused
    ("int np.int32", "i32", np.int32(7), 1),
    ("int 0-d array", "i32", np.array(7), 1),
    ("int np.float64", "i32", np.float64(7.0), 1),
    ("int Decimal", "i32", Decimal("7"), 1),
    ("int bool", "i32", False, 1),  # PostgreSQL refused integer = boolean
    ("int 7.5", "i32", 7.5, 0),
    ("int 10**30", "i32", 10**30, 0),  # SQLite's driver raised OverflowError
    ("int 2**63", "i32", 2**63, 0),
    ("int Arabic-Indic digit", "i32", "\u0667", 0),
    ("text np.str_", "name", np.str_("ab"), 1),
    ("text bytes", "name", b"ab", 0),  # MySQL matched, PostgreSQL refused
    ("text int", "name", 5, 0),
    ("text surrogate", "name", "\ud800", 0),  # a raw UnicodeEncodeError everywhere
    ("bool 1", "flag", 1, 1),
    ("bool 2", "flag", 2, 0),
    ("bool yes", "flag", "yes", 0),  # PostgreSQL read it as true
    ("decimal float", "d52", 1.0, 1),
    ("decimal nan", "d52", Decimal("nan"), 0),  # MySQL refused it
    ("decimal sNaN", "d52", Decimal("sNaN"), 0),
    ("float Decimal", "f64", Decimal("1"), 1),
    ("float np.float32", "f64", np.float32(1.0), 1),
    ("date np.datetime64", "day", np.datetime64("2024-05-01"), 1),  # refused but on MySQL
    ("date pd.Timestamp", "day", pd.Timestamp("2024-05-01"), 1),
    ("date int", "day", 20240501, 0),  # MySQL matched, PostgreSQL refused
    ("datetime text T", "ts", "2024-05-01T12:30:00", 1),  # SQLite compared the text
    ("datetime np.datetime64", "ts", np.datetime64("2024-05-01T12:30"), 1),
    ("time timedelta", "clock", dt.timedelta(hours=1, minutes=2), 1),  # PostgreSQL only
    ("time text", "clock", "01:02:00", 1),
    ("uuid bytes", "uid", uuid.UUID(int=1).bytes, 1),
    ("uuid urn", "uid", uuid.UUID(int=1).urn, 1),
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
            "flag": True,
            "ts": dt.datetime(2024, 5, 1, 12, 30),
            "clock": dt.time(1, 2),
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
    # so is one attribute restricted by several values (MySQL raised a raw TypeError for a dict)
    for several in ({"a": 1}, ["ab", "cd"], ("ab",), np.array([1, 7])):
        with pytest.raises(dj.QueryError, match="Cannot restrict `i32` by"):
            len(table & {"i32": several})


def test_restrictions_by_rows_of_arrays_and_frames(table: Any) -> None:
    """Keys as DataJoint code holds them: numpy record arrays, their rows, DataFrames, lists
    of dicts with numpy values; the same rows on every backend."""
    table.insert([{"id": i, "i32": i * 10, "name": f"n{i}"} for i in range(1, 6)])
    keys = np.array([(2, 20), (4, 40)], dtype=[("id", "<i8"), ("i32", "<i4")])
    assert len(table & keys) == 2
    assert (table & keys[1]).fetch1("name") == "n4"
    assert len(table - keys) == 3
    assert len(table & np.rec.array(keys)) == 2
    assert len(table & pd.DataFrame({"id": [1, 3, 5]})) == 3
    assert len(table & [{"id": np.int64(1)}, {"id": np.uint8(2)}, {"id": "3"}]) == 3
    assert len(table - {"id": np.int64(1)}) == 4


@pytest.mark.parametrize(
    "restriction",
    ["name = 'a\x00b'", "name = '\ud800'"],
    ids=["NUL", "surrogate"],
)
def test_string_restrictions_with_text_no_row_holds_are_refused(
    table: Any, restriction: str
) -> None:
    # PostgreSQL's driver raised ValueError for a NUL, every driver UnicodeEncodeError for a
    # surrogate; the error is printable (the surrogate is escaped)
    with pytest.raises(dj.QueryError, match=r"NUL|surrogate") as raised:
        len(table & restriction)
    str(raised.value).encode("utf-8")


def test_string_restrictions_by_integers_beyond_64_bits(table: Any) -> None:
    table.insert1({"id": 1, "i64": 2**63 - 1})
    assert len(table & f"i64 = {10**30}") == 0  # SQLite's driver raised OverflowError
    assert len(table & f"i64 < {10**30}") == 1
    assert len(table & f"i64 > {-(10**30)}") == 1


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_restricting_a_float_by_nan_or_infinity(
    table: Any, backend: str, value: float, request: pytest.FixtureRequest
) -> None:
    if backend == "mysql" or (backend == "sqlite" and value != value):
        reason = "the backend cannot hold the value and its driver refuses it: a QueryError"
        request.applymarker(pytest.mark.xfail(strict=True, raises=dj.QueryError, reason=reason))
    assert len(table & {"f64": value}) == 0


def test_update1_follows_the_same_rule(table: Any) -> None:
    table.insert1({"id": 1, "i16": 1, "d52": Decimal("1.00")})
    for attribute, value in [("i16", 1.7), ("d52", Decimal("1.234")), ("name", b"abc")]:
        with pytest.raises(dj.DataJointError, match=f"`{attribute}`.*nothing was changed"):
            table.update1({"id": 1, attribute: value})
    table.update1({"id": 1, "i16": 2.0})
    assert (table & {"id": 1}).fetch1("i16", "d52") == (2, Decimal("1.00"))
    # accepted values are converted as on insert, the key by the same rule
    table.update1({"id": np.int64(1), "i16": True, "uid": uuid.UUID(int=3).bytes})
    table.update1({"id": 1, "clock": dt.timedelta(hours=2), "i64": 2.0**62})
    assert (table & {"id": 1}).fetch1("i16", "uid", "clock", "i64") == (
        1,
        uuid.UUID(int=3),
        dt.time(2),
        2**62,
    )
    for key in ("abc", 10**30):
        with pytest.raises(dj.DataJointError, match=r"`id` = .* is refused"):
            table.update1({"id": key, "i16": 1})


#: A value of each attribute every backend stores: the rows around the one tested in bulk.
FILLER: dict[str, Any] = {
    "i16": 1,
    "i32": 1,
    "i64": 1,
    "u8": 1,
    "flag": True,
    "f64": 0.25,
    "f32": 0.5,
    "d52": Decimal("1.00"),
    "name": "ok",
    "sex": "M",
    "raw": b"ok",
    "day": dt.date(2020, 1, 1),
    "ts": dt.datetime(2020, 1, 1),
    "ts3": dt.datetime(2020, 1, 1),
    "uid": uuid.UUID(int=1),
    "doc": {"ok": 1},
    "note": "ok",
    "code": "abc",
    "clock": dt.time(1),
}
#: More rows than the bulk paths' thresholds (COPY, LOAD DATA, the driver's executemany).
BULK = max(COPY_THRESHOLD, LOAD_THRESHOLD) + 200
#: One case of each kind, also tried in the middle of 20,000 rows.
LARGE = {
    "int bool",
    "int64 float 2**62",
    "float -0.0",
    "decimal exponent",
    "varchar escapes",
    "varchar 11 emoji",
    "datetime(3) 7 digits",
    "time timedelta",
    "uuid bytes",
    "json nan",
}


def _in_bulk(table: Any, size: int, mode: str, cases: list[tuple[str, str, Any, Any]]) -> list[str]:
    """Insert each case's value in the middle of ``size`` rows (with ``mode``); what went
    wrong, case by case."""
    wrong = []
    middle = size // 2
    options = {mode: True} if mode != "plain" else {}
    for case, attribute, value, expected in cases:
        table.delete_quick()
        rows = [{"id": i, attribute: FILLER[attribute]} for i in range(size)]
        rows[middle] = {"id": middle, attribute: value}
        kept = 0
        if mode != "plain":  # a stored row the insert repeats
            table.insert1({"id": size, attribute: FILLER[attribute]})
            rows.append({"id": size, attribute: FILLER[attribute]})
            kept = 1
        try:
            table.insert(rows, **options)
        except dj.DataJointError as err:
            text = str(err)
            if expected is not REFUSED and expected is not STORED_OR_REFUSED:
                wrong.append(f"{case}: refused, expected {expected!r} ({text[:200]})")
            elif f"`{attribute}`" not in text or f"'id': {middle}" not in text:
                wrong.append(f"{case}: the error does not name attribute and row: {text}")
            elif len(table()) != kept:
                wrong.append(f"{case}: refused but {len(table()) - kept} rows were written")
            continue
        except Exception as err:  # a raw driver error is a failure of the rule
            wrong.append(f"{case}: raw {type(err).__name__}: {str(err)[:200]}")
            continue
        got = (table & {"id": middle}).fetch1(attribute)
        if expected is REFUSED:
            wrong.append(f"{case}: stored as {got!r}, expected a refusal")
        elif expected is STORED_OR_REFUSED:
            if repr(got) != repr(value):
                wrong.append(f"{case}: stored {got!r}, expected {value!r} or a refusal")
        elif got != expected or type(got) is not type(expected):
            wrong.append(f"{case}: stored {got!r}, expected {expected!r}")
        elif len(table()) != size + kept:
            wrong.append(f"{case}: {len(table())} rows stored, expected {size + kept}")
    return wrong


@pytest.mark.parametrize("mode", ["plain", "skip_duplicates", "replace"])
def test_bad_values_in_the_middle_of_a_bulk_insert(table: Any, backend: str, mode: str) -> None:
    """Every case of the table, in the middle of rows that take the backend's bulk path: the
    same outcome as alone, and a refused batch writes nothing."""
    cases = [case for case in CASES if case[1] != "id"]
    wrong = _in_bulk(table, BULK, mode, cases)
    assert not wrong, f"{backend}, {mode}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("mode", ["plain", "skip_duplicates"])
def test_bad_values_in_the_middle_of_20000_rows(table: Any, backend: str, mode: str) -> None:
    wrong = _in_bulk(table, 20_000, mode, [case for case in CASES if case[0] in LARGE])
    assert not wrong, f"{backend}, {mode}:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("limit", "offset", "found"),
    [
        (2**63, 0, 7),  # SQLite's driver raised OverflowError, PostgreSQL "bigint out of range"
        (10**30, 0, 7),  # MySQL raised a syntax error
        (np.int64(2), 0, 2),  # was refused as no integer
        (np.uint8(0), 0, 0),
        (None, 10**30, 0),
        (3, np.int32(5), 2),
    ],
)
def test_limits_and_offsets_at_their_edges(table: Any, limit: Any, offset: Any, found: int) -> None:
    table.insert([{"id": i} for i in range(7)])
    assert len(table & dj.Top(limit, offset=offset)) == found
    assert len(table.to_dicts(limit=limit if limit is not None else 10**30, offset=offset)) == found


@pytest.mark.parametrize(
    "arguments",
    [{"limit": -1}, {"limit": 1.5}, {"limit": "2"}, {"limit": True}, {"limit": 2, "offset": -1}],
    ids=["negative", "float", "text", "bool", "negative offset"],
)
def test_bad_limits_are_refused_on_every_backend(table: Any, arguments: dict[str, Any]) -> None:
    # SQLite returned every row for -1, the servers raised their own errors
    table.insert([{"id": i} for i in range(3)])
    with pytest.raises(dj.QueryError, match="must be an integer >= 0"):
        table.to_dicts(**arguments)
    with pytest.raises(dj.QueryError, match="must be an integer >= 0"):
        table & dj.Top(**arguments)
    if arguments == {"limit": -1}:
        with pytest.raises(dj.QueryError, match="must be an integer >= 0"):
            table.head(-1)


def test_order_by_takes_names_only(table: Any) -> None:
    table.insert([{"id": i, "i32": -i} for i in range(3)])
    assert table.to_arrays("id", order_by="`i32` DESC").tolist() == [0, 1, 2]  # 0.14's quotes
    with pytest.raises(dj.QueryError, match="order_by takes"):
        table.to_dicts(order_by=1)  # was a raw TypeError


@pytest.mark.parametrize(
    "document",
    [[2.0, -2.5, 1e-7], {"a": 123456789.123456789}, [1e15], [1e16], [1.5e300], [-0.0]],
    ids=["small", "digits", "1e15", "1e16", "1.5e300", "-0.0"],
)
def test_json_numbers_keep_their_type(
    table: Any, backend: str, document: Any, request: pytest.FixtureRequest
) -> None:
    large = isinstance(document, list) and any(abs(v) >= 1e16 for v in document)
    if backend == "postgresql" and large:
        reason = "jsonb keeps numbers as numeric and writes 1e16 as 10000000000000000: an int"
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    table.insert1({"id": 1, "doc": document})
    stored = table.fetch1("doc")
    assert repr(stored).replace("-0.0", "0.0") == repr(document).replace("-0.0", "0.0")


def test_trailing_spaces_are_part_of_text(new_schema: Callable[..., dj.Schema]) -> None:
    """MySQL's padding collations compare 'ab' and 'ab ' as equal: two keys collided and a
    restriction found both. Text compares exactly on every backend."""
    schema = new_schema("spaces")

    @schema
    class Word(dj.Manual):
        definition = """
        word : varchar(10)
        ---
        note = null : varchar(10)
        """

    Word.insert([{"word": "ab", "note": "x "}, {"word": "ab "}, {"word": "AB"}])
    assert sorted(Word.to_arrays("word").tolist()) == ["AB", "ab", "ab "]
    assert (Word & {"word": "ab "}).fetch1("word") == "ab "
    assert len(Word & {"note": "x"}) == 0
    assert len(Word & 'note = "x"') == 0
    assert (Word & {"note": "x "}).fetch1("word") == "ab"


@pytest.mark.parametrize("size", [1, BULK], ids=["alone", "bulk"])
def test_none_for_an_attribute_that_is_not_nullable(
    new_schema: Callable[..., dj.Schema], size: int
) -> None:
    """None is NULL where the attribute is nullable, its default where it has one (as in
    DataJoint), and refused naming the attribute and row where it has neither (the servers'
    own errors named it each their own way)."""
    schema = new_schema("nones")

    @schema
    class Reading(dj.Manual):
        definition = """
        reading : int32
        ---
        value : int32
        unit = "mV" : varchar(8)
        note = null : varchar(8)
        """

    rows = [{"reading": i, "value": i, "unit": "V" if i % 2 else None} for i in range(size)]
    rows[size // 2]["note"] = None
    Reading.insert(rows)
    stored = Reading.to_dicts(order_by="KEY")
    assert [r["unit"] for r in stored] == ["V" if i % 2 else "mV" for i in range(size)]
    assert {r["note"] for r in stored} == {None}
    Reading.delete_quick()
    rows[size // 2]["value"] = None
    refused = rf"`value` = None \(row with key \{{'reading': {size // 2}\}}\) is refused: the"
    with pytest.raises(dj.DataJointError, match=refused + " attribute is not nullable"):
        Reading.insert(rows)
    assert len(Reading()) == 0
    Reading.insert1({"reading": 1, "value": 1, "unit": "V"})
    with pytest.raises(dj.DataJointError, match=r"`value` = None .* nothing was changed"):
        Reading.update1({"reading": 1, "value": None})
    Reading.update1({"reading": 1, "unit": None})  # back to its default, as in DataJoint
    assert (Reading & {"reading": 1}).fetch1("unit", "value") == ("mV", 1)


def test_update_to_none_sets_each_kind_of_default(new_schema: Callable[..., dj.Schema]) -> None:
    """update1 with None sets a non-nullable attribute to its declared default, whatever its
    kind (a number, text, a boolean, the current time)."""
    schema = new_schema("redefault")

    @schema
    class Setting(dj.Manual):
        definition = """
        setting : int32
        ---
        level = 3 : int16
        ratio = 0.5 : float64
        label = "plain" : varchar(12)
        active = true : bool
        changed = CURRENT_TIMESTAMP : datetime
        """

    Setting.insert1(
        {
            "setting": 1,
            "level": 9,
            "ratio": 2.0,
            "label": "x",
            "active": False,
            "changed": "2020-01-01 10:00:00",
        }
    )
    Setting.update1(
        {"setting": 1, "level": None, "ratio": None, "label": None, "active": None, "changed": None}
    )
    row = Setting.fetch1()
    assert (row["level"], row["ratio"], row["label"], bool(row["active"])) == (
        3,
        0.5,
        "plain",
        True,
    )
    assert row["changed"].year > 2020
