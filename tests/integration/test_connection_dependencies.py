"""``connection.dependencies``: DataJoint's dependency graph by full table name, and
``dj.dependencies.topo_sort`` on a graph of names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx
import pytest

import dj_sqla as dj
from dj_sqla.dependencies import topo_sort


def declare(schema: dj.Schema) -> tuple[Any, Any, Any]:
    @schema
    class Subject(dj.Manual):
        definition = "subject_id : int32"

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int16
            """

    @schema
    class Pair(dj.Manual):
        definition = """
        -> Subject.proj(first='subject_id')
        -> Subject.proj(second='subject_id')
        """

    return Subject, Session, Pair


def test_dependencies_by_full_table_name(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection
) -> None:
    Subject, Session, Pair = declare(new_schema("deps"))
    deps = connection.dependencies
    assert connection.dependencies is deps  # one graph per connection
    deps.load()
    names = [cls.full_table_name for cls in (Subject, Session, Session.Trial, Pair)]
    quote = '"' if connection.backend.name != "mysql" else "`"
    assert all(name.startswith(quote) and name.endswith(quote) for name in names)
    assert all(name in deps for name in names)
    subject, session, trial, pair = names
    order = deps.topo_sort()
    assert order.index(subject) < order.index(session) < order.index(trial)
    assert deps.descendants(subject)[0] == subject
    assert set(deps.descendants(subject)) == set(names)
    assert deps.ancestors(trial) == [trial, session, subject]
    assert deps.number_of_edges(subject, pair) == 2  # one edge per foreign key
    [(parent, info)] = deps.parents(session, primary=True)
    assert parent == subject
    assert info["attr_map"] == {"subject_id": "subject_id"}
    assert not info["aliased"]
    to_pair = [info["attr_map"] for child, info in deps.children(subject) if child == pair]
    assert sorted(to_pair, key=str) == [{"first": "subject_id"}, {"second": "subject_id"}]
    assert deps.children(trial) == []
    assert deps.nodes[session]["primary_key"] == {"subject_id", "session"}
    with pytest.raises(dj.DataJointError, match="not in the dependency graph"):
        deps.descendants("`nowhere`.`nothing`")


def test_dependencies_follow_new_tables(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection
) -> None:
    schema = new_schema("deps")
    Subject, _, _ = declare(schema)
    deps = connection.dependencies
    deps.load()

    @schema
    class Note(dj.Manual):
        definition = """
        -> Subject
        ---
        text : varchar(100)
        """

    deps.load(force=False)  # a table was declared since: built again
    assert Note.full_table_name in deps.descendants(Subject.full_table_name)
    deps.load_all_downstream()
    deps.load_all_upstream()
    assert Note.full_table_name in deps


def test_topo_sort_of_names_keeps_parts_with_their_master() -> None:
    graph = nx.DiGraph(
        [
            ("`a`.`a`", "`a`.`m`"),
            ("`a`.`a`", "`a`.`z`"),
            ("`a`.`m`", "`a`.`m__part`"),
            ("`a`.`z`", "`a`.`m__part`"),
        ]
    )
    assert topo_sort(graph) == ["`a`.`a`", "`a`.`z`", "`a`.`m`", "`a`.`m__part`"]
    assert topo_sort(nx.DiGraph([('"s"."b"', '"s"."a"')])) == ['"s"."b"', '"s"."a"']


def test_two_schema_objects_of_one_name_both_count(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection
) -> None:
    """Two modules (or a module and a virtual schema) may each make a Schema of one name:
    the tables of both take part in the graph and in cascades."""
    first = new_schema("twice")

    @first
    class Parent(dj.Manual):
        definition = "p : int32"

    @first
    class Child(dj.Manual):
        definition = """
        -> Parent
        c : int32
        """

    second = dj.Schema(first.database, connection=connection)

    @second
    class Other(dj.Manual):
        definition = "o : int32"

    Parent.insert1((1,))
    Child.insert1((1, 1))
    assert Parent.children() == [Child.full_table_name]
    assert [t.table_class for t in Parent.children(as_objects=True)] == [Child]
    connection.dependencies.load()
    assert {Child.full_table_name, Other.full_table_name} <= set(connection.dependencies)
    (Parent & {"p": 1}).delete(prompt=False)
    assert len(Child()) == len(Parent()) == 0
