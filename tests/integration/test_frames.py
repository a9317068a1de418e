"""``to_arrow()`` and ``to_polars()`` (the optional extras) on every backend."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dj_sqla as dj

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")


@pytest.fixture
def table(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("frames")

    @schema
    class Item(dj.Manual):
        definition = """
        item : int32
        ---
        name : varchar(10)
        price : decimal(6, 2)
        weight = null : float64
        day : date
        code : uuid
        """

    Item.insert(
        [
            (1, "a", decimal.Decimal("1.50"), 0.5, dt.date(2024, 1, 1), uuid.UUID(int=1)),
            (2, "b", decimal.Decimal("2.25"), None, dt.date(2024, 1, 2), uuid.UUID(int=2)),
        ]
    )
    return Item


def test_to_arrow(table: Any) -> None:
    result = table.to_arrow(order_by="KEY")
    assert result.column_names == ["item", "name", "price", "weight", "day", "code"]
    assert result.column("item").to_pylist() == [1, 2]
    assert result.column("weight").to_pylist() == [0.5, None]
    assert result.column("price").to_pylist() == [decimal.Decimal("1.50"), decimal.Decimal("2.25")]
    assert result.column("day").to_pylist() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert result.column("code").to_pylist() == [str(uuid.UUID(int=1)), str(uuid.UUID(int=2))]
    assert (table & {"item": 2}).to_arrow().num_rows == 1
    assert table.to_arrow(order_by="name DESC", limit=1).column("item").to_pylist() == [2]
    empty = (table & "item > 5").to_arrow()
    assert empty.num_rows == 0
    assert empty.column_names == result.column_names


def test_to_polars(table: Any) -> None:
    frame = table.to_polars(order_by="KEY")
    assert frame.columns == ["item", "name", "price", "weight", "day", "code"]
    assert frame["item"].to_list() == [1, 2]
    assert frame["weight"].to_list() == [0.5, None]
    assert frame["day"].to_list() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert table.proj("name").to_polars(order_by="KEY")["name"].to_list() == ["a", "b"]
    assert (table & "item > 5").to_polars().height == 0


def test_blobs_are_refused_by_arrow_and_kept_by_polars(
    new_schema: Callable[..., dj.Schema],
) -> None:
    schema = new_schema("blobframes")

    @schema
    class Scan(dj.Manual):
        definition = """
        scan : int32
        ---
        image : <blob>
        """

    Scan.insert([(1, np.zeros(3)), (2, {"a": 1})])
    with pytest.raises(dj.DataJointError, match=r"`image`.*proj"):
        Scan.to_arrow()
    frame = Scan.to_polars(order_by="KEY")
    assert frame.height == 2
