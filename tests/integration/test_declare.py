"""DataJoint table classes on every backend: tiers, names, mapping, describe, errors."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import decimal
import gc
import time
import weakref
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm, select
from sqlalchemy.orm import Session

import dj_sqla as dj


def declare_mouse_session(schema: dj.Schema) -> tuple[Any, Any]:
    @schema
    class Mouse(dj.Manual):
        definition = """
        # a laboratory mouse
        mouse_id : int32                 # unique id
        ---
        dob = null : date
        sex = 'U' : enum('M', 'F', 'U')
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int16
        ---
        session_date : datetime(6)
        notes = '' : varchar(1024)
        index(session_date)
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int32
            ---
            outcome : float64
            """

    return Mouse, Session


def test_issue_example_declares_and_maps(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")
    Mouse, Session_ = declare_mouse_session(schema)
    assert schema.list_tables() == ["mouse", "session", "session__trial"]
    assert Mouse.table_name == "mouse"
    assert Session_.Trial.table_name == "session__trial"
    assert Session_.Trial.master is Session_
    assert Mouse.primary_key == ["mouse_id"]
    assert Session_.primary_key == ["mouse_id", "session"]
    assert Session_.Trial.primary_key == ["mouse_id", "session", "trial"]
    assert Mouse.heading.names == ["mouse_id", "dob", "sex"]
    assert Mouse.heading["sex"].type == "enum('M','F','U')"
    assert Mouse.heading["mouse_id"].comment == "unique id"
    assert schema.database in Mouse.full_table_name
    assert Mouse.__table__.comment == "a laboratory mouse"

    Mouse.insert1({"mouse_id": 1, "dob": dt.date(2026, 1, 2)})
    Session_.insert1(
        {"mouse_id": 1, "session": 1, "session_date": dt.datetime(2026, 3, 1, 9, 30, 0, 123456)}
    )
    with Session(connection.engine) as orm:
        orm.add(Session_.Trial(mouse_id=1, session=1, trial=1, outcome=0.5))
        orm.commit()
        mouse = orm.scalars(select(Mouse).where(Mouse.mouse_id == 1)).one()
        assert (mouse.sex, mouse.dob) == ("U", dt.date(2026, 1, 2))
        when = orm.scalar(select(Session_.session_date))
        assert when == dt.datetime(2026, 3, 1, 9, 30, 0, 123456)
        assert orm.scalar(select(Session_.notes)) == ""
        assert orm.scalar(select(Session_.Trial.outcome)) == 0.5
    assert Mouse().table_class is Mouse  # no arguments: the table, as a query


def test_insert_rows_with_different_attributes_uses_defaults(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")
    Mouse, _ = declare_mouse_session(schema)
    Mouse.insert([{"mouse_id": 1, "sex": "F"}, {"mouse_id": 2}, (3, None, "M")])
    with connection.engine.connect() as conn:
        rows = conn.execute(select(Mouse.mouse_id, Mouse.sex).order_by(Mouse.mouse_id)).all()
    assert [tuple(r) for r in rows] == [(1, "F"), (2, "U"), (3, "M")]
    with pytest.raises(dj.UnknownAttributeError, match="`weight` is not an attribute"):
        Mouse.insert([{"mouse_id": 4}, {"mouse_id": 5, "weight": 3}])
    Mouse.insert([{"mouse_id": 6, "weight": 3}], ignore_extra_fields=True)
    with connection.engine.connect() as conn:
        assert conn.scalar(select(sa.func.count()).select_from(Mouse.__table__)) == 4


def test_foreign_keys_cascade_update_restrict_delete(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")
    Mouse, Session_ = declare_mouse_session(schema)
    (fk,) = Session_.__table__.foreign_key_constraints
    assert (fk.onupdate, fk.ondelete) == ("CASCADE", "RESTRICT")
    assert fk.referred_table is Mouse.__table__
    Mouse.insert1({"mouse_id": 1})
    Session_.insert1({"mouse_id": 1, "session": 1, "session_date": dt.datetime(2026, 1, 1)})
    with pytest.raises(dj.MissingParentError, match="parent"):
        Session_.insert1({"mouse_id": 2, "session": 1, "session_date": dt.datetime(2026, 1, 1)})
    with pytest.raises(dj.DuplicateError, match="skip_duplicates"):
        Mouse.insert1({"mouse_id": 1})
    with connection.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(sa.delete(Mouse.__table__))
    with connection.engine.begin() as conn:
        conn.execute(sa.update(Mouse.__table__).values(mouse_id=5))
        assert conn.scalar(select(Session_.__table__.c.mouse_id)) == 5


def test_tiers_and_names(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("lab")

    @schema
    class MouseCage(dj.Manual):
        definition = "cage_id : int16"

    @schema
    class Species(dj.Lookup):
        definition = """
        species : varchar(20)
        ---
        latin = '' : varchar(60)
        """
        contents = [("mouse", "Mus musculus"), {"species": "rat", "latin": "Rattus"}]

    @schema
    class RawData(dj.Imported):
        definition = "-> MouseCage"

    @schema
    class CageStats(dj.Computed):
        definition = """
        -> RawData
        ---
        n : int32
        """

        class PerDay(dj.Part):
            definition = """
            -> master
            day : date
            """

    tables = schema.list_tables()
    assert sorted(tables) == sorted(
        ["mouse_cage", "#species", "_raw_data", "__cage_stats", "__cage_stats__per_day"]
    )
    order = tables.index
    assert order("mouse_cage") < order("_raw_data") < order("__cage_stats")
    assert order("__cage_stats") < order("__cage_stats__per_day")
    with schema.connection.engine.connect() as conn:
        assert sorted(conn.scalars(select(Species.species))) == ["mouse", "rat"]
    # re-declaring (a new process importing the module) adds no duplicate contents
    again = dj.Schema(schema.database, connection=schema.connection)

    @again
    class Species(dj.Lookup):  # type: ignore[no-redef]
        definition = """
        species : varchar(20)
        ---
        latin = '' : varchar(60)
        """
        contents = [("mouse", "Mus musculus"), ("rat", "Rattus"), ("vole", "Microtus")]

    with schema.connection.engine.connect() as conn:
        assert sorted(conn.scalars(select(Species.species))) == ["mouse", "rat", "vole"]


def test_column_named_like_a_method(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")

    @schema
    class Thing(dj.Manual):
        definition = """
        key : int32
        ---
        delete : varchar(10)
        heading : varchar(10)
        """

    assert [c.name for c in Thing.__table__.columns] == ["key", "delete", "heading"]
    assert callable(Thing.describe)
    Thing.insert1({"key": 1, "delete": "x", "heading": "h"})
    with Session(connection.engine) as orm:
        orm.add(Thing(key=2, delete="y", heading="i"))
        orm.commit()
        rows = orm.execute(select(Thing.key_, Thing.delete_).order_by(Thing.key_)).all()
    assert [tuple(r) for r in rows] == [(1, "x"), (2, "y")]
    assert Thing.heading.names == ["key", "delete", "heading"]


def _mapped(cls: type) -> bool:
    return "__mapper__" in vars(cls)


def test_classes_are_mapped_on_first_orm_use(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    """Declaring does not build SQLAlchemy's mapper (a third of its cost); every way the ORM
    reaches a class builds it first, and DataJoint's API never needs it."""
    schema = new_schema("lab")
    count = iter(range(100))

    def fresh() -> Any:
        i = next(count)
        namespace = {"definition": f"n{i} : int32\n---\nvalue = null : float64\n"}
        cls = schema(type(f"Node{i}", (dj.Manual,), namespace))
        assert not _mapped(cls)
        return cls

    node = fresh()
    node.insert1({"n0": 1, "value": 0.5})
    assert (node & {"n0": 1}).fetch1("value") == 0.5

    def make(self: Any, key: dict[str, Any]) -> None:
        self.insert1(dict(key, twice=2 * (node & key).fetch1("value")))

    twice = schema(
        type(
            "Twice", (dj.Computed,), {"definition": "-> Node0\n---\ntwice : float64", "make": make}
        ),
        context={"Node0": node},
    )
    assert twice.populate()["success_count"] == 1
    assert twice.fetch1("twice") == 1.0
    (node & {"n0": 1}).delete(prompt=False)
    assert not _mapped(node)  # DataJoint's API works on the Table
    assert not _mapped(twice)

    # a relationship by class name: configuring maps the classes that wait for it
    target = fresh()

    @schema
    class Note:
        __tablename__ = "note"
        note_id = orm.mapped_column(sa.Integer, primary_key=True)
        n1 = orm.mapped_column(sa.ForeignKey(target.__table__.c.n1))
        node = orm.relationship("Node1")

    with Session(connection.engine) as session:
        session.add(Note(note_id=1, node=target(n1=3)))
        session.commit()
        assert session.scalars(select(Note)).one().node.n1 == 3
    assert _mapped(node)

    cls = fresh()
    assert orm.class_mapper(cls).local_table is cls.__table__
    cls = fresh()
    mapper = sa.inspect(cls)
    assert isinstance(mapper, orm.Mapper)
    assert mapper.class_ is cls
    cls = fresh()
    assert str(select(cls.value)).split()[1] == f"{schema.database}.{cls.__table__.name}.value"
    cls = fresh()
    with Session(connection.engine) as session:
        session.add(cls(n5=7, value=1.5))
        session.commit()
    assert cls.to_dicts() == [{"n5": 7, "value": 1.5}]
    cls = fresh()
    assert cls in {m.class_ for m in schema.registry.mappers}

    # threads racing for the first use of a class all get the one mapper
    cls = fresh()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda _: orm.class_mapper(cls), range(16)))
    assert all(m is found[0] for m in found)


def test_a_schema_nobody_uses_any_more_is_collected(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    """Classes waiting to be mapped keep nothing alive: a process that declares many schemas
    (a test suite, a notebook re-run) does not pile them up. (Tables in the statements of
    SQLAlchemy's compiled cache stay until the cache drops them.)"""

    def declare() -> weakref.ref[dj.Schema]:
        schema = dj.Schema(schema_name("gone"), connection=connection)

        @schema
        class Subject(dj.Manual):
            definition = "subject_id : int32"

        @schema
        class Visit(dj.Manual):
            definition = "-> Subject\nvisit : int16"

        assert "visit" in schema.list_tables()  # (a query would stay in SQLAlchemy's cache)
        return weakref.ref(schema)

    gone = declare()
    gc.collect()
    assert gone() is None


def test_a_used_connection_and_its_schemas_are_collected(
    db_url: str, schema_name: Callable[[str], str]
) -> None:
    """What dj_sqla makes once per table or per engine (insert and key statements, the
    backend) keeps neither alive: a connection that was used, disposed of and dropped goes,
    and its schemas with it."""

    def use() -> tuple[weakref.ref[dj.Schema], weakref.ref[sa.Engine]]:
        connection = dj.Connection(db_url)
        schema = dj.Schema(schema_name("used"), connection=connection)

        @schema
        class Subject(dj.Manual):
            definition = "subject_id : int32"

        Subject.insert1({"subject_id": 1})
        assert len(Subject & {"subject_id": 1}) == 1
        connection.engine.dispose()
        return weakref.ref(schema), weakref.ref(connection.engine)

    schema, engine = use()
    deadline = time.monotonic() + 5  # a SQLite store's declaration timer may hold it briefly
    while (schema() is not None or engine() is not None) and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert schema() is None
    assert engine() is None


def test_renamed_nullable_unique_and_cross_schema_references(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    lab = new_schema("lab")

    @lab
    class Person(dj.Manual):
        definition = """
        person_id : int32
        ---
        full_name : varchar(60)
        """

    exp = new_schema("exp", add_objects={"lab_module": type("M", (), {"Person": Person})})

    @exp
    class Experiment(dj.Manual):
        definition = """
        experiment_id : int32
        ---
        -> lab_module.Person
        -> [nullable] Person.proj(reviewer_id='person_id')
        -> [unique, nullable] Person.proj(badge_id='person_id')
        """

    table = Experiment.__table__
    assert [c.name for c in table.columns] == [
        "experiment_id",
        "person_id",
        "reviewer_id",
        "badge_id",
    ]
    assert not table.c.person_id.nullable
    assert table.c.reviewer_id.nullable
    assert {fk.referred_table for fk in table.foreign_key_constraints} == {Person.__table__}
    Person.insert1({"person_id": 1, "full_name": "Ada"})
    Experiment.insert1({"experiment_id": 1, "person_id": 1})
    with pytest.raises(dj.MissingParentError):
        Experiment.insert1({"experiment_id": 2, "person_id": 1, "reviewer_id": 9})
    Experiment.insert1({"experiment_id": 3, "person_id": 1, "badge_id": 1})
    with pytest.raises(dj.DuplicateError):
        Experiment.insert1({"experiment_id": 4, "person_id": 1, "badge_id": 1})


def test_auto_increment_on_every_backend(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")

    @schema
    class Note(dj.Manual):
        definition = """
        note_id : int32 auto_increment
        ---
        text : varchar(100)
        """

    Note.insert([{"text": "a"}, {"text": "b"}])
    with connection.engine.connect() as conn:
        ids = conn.scalars(select(Note.note_id).order_by(Note.note_id)).all()
    assert len(ids) == 2
    assert ids[0] < ids[1]
    assert "note_id : int32 auto_increment" in Note.describe()


DESCRIBED = """
# a laboratory mouse
mouse_id : int32  # unique id
---
dob = null : date
sex = 'U' : enum('M','F','U')
"""


def test_describe_round_trips(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")
    Mouse, Session_ = declare_mouse_session(schema)
    assert Mouse.describe().strip() == DESCRIBED.strip()
    text = Session_.describe()
    assert text.splitlines()[:3] == ["-> Mouse", "session : int16", "---"]
    assert "index(session_date)" in text
    assert Session_.Trial.describe().splitlines()[0] == "-> master"
    # declaring the described text again gives an identical table
    copy = new_schema("copy")
    context = {"Mouse": Mouse}
    described = type("Mouse", (dj.Manual,), {"definition": Mouse.describe()})
    copy(described, context=context)
    assert described.describe() == Mouse.describe()
    session_copy = type(
        "Session", (dj.Manual,), {"definition": Session_.describe(), "__module__": __name__}
    )
    copy(session_copy, context={"Mouse": described})
    assert session_copy.describe() == Session_.describe()


def test_a_declaration_sends_one_statement_per_table_and_index(
    backend: str,
    connection: dj.Connection,
    new_schema: Callable[..., dj.Schema],
    statements: Callable[[sa.Engine], Any],
) -> None:
    """Comments travel with their CREATE TABLE (on PostgreSQL SQLAlchemy would send a
    COMMENT ON per column), and any text survives that: quotes, percent signs, semicolons.
    MySQL commits DDL by itself, so a declaration sends no COMMIT there; a SQLite file store
    queues it, and creates it with the declarations of the same moment in one transaction."""
    schema = new_schema("lab")
    with statements(connection.engine) as seen:

        @schema
        class Probe(dj.Manual):
            definition = """
            # 100% of 'probes'; one -- per rig
            probe : int32            # it's 50%; or "more"
            ---
            label = '' : varchar(20) # a %s and a %(name)s
            index(label)
            """

            class Site(dj.Part):
                definition = """
                -> master
                site : int16         # site; 'x'
                """

    ddl = [" ".join(s.split()[:2]) for s in seen.ddl()]
    assert ddl == ["CREATE TABLE", "CREATE INDEX", "CREATE TABLE"]
    assert seen.commits == (0 if backend == "mysql" else 1)
    assert not [s for s in seen.sql if s.lstrip().upper().startswith("COMMENT")]
    assert Probe.__table__.comment == "100% of 'probes'; one -- per rig"
    described = Probe.describe()
    assert "# 100% of 'probes'; one -- per rig" in described
    assert """probe : int32  # it's 50%; or "more\"""" in described
    assert "label = '' : varchar(20)  # a %s and a %(name)s" in described
    assert "site : int16  # site; 'x'" in Probe.Site.describe()


# -- errors: each names table, line and text, and creates nothing -----------------------------

BAD = {
    "unknown type": ("x : int32\n---\ny : dat", "line 3", "dat"),
    "bad attribute name": ("x : int32\n---\nBad : int32", "line 3", "Bad"),
    "duplicate attribute": ("x : int32\n---\ny : int32\ny : int16", "line 4", "already declared"),
    "nullable in key": ("x = null : int32", "line 1", "primary key"),
    "default on blob": ("x : int32\n---\nb = 'a' : longblob", "line 3", "blob"),
    "unknown parent": ("-> Nowhere\nx : int32", "line 1", "Nowhere"),
    "parent not a table": ("-> not_a_table\nx : int32", "line 1", "is not a table class"),
    "index on missing attribute": ("x : int32\n---\nindex(y)", "line 3", "y"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_definition_errors_create_nothing(
    new_schema: Callable[..., dj.Schema],
    statements: Callable[[sa.Engine], Any],
    case: str,
) -> None:
    schema = new_schema("lab")
    definition, line, text = BAD[case]
    cls = type("Broken", (dj.Manual,), {"definition": definition})
    with statements(schema.connection.engine) as seen, pytest.raises(dj.DefinitionError) as info:
        schema(cls, context={"not_a_table": 42})
    message = str(info.value)
    assert "`broken`" in message
    assert line in message
    assert text in message
    assert seen.ddl() == []
    assert schema.list_tables() == []
    assert not schema.tables


def test_part_decorated_alone_and_long_names(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("lab")

    class Lonely(dj.Part):
        definition = "-> master\nx : int32"

    with pytest.raises(dj.DataJointError, match="declared with their master"):
        schema(Lonely)
    long_name = "A" + "b" * 70
    cls = type(long_name, (dj.Manual,), {"definition": "x : int32"})
    with pytest.raises(dj.DefinitionError, match="allows at most"):
        schema(cls)
    assert schema.list_tables() == []


def test_backend_refusal_leaves_nothing_behind(
    backend: str, new_schema: Callable[..., dj.Schema]
) -> None:
    """MySQL refuses an index key over 3,072 bytes after creating the table; undo the table."""
    schema = new_schema("lab")

    class Memo(dj.Manual):
        definition = """
        memo_id : int32
        ---
        title : varchar(2000)
        body : varchar(2000)
        index(title, body)
        """

    if backend != "mysql":
        schema(Memo)
        assert schema.list_tables() == ["memo"]
        return
    with pytest.raises(dj.DefinitionError, match="nothing was created") as info:
        schema(Memo)
    assert "`memo`" in str(info.value)
    assert schema.list_tables() == []
    assert not schema.tables
    assert "__table__" not in Memo.__dict__


def test_a_table_someone_else_created_meanwhile_is_left_alone(
    backend: str, connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    """The schema was activated, then another process created a part's table: declaring the
    master fails, drops the master table it created (MySQL cannot roll DDL back) and keeps
    the other process's table; on every backend the decorator raises."""
    schema = new_schema("lab")
    theirs = sa.Table("sample__note", sa.MetaData(), sa.Column("x", sa.Integer))
    theirs.schema = schema.database
    theirs.create(connection.engine)

    class Sample(dj.Manual):
        definition = """
        sample_id : int32
        """

        class Note(dj.Part):
            definition = """
            -> master
            note : int16
            """

    with pytest.raises(dj.DefinitionError, match="nothing was created"):
        schema(Sample)
    assert schema.list_tables() == ["sample__note"]
    with connection.engine.connect() as conn:
        columns = sa.inspect(conn).get_columns("sample__note", schema=schema.database)
    assert [c["name"] for c in columns] == ["x"]


def test_types_sqlite_cannot_store_exactly(
    backend: str, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")

    class Counter(dj.Manual):
        definition = """
        counter_id : int32
        ---
        total : bigint unsigned
        money : decimal(30, 10)
        """

    if backend != "sqlite":
        schema(Counter)
        Counter.insert1(
            {
                "counter_id": 1,
                "total": 2**64 - 1,
                "money": decimal.Decimal("12345678901234567890.0123456789"),
            }
        )
        with schema.connection.engine.connect() as conn:
            row = conn.execute(sa.select(Counter.__table__)).one()
        assert row == (1, 2**64 - 1, decimal.Decimal("12345678901234567890.0123456789"))
        return
    with pytest.raises(dj.DefinitionError, match="cannot be stored exactly on sqlite"):
        schema(Counter)
    assert schema.list_tables() == []


def test_create_tables_false_with_definition_classes(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("prod")
    dj.Schema(name, connection=connection)
    schema = dj.Schema(name, connection=connection, create_tables=False)

    @schema
    class Mouse(dj.Manual):
        definition = "mouse_id : int32"

    assert schema.list_tables() == []
    with pytest.raises(dj.TableNotDeclaredError, match=r"create_tables=False.*migration"):
        len(Mouse())
    with pytest.raises(dj.TableNotDeclaredError, match=f"`{name}`.`mouse`"):
        Mouse.insert1({"mouse_id": 1})
