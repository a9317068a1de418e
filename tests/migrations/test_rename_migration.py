"""A DataJoint table renamed through Alembic (a change of tier, a class renamed), on every
backend: autogenerate renders a rename that keeps the rows (not a drop and a create), the
script runs, the parts, the referencing tables in this schema and another, and the constraint
names follow, ``alembic check`` is clean, and the downgrade renames back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import dj_sqla as dj
from dj_sqla import migration
from renaming import MOUSE, contents, fill, pipeline


def differences(connection: dj.Connection, targets: list[Any]) -> list[Any]:
    """What autogenerate would change (``alembic check`` at any revision)."""
    opts = migration.options(targets, connection)
    opts.pop("target_metadata")
    with connection.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), targets)


def stored_names(connection: dj.Connection, schema: str) -> dict[str, set[str]]:
    """The names of every stored constraint and index, per table."""
    found: dict[str, set[str]] = {}
    with connection.engine.connect() as conn:
        insp = sa.inspect(conn)
        for table in insp.get_table_names(schema=schema):
            names = {insp.get_pk_constraint(table, schema=schema).get("name")}
            names |= {fk["name"] for fk in insp.get_foreign_keys(table, schema=schema)}
            names |= {ix["name"] for ix in insp.get_indexes(table, schema=schema)}
            names |= {u["name"] for u in insp.get_unique_constraints(table, schema=schema)}
            found[table] = {str(n) for n in names if n and n != "PRIMARY"}
    return found


def declared_names(tables: list[Any], backend: str) -> dict[str, set[str]]:
    """The names a declaration gives (dj_sqla's naming convention), as the backend keeps
    them: MySQL names every primary key PRIMARY; SQLite keeps no foreign key into another
    schema (dj_sqla annotates and guards it instead)."""
    found: dict[str, set[str]] = {}
    for cls in tables:
        table = cls.__table__
        names = {ix.name for ix in table.indexes}
        names |= {c.name for c in table.constraints if isinstance(c, sa.UniqueConstraint)}
        if backend != "mysql":
            names.add(table.primary_key.name)
        for fk in table.foreign_key_constraints:
            if backend != "sqlite" or fk.referred_table.schema == table.schema:
                names.add(fk.name)
        found[table.name] = {str(n) for n in names if n}
    return found


@dataclass
class Started:
    """The pipeline created by a first migration, with a row in each table."""

    env: Any
    names: tuple[str, str]
    connection: dj.Connection
    rows: list[Any]
    first: tuple[dj.Schema, dj.Schema]

    def schemas(self) -> tuple[dj.Schema, dj.Schema]:
        """The two schemas, as the changed module would activate them."""
        lab, far = (
            dj.Schema(n, connection=self.connection, create_tables=False) for n in self.names
        )
        return lab, far


@pytest.fixture
def started(
    connection: dj.Connection, schema_name: Callable[[str], str], alembic_env: Callable[..., Any]
) -> Started:
    env = alembic_env(connection)
    names = (schema_name("lab"), schema_name("far"))
    first = tuple(dj.Schema(n, connection=connection, create_tables=False) for n in names)
    begun = Started(env, names, connection, [], (first[0], first[1]))
    tables = pipeline(*begun.first, dj.Manual)
    env.revision("create", list(begun.first))
    env.upgrade()
    fill(tables)
    begun.rows = contents(tables)
    return begun


def test_a_change_of_tier_and_back(backend: str, started: Started) -> None:
    env, names, connection, rows = started.env, started.names, started.connection, started.rows
    schemas, v1 = started.schemas, started.first

    v2 = schemas()
    second = pipeline(*v2, dj.Lookup)
    script = env.revision("lookup", list(v2))
    assert f"dj_rename_table(op, 'mouse', '#mouse', schema='{names[0]}')" in script
    assert f"dj_rename_table(op, '#mouse', 'mouse', schema='{names[0]}')" in script
    assert "drop_table" not in script
    assert "create_table" not in script
    assert "foreign_key" not in script
    env.upgrade()
    assert contents(second) == rows
    env.check(list(v2))
    renamed = [second["Mouse"], second["Mouse"].Note, second["Session"]]
    assert stored_names(connection, names[0]) == declared_names(renamed, backend) | {
        "alembic_version": {"alembic_version_pkc"} if backend != "mysql" else set()
    }
    assert stored_names(connection, names[1]) == declared_names([second["Other"]], backend)
    second["Other"].insert1({"mouse_id": 1, "x": 8})
    with pytest.raises(dj.DataJointError):
        second["Other"].insert1({"mouse_id": 2, "x": 8})  # the foreign key still holds

    env.downgrade("-1")
    third = pipeline(*schemas(), dj.Manual)
    assert [len(t) for t in (third["Mouse"](), third["Other"]())] == [1, 2]
    assert differences(connection, list(v1)) == []


def test_a_class_renamed(started: Started) -> None:
    """A renamed class is recognised by its attributes when it is the one table dropped and
    the one created in its schema; a table renamed and changed at once is not."""
    env, names, rows, schemas = started.env, started.names, started.rows, started.schemas

    v2 = schemas()
    second = pipeline(*v2, dj.Manual, name="Animal")
    script = env.revision("animal", list(v2))
    assert "# dj_sqla: `mouse` and `animal` have the same attributes" in script
    assert f"dj_rename_table(op, 'mouse', 'animal', schema='{names[0]}')" in script
    env.upgrade()
    assert contents(second) == rows
    env.check(list(v2))

    weighed = pipeline(*schemas(), dj.Lookup, "Animal", MOUSE + "\nweight = null : float32")
    script = env.revision("changed", [weighed["Mouse"]._schema])
    assert "dj_rename_table" not in script
    assert f"# WARNING: this drops table `{names[0]}.animal` and all of its rows." in script
