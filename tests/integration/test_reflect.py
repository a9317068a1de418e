"""Existing pipelines on every backend: virtual schemas and make_classes rebuild the classes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dj_sqla as dj
from dj_sqla import example


@pytest.fixture
def existing(
    connection: dj.Connection, schema_name: Callable[[str], str], example_store: Path
) -> Any:
    prefix = schema_name("x").removesuffix("x")
    schema_name("lab")
    schema_name("experiment")
    pipeline = example.build(connection, prefix=prefix, store_location=example_store)
    pipeline.Subject.insert([(1, "mouse", "F", dt.date(2026, 1, 1)), (2, "rat", "M", None)])
    pipeline.Session.insert([(1, 1, dt.date(2026, 3, 1), "first")])
    pipeline.Trial.insert([(1, 1, 1, 0.5), (1, 1, 2, 0.25)])
    pipeline.SessionStats.populate()
    pipeline.Recording.populate()
    return prefix, pipeline


@pytest.fixture
def other_process(db_url: str) -> Iterator[dj.Connection]:
    """A second connection with its own engine: what another process would see."""
    conn = dj.Connection(db_url)
    yield conn
    conn.engine.dispose()


def test_virtual_schemas_rebuild_the_pipeline(existing: Any, other_process: dj.Connection) -> None:
    prefix, original = existing
    lab = dj.virtual_schema(prefix + "lab", connection=other_process)
    exp = dj.create_virtual_module("exp", prefix + "experiment", connection=other_process)
    assert issubclass(lab.Species, dj.Lookup)
    assert issubclass(lab.Subject, dj.Manual)
    assert issubclass(exp.SessionStats, dj.Computed)
    assert issubclass(exp.Session.Trial, dj.Part)
    assert exp.Session.Trial.master is exp.Session
    assert "alembic_version" not in vars(lab)
    for rebuilt, declared in [
        (lab.Subject, original.Subject),
        (exp.Session, original.Session),
        (exp.Session.Trial, original.Trial),
        (exp.SessionStats, original.SessionStats),
    ]:
        assert rebuilt.describe() == declared.describe()
        assert rebuilt.to_dicts(order_by="KEY") == declared.to_dicts(order_by="KEY")
    # the rebuilt classes query, join and insert like the originals
    joined = lab.Subject * exp.Session
    assert [r["species"] for r in joined.to_dicts()] == ["mouse"]
    exp.Session.insert1((2, 1, dt.date(2026, 3, 2), ""))
    assert len(original.Session()) == 2
    # a rebuilt Computed table knows its key source (its make is not in the database)
    assert exp.SessionStats.progress() == (1, 2)
    # the rebuilt Imported table reads the object store: a lazy reference to the same array
    assert exp.Recording.describe() == original.Recording.describe()
    trace = (exp.Recording & {"subject_id": 1}).fetch1("trace")
    assert isinstance(trace, dj.NpyRef)
    assert not trace.is_loaded
    expected = example.simulate_trace({"subject_id": 1, "session": 1}, "mouse")
    assert np.array_equal(trace.load(), expected)


def test_missing_schema_is_an_error(
    other_process: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("absent")
    with pytest.raises(dj.SchemaMissingError, match=name):
        dj.virtual_schema(name, connection=other_process)
    assert name not in dj.list_schemas(other_process)


def test_make_classes_adds_only_missing_classes(
    existing: Any, other_process: dj.Connection
) -> None:
    prefix, _ = existing
    schema = dj.Schema(prefix + "lab", connection=other_process, create_tables=False)

    @schema
    class Species(dj.Lookup):
        definition = """
        # animal species kept in the lab
        species : varchar(30)
        """

    namespace: dict[str, Any] = {}
    made = schema.make_classes(into=namespace)
    assert set(made) == {"Subject"}
    Subject = namespace["Subject"]
    assert Subject.__table__.c.species.references(Species.__table__.c.species)
    assert [r["subject_id"] for r in Subject.to_dicts(order_by="KEY")] == [1, 2]
    classic: dict[str, Any] = {}
    assert schema.spawn_missing_classes(context=classic) == {}


def test_make_classes_without_a_namespace_fills_the_callers_locals(
    existing: Any, other_process: dj.Connection
) -> None:
    prefix, _ = existing
    schema = dj.Schema(prefix + "lab", connection=other_process, create_tables=False)
    made = schema.make_classes()
    assert set(made) == {"Species", "Subject"}
    found = {k: v for k, v in locals().items() if isinstance(v, type)}  # as DataJoint's tests
    assert found == made
    assert "Subject" not in globals()


def test_reflection_queries_do_not_grow_with_tables_on_postgresql(
    backend: str,
    new_schema: Callable[..., dj.Schema],
    other_process: dj.Connection,
    statements: Callable[[Any], Any],
) -> None:
    """Multi-table inspection: PostgreSQL answers each kind of object in one query (MySQL and
    SQLite dialects inspect table by table, whatever the API)."""
    import test_pipeline

    lab, exp = new_schema("lab"), new_schema("exp")
    test_pipeline.declare_experiment(exp, test_pipeline.declare_lab(lab))
    with other_process.engine.connect():
        pass  # the dialect's first-connect queries are not part of reflection
    counts = []
    for schema in (lab, exp):  # 4 tables, then 11
        with statements(other_process.engine) as seen:
            module = dj.virtual_schema(str(schema.database), connection=other_process)
        counts.append(len(seen.sql))
        assert [n for n in vars(module) if n[:1].isupper()]
    if backend == "postgresql":
        # the same dozen catalogue queries for 4 tables as for 11 (the first run also loads
        # a dialect-wide cache once)
        assert max(counts) <= 13, counts
        assert counts[1] <= counts[0], counts
    else:
        assert counts[1] > 0


def test_tables_with_sql_names_of_their_own_are_reflected(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    """A table made outside DataJoint, with a column named ``oldID``, reads through a virtual
    module and a FreeTable, and its attributes can be renamed in a projection."""
    schema = new_schema("legacy")

    @schema
    class Anchor(dj.Manual):  # the schema must exist
        definition = "anchor : int32"

    quote = connection.engine.dialect.identifier_preparer.quote
    connection.query(
        f"CREATE TABLE {quote(str(schema.database))}.legacy_thing "
        f"({quote('oldID')} INTEGER PRIMARY KEY, {quote('Label')} VARCHAR(10))"
    )
    connection.query(
        f"INSERT INTO {quote(str(schema.database))}.legacy_thing VALUES (%s, %s)", (7, "seven")
    )
    module = dj.VirtualModule("legacy", str(schema.database), connection=connection)
    table = module.LegacyThing
    assert table.heading.names == ["oldID", "Label"]
    assert table.to_dicts() == [{"oldID": 7, "Label": "seven"}]
    renamed = table.proj(new_id="oldID")
    assert "oldID" not in renamed.heading.names
    assert renamed.to_dicts() == [{"new_id": 7}]
    free = dj.FreeTable(connection, f"{schema.database}.legacy_thing")
    assert isinstance(free, dj.FreeTable)
    assert isinstance(schema["Anchor"], dj.FreeTable)
    assert not isinstance(renamed, dj.FreeTable)
    assert len(free & {"oldID": 7}) == 1
