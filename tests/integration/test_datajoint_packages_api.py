"""What published DataJoint tools beyond the Elements use, on every backend.

REST servers and table-linking tools (pharus, datajoint-link) read a table's heading as data
and as definition text, connect with DataJoint's keyword names, delete with 0.14's
``safemode=``, read the child table out of a refused ``delete_quick()``, restrict by any
collection of keys, derive classes from the type of a table instance, and meet 0.11/0.12
definitions that rename inherited attributes with ``(new) -> Parent``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import dj_sqla as dj
from dj_sqla.execution.delete import FOREIGN_KEY_ERROR


@pytest.fixture
def zoo(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("zoo")

    @schema
    class Animal(dj.Manual):
        definition = """
        animal_id : int32
        ---
        species : varchar(20)
        nick = 'it''s "him"' : varchar(30)  # quotes in a default
        born = null : date
        weight = 1.5 : float
        seen = CURRENT_TIMESTAMP : timestamp
        photo = null : <blob>
        """

    @schema
    class Visit(dj.Manual):
        definition = """
        -> Animal
        visit : int32
        """

    @schema
    class Feeding(dj.Manual):
        definition = """
        -> Animal
        day : int32
        """

    Animal.insert([{"animal_id": i, "species": "mouse" if i % 2 else "rat"} for i in (1, 2, 3)])
    return schema, Animal, Visit, Feeding


def test_connection_takes_datajoint_keyword_names(db_url: str) -> None:
    connection = dj.Connection(host=db_url, user=None, password=None)
    try:
        assert connection.backend.name in ("sqlite", "mysql", "postgresql")
    finally:
        connection.engine.dispose()


def test_heading_lists_non_blobs_and_reads_back_as_a_definition(
    zoo: Any, new_schema: Callable[..., dj.Schema]
) -> None:
    _, Animal, _, _ = zoo
    heading = Animal.heading
    assert heading.non_blobs == ["animal_id", "species", "nick", "born", "weight", "seen"]
    assert not heading.attributes["photo"].is_attachment
    assert list(heading) == heading.names  # iterating gives names, as in DataJoint
    assert "photo" in heading
    proj = Animal.proj(..., "- photo").to_dicts(limit=1)
    assert not proj or set(Animal.heading).difference(proj[0]) == {"photo"}
    text = str(heading)
    assert "nick = 'it''s \"him\"' : varchar(30)" in text
    assert "born = null : date" in text
    assert "weight = 1.5 : float" in text

    copy = new_schema("zoo_copy")

    @copy
    class Animal(dj.Manual):  # type: ignore[no-redef]  # the same name, another schema
        definition = text

    assert Animal.describe() == zoo[1].describe()
    Animal.insert1({"animal_id": 7, "species": "cat"})
    assert Animal.fetch1("nick", "weight") == ('it\'s "him"', 1.5)


def test_table_database_names_the_schema(zoo: Any) -> None:
    schema, Animal, Visit, _ = zoo
    assert Animal.database == schema.database
    assert (Visit & {"animal_id": 1}).database == schema.database
    assert [child.database for child in Animal().descendants(as_objects=True)] == [
        schema.database
    ] * 3


def test_delete_takes_safemode(zoo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, Animal, Visit, _ = zoo
    monkeypatch.setitem(dj.config, "safemode", True)
    Visit.insert1({"animal_id": 1, "visit": 1})
    (Animal & {"animal_id": 1}).delete(safemode=False)  # no prompt
    Animal.delete(safemode=False, dry_run=True)
    assert sorted(Animal.fetch("animal_id")) == [2, 3]
    assert len(Visit()) == 0


def test_delete_quick_names_the_table_that_blocks_it(zoo: Any) -> None:
    schema, Animal, Visit, Feeding = zoo
    Visit.insert1({"animal_id": 2, "visit": 1})  # Feeding comes first but holds nothing
    with pytest.raises(dj.errors.IntegrityError) as refused:
        (Animal & {"animal_id": 2}).delete_quick()
    found = FOREIGN_KEY_ERROR.match(refused.value.args[0])
    assert found is not None
    assert found.group("child") == f"`{schema.database}`.`visit`"
    assert found.group("parent") == f"`{schema.database}`.`animal`"
    assert len(Animal & {"animal_id": 2}) == 1  # nothing went
    (Animal & {"animal_id": 3}).delete_quick()  # no dependents: deleted
    assert sorted(Animal.fetch("animal_id")) == [1, 2]
    assert isinstance(refused.value, dj.DataJointError)
    assert len(Feeding()) == 0


def test_restrict_by_any_collection_of_keys(zoo: Any) -> None:
    _, Animal, _, _ = zoo
    keys = Animal.proj().fetch(order_by="animal_id")  # a record array, as 0.14 gives
    assert sorted((Animal & keys[:2]).fetch("animal_id")) == [1, 2]
    assert (Animal & keys[2]).fetch1("animal_id") == 3  # one record
    assert sorted((Animal & ({"animal_id": i} for i in (1, 3))).fetch("animal_id")) == [1, 3]
    assert len(Animal & iter([])) == 0  # an empty OR list matches nothing
    frame = pd.DataFrame({"animal_id": [2, 3]})
    assert sorted((Animal & frame).fetch("animal_id")) == [2, 3]
    assert sorted((Animal - frame).fetch("animal_id")) == [1]
    assert len(Animal & np.array([])) == 0
    with pytest.raises(dj.QueryError, match="Cannot restrict by"):
        Animal & b"animal_id=1"


def test_a_mixin_derived_from_the_type_of_a_table_instance(zoo: Any) -> None:
    _, Animal, _, _ = zoo

    class Shared:
        """A mixin with private names of its own, as table-linking tools write them."""

        _source = "the other server"
        _controller: Any = None

        def pull(self) -> list[int]:
            return sorted(self.proj().fetch("animal_id").tolist())

    table_type = type(Animal())
    assert table_type.__name__ == "Animal"
    assert type(Animal()) is table_type  # made once per table
    Endpoint = type("Animal", (Shared, table_type), {"_controller": "ctrl"})
    endpoint = Endpoint()
    assert endpoint.pull() == [1, 2, 3]
    restricted = endpoint & {"species": "mouse"}
    assert isinstance(restricted, Endpoint)  # a restriction keeps the class
    assert restricted.pull() == [1, 3]
    assert (restricted._source, restricted._controller) == ("the other server", "ctrl")
    assert endpoint.heading.primary_key == ["animal_id"]
    generic = next(c for c in table_type.__mro__ if c.__name__ == "TableQuery")
    with pytest.raises(dj.DataJointError, match="needs the table class"):
        generic()  # the class of every table's queries knows no table


def test_classic_renamed_foreign_keys(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("classic")

    @schema
    class Region(dj.Lookup):
        definition = """
        region : varchar(8)
        """
        contents = [("ctx",), ("hpc",)]

    @schema
    class Recording(dj.Manual):
        definition = """
        rec_date : date
        rec_id : int32
        """

    @schema
    class Probe(dj.Manual):
        definition = """
        -> Region
        probe : int32
        """

    @schema
    class Link(dj.Manual):
        definition = """
        (source_region) -> Region
        (target_region) -> Region
        ---
        (parent_date, parent_id) -> Recording(rec_date, rec_id)
        (backup_region) -> [nullable] Region
        """

    @schema
    class Pair(dj.Manual):
        definition = """
        -> Region
        (other_probe) -> Probe
        """

    assert Link.primary_key == ["source_region", "target_region"]
    assert "-> [nullable] Region.proj(backup_region='region')" in Link.describe()
    # the one key attribute of Probe that Pair does not have yet is the one renamed
    assert "-> Probe.proj(other_probe='probe')" in Pair.describe()
    assert Pair.primary_key == ["region", "other_probe"]
    Recording.insert1({"rec_date": dt.date(2026, 1, 2), "rec_id": 1})
    Link.insert1(
        {
            "source_region": "ctx",
            "target_region": "hpc",
            "parent_date": dt.date(2026, 1, 2),
            "parent_id": 1,
        }
    )
    Probe.insert1({"region": "ctx", "probe": 4})
    Pair.insert1({"region": "ctx", "other_probe": 4})
    with pytest.raises(dj.errors.IntegrityError):
        Pair.insert1({"region": "hpc", "other_probe": 4})
    assert Link.fetch1("backup_region") is None
    with pytest.raises(dj.errors.IntegrityError):
        Link.insert1(
            {
                "source_region": "ctx",
                "target_region": "xxx",  # no such region
                "parent_date": dt.date(2026, 1, 2),
                "parent_id": 1,
            }
        )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("(a_date) -> Recording", "cannot tell which primary-key attribute"),
        ("(a, b) -> Recording", "name the parent's attributes"),
        ("(a, b) -> Recording(rec_id)", "2 new names rename 1 attributes"),
        ("(A) -> Recording", "names start with a lowercase letter"),
        ("(a) -> Recording.proj(x='rec_id')", "invalid renamed attribute name"),
        ("(a) -> [nullable] Recording(rec_id) extra", "the classic renaming form is"),
        ("(a) -> Nowhere", "`Nowhere` is not defined"),
    ],
)
def test_classic_renamed_foreign_keys_refused(
    new_schema: Callable[..., dj.Schema], line: str, problem: str
) -> None:
    schema = new_schema("classic_bad")

    @schema
    class Recording(dj.Manual):
        definition = """
        rec_date : date
        rec_id : int32
        """

    with pytest.raises(dj.DataJointError, match=problem):

        @schema
        class Bad(dj.Manual):
            definition = f"""
            bad_id : int32
            ---
            {line}
            """

    assert "bad" not in schema.list_tables()


def test_forms_of_spyglass_definitions(new_schema: Callable[..., dj.Schema]) -> None:
    """A foreign key to ``Parent.proj('attr')`` (the kept attribute is not inherited) and an
    unquoted text default (DataJoint quotes it), as the Frank lab's pipeline writes them."""
    schema = new_schema("forms")

    @schema
    class Source(dj.Manual):
        definition = """
        source : varchar(8)
        ---
        id : int32
        method = linear : varchar(20)  # an unquoted text default
        kind = cubic : enum('linear', 'cubic')
        """

    @schema
    class Series(dj.Manual):
        definition = """
        -> Source.proj('id')
        series : int32
        """

    assert Series.heading.names == ["source", "series"]
    Source.insert1({"source": "a", "id": 3})
    Series.insert1({"source": "a", "series": 1})
    assert Source.fetch1("method", "kind") == ("linear", "cubic")
    assert "method = 'linear' : varchar(20)" in Source.describe()
    with pytest.raises(dj.DefinitionError, match="is not a number, a quoted string"):

        @schema
        class Bad(dj.Manual):
            definition = """
            bad : int32
            ---
            count = many : int32
            """

    with pytest.raises(dj.DefinitionError, match="takes attribute names as text"):

        @schema
        class Worse(dj.Manual):
            definition = """
            -> Source.proj(3)
            """

    assert set(schema.list_tables()) == {"source", "series"}


class Audited:
    """A mixin as mixin-heavy pipelines (spyglass) write them: instance methods that override
    table methods and call ``super()``, a cached property, state of its own."""

    calls: list[str] = []

    def fetch(self, *args: Any, **kwargs: Any) -> Any:
        Audited.calls.append(f"fetch {len(self)}")
        return super().fetch(*args, **kwargs)  # type: ignore[misc]

    def restrict(self, restriction: Any, **kwargs: Any) -> Any:
        Audited.calls.append(f"restrict {restriction!r}")
        return super().restrict(restriction, **kwargs)  # type: ignore[misc]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        Audited.calls.append(f"delete {len(self)}")
        return super().delete(*args, **kwargs)  # type: ignore[misc]

    @functools.cached_property
    def owner(self) -> str:
        return f"owned {self.table_name}"  # type: ignore[attr-defined]


def test_a_mixin_overrides_table_methods_for_the_class_and_its_queries(
    new_schema: Callable[..., dj.Schema], monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = new_schema("mixins")
    monkeypatch.setattr(Audited, "calls", [])
    monkeypatch.setitem(dj.config, "safemode", False)

    @schema
    class Probe(Audited, dj.Manual):
        definition = """
        probe : int32
        ---
        kind : varchar(8)
        """

    Probe.insert([(1, "a"), (2, "b"), (3, "b")])
    assert sorted(Probe.fetch("probe")) == [1, 2, 3]  # on the class, as DataJoint runs it
    restricted = Probe & {"kind": "b"}
    assert sorted(restricted.fetch("probe")) == [2, 3]  # and on its queries
    assert restricted.owner == "owned probe"
    restricted.delete()
    assert Probe.fetch1("probe") == 1
    assert Audited.calls == [
        "fetch 3",
        "restrict {'kind': 'b'}",
        "fetch 2",
        "delete 2",
    ]
    assert isinstance(Probe(), Audited)
    assert Probe.is_declared


def test_is_declared(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("declared")

    class Later(dj.Manual):
        definition = "later_id : int32"

    assert not Later.is_declared  # not decorated
    schema(Later)
    assert Later.is_declared
    Later.drop_quick()
    assert not Later.is_declared  # the table is gone from the database


def test_make_condition_round_trips_on_every_backend(zoo: Any) -> None:
    """DataJoint's ``make_condition`` (through DataJoint's module name) gives MySQL text that
    restricts the same rows when given back, on every backend."""
    from dj_sqla.compat import _make_condition as make_condition

    _, Animal, _, _ = zoo
    used: set[str] = set()
    text = make_condition(
        Animal(), [{"animal_id": 1}, dj.AndList(["species = 'rat'", {"animal_id": 2}])], used
    )
    assert text == "`animal_id` = 1 OR `species` = 'rat' AND `animal_id` = 2"
    assert used == {"animal_id", "species"}
    assert sorted((Animal & text).fetch("animal_id")) == [1, 2]
    assert make_condition(Animal(), {}, set()) is True
    assert make_condition(Animal(), [], set()) is False
    quoted = make_condition(Animal(), {"species": "it's"}, set())
    assert quoted == "`species` = 'it''s'"
    assert len(Animal & quoted) == 0
