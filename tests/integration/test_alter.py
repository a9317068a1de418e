"""``Table.alter()``: edit a class's definition, alter the table, keep the rows; every backend.

Each edit DataJoint's ``alter`` makes (and what dj_sqla adds: renames everywhere, indexes, type
changes checked against the stored values) is applied to a table that holds rows; what a
user would check afterwards is checked: the rows, ``describe()``, the rules the new types
enforce, the class's heading, and that Alembic's autogenerate finds nothing left to do.
Refused edits leave the table as it was and say which migration to write.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import dj_sqla as dj
from dj_sqla import migration

MOUSE = """
# a mouse
mouse_id : int32
---
sex = 'U' : enum('M', 'F', 'U')
weight = null : float32        # grams
tag : varchar(10)
code = 1 : int8
notes = null : <blob>
index(tag)
"""

ROWS = [
    {"mouse_id": 1, "sex": "F", "weight": 20.5, "tag": "a1", "code": 3, "notes": np.arange(3)},
    {"mouse_id": 2, "sex": "M", "weight": None, "tag": "12", "code": 4, "notes": None},
]


def declare(schema: dj.Schema, definition: str = MOUSE) -> Any:
    Mouse = schema(type("Mouse", (dj.Manual,), {"definition": definition}))
    Mouse.insert(ROWS)
    return Mouse


def edited(old: str, new: str, text: str = MOUSE) -> str:
    assert old in text
    return text.replace(old, new)


def differences(schema: dj.Schema) -> list[Any]:
    opts = migration.options([schema], schema.connection)
    opts.pop("target_metadata")
    with schema.connection.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), [schema])


def stored(Mouse: Any) -> list[dict[str, Any]]:
    """The rows without the blob (compared on its own)."""
    return [{k: v for k, v in row.items() if k != "notes"} for row in Mouse.to_dicts()]


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], list[str]]:
    """``answer("yes")``: the prompts a test is asked, answered so; returns what was asked."""

    def set_answer(reply: str) -> list[str]:
        asked: list[str] = []

        def fake_input(question: str) -> str:
            asked.append(question)
            return reply

        monkeypatch.setattr(builtins, "input", fake_input)
        return asked

    return set_answer


def test_edits_keep_the_rows(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = """
    # a laboratory mouse
    mouse_id : int32
    ---
    sex = 'F' : enum('M', 'F', 'U', 'X')   # widened, new default
    mass = null : float64          # {weight} grams, renamed and widened
    tag : varchar(20)              # longer
    code = 1 : int16
    notes = null : <blob>
    born = null : date             # added, nullable
    cage = 7 : int32               # added with a default
    index(sex, tag)
    """
    Mouse.alter(prompt=False)
    assert Mouse.describe() == (
        "# a laboratory mouse\nmouse_id : int32\n---\n"
        "sex = 'F' : enum('M','F','U','X')  # widened, new default\n"
        "mass = null : float64  # grams, renamed and widened\n"
        "tag : varchar(20)  # longer\ncode = 1 : int16\nnotes = null : <blob>\n"
        "born = null : date  # added, nullable\ncage = 7 : int32  # added with a default\n"
        "index(sex, tag)\n"
    )
    assert stored(Mouse) == [
        {"mouse_id": 1, "sex": "F", "mass": 20.5, "tag": "a1", "code": 3, "born": None, "cage": 7},
        {"mouse_id": 2, "sex": "M", "mass": None, "tag": "12", "code": 4, "born": None, "cage": 7},
    ]
    np.testing.assert_array_equal((Mouse & {"mouse_id": 1}).fetch1("notes"), np.arange(3))
    names = ["mouse_id", "sex", "mass", "tag", "code", "notes", "born", "cage"]
    assert Mouse.heading.names == names  # the definition's order
    assert Mouse.heading.attributes["mass"].type == "float64"
    Mouse.insert1({"mouse_id": 3, "sex": "X", "tag": "t" * 20, "code": 300})  # the new rules
    assert (Mouse & {"mouse_id": 3}).fetch1("sex", "cage") == ("X", 7)
    with pytest.raises(dj.DataJointError):
        Mouse.insert1({"mouse_id": 4, "tag": "t" * 21})
    assert differences(schema) == []


def test_the_database_enforces_the_new_types(new_schema: Callable[..., dj.Schema]) -> None:
    """The CHECKs that stand in for MySQL's types follow the altered attributes: inserted
    with SQLAlchemy, bypassing dj_sqla's own value rule."""
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = edited("code = 1 : int8", "kode = 1 : int16  # {code}")
    Mouse.alter(prompt=False)
    table = Mouse.__table__
    with schema.connection.engine.begin() as conn:
        conn.execute(table.insert().values(mouse_id=5, tag="x", kode=1000))
    with pytest.raises(sa.exc.DBAPIError), schema.connection.engine.begin() as conn:
        conn.execute(table.insert().values(mouse_id=6, tag="x", kode=40000))
    with pytest.raises(sa.exc.DBAPIError), schema.connection.engine.begin() as conn:
        conn.execute(table.insert().values(mouse_id=7, tag="x" * 11, kode=1))
    assert len(Mouse()) == 3


def test_dropping_asks_and_warns(
    new_schema: Callable[..., dj.Schema], answer: Callable[[str], list[str]]
) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = edited("weight = null : float32        # grams\n", "")
    asked = answer("no")
    Mouse.alter()
    assert "WARNING: drops attribute `weight` and its values" in asked[0]
    assert "DROP" in asked[0].upper()  # the SQL is shown
    assert "weight" in Mouse.describe()  # answered no: nothing changed
    answer("yes")
    Mouse.alter()
    assert "weight" not in Mouse.describe()
    assert [r["tag"] for r in Mouse.to_dicts()] == ["a1", "12"]
    assert differences(schema) == []


def test_nothing_to_alter(new_schema: Callable[..., dj.Schema], answer: Callable[..., Any]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    asked = answer("yes")
    Mouse.alter()
    Mouse().alter(prompt=False)  # DataJoint's spelling, on the table
    assert asked == []


def test_indexes_and_comments(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = (
        edited("index(tag)", "unique index(tag, sex)")
        .replace("# a mouse", "# a mouse of the lab")
        .replace("# grams", "# in grams")
    )
    Mouse.alter(prompt=False)
    text = Mouse.describe()
    assert text.startswith("# a mouse of the lab\n")
    assert "unique index(tag, sex)" in text
    assert "\nindex(tag)" not in text
    assert "weight = null : float32  # in grams" in text
    with pytest.raises(dj.DuplicateError):
        Mouse.insert1({"mouse_id": 9, "sex": "F", "tag": "a1"})
    assert differences(schema) == []


def test_type_changes_check_the_stored_values(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = edited("tag : varchar(10)", "tag : varchar(1)")
    with pytest.raises(dj.MigrationError, match=r"`tag` cannot change from varchar\(10\) to"):
        Mouse.alter(prompt=False)
    Mouse.definition = edited("tag : varchar(10)", "tag : int32")
    with pytest.raises(dj.MigrationError, match="'a1'"):
        Mouse.alter(prompt=False)
    assert stored(Mouse)[0]["tag"] == "a1"  # nothing changed
    (Mouse & {"mouse_id": 1}).delete(prompt=False)
    Mouse.alter(prompt=False)  # "12" is kept exactly as a number
    assert Mouse.fetch1("tag") == 12
    Mouse.definition = edited("tag : varchar(10)", "tag : varchar(2)")
    Mouse.alter(prompt=False)  # and back to its text
    assert Mouse.fetch1("tag") == "12"
    Mouse.definition = edited("notes = null : <blob>", "notes = null : varchar(10)")
    Mouse.insert1({**ROWS[0], "tag": "b"})
    with pytest.raises(dj.MigrationError, match="encoded"):
        Mouse.alter(prompt=False)
    assert differences(schema) == []


def test_required_attributes_need_values(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = edited("weight = null : float32", "weight : float32")
    with pytest.raises(dj.MigrationError, match="1 stored rows hold null"):
        Mouse.alter(prompt=False)
    Mouse.definition = edited("index(tag)", "age : int32\nindex(tag)")
    with pytest.raises(dj.MigrationError, match="added without a default"):
        Mouse.alter(prompt=False)
    assert "age" not in Mouse.describe()
    assert "weight = null" in Mouse.describe()


#: id: (the edit, what the error says, lines of the migration it shows instead)
REFUSED: dict[str, tuple[tuple[str, str], str, list[str]]] = {
    "key-attribute-added": (
        ("mouse_id : int32\n", "mouse_id : int32\ncage : int16\n"),
        "cannot change the primary key",
        ["create_primary_key('pk_mouse_", "dj_column('cage', 'int16')"],
    ),
    "key-type": (("mouse_id : int32", "mouse_id : int64"), "key attribute `mouse_id`", []),
    "foreign-key-added": (
        ("tag : varchar(10)", "-> [nullable] Cage\ntag : varchar(10)"),
        "cannot change foreign keys",
        ["alembic revision --autogenerate", "create_foreign_key("],
    ),
    "foreign-key-dropped": (
        ("-> [nullable] Cage\n", ""),
        r"\(drops the reference to #cage\(cage\)\)",
        ["drop_constraint('fk_mouse_", "'cage'"],
    ),
    "foreign-key-required": (("-> [nullable] Cage", "-> Cage"), "`cage` may be null", []),
}
WITH_CAGE = MOUSE.replace("tag : varchar(10)", "-> [nullable] Cage\ntag : varchar(10)")


@pytest.mark.parametrize(
    ("edit", "problem", "migration_lines"), list(REFUSED.values()), ids=list(REFUSED)
)
def test_key_and_foreign_key_changes_are_refused(
    new_schema: Callable[..., dj.Schema],
    edit: tuple[str, str],
    problem: str,
    migration_lines: list[str],
) -> None:
    schema = new_schema()
    Cage = schema(type("Cage", (dj.Lookup,), {"definition": "cage : int16", "contents": [[1]]}))
    start = WITH_CAGE if "Cage" in edit[0] else MOUSE
    Mouse = schema(type("Mouse", (dj.Manual,), {"definition": start}), context={"Cage": Cage})
    Mouse.insert(ROWS)
    before = Mouse.describe()
    Mouse.definition = edited(*edit, text=start)
    with pytest.raises(dj.MigrationError, match=problem) as err:
        Mouse.alter(prompt=False)
    for line in migration_lines:  # the migration to write instead
        assert line in str(err.value)
    assert Mouse.describe() == before


def test_bad_renames(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = edited(
        "weight = null : float32        # grams", "w = null : float32 # {wieght}"
    )
    with pytest.raises(dj.MigrationError, match="renames attribute `wieght`"):
        Mouse.alter(prompt=False)
    Mouse.definition = edited("code = 1 : int8", "code = 1 : int8\nc2 = 1 : int8  # {code}")
    with pytest.raises(dj.MigrationError, match="still declares"):
        Mouse.alter(prompt=False)


def test_a_failure_leaves_nothing_half_done(
    backend: str, new_schema: Callable[..., dj.Schema]
) -> None:
    """The unique index fails on the stored rows after the new attribute was added."""
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.insert1({"mouse_id": 3, "tag": "a1"})  # two rows with tag a1
    before = Mouse.describe()
    Mouse.definition = edited("index(tag)", "age = 0 : int32\nunique index(tag)")
    with pytest.raises(dj.MigrationError) as err:
        Mouse.alter(prompt=False)
    message = str(err.value)
    if backend == "mysql":  # DDL commits at once: the error says what had run
        assert "these had run (they are not undone)" in message
        assert "ADD COLUMN age" in message
        Mouse.definition = edited("index(tag)", "age = 0 : int32\nindex(tag)")
        Mouse.alter(prompt=False)  # finishing the change
        assert "age = 0 : int32" in Mouse.describe()
    else:
        assert "Nothing was changed" in message
        assert Mouse.describe() == before
        assert "age" not in Mouse.__table__.c
    assert len(Mouse()) == 3


def test_parts_and_the_declaration_context(new_schema: Callable[..., dj.Schema]) -> None:
    """As DataJoint's test_alter_part: a part's ``-> master`` resolves wherever alter() is
    called from."""
    schema = new_schema()

    class Parent(dj.Manual):
        definition = "parent_id : int32"

        class Child(dj.Part):
            definition = "-> Parent"

    schema(Parent)
    Parent.insert1((1,))
    Parent.Child.insert1((1,))
    Parent.Child.definition = "-> master\n---\nchild_id = null : int32"
    Parent.Child.alter(prompt=False, context=None)
    assert Parent.Child.heading.secondary_attributes == ["child_id"]
    assert Parent.Child.to_dicts() == [{"parent_id": 1, "child_id": None}]
    assert differences(schema) == []


def test_round_trip(new_schema: Callable[..., dj.Schema]) -> None:
    """Altering to another definition and back gives the table it was."""
    schema = new_schema()
    Mouse = declare(schema)
    before = Mouse.describe()
    Mouse.definition = edited("tag : varchar(10)", "tag : varchar(30)\nextra = null : json")
    Mouse.alter(prompt=False)
    Mouse.definition = MOUSE
    Mouse.alter(prompt=False)
    assert Mouse.describe() == before
    assert stored(Mouse) == [{k: v for k, v in r.items() if k != "notes"} for r in ROWS]


def test_not_inside_a_transaction(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = edited("tag : varchar(10)", "tag : varchar(30)")
    with schema.connection.transaction, pytest.raises(dj.DataJointError, match="transaction"):
        Mouse.alter(prompt=False)


def test_the_orm_mapping_follows(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    Mouse.definition = edited("index(tag)", "age = 2 : int32\nindex(tag)")
    Mouse.alter(prompt=False)
    with sa.orm.Session(schema.connection.engine) as session:
        ages = session.scalars(sa.select(Mouse.age).order_by(Mouse.mouse_id)).all()
    assert ages == [2, 2]


def test_cross_schema_references_still_hold(new_schema: Callable[..., dj.Schema]) -> None:
    """Altering a parent and a child in two schemas keeps their foreign key enforced (on
    SQLite by triggers, which a rebuilt table loses and gets again)."""
    lab, experiment = new_schema("lab"), new_schema("exp")
    Mouse = declare(lab)
    Session = experiment(
        type(
            "Session", (dj.Manual,), {"definition": "-> Mouse\nsession : int16\n---\nx = 0 : int8"}
        ),
        context={"Mouse": Mouse},
    )
    Session.insert1({"mouse_id": 1, "session": 1})
    engine = lab.connection.engine
    with engine.connect(), engine.connect():
        pass  # two connections in the pool, each guarding the foreign key (SQLite)
    Mouse.definition = edited("tag : varchar(10)", "tag : varchar(12)")
    Mouse.alter(prompt=False)
    Session.definition = "-> Mouse\nsession : int16\n---\nx = 0 : int16\ny = null : float64"
    Session.alter(prompt=False)
    assert Session.to_dicts() == [{"mouse_id": 1, "session": 1, "x": 0, "y": None}]
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):  # whichever the pool gives, the key holds
            conn.execute(Session.__table__.insert().values(mouse_id=1, session=2))
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(Session.__table__.insert().values(mouse_id=99, session=1))
            conn.rollback()
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(Mouse.__table__.delete())
            conn.rollback()
    assert "-> Mouse" in Session.describe()
    assert differences(lab) == []
    assert differences(experiment) == []


def test_a_class_mapped_before(new_schema: Callable[..., dj.Schema], caplog: Any) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    assert sa.inspect(Mouse).columns.keys()  # the ORM mapped it
    Mouse.definition = edited("index(tag)", "age = 2 : int32\nindex(tag)")
    Mouse.alter(prompt=False)
    assert "mapped by SQLAlchemy in this process before alter()" in caplog.text
    assert [r["age"] for r in Mouse.to_dicts()] == [2, 2]
    with sa.orm.Session(schema.connection.engine) as session:
        assert session.scalars(sa.select(Mouse.age)).all() == [2, 2]


def test_a_definition_edited_before_the_module_is_imported(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    """DataJoint's usual way: the definition is edited in the module, the module is imported
    again (its class declared against the old table), then ``alter()``."""
    name = schema_name("lab")
    declare(dj.Schema(name, connection=connection))
    again = dj.Schema(name, connection=connection)
    Mouse = again(
        type("Mouse", (dj.Manual,), {"definition": edited("index(tag)", "age = 1 : int16")})
    )
    Mouse.alter(prompt=False)
    assert [r["age"] for r in Mouse.to_dicts()] == [1, 1]
    assert "age = 1 : int16" in Mouse.describe()
    assert "index(tag)" not in Mouse.describe()
    assert differences(again) == []


def test_nothing_changed_says_nothing_of_the_mapping(
    new_schema: Callable[..., dj.Schema], caplog: Any
) -> None:
    schema = new_schema()
    Mouse = declare(schema)
    assert sa.inspect(Mouse).columns.keys()  # the ORM mapped it
    Mouse.alter(prompt=False)
    assert "mapped by SQLAlchemy" not in caplog.text
