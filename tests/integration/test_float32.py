"""``float32`` (DataJoint's ``float``): what a round trip returns on each backend.

MySQL and PostgreSQL store a 4-byte float and return the shortest decimal that is that float
(15.3 stays 15.3; 1/3 comes back as 0.33333334; an integer beyond 2**24 as the nearest float32).
MySQL's driver text would have six digits only (a stored 1234567.0 read as 1234570.0), and
the stored float's every bit would be float32 noise (15.300000190734863): neither is returned.
SQLite has 8-byte floats only, so it returns the value as given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dj_sqla as dj

GIVEN = [15.3, 1 / 3, 1234567.0, 16777217.0, 3.4e38, -0.1, 1e-7, 0.0]
#: What MySQL and PostgreSQL return: the shortest decimal of the nearest 4-byte float.
SHORTEST = [15.3, 0.33333334, 1234567.0, 16777216.0, 3.4e38, -0.1, 1e-7, 0.0]


@pytest.fixture
def table(new_schema: Callable[..., dj.Schema]) -> Any:
    @new_schema("f32")
    class Reading(dj.Manual):
        definition = """
        i : int32
        ---
        classic : float       # DataJoint's float is a float32
        single = null : float32
        """

    Reading.insert([(i, v, v) for i, v in enumerate(GIVEN)])
    return Reading


def test_what_a_float32_round_trip_returns(table: Any, backend: str) -> None:
    expected = GIVEN if backend == "sqlite" else SHORTEST
    rows = table.to_dicts(order_by="i")
    assert [r["classic"] for r in rows] == expected
    assert [r["single"] for r in rows] == expected
    assert list(table.to_arrays("classic", order_by="i")) == expected
    assert (table & {"i": 0}).fetch1("classic") == 15.3
    assert list(table.fetch("single", order_by="i")) == expected


def test_the_fetched_value_is_the_stored_float32(table: Any, backend: str) -> None:
    stored = np.array(GIVEN, dtype=np.float32)
    fetched = np.array(table.to_arrays("single", order_by="i"), dtype=np.float32)
    assert (fetched == stored).all()  # on SQLite the 8-byte value rounds to the same float32


def test_a_value_beyond_float32_is_refused(table: Any) -> None:
    with pytest.raises(dj.DataJointError, match="single"):
        table.insert1((99, 1.0, 1e39))
    assert len(table & {"i": 99}) == 0
