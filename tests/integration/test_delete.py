"""Cascading delete, delete_quick, drop and update1 on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj


@pytest.fixture
def pipeline(new_schema: Callable[..., dj.Schema]) -> Any:
    lab, exp = new_schema("lab"), new_schema("exp")

    @lab
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        name = '' : varchar(20)
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
            trial : int32
            """

    @exp
    class Stats(dj.Computed):
        definition = """
        -> Session
        ---
        n : int32
        """

    Mouse.insert([(1, "a"), (2, "b"), (3, "c")])
    Session.insert([(1, 1), (1, 2), (2, 1)])
    Session.Trial.insert([(1, 1, 1), (1, 1, 2), (1, 2, 1), (2, 1, 1)])
    Stats.insert([(1, 1, 2), (2, 1, 1)], allow_direct_insert=True)

    class P:
        pass

    P.Mouse, P.Session, P.Stats = Mouse, Session, Stats  # type: ignore[attr-defined]
    return P


def counts(p: Any) -> tuple[int, ...]:
    return tuple(len(t()) for t in (p.Mouse, p.Session, p.Session.Trial, p.Stats))


def test_cascading_delete_across_schemas(
    pipeline: Any, statements: Callable[[sa.Engine], Any]
) -> None:
    engine = pipeline.Mouse._schema.connection.engine
    with statements(engine) as seen:
        deleted = (pipeline.Mouse & {"mouse_id": 1}).delete(prompt=False)
    assert deleted == 1
    assert counts(pipeline) == (2, 1, 1, 1)
    deletes = [s for s in seen.sql if s.lstrip().upper().startswith("DELETE")]
    assert len(deletes) == 4  # one per table in the cascade
    assert seen.round_trips <= 4 + 2
    assert pipeline.Session.keys() == [{"mouse_id": 2, "session": 1}]


def test_delete_asks_and_rolls_back_on_no(
    pipeline: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert pipeline.Mouse.delete(prompt=True) == 0
    assert counts(pipeline) == (3, 3, 4, 2)
    assert "rows" in capsys.readouterr().out
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    with dj.config.override(safemode=True):
        assert (pipeline.Mouse & "mouse_id > 1").delete() == 2
    assert counts(pipeline) == (1, 2, 3, 1)


def test_part_integrity(pipeline: Any) -> None:
    Trial = pipeline.Session.Trial
    with pytest.raises(dj.DataJointError, match="without its master"):
        (Trial & {"trial": 2}).delete(prompt=False)
    assert counts(pipeline) == (3, 3, 4, 2)
    assert (Trial & {"trial": 2}).delete(prompt=False, part_integrity="ignore") == 1
    assert counts(pipeline) == (3, 3, 3, 2)
    (Trial & {"mouse_id": 2}).delete(prompt=False, part_integrity="cascade")
    assert counts(pipeline) == (3, 2, 2, 1)  # the master session and its stats went too
    with pytest.raises(dj.DataJointError, match="part_integrity"):
        Trial.delete(prompt=False, part_integrity="maybe")


def test_part_integrity_counts_rows_not_tables(new_schema: Callable[..., dj.Schema]) -> None:
    """A cascade that reaches a part table but deletes none of its rows leaves every master
    whole, so ``enforce`` lets it through (as DataJoint checks the rows actually deleted)."""
    schema = new_schema("sites")

    @schema
    class Website(dj.Lookup):
        definition = "url : varchar(40)"
        contents = [("a.org",), ("b.org",)]

    @schema
    class Profile(dj.Manual):
        definition = "name : varchar(20)"

        class Link(dj.Part):
            definition = "-> master\n-> Website"

    Profile.insert1({"name": "ann"})
    Profile.Link.insert1({"name": "ann", "url": "a.org"})
    (Website & {"url": "b.org"}).delete(prompt=False)  # no link to it: nothing of a part goes
    assert len(Website()) == 1
    (Profile.Link & {"url": "b.org"}).delete(prompt=False)  # a direct delete of no rows
    with pytest.raises(dj.DataJointError, match="through a cascade without its master"):
        Website.delete(prompt=False)
    assert [len(Website()), len(Profile.Link())] == [1, 1]
    Profile.delete(prompt=False)
    Website.delete(prompt=False)
    assert len(Website()) == 0


def test_delete_quick_and_update1(pipeline: Any) -> None:
    Mouse = pipeline.Mouse
    with pytest.raises(dj.DataJointError, match="depend on them"):
        (Mouse & {"mouse_id": 1}).delete_quick()
    assert counts(pipeline) == (3, 3, 4, 2)
    assert (Mouse & {"mouse_id": 3}).delete_quick(get_count=True) == 1
    Mouse.update1({"mouse_id": 2, "name": "renamed"})
    assert (Mouse & {"mouse_id": 2}).fetch1("name") == "renamed"
    with pytest.raises(dj.DataJointError, match="no row"):
        Mouse.update1({"mouse_id": 9, "name": "x"})
    with pytest.raises(dj.DataJointError, match="full primary key"):
        Mouse.update1({"name": "x"})
    with pytest.raises(dj.UnknownAttributeError):
        Mouse.update1({"mouse_id": 2, "colour": "x"})
    with pytest.raises(dj.QueryError, match="whole table"):
        (Mouse & {"mouse_id": 2}).update1({"mouse_id": 2, "name": "y"})


def test_drop(pipeline: Any) -> None:
    schema = pipeline.Session._schema
    with pytest.raises(dj.DataJointError, match="depend on it"):
        pipeline.Session.drop_quick()
    pipeline.Session.drop(prompt=False)
    assert schema.list_tables() == []
    with pytest.raises(dj.TableNotDeclaredError, match="dropped"):
        len(pipeline.Stats())
    pipeline.Mouse.drop_quick()
    assert pipeline.Mouse._schema.list_tables() == []
