"""Computations written the DataJoint ways, on every backend: generator ``make``, 0.14's
``_make_tuples``, properties for ``key_source`` and ``contents``, 0.14's populate arguments,
and singleton tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import dj_sqla as dj


@pytest.fixture
def numbers(new_schema: Callable[..., dj.Schema]) -> tuple[dj.Schema, type]:
    schema = new_schema("numbers")

    @schema
    class Number(dj.Lookup):
        definition = "n : int32\n---\nvalue : float64"

        @property
        def contents(self) -> list[tuple[int, float]]:  # DataJoint allows a property
            return [(n, n * 1.5) for n in range(1, 6)]

    return schema, Number


def test_lookup_contents_may_be_a_property(numbers: tuple[dj.Schema, type]) -> None:
    _, Number = numbers
    assert Number.to_arrays("n", order_by="KEY").tolist() == [1, 2, 3, 4, 5]


def test_a_generator_make_runs_datajoint_protocol(numbers: tuple[dj.Schema, type]) -> None:
    schema, Number = numbers  # the definitions name it
    calls: list[str] = []

    @schema
    class Doubled(dj.Computed):
        definition = "-> Number\n---\ndoubled : float64"

        def make(self, key: dict[str, Any]) -> Iterator[Any]:
            value = (Number & key).fetch1("value")
            calls.append("fetch")
            computed = yield (value,)
            if computed is None:
                calls.append("compute")
                computed = (value * 2,)
                yield computed
            calls.append("insert")
            self.insert1({**key, "doubled": computed[0]})
            yield

    result = Doubled.populate()
    assert result == {"success_count": 5, "error_list": []}
    assert Doubled.to_arrays("doubled", order_by="KEY").tolist() == [3.0, 6.0, 9.0, 12.0, 15.0]
    # fetch, compute outside the transaction; fetch again and insert inside it
    assert calls[:4] == ["fetch", "compute", "fetch", "insert"]


def test_a_generator_make_that_stops_early_is_an_error(numbers: tuple[dj.Schema, type]) -> None:
    schema, Number = numbers  # noqa: RUF059  # the definitions name it

    @schema
    class Broken(dj.Computed):
        definition = "-> Number\n---\nx : float64"

        def make(self, key: dict[str, Any]) -> Iterator[Any]:
            yield ()  # the fetched data, and then nothing

    with pytest.raises(dj.DataJointError, match="stopped before yielding the computed result"):
        Broken.populate()
    assert len(Broken()) == 0
    result = Broken.populate(suppress_errors=True)
    assert result["success_count"] == 0
    assert len(result["error_list"]) == 5


def test_a_make_that_returns_something_is_not_a_success(numbers: tuple[dj.Schema, type]) -> None:
    schema, Number = numbers  # noqa: RUF059  # the definitions name it

    def compute(key: dict[str, Any]) -> Iterator[int]:
        yield 1

    @schema
    class ReturnsGenerator(dj.Computed):
        definition = "-> Number\n---\nx : float64"

        def make(self, key: dict[str, Any]) -> Any:
            return compute(key)  # a generator object that nobody runs

    @schema
    class ReturnsValue(dj.Computed):
        definition = "-> Number\n---\nx : float64"

        def make(self, key: dict[str, Any]) -> Any:
            return {**key, "x": 1.0}  # forgot to insert

    with pytest.raises(dj.DataJointError, match="returned a generator without running it"):
        ReturnsGenerator.populate()
    with pytest.raises(dj.DataJointError, match="must insert its rows itself"):
        ReturnsValue.populate()
    assert len(ReturnsGenerator()) == len(ReturnsValue()) == 0


def test_make_tuples_and_a_key_source_property(numbers: tuple[dj.Schema, type]) -> None:
    schema, Number = numbers  # the definitions name it

    @schema
    class Classic(dj.Computed):
        definition = "-> Number\n---\nsquare : float64"

        @property
        def key_source(self) -> Any:
            return Number & "n > 2"

        def _make_tuples(self, key: dict[str, Any]) -> None:  # DataJoint 0.14's name
            value = (Number & key).fetch1("value")
            self.insert1(dict(key, square=value**2))

    assert Classic.populate()["success_count"] == 3
    assert Classic.to_arrays("n", order_by="KEY").tolist() == [3, 4, 5]
    assert Classic.progress() == (0, 3)


def test_the_default_key_source_is_readable(numbers: tuple[dj.Schema, type]) -> None:
    """``Table.key_source`` and ``Table().key_source`` without a definition of the class's own:
    the join of the parents in the primary key, as keys."""
    schema, Number = numbers  # noqa: RUF059  # the definitions name it

    @schema
    class Square(dj.Computed):
        definition = "-> Number\n---\nsquare : float64"

        def make(self, key: dict[str, Any]) -> None:
            self.insert1(dict(key, square=float(key["n"] ** 2)))

    assert len(Square.key_source) == 5
    assert Square().key_source.heading.names == ["n"]
    Square.populate(Square.key_source & "n < 3")
    assert len(Square.key_source - Square) == 3
    assert len(Square().key_source) == 5


def test_populate_order_and_limit(numbers: tuple[dj.Schema, type]) -> None:
    schema, Number = numbers  # noqa: RUF059  # the definitions name it
    seen: list[int] = []

    @schema
    class Ordered(dj.Computed):
        definition = "-> Number"

        def make(self, key: dict[str, Any]) -> None:
            seen.append(key["n"])
            self.insert1(key)

    Ordered.populate(order="reverse", limit=2)
    assert seen == [5, 4]
    Ordered.populate(order="random")
    assert sorted(seen) == [1, 2, 3, 4, 5]
    with pytest.raises(dj.DataJointError, match="order='sideways'"):
        Ordered.populate(order="sideways")


def test_ignoring_a_job_needs_the_whole_key(numbers: tuple[dj.Schema, type]) -> None:
    schema, Number = numbers  # noqa: RUF059  # the definitions name it

    @schema
    class Pair(dj.Computed):
        definition = "-> Number\n---\nk : int16"

        def make(self, key: dict[str, Any]) -> None:
            self.insert1({**key, "k": 1})

    with pytest.raises(dj.DataJointError, match="lacks n"):
        Pair.jobs.ignore({"k": 1})
    Pair.jobs.ignore({"n": 2})
    assert Pair.jobs.ignored.keys() == [{"n": 2}]


def test_a_singleton_table_holds_one_row(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("single")

    @schema
    class Settings(dj.Manual):
        definition = "# the lab's settings\n---\nthreshold : float64\nlabel = 'x' : varchar(8)"

    assert Settings.primary_key == []
    assert Settings.heading.names == ["threshold", "label"]
    Settings.insert1({"threshold": 0.5})
    assert Settings.fetch1() == {"threshold": 0.5, "label": "x"}
    with pytest.raises(dj.DuplicateError):
        Settings.insert1({"threshold": 0.7})
    assert (
        Settings.describe()
        == "# the lab's settings\n---\nthreshold : float64\nlabel = 'x' : varchar(8)\n"
    )
    Settings.delete_quick()
    assert len(Settings()) == 0
