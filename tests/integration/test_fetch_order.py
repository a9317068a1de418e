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


@pytest.mark.parametrize(
    "arguments", [{"limit": "5"}, {"limit": 2.0}, {"offset": "1"}, {"order_by": 123}]
)
def test_top_arguments_of_the_wrong_type_are_type_errors(arguments: dict[str, Any]) -> None:
    with pytest.raises(dj.errors.QueryArgumentError) as caught:
        dj.Top(**arguments)
    assert isinstance(caught.value, TypeError)
    assert isinstance(caught.value, dj.DataJointError)


def test_top_keeps_order_by_as_a_list_and_merges() -> None:
    assert dj.Top().order_by == ["KEY"]
    assert dj.Top(order_by="id desc").order_by == ["id desc"]
    assert dj.Top(order_by=("a", "b desc")).order_by == ["a", "b desc"]
    assert dj.Top(order_by=None).order_by is None
    merged = dj.Top(10, "score desc", offset=5).merge(dj.Top(3, None, offset=2))
    assert (merged.limit, merged.order_by, merged.offset) == (3, ["score desc"], 7)
    assert dj.Top(None, "a").merge(dj.Top(None, None)).limit is None
    assert dj.Top(4, "a").merge(dj.Top(None, None, offset=3)).limit == 1
    with pytest.raises(dj.DataJointError, match="cannot merge"):
        dj.Top(3, "a").merge(dj.Top(2, "b"))


def test_a_top_result_is_fetched_in_its_order(people: Any) -> None:
    Person = people
    by_age = Person & dj.Top(None, "date_of_birth")
    assert [r["person_id"] for r in by_age.to_dicts()] == [4, 2, 5, 1, 3]
    assert list(by_age.to_arrays("person_id", limit=2)) == [4, 2]
    assert list(by_age.fetch("first_name")) == ["Di", "Bob", "Ed", "Ann", "Cy"]
    assert [r["person_id"] for r in by_age.stream()] == [4, 2, 5, 1, 3]
    restricted = by_age & "person_id > 1"  # a further restriction keeps the order
    assert [r["person_id"] for r in restricted.to_dicts()] == [4, 2, 5, 3]
    assert [r["person_id"] for r in by_age.to_dicts(order_by="KEY")] == [1, 2, 3, 4, 5]


def test_a_top_without_order_continues_the_order_so_far(people: Any) -> None:
    Person = people
    desc = Person & dj.Top(4, "person_id desc", offset=1) & dj.Top(2, order_by=None, offset=1)
    assert [r["person_id"] for r in desc.to_dicts()] == [3, 2]
    assert [r["person_id"] for r in (Person & dj.Top(2, None)).to_dicts()] == [1, 2]
    reordered = Person & dj.Top(3, "person_id desc") & dj.Top(2, "person_id")
    assert [r["person_id"] for r in reordered.to_dicts()] == [3, 4]


def test_an_attribute_named_key_is_ordered_by_itself(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("keyed")

    @schema
    class Keyed(dj.Manual):
        definition = """
        id : int32
        key : int32
        """

    Keyed.insert([(2, 5), (1, 5), (2, 6), (0, 4)])
    top = Keyed & dj.Top(3, ["key desc", "id"])
    assert top.to_dicts() == [{"id": 2, "key": 6}, {"id": 1, "key": 5}, {"id": 2, "key": 5}]
    assert Keyed.to_dicts(order_by="KEY", limit=1) == [{"id": 0, "key": 4}]
