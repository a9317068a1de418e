"""Foreign-key names and schema lookups resolve as DataJoint resolves them, on every backend.

The cases come from real pipelines: DataJoint's Elements name parts like the tables they
reference, pass ``locals()`` before defining the classes, and are activated later with a
linking module that holds the upstream tables.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import dj_sqla as dj


def test_a_part_named_like_a_table_it_references_is_not_itself(
    new_schema: Callable[..., dj.Schema],
) -> None:
    schema = new_schema("lab")

    @schema
    class Organization(dj.Lookup):
        definition = "organization : varchar(24)\n---\nname : varchar(80)"
        contents = [("ucl", "University College London")]

    @schema
    class Lab(dj.Lookup):
        definition = "lab : varchar(24)"
        contents = [("hausser",)]

        class Organization(dj.Part):
            definition = "-> master\n-> Organization"

    constraints = Lab.Organization.__table__.foreign_key_constraints
    referenced = {fk.referred_table.name for fk in constraints}
    assert referenced == {"#lab", "#organization"}
    # both map (one name, two classes: SQLAlchemy's warning about it is not raised)
    assert sa.inspect(Lab.Organization).local_table is Lab.Organization.__table__
    assert sa.inspect(Organization).local_table is Organization.__table__
    Lab.Organization.insert1({"lab": "hausser", "organization": "ucl"})
    with pytest.raises(dj.MissingParentError):
        Lab.Organization.insert1({"lab": "hausser", "organization": "mit"})


def test_a_given_context_is_read_when_a_class_is_declared(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    names: dict[str, Any] = {}
    schema = dj.Schema(context=names)  # activated later, as DataJoint's Elements are

    @schema
    class Subject(dj.Manual):
        definition = "subject : int32"

    @schema
    class Session(dj.Manual):  # `Subject` is in the context only after this statement
        definition = "-> Subject\nsession : int16"

    names.update(Session=Session, Subject=Subject)
    assert not schema.is_activated()
    schema.activate(schema_name("s"), connection=connection)
    assert schema.is_activated()
    assert Session.primary_key == ["subject", "session"]


def test_activate_resolves_foreign_keys_in_the_linking_module(
    new_schema: Callable[..., dj.Schema],
    connection: dj.Connection,
    schema_name: Callable[[str], str],
) -> None:
    upstream = new_schema("subject")

    @upstream
    class Subject(dj.Manual):
        definition = "subject : varchar(16)"

    linking = types.ModuleType("djt_linking_module")
    linking.Subject = Subject  # type: ignore[attr-defined]
    sys.modules[linking.__name__] = linking
    try:
        for given in (linking, linking.__name__):
            element = dj.Schema()

            @element
            class Session(dj.Manual):
                definition = "-> Subject\nsession_id : int32"

            suffix = "by_module" if given is linking else "by_name"
            element.activate(schema_name(suffix), connection=connection, linking_module=given)
            Subject.insert1({"subject": f"s-{suffix}"})
            Session.insert1({"subject": f"s-{suffix}", "session_id": 1})
            assert (Session * Subject).keys() == [{"subject": f"s-{suffix}", "session_id": 1}]
    finally:
        del sys.modules[linking.__name__]


def test_activate_resolves_foreign_keys_in_add_objects(
    new_schema: Callable[..., dj.Schema],
    connection: dj.Connection,
    schema_name: Callable[[str], str],
) -> None:
    upstream = new_schema("subject")

    @upstream
    class Animal(dj.Manual):
        definition = "animal : int32"

    element = dj.Schema()

    @element
    class Surgery(dj.Manual):
        definition = "-> Subject\nsurgery : int16"

    element.activate(schema_name("surgery"), connection=connection, add_objects={"Subject": Animal})
    assert Surgery.primary_key == ["animal", "surgery"]


def test_an_unknown_linking_module_is_refused_clearly(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    schema = dj.Schema()
    with pytest.raises(dj.DataJointError, match="linking_module='no_such_module_djt'"):
        schema.activate(
            schema_name("x"), connection=connection, linking_module="no_such_module_djt"
        )


def test_make_classes_adds_only_missing_names(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection
) -> None:
    schema = new_schema("made")

    @schema
    class Mouse(dj.Manual):
        definition = "mouse : int32"

    @schema
    class Cage(dj.Manual):
        definition = "cage : int32"

    reader = dj.Schema(schema.database, connection=connection, create_tables=False)
    mine = object()
    into: dict[str, Any] = {"Mouse": mine}
    made = reader.make_classes(into=into)
    assert set(made) == {"Cage"}
    assert into["Mouse"] is mine
    assert issubclass(into["Cage"], dj.Manual)


def test_schema_lookups_by_table_and_class_name(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("lookups")

    @schema
    class Subject(dj.Manual):
        definition = "subject : int32"

    @schema
    class Session(dj.Computed):
        definition = "-> Subject\n---\nn : int32"

        class Trial(dj.Part):
            definition = "-> master\ntrial : int16"

        def make(self, key: dict[str, Any]) -> None:
            self.insert1({**key, "n": 1})

    Subject.insert1({"subject": 7})
    assert "Subject" in schema
    assert "subject" in schema
    assert "session" in schema  # the tier prefix may be left out
    assert "__session__trial" in schema
    assert "Session.Trial" in schema
    assert "Nothing" not in schema
    assert Subject.__table__ in schema  # MetaData's own membership still works
    assert schema["Subject"].to_dicts() == [{"subject": 7}]
    assert schema.get_table("session").table_class is Session
    assert schema["Session.Trial"].table_class is Session.Trial
    assert [query.table_class for query in schema] == [Subject, Session, Session.Trial]
    with pytest.raises(dj.DataJointError, match="has no table `Nothing`"):
        schema["Nothing"]
    assert schema.jobs == []
    Session.populate(reserve_jobs=True)
    jobs = schema.jobs
    assert [type(j).__name__ for j in jobs] == ["Jobs"]
    assert jobs[0].table.name == "~~session"


def test_schema_jobs_takes_the_classic_delete_and_restriction(
    new_schema: Callable[..., dj.Schema],
) -> None:
    """0.14 code treats ``schema.jobs`` as one table: ``(schema.jobs & cond).delete()``."""
    schema = new_schema("jobs")

    @schema
    class Number(dj.Lookup):
        definition = "n : int32"
        contents = [(0,), (1,), (2,)]

    @schema
    class Inverse(dj.Computed):
        definition = "-> Number\n---\ninverse : float64"

        def make(self, key: dict[str, Any]) -> None:
            self.insert1({**key, "inverse": 1 / key["n"]})

    assert schema.jobs.delete() == 0  # no job table yet: nothing to delete
    Inverse.populate(reserve_jobs=True, suppress_errors=True)
    Inverse.jobs.ignore({"n": 1})
    assert Inverse.jobs.progress()["error"] == 1
    assert (schema.jobs & {"status": "error"}).delete() == 1
    assert Inverse.jobs.progress()["error"] == 0
    assert Inverse.jobs.progress()["ignore"] == 1
    assert schema.jobs.delete() == 1
    assert len(Inverse.jobs) == 0


def test_a_table_without_a_class_in_this_process_is_found(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection
) -> None:
    schema = new_schema("other")

    @schema
    class Probe(dj.Lookup):
        definition = "probe : varchar(16)"
        contents = [("np1",), ("np2",)]

    reader = dj.Schema(schema.database, connection=connection, create_tables=False)
    probes = reader["Probe"]
    assert probes.table_class is not Probe
    assert probes.keys(order_by="KEY") == [{"probe": "np1"}, {"probe": "np2"}]


def test_a_definition_may_reference_an_applications_sqlalchemy_model(
    new_schema: Callable[..., dj.Schema],
) -> None:
    class Base(DeclarativeBase):
        pass

    app_schema = new_schema("app")  # the application's tables, in a schema of their own

    class Account(Base):
        __tablename__ = "account"
        __table_args__ = {"schema": app_schema.database}
        account_id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(80))

    with app_schema.connection.engine.begin() as conn:
        Base.metadata.create_all(conn)
    schema = new_schema("lab")

    @schema
    class Experimenter(dj.Manual):
        definition = "-> Account\n---\nrole : varchar(20)"

    assert Experimenter.primary_key == ["account_id"]
    assert "-> Account" in Experimenter.describe()
    with app_schema.connection.engine.begin() as conn:
        conn.execute(sa.insert(Account.__table__).values(account_id=7, email="a@lab.org"))
    Experimenter.insert1({"account_id": 7, "role": "pi"})
    with pytest.raises(dj.MissingParentError):
        Experimenter.insert1({"account_id": 8, "role": "student"})
