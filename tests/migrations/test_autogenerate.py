"""Alembic autogenerate against dj_sqla schemas on every backend."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.orm import DeclarativeBase

import dj_sqla as dj
from dj_sqla import migration

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import test_pipeline


def differences(connection: dj.Connection, schemas: list[dj.Schema]) -> list[Any]:
    opts = migration.options(schemas, connection)
    opts.pop("target_metadata")
    opts.pop("version_table_schema")
    with connection.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, schemas)


def test_no_spurious_differences_right_after_declaring(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    lab, exp = new_schema("lab"), new_schema("exp")
    test_pipeline.declare_experiment(exp, test_pipeline.declare_lab(lab))
    assert differences(connection, [lab, exp]) == []


V1 = """
# a mouse
mouse_id : int32
---
name : varchar(20)   # given name
"""

V2 = """
# a mouse
mouse_id : int32
---
name : varchar(40)   # given name, longer
weight = null : float64
-> [nullable] Cage
index(weight)
"""


def kinds(diff: list[Any]) -> list[str]:
    flat: list[Any] = []
    for item in diff:
        flat.extend(item if isinstance(item, list) else [item])
    return sorted(entry[0] for entry in flat)


def test_evolving_a_definition_yields_exactly_those_operations(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("evo")
    v1 = dj.Schema(name, connection=connection)

    @v1
    class Cage(dj.Manual):
        definition = "cage : int16"

    Mouse1 = v1(type("Mouse", (dj.Manual,), {"definition": V1}))
    Mouse1.insert1({"mouse_id": 1, "name": "Ada"})

    # the next version of the module, on a migration-managed schema
    v2 = dj.Schema(name, connection=connection, create_tables=False)
    Cage2 = v2(type("Cage", (dj.Manual,), {"definition": "cage : int16"}))
    Mouse2 = v2(type("Mouse", (dj.Manual,), {"definition": V2}), context={"Cage": Cage2})
    # comments are compared where the database has them (see the test below)
    found = [k for k in kinds(differences(connection, [v2])) if k != "modify_comment"]
    assert found == ["add_column", "add_column", "add_fk", "add_index", "modify_type"]
    table = v2.tables[f"{name}.mouse"]
    with connection.engine.begin() as conn:
        ops = Operations(MigrationContext.configure(conn))
        if connection.backend.has_server_schemas:
            for column in ("weight", "cage"):
                ops.add_column("mouse", table.c[column]._copy(), schema=name)
            ops.alter_column(
                "mouse",
                "name",
                type_=table.c.name.type,
                existing_nullable=False,
                comment=table.c.name.comment,
                schema=name,
            )
        else:  # SQLite rebuilds the table to alter it: Alembic's batch mode, as env.py sets
            with ops.batch_alter_table("mouse", schema=name) as batch:
                for column in ("weight", "cage"):
                    batch.add_column(table.c[column]._copy())
                batch.alter_column("name", type_=table.c.name.type, existing_nullable=False)
    assert kinds(differences(connection, [v2])) == ["add_fk", "add_index"]  # not applied
    assert Mouse2.to_dicts() == [{"mouse_id": 1, "name": "Ada", "weight": None, "cage": None}]
    with connection.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(table)) == 1


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param(
            "sqlite",
            marks=pytest.mark.xfail(
                strict=True,
                reason="SQLite has no column comments Alembic can read; dj_sqla keeps them in "
                "the CREATE TABLE text, which autogenerate does not compare",
            ),
        ),
        "mysql",
        "postgresql",
    ],
)
def test_a_changed_comment_is_detected(
    connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("cmt")
    dj.Schema(name, connection=connection)(type("Mouse", (dj.Manual,), {"definition": V1}))
    later = dj.Schema(name, connection=connection, create_tables=False)
    changed = V1.replace("# given name", "# the name it answers to")
    later(type("Mouse", (dj.Manual,), {"definition": changed}))
    assert kinds(differences(connection, [later])) == ["modify_comment"]


def test_options_take_pipeline_modules(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    lab = new_schema("lab")
    test_pipeline.declare_lab(lab)
    module = dj.virtual_schema(str(lab.database), connection=connection)
    opts = migration.options([module], connection)
    assert opts["target_metadata"] == [module.schema]
    assert opts["version_table_schema"] == lab.database
    assert opts["include_name"](lab.database, "schema", {})
    assert not opts["include_name"](None, "schema", {})  # never the default schema
    assert differences(connection, [module.schema]) == []
    with pytest.raises(dj.DataJointError, match=r"dj\.Schema objects"):
        migration.options([object()], connection)


def test_options_for_an_application(
    connection: dj.Connection, new_schema: Callable[..., dj.Schema]
) -> None:
    lab = new_schema("lab")
    app = sa.MetaData()
    sa.Table("owner", app, sa.Column("id", sa.Integer, primary_key=True))

    class Base(DeclarativeBase):
        pass

    opts = migration.options([Base, app, lab], connection.engine)  # a declarative base too
    assert opts["target_metadata"] == [Base.metadata, app, lab]
    assert opts["version_table_schema"] is None  # where the application's history keeps it
    assert opts["include_name"](None, "schema", {})  # its tables live in the default schema
    assert opts["include_name"](lab.database, "schema", {})
    assert not opts["include_name"]("elsewhere", "schema", {})
    assert not hasattr(opts["target_metadata"], "naming_convention")  # the app's own names
    chosen = migration.options([app, lab], version_table_schema=lab.database)
    assert chosen["version_table_schema"] == lab.database  # the connection of `lab`
    only_dj = migration.options([lab])
    assert only_dj["version_table_schema"] == lab.database
    assert only_dj["target_metadata"].naming_convention == dict(lab.naming_convention)
    with pytest.raises(dj.DataJointError, match="needs the connection"):
        migration.options([app])
