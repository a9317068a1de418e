"""An application's ORM session writes definition-string tables in foreign-key order, on every
backend: parents are inserted before children and children deleted before parents in one
flush, within a schema and across schemas, whatever order the objects were added in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

import dj_sqla as dj


def declare(new_schema: Callable[..., dj.Schema]) -> tuple[Any, Any, Any]:
    lab, exp = new_schema("lab"), new_schema("exp")

    @lab
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        name = '' : varchar(20)
        """

    @lab
    class Cage(dj.Manual):
        definition = """
        -> Mouse
        cage : int16
        """

    @exp
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int16
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int16
            """

    return Mouse, Cage, Session


def test_one_flush_inserts_parents_first_and_deletes_children_first(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    Mouse, Cage, Session = declare(new_schema)
    with orm.Session(connection.engine) as session, session.begin():
        rows = [
            Session.Trial(mouse_id=1, session=1, trial=1),  # two levels below, another schema
            Session(mouse_id=1, session=1),
            Cage(mouse_id=1, cage=1),
            Mouse(mouse_id=1, name="Ada"),
        ]
        session.add_all(rows)
    assert Session.Trial.to_dicts() == [{"mouse_id": 1, "session": 1, "trial": 1}]
    assert len(Cage()) == len(Session()) == len(Mouse()) == 1

    with orm.Session(connection.engine) as session, session.begin():
        loaded = [session.scalars(sa.select(cls)).one() for cls in (Mouse, Cage, Session)]
        loaded.append(session.scalars(sa.select(Session.Trial)).one())
        for row in loaded:  # parents first
            session.delete(row)
    assert len(Mouse()) == len(Cage()) == len(Session()) == len(Session.Trial()) == 0


def test_the_hidden_ordering_leaves_application_relationships_alone(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    Mouse, Cage, _ = declare(new_schema)
    # an application's own relationship over the same foreign key: no overlap warning, and
    # it loads and assigns as usual
    orm.class_mapper(Cage).add_property("mouse", orm.relationship(Mouse))
    with orm.Session(connection.engine) as session, session.begin():
        cage = Cage(cage=2)
        cage.mouse = Mouse(mouse_id=5)  # the relationship sets the key
        session.add(cage)
    with orm.Session(connection.engine) as session:
        cage = session.scalars(sa.select(Cage)).one()
        assert (cage.mouse.mouse_id, cage.mouse_id) == (5, 5)
        hidden = [r.key for r in orm.class_mapper(Cage).relationships if r.key.startswith("_dj")]
        assert len(hidden) == 1
        with pytest.raises(sa.exc.InvalidRequestError):
            getattr(cage, hidden[0])  # never loaded: it only orders the flush
