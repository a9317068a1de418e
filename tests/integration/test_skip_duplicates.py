"""``insert(skip_duplicates=True)`` by the backend's own skipping insert: any size, composite
keys, duplicates inside one call, other errors still refused, in-memory SQLite."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import dj_sqla as dj


@pytest.fixture
def tables(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("skip")

    @schema
    class Animal(dj.Manual):
        definition = """
        animal : int32
        ---
        tag : varchar(10)
        unique index(tag)
        """

    @schema
    class Sample(dj.Manual):
        definition = """
        -> Animal
        sample : int32
        ---
        value : float64
        """

    return Animal, Sample


def test_composite_key_at_any_size(tables: Any) -> None:
    Animal, Sample = tables
    Animal.insert([(i, f"t{i}") for i in range(3)])
    rows = [(a, s, float(s)) for a in range(3) for s in range(1500)]
    Sample.insert(rows[::2])
    Sample.insert(rows, skip_duplicates=True)
    assert len(Sample()) == len(rows)
    stored = {(r["animal"], r["sample"]): r["value"] for r in Sample.to_dicts()}
    assert stored == {(a, s): v for a, s, v in rows}


def test_stored_rows_are_kept_unchanged(tables: Any) -> None:
    Animal, _ = tables
    Animal.insert([(1, "a")])
    Animal.insert([(1, "changed"), (2, "b")], skip_duplicates=True)
    assert Animal.to_dicts(order_by="KEY") == [
        {"animal": 1, "tag": "a"},
        {"animal": 2, "tag": "b"},
    ]


def test_duplicates_within_one_call_store_one_row(tables: Any) -> None:
    Animal, _ = tables
    Animal.insert([(5, "e"), (5, "e"), (6, "f")], skip_duplicates=True)
    assert Animal.to_dicts(order_by="KEY") == [{"animal": 5, "tag": "e"}, {"animal": 6, "tag": "f"}]
    Animal.insert([{"animal": 7, "tag": "g"}, {"animal": 7, "tag": "g"}], skip_duplicates=True)
    assert len(Animal()) == 3


def test_other_errors_are_still_refused(tables: Any) -> None:
    Animal, Sample = tables
    Animal.insert([(1, "a")])
    with pytest.raises(dj.DataJointError):
        Animal.insert([(2, "a")], skip_duplicates=True)  # a secondary unique index
    with pytest.raises(dj.DataJointError):
        Sample.insert([(99, 1, 0.5)], skip_duplicates=True)  # no such parent
    assert len(Animal()) == 1
    assert len(Sample()) == 0


def test_without_skip_duplicates_a_duplicate_still_fails(tables: Any) -> None:
    Animal, _ = tables
    Animal.insert([(1, "a")])
    with pytest.raises(dj.DuplicateError):
        Animal.insert([(1, "b")])


def test_in_memory_sqlite(tmp_path: Any) -> None:
    conn = dj.Connection("sqlite://")
    schema = dj.Schema("mem", connection=conn)

    @schema
    class Item(dj.Manual):
        definition = """
        item : int32
        """

    Item.insert([(1,), (2,)])
    Item.insert([(1,), (3,), (3,)], skip_duplicates=True)
    assert [r["item"] for r in Item.to_dicts(order_by="KEY")] == [1, 2, 3]
    with pytest.raises(dj.DuplicateError):
        Item.insert([(1,)])
    assert len(Item()) == 3
    conn.engine.dispose()


def test_large_inserts_with_repeats_and_errors(tables: Any) -> None:
    """Large inserts take the bulk path where a backend has one (COPY on PostgreSQL)."""
    Animal, Sample = tables
    Animal.insert([(i, f"t{i}") for i in range(2)])
    rows = [(a, s, 0.5) for a in range(2) for s in range(1200)]
    Sample.insert(rows + rows[:700], skip_duplicates=True)
    assert len(Sample()) == len(rows)
    with pytest.raises(dj.DataJointError):
        Sample.insert([*rows, (42, 1, 0.0)], skip_duplicates=True)  # no such parent
    assert len(Sample()) == len(rows)
    many = [(i, f"u{i}") for i in range(10, 1500)]
    with pytest.raises(dj.DuplicateError):
        Animal.insert([*many, (2000, "t0")], skip_duplicates=True)  # the unique tag
    assert len(Animal()) == 2


def test_large_skipping_insert_keeps_the_first_of_repeats(tables: Any) -> None:
    Animal, Sample = tables
    Animal.insert([(i, f"t{i}") for i in range(3)])
    rows = [(a, s, 1.0) for a in range(3) for s in range(800)]
    Sample.insert(rows[:100])
    again = [(a, s, 2.0) for a, s, _ in rows]
    Sample.insert(rows + again, skip_duplicates=True)
    assert {r["value"] for r in Sample.to_dicts()} == {1.0}
    assert len(Sample()) == len(rows)
    Sample.insert(rows, skip_duplicates=True)  # every key stored: nothing to insert
    assert len(Sample()) == len(rows)


def test_large_skipping_insert_with_typed_keys(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("typed")

    @schema
    class Reading(dj.Manual):
        definition = """
        id : uuid
        day : date
        label : varchar(12)
        ---
        amount : decimal(8, 3)
        """

    rows = [
        {
            "id": uuid.UUID(int=i % 700),
            "day": dt.date(2020, 1, 1) + dt.timedelta(days=i % 3),
            "label": f"é{i % 5}",
            "amount": decimal.Decimal(i) / 8,
        }
        for i in range(2100)
    ]
    Reading.insert(rows[:500])
    Reading.insert(rows, skip_duplicates=True)
    keys = {(r["id"], r["day"], r["label"]) for r in rows}
    assert len(Reading()) == len(keys) == 2100
    Reading.insert(rows, skip_duplicates=True)
    assert len(Reading()) == 2100
