"""Restriction by many keys (lists of dicts, record arrays, DataFrames), on every backend.

Thousands of keys used to be an OR of thousands of ANDs, which SQLite refuses beyond about
1,000 terms ("Expression tree is too large"); they are now one ``IN`` per set of attributes,
a long one carried in one JSON parameter. These tests check that the meaning stays
DataJoint's at every length: short lists (bound value by value) and long ones (JSON) must
give the same rows.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import dj_sqla as dj

#: Longer than any list bound value by value, so that the JSON form is used.
LONG = 3000


@pytest.fixture
def tables(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("keys")

    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        name : varchar(40)
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : varchar(16)
        ---
        note = null : varchar(20)
        """

    @schema
    class Typed(dj.Manual):
        definition = """
        id : uuid
        raw : binary(4)
        day : date
        amount : decimal(8, 3)
        kind : enum('a', 'b', 'c')
        ---
        stamp = null : datetime(6)
        """

    Subject.insert((i, f"s{i}") for i in range(LONG))
    Session.insert(
        {"subject_id": i, "session": s, "note": None if i % 3 else "n"}
        for i in range(LONG)
        for s in ("a", "b")
    )
    typed = [
        {
            "id": uuid.UUID(int=i),
            "raw": i.to_bytes(4, "big"),
            "day": dt.date(2020, 1, 1) + dt.timedelta(days=i),
            "amount": decimal.Decimal(i) / 8,
            "kind": "abc"[i % 3],
            "stamp": dt.datetime(2020, 1, 1, 0, 0, 0, i) if i % 2 else None,
        }
        for i in range(LONG)
    ]
    Typed.insert(typed)

    class Tables:
        pass

    Tables.Subject, Tables.Session, Tables.Typed = Subject, Session, Typed  # type: ignore[attr-defined]
    Tables.typed = typed  # type: ignore[attr-defined]
    return Tables


def keys_of(expr: Any, *names: str) -> set[tuple[Any, ...]]:
    return {tuple(row[n] for n in names) for row in expr.to_dicts()}


def test_many_composite_keys(tables: Any) -> None:
    Session = tables.Session
    keys = [{"subject_id": i, "session": "ab"[i % 2]} for i in range(0, LONG, 2)]
    keys += [{"subject_id": i, "session": "z"} for i in range(100)]  # present nowhere
    expected = {(k["subject_id"], k["session"]) for k in keys if k["session"] != "z"}
    assert keys_of(Session & keys, "subject_id", "session") == expected
    assert len(Session - keys) == 2 * LONG - len(expected)
    assert len(Session & dj.Not(keys)) == 2 * LONG - len(expected)
    assert len(Session & keys[:5]) == 5  # a short list: the same meaning
    assert len(Session - keys[:5]) == 2 * LONG - 5


def test_many_single_keys_and_join(tables: Any) -> None:
    Subject, Session = tables.Subject, tables.Session
    keys = [{"subject_id": i} for i in range(1, LONG, 3)]
    assert len(Subject & keys) == len(keys)
    assert len(Session & keys) == 2 * len(keys)
    assert len((Subject * Session) & keys) == 2 * len(keys)
    assert len(Subject - keys) == LONG - len(keys)


def test_records_frames_and_generators(tables: Any) -> None:
    Session = tables.Session
    keys = [{"subject_id": i, "session": "a"} for i in range(LONG)]
    records = (Session & keys).proj().to_arrays()
    assert len(records) == LONG
    assert len(Session & records) == LONG
    assert len(Session - records) == LONG
    frame = (Session & keys).proj().to_pandas()  # indexed by the primary key: the index is used
    assert list(frame.index.names) == ["subject_id", "session"]
    assert len(Session & frame) == LONG
    assert len(Session - frame) == LONG
    assert len(Session & pd.DataFrame(keys)) == LONG
    assert len(Session & (k for k in keys)) == LONG
    assert len(Session & records[0]) == 1  # one record: a key


def test_mixed_shapes_and_unknown_names(tables: Any) -> None:
    Session = tables.Session
    keys: list[Any] = [{"subject_id": i, "session": "a"} for i in range(LONG // 2)]
    keys += [{"session": "b", "subject_id": i, "unknown": 1} for i in range(5)]  # ignored name
    keys += [{"subject_id": LONG - 1}, "subject_id = 7"]  # another shape, and a string
    assert len(Session & keys) == LONG // 2 + 5 + 2 + 1
    # a key that names no attribute matches every row, as in DataJoint
    assert len(Session & [*keys, {"unknown": 1}]) == 2 * LONG
    assert len(Session - [*keys, {"unknown": 1}]) == 0
    assert len(Session & []) == 0
    assert len(Session - []) == 2 * LONG


def test_null_and_impossible_values(tables: Any) -> None:
    Session = tables.Session
    nulls = [{"subject_id": i, "note": None} for i in range(LONG)]
    assert len(Session & nulls) == 2 * len([i for i in range(LONG) if i % 3])
    given = [{"subject_id": i, "note": "n" if i % 2 else None} for i in range(LONG)]
    expected = sum(2 for i in range(LONG) if (i % 3 == 0) == bool(i % 2))
    assert len(Session & given) == expected
    # values no row can hold match nothing (never an error, on PostgreSQL neither)
    impossible = [{"subject_id": "abc"}, {"subject_id": 2.5}, {"subject_id": 2**70}]
    assert len(Session & (impossible * LONG)) == 0
    assert len(Session - (impossible * LONG)) == 2 * LONG
    mixed = [{"subject_id": str(i)} for i in range(LONG)]  # text read as integers
    assert len(Session & mixed) == 2 * LONG
    numpy_keys = [{"subject_id": np.int64(i)} for i in range(LONG)]
    assert len(Session & numpy_keys) == 2 * LONG


def test_typed_key_attributes(tables: Any) -> None:
    Typed, typed = tables.Typed, tables.typed
    primary = ("id", "raw", "day", "amount", "kind")
    half = [{n: row[n] for n in primary} for row in typed[::2]]
    assert len(Typed & half) == len(half)
    assert len(Typed - half) == LONG - len(half)
    assert len(Typed & half[:3]) == 3
    as_text = [{"id": str(row["id"]), "day": row["day"].isoformat()} for row in typed[1::2]]
    assert len(Typed & as_text) == len(as_text)
    assert len(Typed & [{"kind": k} for k in ["a", "x"] * LONG]) == LONG // 3
    stamps = [{"stamp": row["stamp"]} for row in typed]  # half of them None
    assert len(Typed & stamps) == LONG
    assert len(Typed & [{"raw": row["raw"]} for row in typed[:LONG:7]]) == len(typed[:LONG:7])
    amounts = [{"amount": row["amount"]} for row in typed] + [{"amount": decimal.Decimal("nan")}]
    assert len(Typed & amounts) == LONG


def test_refused_values(tables: Any) -> None:
    Typed, Session = tables.Typed, tables.Session
    with pytest.raises(dj.DataJointError, match="uuid attribute `id`"):
        Typed & ([{"id": uuid.UUID(int=1)}] * LONG + [{"id": "not a uuid"}])
    with pytest.raises(dj.DataJointError, match="subject_id"):
        Session & [{"subject_id": [1, 2]}] * LONG
    with pytest.raises(dj.DataJointError, match="Cannot restrict by"):
        Session & [object()]


def test_long_restriction_string(tables: Any) -> None:
    Subject = tables.Subject
    text = " OR ".join(f"subject_id = {i}" for i in range(2000))
    assert len(Subject & text) == 2000
    conjunction = " AND ".join(f"subject_id <> {i}" for i in range(2000))
    assert len(Subject & conjunction) == LONG - 2000
    assert len(Subject & dj.AndList([{"name": f"s{i}"} for i in range(1)] * 2000)) == 1


def test_keys_json_cannot_carry_go_as_a_list(new_schema: Callable[..., dj.Schema]) -> None:
    """Times of day travel as a plain IN list (no JSON form): the same meaning."""
    schema = new_schema("times")

    @schema
    class Slot(dj.Manual):
        definition = """
        room : int16
        start : time
        """

    slots = [(r, dt.time(h, m)) for r in range(3) for h in range(24) for m in (0, 30)]
    Slot.insert(slots)
    wanted = [{"room": r, "start": t} for r, t in slots if t.minute == 0]
    assert len(Slot & wanted) == len(wanted) == 72
    assert len(Slot - wanted) == len(slots) - 72
    assert len(Slot & [{"start": t} for _, t in slots[:48]]) == 144


def test_long_text_keys_never_match_a_prefix(new_schema: Callable[..., dj.Schema]) -> None:
    """Text longer than its attribute matches nothing (a database that cuts it to the
    attribute's length must not find the row holding the cut text)."""
    schema = new_schema("short")

    @schema
    class Code(dj.Manual):
        definition = """
        code : varchar(3)
        """

    Code.insert([("abc",), ("ab",), ("é",)])
    keys = [{"code": text} for text in ["abcd", "abc ", "ab\u00e9x", "éé"] * 20]
    assert len(Code & keys) == 0
    assert len(Code - keys) == 3
    assert len(Code & [*keys, {"code": "ab"}]) == 1
