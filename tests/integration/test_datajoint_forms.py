"""DataJoint's query forms: ``T & dj.U(...)``, ``join(semantic_check=False)`` and ``A @ B``,
``aggr(keep_all_rows=...)``, and a cascade through a part that references another part."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dj_sqla as dj


@pytest.fixture
def lab(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("forms")

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        weight : float64
        """

    @schema
    class Rat(dj.Manual):
        definition = """
        mouse_id : int32   # same name, unrelated to Mouse
        ---
        size : float64
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int32
        """

    Mouse.insert([(1, 20.0), (2, 25.0), (3, 30.0)])
    Rat.insert([(1, 300.0), (3, 310.0)])
    Session.insert([(1, 1), (1, 2), (2, 1)])
    return Mouse, Rat, Session


def test_restricting_by_u_is_always_true(lab: Any) -> None:
    Mouse, _, _ = lab
    assert len(Mouse & dj.U("mouse_id")) == 3
    assert len(Mouse & dj.U()) == 3
    assert len(Mouse() & dj.U("weight")) == 3
    assert len(Mouse - dj.U("mouse_id")) == 0


def test_join_without_semantic_check(lab: Any) -> None:
    Mouse, Rat, _ = lab
    with pytest.raises(dj.QueryError, match="lineages differ"):
        Mouse * Rat
    assert sorted(r["mouse_id"] for r in (Mouse @ Rat).to_dicts()) == [1, 3]
    assert len(Mouse.join(Rat, semantic_check=False)) == 2
    assert len(Mouse().join(Rat, semantic_check=False)) == 2
    assert len(Mouse() @ Rat()) == 2
    assert len(Mouse ^ Rat) == 2


def test_aggr_keep_all_rows(lab: Any) -> None:
    Mouse, _, Session = lab
    kept = Mouse.aggr(Session, n="count(*)", keep_all_rows=True).to_dicts(order_by="KEY")
    assert [r["n"] for r in kept] == [2, 1, 0]
    dropped = Mouse.aggr(Session, n="count(*)", keep_all_rows=False)
    assert [r["n"] for r in dropped.to_dicts(order_by="KEY")] == [2, 1]
    assert "keep_all_rows" not in dropped.heading_names
    with pytest.raises(dj.QueryError, match="contradicts"):
        Mouse.aggr(Session, n="count(*)", keep_all_rows=True, exclude_nonmatching=True)


def test_cascade_through_a_part_that_references_another_part(
    new_schema: Callable[..., dj.Schema],
) -> None:
    schema = new_schema("parts")

    @schema
    class Master(dj.Manual):
        definition = """
        master_id : int32
        """

        class PartA(dj.Part):
            definition = """
            -> master
            a : int32
            """

        class PartB(dj.Part):
            definition = """
            -> Master.PartA
            b : int32
            """

    Master.insert([(1,), (2,)])
    Master.PartA.insert([(1, 1), (2, 1)])
    Master.PartB.insert([(1, 1, 1), (2, 1, 1)])
    (Master.PartB & {"master_id": 1}).delete(prompt=False, part_integrity="cascade")
    assert [r["master_id"] for r in Master.to_dicts()] == [2]
    assert len(Master.PartA()) == 1
    assert len(Master.PartB()) == 1
    with pytest.raises(dj.DataJointError, match="part_integrity"):
        (Master.PartB & {"master_id": 2}).delete(prompt=False)


def test_uuid_restrictions_are_checked(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("uuids")

    @schema
    class Thing(dj.Manual):
        definition = """
        thing : uuid
        """

    first = uuid.UUID(int=7)
    Thing.insert([(first,), (uuid.UUID(int=8),)])
    assert len(Thing & {"thing": first}) == 1
    assert len(Thing & {"thing": str(first)}) == 1
    assert len(Thing & f"thing = '{first}'") == 1
    for bad in ["not-a-uuid", 12, b"x"]:
        with pytest.raises(dj.QueryError, match="uuid attribute `thing`"):
            Thing & {"thing": bad}
    with pytest.raises(dj.QueryError, match="cannot be read as UUID"):
        Thing & "thing = 'not-a-uuid'"


def test_extend_keeps_every_row(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("ext")

    @schema
    class Species(dj.Lookup):
        definition = """
        species : varchar(10)
        ---
        legs : int32
        """
        contents = [("mouse", 4)]

    @schema
    class Animal(dj.Manual):
        definition = """
        animal : int32
        ---
        -> [nullable] Species
        """

    Animal.insert([(1, "mouse"), (2, None)])
    rows = Animal.extend(Species).to_dicts(order_by="KEY")
    assert [(r["animal"], r["legs"]) for r in rows] == [(1, 4), (2, None)]
    assert len(Animal().extend(Species)) == 2


def test_insert_in_chunks(lab: Any) -> None:
    Mouse, _, _ = lab
    Mouse.insert(((i, float(i)) for i in range(10, 35)), chunk_size=10)
    assert len(Mouse()) == 28
    with pytest.raises(dj.DataJointError, match="chunk_size must be a positive integer"):
        Mouse.insert([(99, 1.0)], chunk_size=0)
    with pytest.raises(dj.DuplicateError):  # the failing chunk stores nothing, earlier ones stay
        Mouse.insert([(40, 1.0), (41, 1.0), (42, 1.0), (40, 2.0)], chunk_size=3)
    assert len(Mouse & "mouse_id >= 40") == 3


def test_insert_dataframe(lab: Any) -> None:
    import pandas as pd

    Mouse, _, _ = lab
    frame = Mouse.to_pandas()
    frame["weight"] = frame["weight"] * 2
    Mouse.insert_dataframe(frame, replace=True)
    assert Mouse.to_pandas()["weight"].tolist() == [40.0, 50.0, 60.0]
    plain = pd.DataFrame({"mouse_id": [7], "weight": [1.0]}, index=pd.Index([99], name="row"))
    Mouse.insert_dataframe(plain, index_as_pk=False)
    assert len(Mouse & {"mouse_id": 7}) == 1
    Mouse.insert_dataframe(pd.DataFrame({"mouse_id": [8], "weight": [1.0]}))
    assert len(Mouse()) == 5
    with pytest.raises(dj.DataJointError, match="not the primary key"):
        Mouse.insert_dataframe(plain, index_as_pk=True)
    with pytest.raises(dj.DataJointError, match="takes a pandas DataFrame"):
        Mouse.insert_dataframe([(9, 1.0)])


def test_heading_attribute_fields(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("head")

    @schema
    class Thing(dj.Manual):
        definition = """
        thing : uuid
        ---
        count = 3 : int32
        note = null : varchar(20)
        doc : json
        image : <blob>
        ratio : float64
        """

    attrs = Thing.heading.attributes
    assert attrs["thing"].uuid
    assert attrs["thing"].in_key
    assert attrs["count"].numeric
    assert attrs["count"].dtype == np.dtype("int32")
    assert attrs["count"].default is not None
    assert "3" in attrs["count"].default
    assert attrs["note"].string
    assert attrs["note"].default == "null"
    assert attrs["note"].dtype == np.dtype(object)
    assert attrs["doc"].json
    assert attrs["image"].is_blob
    assert attrs["ratio"].dtype == np.dtype("float64")
    assert not attrs["ratio"].autoincrement
    assert attrs["ratio"].default is None


def test_drop_part_integrity(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("dropparts")

    @schema
    class Master(dj.Manual):
        definition = """
        master_id : int32
        """

        class Part(dj.Part):
            definition = """
            -> master
            p : int32
            """

    with pytest.raises(dj.DataJointError, match="without its master"):
        Master.Part.drop(prompt=False)
    with pytest.raises(dj.DataJointError, match="'cascade' applies to delete only"):
        Master.Part.drop(prompt=False, part_integrity="cascade")
    Master.drop(prompt=False)  # the master takes its part along


def test_drop_a_part_alone(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("droppart")

    @schema
    class Master(dj.Manual):
        definition = """
        master_id : int32
        """

        class Part(dj.Part):
            definition = """
            -> master
            p : int32
            """

    Master.Part.drop(prompt=False, part_integrity="ignore")
    assert len(Master()) == 0


def test_delete_inside_the_callers_transaction(lab: Any, monkeypatch: Any) -> None:
    Mouse, _, Session = lab
    monkeypatch.setitem(dj.config, "safemode", True)  # transaction=False must not ask
    connection = Mouse.connection
    connection.start_transaction()
    (Mouse & {"mouse_id": 1}).delete(transaction=False)
    assert len(Mouse()) == 2
    connection.cancel_transaction()
    assert len(Mouse()) == 3
    assert len(Session()) == 3
    with connection.transaction:
        (Mouse & {"mouse_id": 2}).delete(transaction=False)
    assert len(Mouse()) == 2


def test_insert_from_a_csv_file(new_schema: Callable[..., dj.Schema], tmp_path: Any) -> None:
    schema = new_schema("csvs")

    @schema
    class Reading(dj.Manual):
        definition = """
        reading : int32
        ---
        label : varchar(10)
        value = null : float64
        """

    path = tmp_path / "readings.csv"
    path.write_text("reading,label,value\n1,a,0.5\n2,b,\n")
    Reading.insert(path)
    Reading.insert(str(path), skip_duplicates=True)
    assert Reading.to_dicts(order_by="KEY") == [
        {"reading": 1, "label": "a", "value": 0.5},
        {"reading": 2, "label": "b", "value": None},
    ]
    with pytest.raises(dj.DataJointError, match="cannot read the CSV file"):
        Reading.insert(tmp_path / "missing.csv")


def test_a_query_has_a_heading(lab: Any) -> None:
    """``(A * B).proj(...).heading``: names, key, declared types, computed attributes."""
    Mouse, _, Session = lab
    query = (Session * Mouse).proj("weight", heavy="weight * 2", mouse="mouse_id")
    heading = query.heading
    assert heading.names == ["mouse", "session", "weight", "heavy"]
    assert heading.primary_key == ["mouse", "session"]
    assert heading.secondary_attributes == ["weight", "heavy"]
    assert heading["mouse"].type == "int32"
    assert heading["weight"].type == "float64"
    assert heading["heavy"].type == "expression"
    assert heading["heavy"].numeric
    assert repr(heading).splitlines()[2] == "---"
    assert (Mouse & {"mouse_id": 1}).heading.names == Mouse.heading.names


def test_heading_as_numpy_dtype(lab: Any) -> None:
    Mouse = lab[0]
    rows = np.array(
        [tuple(row.values()) for row in Mouse.to_dicts(order_by="mouse_id")],
        dtype=Mouse.heading.as_dtype,
    )
    assert rows.dtype.names == ("mouse_id", "weight")
    assert rows["weight"].tolist() == [20.0, 25.0, 30.0]
    assert rows.dtype["mouse_id"] == np.int32


def test_class_attributes_set_through_the_table_instance(
    new_schema: Callable[..., dj.Schema],
) -> None:
    """DataJoint code sets a Lookup's ``contents`` on an instance: it lands on the class."""
    schema = new_schema("contents")

    @schema
    class Color(dj.Lookup):
        definition = "color : varchar(8)"
        contents = [("red",)]

    table = Color()
    table.contents = [("red",), ("blue",)]
    assert Color.contents == [("red",), ("blue",)]
    with pytest.raises(AttributeError, match="immutable"):
        table.no_such_thing = 1
    with pytest.raises(AttributeError, match="immutable"):
        table._private = 1


def test_classic_fetch_forms(lab: Any, new_schema: Callable[..., dj.Schema]) -> None:
    """0.14's ``dj.key`` in fetch, ``fetch1(squeeze=True)``, ``head``/``tail`` with fetch's
    arguments."""
    Mouse, _, _ = lab
    weights, keys = Mouse.fetch("weight", dj.key, order_by="KEY")
    assert keys == [{"mouse_id": 1}, {"mouse_id": 2}, {"mouse_id": 3}]
    assert weights.tolist() == [20.0, 25.0, 30.0]
    assert (Mouse & {"mouse_id": 2}).fetch1(dj.key) == {"mouse_id": 2}
    frame = Mouse().head(2, format="frame")
    assert list(frame.index) == [1, 2]
    assert Mouse().tail(2, format="frame").index.tolist() == [2, 3]
    assert Mouse().head(1, as_dict=True) == [{"mouse_id": 1, "weight": 20.0}]
    assert Mouse().tail(1) == [{"mouse_id": 3, "weight": 30.0}]

    schema = new_schema("squeeze")

    @schema
    class Signal(dj.Manual):
        definition = "signal_id : int32\n---\ntrace : <blob>"

    Signal.insert1({"signal_id": 1, "trace": np.arange(4.0).reshape(1, 4)})
    assert (Signal & {"signal_id": 1}).fetch1("trace").shape == (1, 4)
    assert (Signal & {"signal_id": 1}).fetch1("trace", squeeze=True).shape == (4,)
    assert (Signal & {"signal_id": 1}).fetch1(squeeze=True)["trace"].shape == (4,)


def test_classic_delete_arguments(new_schema: Callable[..., dj.Schema]) -> None:
    """0.14's ``delete(safemode=..., force_masters=..., force_parts=...)`` and a part's
    ``delete(force=True)``."""
    schema = new_schema("classic")

    @schema
    class Session(dj.Manual):
        definition = "session : int32"

        class Trial(dj.Part):
            definition = "-> master\ntrial : int32"

    Session.insert([(1,), (2,), (3,)])
    Session.Trial.insert([(1, 1), (2, 1), (3, 1)])
    with pytest.raises(dj.DataJointError, match="without its master"):
        (Session.Trial & {"session": 1}).delete(safemode=False)
    (Session.Trial & {"session": 1}).delete(safemode=False, force=True)
    assert [len(Session()), len(Session.Trial())] == [3, 2]
    (Session.Trial & {"session": 2}).delete(safemode=False, force_masters=True)
    assert [len(Session()), len(Session.Trial())] == [2, 1]
    (Session.Trial & {"session": 3}).delete(safemode=False, force_parts=True)
    assert [len(Session()), len(Session.Trial())] == [2, 0]
    with pytest.raises(TypeError, match="forced"):
        Session.delete(safemode=False, forced=True)


def test_conn_query_takes_datajoint_keywords(connection: dj.Connection) -> None:
    result = connection.query("SELECT %s", (7,), reconnect=True, suppress_warnings=False)
    assert result.fetchall() == [(7,)]


def test_restricting_by_record_arrays_and_data_frames(lab: Any) -> None:
    """0.14 restricts by what fetch returned: a numpy record array or a DataFrame."""
    Mouse, _, Session = lab
    keys = (Mouse & "weight > 22").fetch()  # a record array
    assert sorted((Session & keys).fetch("mouse_id").tolist()) == [2]
    frame = (Mouse & {"mouse_id": 1}).fetch(format="frame")  # indexed by the key
    assert len(Session & frame) == 2
    assert len(Session - frame) == 1
    plain = frame.reset_index()[["mouse_id"]]
    assert len(Session & plain) == 2
    assert len(Mouse & Mouse.fetch()[:0]) == 0  # no rows: nothing matches


def test_aggregate_is_aggr(lab: Any) -> None:
    Mouse, _, Session = lab
    counted = Mouse.aggregate(Session, n="count(*)")
    assert counted.to_dicts(order_by="mouse_id") == Mouse().aggr(Session, n="count(*)").to_dicts(
        order_by="mouse_id"
    )
    assert (Mouse & {"mouse_id": 1}).aggregate(Session, n="count(*)").fetch1("n") == 2


def test_is_declared(new_schema: Callable[..., dj.Schema]) -> None:
    class Probe(dj.Manual):
        definition = "probe : int32"

    assert Probe.is_declared is False
    schema = new_schema("probe")
    schema(Probe)
    assert Probe.is_declared is True
    Probe.drop_quick()
    assert Probe.is_declared is False


def test_a_connection_is_a_context_manager(db_url: str) -> None:
    with dj.Connection(db_url) as connection:
        assert connection.query("SELECT 1").fetchall() == [(1,)]
    assert connection.engine.pool.checkedin() == 0  # closed at the end of the block


def test_table_object_made_before_its_class_is_declared(
    new_schema: Callable[..., dj.Schema],
) -> None:
    """DataJoint code makes ``Table()`` at import time (a default argument) and decorates
    the class later: the object is the table once the class is declared."""

    class Early(dj.Manual):
        definition = """
        early_id : int32
        ---
        note : varchar(8)
        """

    table = Early()
    assert isinstance(table, Early)
    assert "not declared yet" in repr(table)
    with pytest.raises(dj.DataJointError, match="Early is not declared yet"):
        len(table)
    new_schema("early")(Early)
    table.insert1({"early_id": 1, "note": "a"})
    table.insert([{"early_id": 2, "note": "b"}])
    assert len(table) == 2
    assert bool(table)
    assert (table & {"early_id": 2}).fetch1("note") == "b"
    assert len(table - {"early_id": 2}) == 1
    assert {"early_id": 1} in table
    assert [row["early_id"] for row in table] == [1, 2]
    assert "early_id" in repr(table)
