"""dj.Schema on every backend: creation, the decorator, create flags, context, dropping."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import ForeignKey, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

import dj_sqla as dj


def make_subject_class() -> type:
    class Subject:
        __tablename__ = "subject"
        subject_id: Mapped[int] = mapped_column(primary_key=True)
        species: Mapped[str] = mapped_column(sa.String(30), default="mouse")

    return Subject


def sqlite_file(connection: dj.Connection, name: str) -> str:
    directory = os.path.dirname(str(connection.engine.url.database))
    return os.path.join(directory, f"{name}.db")


# -- creating schemas --------------------------------------------------------------------------


def test_schema_is_metadata_with_registry(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("lab")
    schema = dj.schema(name, connection=connection)
    assert dj.schema is dj.Schema
    assert isinstance(schema, sa.MetaData)
    assert schema.metadata is schema
    assert schema.metadata.schema == name
    assert schema.registry.metadata is schema
    assert schema.database == name
    assert schema.connection is connection
    assert name in repr(schema)
    assert schema.exists
    assert name in dj.list_schemas(connection)


def test_schema_accepts_engine_and_url(
    connection: dj.Connection, db_url: str, schema_name: Callable[[str], str]
) -> None:
    by_engine = dj.Schema(schema_name("a"), connection=connection.engine)
    assert by_engine.connection.engine is connection.engine
    by_url = dj.Schema(schema_name("b"), connection=db_url)
    assert by_url.exists
    by_url.connection.engine.dispose()


def test_create_schema_false_refuses_missing_schema(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("missing")
    with pytest.raises(dj.SchemaMissingError) as info:
        dj.Schema(name, connection=connection, create_schema=False)
    message = str(info.value)
    assert f"`{name}`" in message
    assert "create_schema=True" in message
    assert connection.backend.describe_server() in message
    assert isinstance(info.value, dj.DataJointError)
    assert name not in dj.list_schemas(connection)
    if connection.backend.name == "sqlite":
        assert not os.path.exists(sqlite_file(connection, name))


def test_create_schema_false_uses_existing_schema(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("lab")
    first = dj.Schema(name, connection=connection)
    first(make_subject_class())
    again = dj.Schema(name, connection=connection, create_schema=False)
    assert again.exists
    assert again.list_tables() == ["subject"]


@pytest.mark.parametrize("bad", ["", "1abc", "a-b", "x" * 64, "has space"])
def test_invalid_schema_name(connection: dj.Connection, bad: str) -> None:
    before = dj.list_schemas(connection)
    with pytest.raises(dj.SchemaNameError, match="cannot be a schema name"):
        dj.Schema(bad, connection=connection)
    # other tests may create schemas meanwhile (parallel workers): compare only this name
    assert bad not in set(dj.list_schemas(connection)) - set(before)


# -- the decorator -----------------------------------------------------------------------------


def test_decorator_maps_and_creates_table(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    schema = new_schema("lab")
    Subject: Any = schema(make_subject_class())
    assert Subject.__table__.metadata is schema
    assert Subject.__table__.schema == schema.database
    assert schema.list_tables() == ["subject"]
    with Session(connection.engine) as session:
        session.add_all([Subject(subject_id=1), Subject(subject_id=2, species="rat")])
        session.commit()
        rows = session.execute(
            select(Subject.subject_id, Subject.species).order_by(Subject.subject_id)
        ).all()
    assert [tuple(r) for r in rows] == [(1, "mouse"), (2, "rat")]


def test_decorator_refuses_mapped_class(new_schema: Callable[..., dj.Schema]) -> None:
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "thing"
        thing_id: Mapped[int] = mapped_column(primary_key=True)

    schema = new_schema("lab")
    with pytest.raises(dj.DataJointError, match="already mapped"):
        schema(Thing)
    assert "thing" not in schema.list_tables()


def test_failed_mapping_leaves_metadata_clean(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("lab")

    class NoKey:
        __tablename__ = "no_key"
        value: Mapped[int] = mapped_column()

    with pytest.raises(sa.exc.ArgumentError):
        schema(NoKey)
    assert not schema.tables
    assert schema.list_tables() == []


def test_activation_of_existing_tables_is_constant_round_trips(
    connection: dj.Connection,
    schema_name: Callable[[str], str],
    statements: Callable[[sa.Engine], Any],
) -> None:
    name = schema_name("wide")

    def declare(schema: dj.Schema) -> None:
        for i in range(30):
            namespace = {
                "__tablename__": f"table_{i}",
                "__annotations__": {"key": Mapped[int], "value": Mapped[int]},
                "key": mapped_column(primary_key=True),
                "value": mapped_column(),
            }
            schema(type(f"Table{i}", (), namespace))

    declare(dj.Schema(name, connection=connection))
    with connection.engine.connect():
        pass  # the pool holds an initialised connection, as in a running program
    with statements(connection.engine) as seen:
        again = dj.Schema(name, connection=connection)
        declare(again)
    assert seen.ddl() == []
    assert seen.round_trips <= 5, seen.sql
    assert len(again.list_tables()) == 30


# -- create_tables ----------------------------------------------------------------------------


def test_create_tables_false_emits_no_ddl_and_names_missing_table(
    connection: dj.Connection,
    schema_name: Callable[[str], str],
    statements: Callable[[sa.Engine], Any],
) -> None:
    name = schema_name("prod")
    dj.Schema(name, connection=connection)  # the schema exists, the table does not
    with statements(connection.engine) as seen:
        schema = dj.Schema(name, connection=connection, create_tables=False)
        Subject: Any = schema(make_subject_class())
    assert seen.ddl() == []
    assert schema.list_tables() == []
    expected = rf"`{name}`.`subject` does not exist.*create_tables=False.*migration"
    with pytest.raises(dj.TableNotDeclaredError, match=expected):
        schema.require_table(Subject.__table__)
    with (
        Session(connection.engine) as session,
        pytest.raises(dj.TableNotDeclaredError, match=expected),
    ):
        session.scalars(select(Subject)).all()
    with connection.engine.begin() as conn, pytest.raises(dj.TableNotDeclaredError, match=expected):
        conn.execute(sa.insert(Subject.__table__), [{"subject_id": 1}])
    with (
        connection.engine.connect() as conn,
        pytest.raises(dj.TableNotDeclaredError, match=expected),
    ):
        conn.scalar(select(func.count()).select_from(Subject.__table__))


def test_create_tables_false_uses_existing_tables(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("prod")
    dj.Schema(name, connection=connection)(make_subject_class())
    schema = dj.Schema(name, connection=connection, create_tables=False)
    Subject: Any = schema(make_subject_class())
    schema.require_table(Subject.__table__)
    with Session(connection.engine) as session:
        session.add(Subject(subject_id=7))
        session.commit()
        assert session.scalars(select(Subject.subject_id)).all() == [7]


# -- context and deferred activation -----------------------------------------------------------


def _child_class(target: str) -> type:
    class Session_:
        __tablename__ = "session"
        subject_id: Mapped[int] = mapped_column(ForeignKey(target), primary_key=True)
        session: Mapped[int] = mapped_column(primary_key=True)

    return Session_


def test_context_resolves_foreign_key_names(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    lab = new_schema("lab")
    Subject = lab(make_subject_class())
    # explicit context
    explicit = new_schema("exp1", context={"Animal": Subject})
    table = explicit(_child_class("Animal.subject_id")).__table__  # type: ignore[attr-defined]
    assert {fk.column for fk in table.foreign_keys} == {Subject.__table__.c.subject_id}  # type: ignore[attr-defined]
    # add_objects extends the caller's namespace
    added = new_schema("exp2", add_objects={"Animal": Subject})
    table = added(_child_class("Animal.subject_id")).__table__  # type: ignore[attr-defined]
    assert {fk.column for fk in table.foreign_keys} == {Subject.__table__.c.subject_id}  # type: ignore[attr-defined]
    # default: the namespace of the code that decorates
    Creature = Subject  # noqa: F841 - found by the decorator in this frame
    default = new_schema("exp3")
    table = default(_child_class("Creature.subject_id")).__table__  # type: ignore[attr-defined]
    assert {fk.column for fk in table.foreign_keys} == {Subject.__table__.c.subject_id}  # type: ignore[attr-defined]


def test_deferred_activation(connection: dj.Connection, schema_name: Callable[[str], str]) -> None:
    schema = dj.Schema()
    assert repr(schema) == "Schema(not activated)"
    with pytest.raises(dj.DataJointError, match="activate"):
        _ = schema.exists
    Subject: Any = schema(make_subject_class())
    assert not hasattr(Subject, "__table__")
    name = schema_name("late")
    schema.activate(name, connection=connection)
    assert Subject.__table__.schema == name
    assert schema.list_tables() == ["subject"]
    schema.activate(name)  # same name again: nothing happens
    with pytest.raises(dj.DataJointError, match="already activated"):
        schema.activate(name + "x")


def test_deferred_activation_declares_dependent_classes_together(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    """Classes decorated before activation may reference each other (and their parts their
    master): activation builds them as one batch."""
    schema = dj.Schema()

    @schema
    class Animal(dj.Manual):
        definition = """
        animal_id : int32
        """

    @schema
    class Visit(dj.Manual):
        definition = """
        -> Animal
        visit : int16
        """

        class Note(dj.Part):
            definition = """
            -> master
            note_id : int16
            ---
            text : varchar(100)
            """

    schema.activate(schema_name("batch"), connection=connection)
    assert schema.list_tables() == ["animal", "visit", "visit__note"]
    Animal.insert1((1,))
    Visit.insert1((1, 1))
    Visit.Note.insert1((1, 1, 1, "calm"))
    assert {fk.column.table.name for fk in Visit.Note.__table__.foreign_keys} == {"visit"}


# -- cross-schema foreign keys ----------------------------------------------------------------


def test_cross_schema_foreign_key_is_enforced(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    lab = new_schema("lab")
    Subject: Any = lab(make_subject_class())
    exp = new_schema("exp")
    Child: Any = exp(_child_class("Subject.subject_id"))
    with Session(connection.engine) as session:
        session.add(Subject(subject_id=1))
        session.commit()
        session.add(Child(subject_id=1, session=1))
        session.commit()
    with connection.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(sa.insert(Child.__table__), [{"subject_id": 2, "session": 1}])
    with connection.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(sa.delete(Subject.__table__))
    with connection.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(sa.update(Child.__table__).values(subject_id=5))
    with connection.engine.connect() as conn:
        assert conn.execute(select(Child.__table__)).all() == [(1, 1)]
        assert conn.execute(select(Subject.subject_id)).all() == [(1,)]
    # the parent schema cannot be dropped while the child schema references it
    with pytest.raises(dj.SchemaDependencyError, match=f"`{exp.database}`"):
        lab.drop(prompt=False)
    assert lab.exists
    exp.drop(prompt=False)
    lab.drop(prompt=False)
    assert not lab.exists


# -- dropping and listing ---------------------------------------------------------------------


def test_list_tables_puts_parents_first(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("lab")
    Subject = schema(make_subject_class())  # noqa: F841 - referenced by name below
    schema(_child_class("Subject.subject_id"))
    assert schema.list_tables() == ["subject", "session"]


def test_drop_asks_unless_told(
    connection: dj.Connection,
    new_schema: Callable[..., dj.Schema],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = new_schema("lab")
    schema(make_subject_class())
    answers = iter(["no", "yes"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with dj.config.override(safemode=True):
        schema.drop()
        assert schema.exists
        schema.drop()
    assert not schema.exists
    assert schema.database not in dj.list_schemas(connection)
    if connection.backend.name == "sqlite":
        assert not os.path.exists(sqlite_file(connection, str(schema.database)))
    schema.drop(prompt=False)  # dropping a missing schema does nothing


def test_prompts_read_through_dj_utils_input(
    new_schema: Callable[..., dj.Schema], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DataJoint's tests (and notebooks) answer safemode prompts by patching dj.utils.input."""
    Probe, _ = _tiers()
    schema = new_schema("lab", context={})
    schema(Probe)
    Probe.insert1({"probe_id": 1})
    asked: list[str] = []

    def answer(question: str) -> str:
        asked.append(question)
        return "yes"

    monkeypatch.setattr(dj.utils, "input", answer, raising=False)
    with dj.config.override(safemode=True):
        Probe.delete()
        assert len(Probe()) == 0
        schema.drop()
    assert len(asked) == 2
    assert not schema.exists


def test_drop_without_prompt_when_safemode_off(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("lab")
    with dj.config.override(safemode=False):
        schema.drop()
    assert not schema.exists


# -- names the backend refuses ----------------------------------------------------------------


def test_default_schema_is_refused(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    backend = connection.backend.name
    if backend == "sqlite":
        with pytest.raises(dj.SchemaNameError, match="reserved"):
            dj.Schema("main", connection=connection)
        return
    name = schema_name("default")
    dj.Schema(name, connection=connection)
    url = connection.engine.url
    if backend == "mysql":
        url = url.set(database=name)
    else:
        url = url.update_query_dict({"options": f"-csearch_path={name}"})
    other = dj.Connection(url)
    try:
        with pytest.raises(dj.SchemaNameError, match="default schema") as info:
            dj.Schema(name, connection=other)
        assert "Alembic" in str(info.value)
    finally:
        other.engine.dispose()


def test_sqlite_schema_limit(connection: dj.Connection, schema_name: Callable[[str], str]) -> None:
    names = [schema_name(f"s{i}") for i in range(11)]
    for name in names[:10]:
        dj.Schema(name, connection=connection)
    if connection.backend.name != "sqlite":
        assert dj.Schema(names[10], connection=connection).exists  # servers have no such limit
        return
    with pytest.raises(dj.SchemaLimitError, match="at most 10") as info:
        dj.Schema(names[10], connection=connection)
    assert "PostgreSQL" in str(info.value)
    assert not os.path.exists(sqlite_file(connection, names[10]))


def _tiers() -> tuple[type, type]:
    class Probe(dj.Manual):
        definition = "probe_id : int32\n---\nlabel = '' : varchar(20)"

        class Site(dj.Part):
            definition = "-> master\nsite : int16"

    class Insertion(dj.Manual):
        definition = "-> Probe\ndepth : int32"

    return Probe, Insertion


def test_a_class_decorated_by_another_schema_moves_there(
    new_schema: Callable[..., dj.Schema],
) -> None:
    """As in DataJoint, decorating a declared class with another schema declares it there."""
    Probe, Insertion = _tiers()
    context = {"Probe": Probe, "Insertion": Insertion}
    first = new_schema("first", context=context)
    first(Probe)
    first(Insertion)
    Probe.insert1({"probe_id": 1})
    Probe.Site.insert1({"probe_id": 1, "site": 3})
    Insertion.insert1({"probe_id": 1, "depth": 200})
    assert first(Probe) is Probe  # decorating again by the same schema changes nothing
    assert len(Probe()) == 1

    second = new_schema("second", context=context)
    second(Probe)
    second(Insertion)
    assert Probe.database == second.database == Probe.Site.database
    assert [len(Probe()), len(Probe.Site()), len(Insertion())] == [0, 0, 0]
    Probe.insert1({"probe_id": 2})
    Insertion.insert1({"probe_id": 2, "depth": 50})
    with pytest.raises(dj.IntegrityError):
        Insertion.insert1({"probe_id": 1, "depth": 50})  # probe 1 is in the first schema only
    assert sorted(first.list_tables()) == sorted(second.list_tables())
    # the first schema's rows are still there
    old_probe = first.metadata.tables[f"{first.database}.probe"]
    with first.connection.engine.connect() as sa_conn:
        assert sa_conn.scalar(select(func.count()).select_from(old_probe)) == 1


def test_help_on_a_table_class_does_not_map_it(new_schema: Callable[..., dj.Schema]) -> None:
    """``help(Mouse)`` is no ORM use: afterwards the class can still move to another schema."""
    Probe, _ = _tiers()
    new_schema("first", context={})(Probe)
    help(Probe)
    new_schema("second", context={})(Probe)
    assert len(Probe()) == 0


def test_help_shows_the_definition(
    new_schema: Callable[..., dj.Schema], capsys: pytest.CaptureFixture[str]
) -> None:
    Probe, _ = _tiers()
    new_schema("first", context={})(Probe)
    new_schema("second", context={})(Probe)  # declared again: the definition is added once
    assert Probe.definition in (Probe.__doc__ or "")
    assert (Probe.__doc__ or "").count("Table definition:") == 1
    assert Probe.definition in (Probe().__doc__ or "")
    help(Probe())
    assert Probe.definition.strip().splitlines()[0].strip() in capsys.readouterr().out


def test_a_class_used_by_the_orm_cannot_move(new_schema: Callable[..., dj.Schema]) -> None:
    Probe, _ = _tiers()
    new_schema("first", context={})(Probe)
    select(Probe)  # maps the class: SQLAlchemy cannot map it a second time
    second = new_schema("second", context={})
    with pytest.raises(dj.DataJointError, match="cannot map a class twice"):
        second(Probe)
    assert second.list_tables() == []
