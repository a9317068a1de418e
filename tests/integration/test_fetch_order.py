"""``order_by`` on any attribute of a query in every fetch method; strict order strings and
``dj.Top`` arguments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

import dj_sqla as dj


@pytest.fixture
def people(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("ppl")

    @schema
    class Person(dj.Manual):
        definition = """
        person_id : int32
        ---
        first_name : varchar(20)
        name : varchar(20)
        date_of_birth : date
        """

    Person.insert(
        [
            (1, "Ann", "Zed", dt.date(2001, 1, 1)),
            (2, "Bob", "Young", dt.date(1999, 1, 1)),
            (3, "Cy", "Xu", dt.date(2003, 1, 1)),
            (4, "Di", "Web", dt.date(1998, 1, 1)),
            (5, "Ed", "Vo", dt.date(2000, 1, 1)),
        ]
    )
    return Person


def test_order_by_an_attribute_that_is_not_fetched(people: Any) -> None:
    Person = people
    assert [k["person_id"] for k in Person.keys(order_by="name")] == [5, 4, 3, 2, 1]
    ids, first = Person.to_arrays("person_id", "first_name", order_by="date_of_birth DESC", limit=4)
    assert list(ids) == [3, 1, 5, 2]
    assert list(first) == ["Cy", "Ann", "Ed", "Bob"]
    assert list(Person.fetch("first_name", order_by="date_of_birth", limit=2)) == ["Di", "Bob"]
    rows = Person.fetch("first_name", as_dict=True, order_by="name asc", limit=1)
    assert rows == [{"person_id": 5, "first_name": "Ed"}]
    with pytest.raises(dj.DataJointError, match="not an attribute"):
        Person.proj().keys(order_by="name")


@pytest.mark.parametrize(
    "bad", ["name DESC; drop table x", "name DESCENDING", "name desc asc", "", "1name", "a-b"]
)
def test_order_strings_are_strict(people: Any, bad: str) -> None:
    with pytest.raises(dj.DataJointError, match="order_by"):
        people.to_dicts(order_by=bad)
    with pytest.raises(dj.DataJointError, match="order_by"):
        dj.Top(1, bad)


def test_order_strings_accepted(people: Any) -> None:
    Person = people
    assert Person.to_dicts(order_by=["KEY DESC"], limit=1)[0]["person_id"] == 5
    assert Person.to_dicts(order_by="  name   DESC ", limit=1)[0]["person_id"] == 1
    assert Person.to_dicts(order_by="key", limit=1)[0]["person_id"] == 1
    assert len(Person & dj.Top(2, "date_of_birth desc")) == 2
    assert len(Person & dj.Top(None, "name")) == 5
    assert len(Person & dj.Top(0)) == 0


@pytest.mark.parametrize("limit", [-1, 1.5, "3", True])
def test_top_takes_counts_only(limit: Any) -> None:
    with pytest.raises(dj.DataJointError, match="limit must be an integer >= 0"):
        dj.Top(limit)
    with pytest.raises(dj.DataJointError, match="offset must be an integer >= 0"):
        dj.Top(1, "KEY", offset=-2)
