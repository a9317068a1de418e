"""insert() on every backend: row formats, skip_duplicates, replace, INSERT ... SELECT, errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import dj_sqla as dj


@pytest.fixture
def tables(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("lab")

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        tag : varchar(10)
        weight = null : float64
        unique index(tag)
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int16
        ---
        day : date
        """

    @schema
    class Copy(dj.Computed):
        definition = """
        -> Mouse
        ---
        tag : varchar(10)
        """

    class T:
        pass

    T.Mouse, T.Session, T.Copy = Mouse, Session, Copy  # type: ignore[attr-defined]
    return T


def stored(table: Any) -> list[dict[str, Any]]:
    return table.to_dicts(order_by="KEY")  # type: ignore[no-any-return]


def test_row_formats(tables: Any) -> None:
    Mouse = tables.Mouse
    Mouse.insert([{"mouse_id": 1, "tag": "a"}, (2, "b", 20.5)])
    records = np.array(
        [(3, "c", 1.5), (4, "d", 2.5)], dtype=[("mouse_id", "i8"), ("tag", "U10"), ("weight", "f8")]
    )
    Mouse.insert(records)
    frame = pd.DataFrame(
        {"mouse_id": [5, 6], "tag": ["e", "f"], "weight": [np.nan, 3.0]}
    ).set_index("mouse_id")
    Mouse.insert(frame)
    assert [(r["mouse_id"], r["tag"], r["weight"]) for r in stored(Mouse)] == [
        (1, "a", None),
        (2, "b", 20.5),
        (3, "c", 1.5),
        (4, "d", 2.5),
        (5, "e", None),
        (6, "f", 3.0),
    ]
    # a DataFrame from to_pandas() goes back in unchanged
    again = Mouse.to_pandas()
    (Mouse & "mouse_id > 4").delete(prompt=False)
    Mouse.insert(again.loc[[5, 6]])
    assert len(Mouse()) == 6


def test_skip_duplicates_is_about_primary_keys_only(tables: Any) -> None:
    Mouse = tables.Mouse
    Mouse.insert([(1, "a", None), (2, "b", None)])
    Mouse.insert([(1, "zzz", None), (3, "c", None)], skip_duplicates=True)
    assert [r["tag"] for r in stored(Mouse)] == ["a", "b", "c"]
    with pytest.raises(dj.DuplicateError):
        Mouse.insert([(4, "a", None)], skip_duplicates=True)  # secondary unique index
    assert len(Mouse()) == 3


def test_replace_is_an_upsert(tables: Any) -> None:
    Mouse = tables.Mouse
    Mouse.insert([(1, "a", 1.0), (2, "b", 2.0)])
    Mouse.insert([(1, "x", 9.0), (3, "c", 3.0)], replace=True)
    assert [(r["tag"], r["weight"]) for r in stored(Mouse)] == [("x", 9.0), ("b", 2.0), ("c", 3.0)]
    with pytest.raises(dj.DataJointError, match="not both"):
        Mouse.insert([(1, "y", None)], replace=True, skip_duplicates=True)


def test_insert_is_atomic_and_errors_are_clear(tables: Any) -> None:
    Mouse, Session = tables.Mouse, tables.Session
    Mouse.insert1((1, "a", None))
    with pytest.raises(
        dj.DuplicateError,
        match=r"lab`\.`mouse`: the row with primary key \{'mouse_id': 1\}.*skip_duplicates=True",
    ):
        Mouse.insert([(2, "b", None), (1, "dup", None)])
    assert len(Mouse()) == 1
    with pytest.raises(
        dj.MissingParentError,
        match=r"row with key \{'mouse_id': 9, .* has mouse_id=9, which is not in .*`mouse`.*parent",
    ):
        Session.insert([(1, 1, dt.date(2026, 1, 1)), (9, 1, dt.date(2026, 1, 1))])
    assert len(Session()) == 0
    with pytest.raises(dj.UnknownAttributeError, match="`colour` is not an attribute"):
        Mouse.insert1({"mouse_id": 3, "tag": "c", "colour": "red"})
    with pytest.raises(dj.UnknownAttributeError, match="has 2 values"):
        Mouse.insert1((3, "c"))


def test_insert_from_a_query(tables: Any) -> None:
    Mouse, Copy = tables.Mouse, tables.Copy
    Mouse.insert([(1, "a", 1.0), (2, "b", 2.0), (3, "c", None)])
    with pytest.raises(dj.DataJointError, match="allow_direct_insert"):
        Copy.insert(Mouse.proj("tag"))
    Copy.insert(Mouse.proj("tag") & "mouse_id < 3", allow_direct_insert=True)
    assert [r["tag"] for r in stored(Copy)] == ["a", "b"]
    Copy.insert(Mouse.proj("tag"), skip_duplicates=True, allow_direct_insert=True)
    assert len(Copy()) == 3
    with pytest.raises(dj.UnknownAttributeError, match="`weight`"):
        Copy.insert(Mouse, allow_direct_insert=True)
    with pytest.raises(dj.DuplicateError):
        Copy.insert(Mouse, ignore_extra_fields=True, allow_direct_insert=True)
    assert len(Copy()) == 3


def test_orm_and_core_see_the_same_rows(tables: Any, connection: dj.Connection) -> None:
    tables.Mouse.insert1((1, "a", None))
    with connection.engine.connect() as conn:
        assert conn.execute(sa.select(tables.Mouse.tag)).scalars().all() == ["a"]


def test_too_long_value_is_refused_and_named(tables: Any) -> None:
    Mouse = tables.Mouse
    with pytest.raises(
        dj.DataJointError,
        match=r"`tag` = 'x+' .* is refused: it has 11 characters and holds at most 10",
    ):
        Mouse.insert([(5, "ok", None), (6, "x" * 11, None)])
    assert len(Mouse()) == 0


def test_out_of_range_integer_is_refused(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("lab")

    @schema
    class Counter(dj.Manual):
        definition = """
        counter_id : int8
        ---
        count : int16
        """

    Counter.insert1((127, 32767))
    with pytest.raises(
        dj.DataJointError, match=r"`count` = 32768 .*is refused: outside the range of int16"
    ):
        Counter.insert([(1, 0), (2, 32768)])
    with pytest.raises(
        dj.DataJointError, match=r"`counter_id` = 128 is refused: outside the range of int8"
    ):
        Counter.insert1((128, 0))
    assert Counter.to_dicts() == [{"counter_id": 127, "count": 32767}]


def test_pyarrow_tables_and_polars_frames_insert_as_their_rows(tables: Any) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    polars = pytest.importorskip("polars")
    Mouse = tables.Mouse
    Mouse.insert(pyarrow.table({"mouse_id": [1, 2], "tag": ["a", "b"], "weight": [1.5, None]}))
    frame = polars.DataFrame({"mouse_id": [2, 3, 4], "tag": ["b", "c", "d"]})
    Mouse.insert(frame, skip_duplicates=True, chunk_size=2)
    assert [(r["mouse_id"], r["tag"], r["weight"]) for r in stored(Mouse)] == [
        (1, "a", 1.5),
        (2, "b", None),
        (3, "c", None),
        (4, "d", None),
    ]
    back = Mouse.to_arrow()
    Mouse.delete_quick()
    Mouse.insert(back, chunk_size=3)
    assert len(Mouse()) == 4
    assert Mouse.validate(polars.DataFrame({"mouse_id": [9], "tag": ["x"]})).is_valid
    assert not Mouse.validate(pyarrow.table({"mouse_id": [9]})).is_valid


def test_a_value_that_is_not_a_row_is_refused(tables: Any) -> None:
    for not_a_row in (5, "abc", None):
        with pytest.raises(dj.errors.QueryArgumentError, match="a row is a dict"):
            tables.Mouse.insert1(not_a_row)
    assert len(tables.Mouse()) == 0
    records = np.array([(7, "r", 1.0)], dtype=[("mouse_id", int), ("tag", "U4"), ("w", float)])
    tables.Mouse.insert1(records[0])  # a numpy record is a row (positional)
    assert stored(tables.Mouse) == [{"mouse_id": 7, "tag": "r", "weight": 1.0}]


def test_a_missing_attribute_without_default_is_refused_by_name(tables: Any) -> None:
    Mouse = tables.Mouse
    for skip in (False, True):
        with pytest.raises(dj.errors.MissingAttributeError, match="attribute `tag` is missing"):
            Mouse.insert([{"mouse_id": 1}, {"mouse_id": 2, "tag": "b"}], skip_duplicates=skip)
    with pytest.raises(dj.errors.MissingAttributeError, match="primary-key attribute `mouse_id`"):
        Mouse.insert1({"tag": "a"})
    Mouse.insert1({"mouse_id": 1, "tag": "a"})  # weight has a default (null)
    assert len(Mouse()) == 1


def test_insert_from_a_projection_that_orders_attributes_otherwise(tables: Any) -> None:
    Mouse = tables.Mouse
    Mouse.insert([(1, "a", 2.0), (2, "b", None)])
    moved = Mouse.proj("weight", "tag", new_id="mouse_id + 10").proj(
        "tag", "weight", mouse_id="new_id"
    )
    renamed = moved.proj(..., label="tag").proj("weight", "label", tag="concat(label, 'x')")
    Mouse.insert(renamed, ignore_extra_fields=True)
    assert [(r["mouse_id"], r["tag"], r["weight"]) for r in stored(Mouse)] == [
        (1, "a", 2.0),
        (2, "b", None),
        (11, "ax", 2.0),
        (12, "bx", None),
    ]


def test_an_unknown_field_is_a_key_error(tables: Any) -> None:
    Mouse = tables.Mouse
    with pytest.raises(KeyError, match="`spouse` is not an attribute") as caught:
        Mouse.insert1({"mouse_id": 1, "tag": "a", "spouse": "b"})
    assert isinstance(caught.value, dj.errors.UnknownAttributeError)
    assert str(caught.value).startswith("`spouse`")  # not quoted as a KeyError would be
    with pytest.raises(KeyError):
        tables.Session.insert(Mouse.proj(..., session="1", day="'2020-01-01'", extra="1"))
    Mouse.insert1({"mouse_id": 1, "tag": "a", "spouse": "b"}, ignore_extra_fields=True)
    assert len(Mouse()) == 1


def test_a_class_without_definition_is_refused(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("nodef")

    class Misspelled(dj.Manual):
        definitions = """
        id : int32
        """

    with pytest.raises(NotImplementedError, match="has no `definition`") as caught:
        schema(Misspelled)
    assert isinstance(caught.value, dj.DefinitionError)
    assert schema.list_tables() == []
