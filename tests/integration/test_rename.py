"""``dj_sqla.migration.rename``: a table renamed in a notebook, rows kept, on every backend.

A change of tier and a class renamed, with parts, referencing tables in this schema and in
another, a job table and DataJoint's bookkeeping rows; the classes declared afterwards (as
after importing the changed module again) find everything; refused and failing renames
leave the tables as they were (on MySQL, the error lists what had run).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event

import dj_sqla as dj
from dj_sqla import migration
from renaming import contents, fill, pipeline


def table_names(connection: dj.Connection, schema: str) -> list[str]:
    with connection.engine.connect() as conn:
        return sorted(sa.inspect(conn).get_table_names(schema=schema))


@pytest.fixture
def two(connection: dj.Connection, schema_name: Callable[[str], str]) -> Callable[[], Any]:
    """``two()``: the pipeline's two schemas, as a module's import would activate them."""
    names = schema_name("lab"), schema_name("far")
    return lambda: tuple(dj.Schema(n, connection=connection) for n in names)


def test_a_change_of_tier(connection: dj.Connection, two: Callable[[], Any]) -> None:
    lab, far = two()
    before = pipeline(lab, far, dj.Manual)
    fill(before)
    rows = contents(before)
    engine = connection.engine
    with engine.connect(), engine.connect():
        pass  # two connections in the pool, each guarding the foreign keys (SQLite)
    assert migration.rename(before["Mouse"], dj.Lookup, prompt=False) == "#mouse"
    assert table_names(connection, str(lab.database)) == ["#mouse", "#mouse__note", "session"]
    with pytest.raises(dj.DataJointError, match="renamed to `#mouse`"):
        before["Mouse"].to_dicts()  # the old class, until the module is imported again

    after = pipeline(*two(), dj.Lookup)  # the changed module, imported again
    assert contents(after) == rows
    with pytest.raises(dj.DuplicateError):
        after["Session"].insert1({"mouse_id": 1, "session": 5})  # still unique
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):  # whichever the pool gives, the keys hold
            table = after["Other"].__table__
            conn.execute(table.insert().values(mouse_id=1, x=100 + len(rows)))
            with pytest.raises(sa.exc.IntegrityError):
                conn.execute(table.insert().values(mouse_id=9, x=1))
            conn.rollback()
    with pytest.raises(dj.DataJointError):
        (after["Mouse"] & {"mouse_id": 1}).delete_quick()  # referenced rows stay
    assert "-> [unique] Mouse" in after["Session"].describe()
    targets = [after["Mouse"]._schema, after["Other"]._schema]
    opts = migration.options(targets, connection)
    opts.pop("target_metadata")
    with connection.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), targets) == []


def test_a_class_renamed_with_its_jobs(connection: dj.Connection, two: Callable[[], Any]) -> None:
    lab, _ = two()

    @lab
    class Subject(dj.Manual):
        definition = "subject_id : int32"

    def make(self: Any, key: dict[str, Any]) -> None:
        if key["subject_id"] == 2:
            raise ValueError("no data")
        self.insert1({**key, "n": 1})

    Stats = lab(
        type("Stats", (dj.Computed,), {"definition": "-> Subject\n---\nn : int32", "make": make})
    )
    Subject.insert([(1,), (2,)])
    Stats.populate(reserve_jobs=True, suppress_errors=True)
    assert len(Stats.jobs.errors) == 1
    migration.rename(Stats, "__subject_stats", prompt=False)
    assert "~~subject_stats" in table_names(connection, str(lab.database))
    assert "~~stats" not in table_names(connection, str(lab.database))

    again, _ = two()
    subject = again(type("Subject", (dj.Manual,), {"definition": "subject_id : int32"}))
    stats = again(
        type(
            "SubjectStats",
            (dj.Computed,),
            {"definition": "-> Subject\n---\nn : int32", "make": make},
        ),
        context={"Subject": subject},
    )
    assert stats.to_dicts() == [{"subject_id": 1, "n": 1}]
    assert (stats.jobs.errors).fetch1("subject_id") == 2


def test_bookkeeping_rows_follow(connection: dj.Connection, two: Callable[[], Any]) -> None:
    """DataJoint 2's ``~lineage`` and DataJoint 0.14's ``~jobs`` rows name tables."""
    lab, far = two()
    tables = pipeline(lab, far, dj.Manual)
    metadata = sa.MetaData()
    lineage = sa.Table(
        "~lineage",
        metadata,
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("attribute_name", sa.String(64), primary_key=True),
        sa.Column("lineage", sa.String(255)),
        schema=str(far.database),
    )
    jobs = sa.Table(
        "~jobs",
        metadata,
        sa.Column("table_name", sa.String(255), primary_key=True),
        schema=str(lab.database),
    )
    origin = f"{lab.database}.mouse.mouse_id"
    with connection.engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(
            lineage.insert(),
            [{"table_name": "other", "attribute_name": "mouse_id", "lineage": origin}],
        )
        conn.execute(jobs.insert(), [{"table_name": "mouse"}, {"table_name": "session"}])
    migration.rename(tables["Mouse"], "animal", prompt=False)
    with connection.engine.connect() as conn:
        assert conn.scalar(sa.select(lineage.c.lineage)) == f"{lab.database}.animal.mouse_id"
        assert sorted(conn.scalars(sa.select(jobs.c.table_name))) == ["animal", "session"]


def test_refused_renames(connection: dj.Connection, two: Callable[[], Any]) -> None:
    lab, far = two()
    tables = pipeline(lab, far, dj.Manual)
    lab(type("Animal", (dj.Manual,), {"definition": "animal_id : int32"}))
    with pytest.raises(dj.MigrationError, match="has a table `animal` already"):
        migration.rename(tables["Mouse"], "animal", prompt=False)
    with pytest.raises(dj.MigrationError, match="has that name already"):
        migration.rename(tables["Mouse"], dj.Manual, prompt=False)
    with pytest.raises(dj.MigrationError, match="not a DataJoint table name"):
        migration.rename(tables["Mouse"], "Bad-Name", prompt=False)
    with pytest.raises(dj.DataJointError, match="a part"):
        migration.rename(tables["Mouse"].Note, dj.Lookup, prompt=False)
    assert table_names(connection, str(lab.database)) == [
        "animal",
        "mouse",
        "mouse__note",
        "session",
    ]


def test_asks_first(
    connection: dj.Connection, two: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    lab, far = two()
    tables = pipeline(lab, far, dj.Manual)
    asked: list[str] = []
    monkeypatch.setattr(builtins, "input", lambda q: asked.append(q) or "no")
    monkeypatch.setitem(dj.config, "safemode", True)
    assert migration.rename(tables["Mouse"], dj.Lookup) == "mouse"
    assert "`mouse` to `#mouse`" in asked[0]
    assert "mouse__note` to `#mouse__note`" in asked[0]
    assert "Execute?" in asked[0]
    assert "mouse" in table_names(connection, str(lab.database))


def test_a_failure_midway(backend: str, connection: dj.Connection, two: Callable[[], Any]) -> None:
    """The connection fails on the second rename: the first is rolled back where DDL is
    transactional; on MySQL the error lists it."""
    lab, far = two()
    tables = pipeline(lab, far, dj.Manual)
    renames = []

    def fail(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "RENAME" in statement.upper():
            renames.append(statement)
            if len(renames) == 2:
                raise sa.exc.OperationalError(statement, {}, Exception("injected failure"))

    event.listen(connection.engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(dj.MigrationError, match="injected failure") as err:
            migration.rename(tables["Mouse"], dj.Lookup, prompt=False)
    finally:
        event.remove(connection.engine, "before_cursor_execute", fail)
    names = table_names(connection, str(lab.database))
    if backend == "mysql":
        assert "these had run (they are not undone)" in str(err.value)
        assert "RENAME" in str(err.value).upper()
        assert "#mouse" in names
    else:
        assert "Nothing was changed" in str(err.value)
        assert names == ["mouse", "mouse__note", "session"]
