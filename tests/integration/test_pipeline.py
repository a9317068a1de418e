"""A 15-table pipeline over two schemas on every backend: declare, describe round trip, values.

All tiers, parts (one referencing another master's part), renamed, nullable and unique foreign
keys, a cross-schema reference, every core type and the common native spellings.
"""

from __future__ import annotations

import datetime as dt
import decimal
import struct
import types
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

import dj_sqla as dj


def float32(value: float) -> float:
    """``value`` rounded to the nearest 32-bit float."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


TIERS = {"Manual": dj.Manual, "Lookup": dj.Lookup, "Imported": dj.Imported, "Computed": dj.Computed}


def declare_lab(schema: dj.Schema) -> types.SimpleNamespace:
    @schema
    class Lab(dj.Lookup):
        definition = """
        # a research group
        lab : varchar(20)
        ---
        building = '' : varchar(40)
        """
        contents = [("alpha", "North"), ("beta", "South")]

    @schema
    class Person(dj.Manual):
        definition = """
        person_id : int32
        ---
        -> Lab
        full_name : varchar(60)   # as printed on the badge
        """

    @schema
    class Species(dj.Lookup):
        definition = """
        species : varchar(30)
        """
        contents = [("mouse",), ("rat",)]

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int64
        ---
        -> Species
        -> [nullable] Person.proj(caretaker='person_id')
        sex = 'U' : enum('M', 'F', 'U')
        dob = null : date
        """

    return types.SimpleNamespace(Lab=Lab, Person=Person, Species=Species, Mouse=Mouse)


def declare_experiment(schema: dj.Schema, lab: Any) -> types.SimpleNamespace:
    @schema
    class Rig(dj.Lookup):
        definition = """
        rig : char(4)
        """
        contents = [("R001",), ("R002",)]

    @schema
    class Session(dj.Manual):
        definition = """
        -> lab.Mouse
        session : int16
        ---
        -> Rig
        -> [nullable] lab.Person.proj(experimenter='person_id')
        session_start : datetime(6)
        index(session_start)
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int32
            ---
            outcome : float64
            correct = null : bool
            """

    @schema
    class AllTypes(dj.Manual):
        definition = """
        # one attribute of every core type
        id : int8
        ---
        i16 : int16
        i32 : int32
        i64 : int64
        f32 : float32
        f64 : float64
        flag : bool
        token : uuid
        doc = null : json
        payload : bytes
        day : date
        moment : datetime
        precise : datetime(6)
        code : char(3)
        label : varchar(255)
        color = 'red' : enum('red', 'green', 'it''s blue')
        amount : decimal(12, 4)
        """

    @schema
    class NativeTypes(dj.Manual):
        definition = """
        id : int unsigned
        ---
        small : smallint
        tiny : tinyint unsigned
        big : bigint
        ratio : double
        approx : float
        note : text
        blob : longblob
        at : timestamp
        clock : time
        """

    @schema
    class Recording(dj.Imported):
        definition = """
        -> Session
        ---
        sampling_rate : float32   # Hz
        """

        class Channel(dj.Part):
            definition = """
            -> master
            channel : int16
            ---
            gain = 1.0 : float64
            """

    @schema
    class SpikeSort(dj.Computed):
        definition = """
        -> Recording
        ---
        n_units : int32
        """

        class Unit(dj.Part):
            definition = """
            -> master
            unit : int32
            ---
            -> Recording.Channel
            """

    @schema
    class Summary(dj.Computed):
        definition = """
        -> Session
        ---
        -> [unique, nullable] lab.Person.proj(reviewer='person_id')
        n_trials : int32
        """

    @schema
    class UnitQuality(dj.Computed):
        definition = """
        -> SpikeSort.Unit
        ---
        quality : float32
        """

    return types.SimpleNamespace(  # parents first: the describe test re-declares in this order
        Rig=Rig,
        Session=Session,
        AllTypes=AllTypes,
        NativeTypes=NativeTypes,
        Recording=Recording,
        SpikeSort=SpikeSort,
        Summary=Summary,
        UnitQuality=UnitQuality,
    )


def all_classes(*modules: types.SimpleNamespace) -> list[Any]:
    found = []
    for module in modules:
        for cls in vars(module).values():
            found.append(cls)
            found.extend(v for k, v in vars(cls).items() if k[:1].isupper() and isinstance(v, type))
    return found


def test_pipeline_declares_on_every_backend(new_schema: Callable[..., dj.Schema]) -> None:
    lab_schema, exp_schema = new_schema("lab"), new_schema("exp")
    lab = declare_lab(lab_schema)
    exp = declare_experiment(exp_schema, lab)
    classes = all_classes(lab, exp)
    assert len(classes) == 15
    assert sorted(lab_schema.list_tables()) == ["#lab", "#species", "mouse", "person"]
    assert sorted(exp_schema.list_tables()) == sorted(
        [
            "#rig",
            "session",
            "session__trial",
            "all_types",
            "native_types",
            "_recording",
            "_recording__channel",
            "__spike_sort",
            "__spike_sort__unit",
            "__summary",
            "__unit_quality",
        ]
    )
    unit = exp.SpikeSort.Unit.__table__
    assert [c.name for c in unit.primary_key] == ["mouse_id", "session", "unit"]
    assert [c.name for c in unit.columns] == ["mouse_id", "session", "unit", "channel"]
    session = exp.Session.__table__
    assert session.c.experimenter.nullable
    assert {fk.referred_table.schema for fk in session.foreign_key_constraints} == {
        lab_schema.database,
        exp_schema.database,
    }


def _copy_class(cls: Any, tier_of: Callable[[Any], type]) -> type:
    """A new class with the same name whose definition is ``cls.describe()``."""
    namespace: dict[str, Any] = {"definition": cls.describe()}
    for name, part in vars(cls).items():
        if name[:1].isupper() and isinstance(part, type) and issubclass(part, dj.Part):
            namespace[name] = type(
                name,
                (dj.Part,),
                {"definition": part.describe(), "__qualname__": f"{cls.__name__}.{name}"},
            )
    return type(cls.__name__, (tier_of(cls),), namespace)


def test_describe_round_trips_the_whole_pipeline(new_schema: Callable[..., dj.Schema]) -> None:
    lab = declare_lab(new_schema("lab"))
    exp = declare_experiment(new_schema("exp"), lab)

    def tier_of(cls: Any) -> type:
        return next(t for t in TIERS.values() if issubclass(cls, t))

    copies: dict[str, Any] = {}
    lab_copy = types.SimpleNamespace()
    context: dict[str, Any] = {"lab": lab_copy}
    for module, schema in ((lab, new_schema("lab2")), (exp, new_schema("exp2"))):
        for name, cls in vars(module).items():
            copy = _copy_class(cls, tier_of)
            schema(copy, context={**context, **copies})
            copies[name] = copy
            if module is lab:
                setattr(lab_copy, name, copy)
    for original in all_classes(lab, exp):
        head, _, tail = original.__qualname__.rpartition("<locals>.")[2].partition(".")
        copy = getattr(copies[head], tail) if tail else copies[head]
        assert copy.describe() == original.describe(), original.__name__
        assert copy.heading.names == original.heading.names
        for column in original.__table__.columns:
            copied = copy.__table__.c[column.name]
            assert (copied.primary_key, copied.nullable, copied.comment) == (
                column.primary_key,
                column.nullable,
                column.comment,
            )
    described = lab.Mouse.describe()
    assert "-> [nullable] Person.proj(caretaker='person_id')" in described
    assert "sex = 'U' : enum('M','F','U')" in described
    assert exp.Summary.describe().splitlines()[2] == (
        "-> [nullable, unique] Person.proj(reviewer='person_id')"
    )


ROW: dict[str, Any] = {
    "id": -128,
    "i16": -32768,
    "i32": 2**31 - 1,
    "i64": -(2**63),
    "f32": float32(0.1),
    "f64": 1 / 3,
    "flag": True,
    "token": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "doc": {"a": [1, 2.5, None, "x"], "b": {"nested": True}},
    "payload": bytes(range(256)) * 400,  # 100 KiB: beyond MySQL's plain BLOB
    "day": dt.date(1999, 12, 31),
    "moment": dt.datetime(2026, 11, 28, 23, 59, 58),
    "precise": dt.datetime(2026, 11, 28, 23, 59, 58, 999999),
    "code": "abc",
    "label": "ünïcödé ✓ " * 20,
    "color": "it's blue",
    "amount": decimal.Decimal("-12345678.1234"),
}

NATIVE: dict[str, Any] = {
    "id": 2**32 - 1,
    "small": -32768,
    "tiny": 255,
    "big": 2**63 - 1,
    "ratio": 2.0**-1074,
    "approx": 0.5,
    "note": "x" * 70_000,  # beyond MySQL's plain TEXT
    "blob": b"\x00" * 70_000,
    "at": dt.datetime(2030, 1, 1, 0, 0, 1),
    "clock": dt.time(23, 59, 59),
}


def test_every_type_round_trips_exactly(new_schema: Callable[..., dj.Schema]) -> None:
    lab = declare_lab(new_schema("lab"))
    exp = declare_experiment(new_schema("exp"), lab)
    exp.AllTypes.insert1(ROW)
    exp.NativeTypes.insert1(NATIVE)
    engine = exp.AllTypes._schema.connection.engine
    with engine.connect() as conn:
        row = conn.execute(sa.select(exp.AllTypes.__table__)).mappings().one()
        native = conn.execute(sa.select(exp.NativeTypes.__table__)).mappings().one()
    for name, value in ROW.items():
        got = row[name]
        if name == "f32":
            assert float32(got) == float32(value), name
        else:
            assert got == value, name
            assert type(got) is type(value), name
    assert dict(native) == NATIVE


def test_defaults_apply(new_schema: Callable[..., dj.Schema]) -> None:
    lab = declare_lab(new_schema("lab"))
    lab.Person.insert1({"person_id": 1, "lab": "alpha", "full_name": "Ada"})
    lab.Mouse.insert1({"mouse_id": 1, "species": "mouse"})
    engine = lab.Mouse._schema.connection.engine
    with engine.connect() as conn:
        mouse = conn.execute(sa.select(lab.Mouse.__table__)).mappings().one()
    assert (mouse["sex"], mouse["dob"], mouse["caretaker"]) == ("U", None, None)
