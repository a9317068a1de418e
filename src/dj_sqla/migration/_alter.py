"""``Table.alter()``: change a declared table to its class's edited ``definition``, rows kept.

DataJoint's interactive schema change: the user edits ``Mouse.definition`` and calls
``Mouse.alter()``, sees what will change (in words, with the SQL) and confirms. The table is
read back from the database and compared with the definition (:mod:`._alter_plan`); the
stored values are checked against what a changed type can hold; the change runs as Alembic
operations (:mod:`._alter_ops`) in one transaction where the backend has transactional DDL
(:mod:`._apply`); then the class's Table, heading and mapping follow the new definition, so
Alembic's autogenerate finds nothing to do afterwards.

Key and foreign-key changes are refused: the error names the Alembic migration to write
instead (rendered as a script would hold it).
"""

from __future__ import annotations

import decimal
import textwrap
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import render_python_code
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import renderers
from alembic.operations import ops

from .._log import logger
from .._naming import NAMING_CONVENTION, constraint_name
from ..backends import Backend
from ..declaration import build_declared_table, copy_column, redeclare
from ..declare.build import build_table
from ..declare.describe import Reflected, reflect, render
from ..declare.names import is_hidden
from ..declare.parser import Definition, parse_definition
from ..errors import DataJointError, MigrationError, shortened
from ..execution.values import column_checks
from ..schemas import Schema
from ..table import UserTable
from ..types import CodecColumn
from ..utils import confirm
from ._alter_ops import alter_work
from ._alter_plan import AlterPlan, Refusal, compare, declared, foreign_key_signature
from ._apply import render_sql, run
from ._directives import narrowed
from ._render import Renderer

#: Offending values shown when stored values do not fit a changed type.
_SHOWN = 3


def alter(cls: type[UserTable], prompt: bool, context: Mapping[str, Any]) -> None:
    """Change the table of ``cls`` to its current definition (see ``UserTable.alter``)."""
    schema = cls._require_schema()
    assert isinstance(schema, Schema)
    connection = schema.connection
    if connection.in_transaction:
        raise DataJointError(
            f"Cannot alter {cls.__name__} inside a transaction (for instance in a make() "
            "during populate()); call alter() outside it."
        )
    live = cls._declared()
    name, where = str(live.name), str(schema.database)
    backend = connection.backend
    stored = reflect(schema, [name])[name]
    old_definition = parse_definition(render(schema, name, stored), table=name)
    old = _attributes_table(where, name, old_definition, cls._reflected)
    new = build_declared_table(
        sa.MetaData(schema=where, naming_convention=NAMING_CONVENTION), cls, name, context, backend
    )
    new_definition = parse_definition(cls.definition, table=name)
    unknown = [c["name"] for c in stored.columns if c["name"] not in new.c]
    unknown = [n for n in unknown if is_hidden(n)]
    if unknown and not backend.has_server_schemas:
        raise MigrationError(
            f"Cannot alter `{where}`.`{name}`: it has hidden columns no definition declares "
            f"({', '.join(unknown)}), which rebuilding the table on SQLite would lose."
        )
    try:
        plan = compare(f"`{where}`.`{name}`", stored, old, old_definition, new, new_definition)
    except Refusal as refusal:
        raise MigrationError(_refusal_message(refusal, stored, new, backend)) from None
    if not plan:
        if redeclare(schema, cls, live, new):
            _warn_mapped(cls)
        if prompt:
            logger.warning("Nothing to alter.")
        return
    notes = _check_rows(connection, backend, live, old, new, plan)
    work = alter_work(plan, old, new, backend, _check_names(connection, where, name))
    if prompt:
        sql = render_sql(connection, work, new.metadata)
        if not confirm(_preview(f"`{where}`.`{name}`", plan, notes, sql) + "\n\nExecute?"):
            logger.info("Nothing was altered.")
            return
    for loss in plan.losses:
        logger.warning(f"alter() of `{where}`.`{name}` {loss}.")
    finish = (
        "run alter() again to finish it (it compares the table with the definition), or undo "
        "the statements above by hand."
    )
    run(connection, [where], work, new.metadata, f"Altering `{where}`.`{name}`", finish)
    if redeclare(schema, cls, live, new):
        _warn_mapped(cls)
    if prompt:
        logger.info("Table altered")


def _attributes_table(schema: str, name: str, definition: Definition, raw: bool) -> sa.Table:
    """The stored attributes' declarations as a Table (foreign keys left out: they are
    compared as stored, and an alter does not change them)."""
    attributes = Definition(definition.comment, tuple(definition.attributes), ())
    metadata = sa.MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    return build_table(metadata, name, attributes, resolve=lambda ref, line: None, raw_codecs=raw)


def _check_names(connection: Any, schema: str, name: str) -> set[str]:
    with connection.engine.connect() as conn:
        found = sa.inspect(conn).get_check_constraints(name, schema=schema)
    return {str(c["name"]) for c in found if c.get("name")}


def _warn_mapped(cls: type) -> None:
    logger.warning(
        f"{cls.__name__} was mapped by SQLAlchemy in this process before alter(): its ORM "
        "mapping keeps the attributes it was mapped with (added attributes are added) until "
        "the module is imported again. DataJoint's API (queries, insert, fetch) uses the new "
        "definition now."
    )


def _preview(where: str, plan: AlterPlan, notes: list[str], sql: str) -> str:
    lines = [f"alter() of {where}:"]
    for change in plan.changes:
        warning = "WARNING: " if change in plan.losses else ""
        lines.append(f"  - {warning}{change}")
    lines += [f"  ({note})" for note in notes]
    return "\n".join([*lines, "", sql])


# -- what the stored rows allow ------------------------------------------------------------------


def _check_rows(
    connection: Any, backend: Backend, live: sa.Table, old: sa.Table, new: sa.Table, plan: AlterPlan
) -> list[str]:
    """Refuse a change the stored rows do not allow: a changed type that cannot hold a
    stored value exactly, a required attribute that holds nulls, an attribute added without
    a default to a table with rows. Returns notes on what was checked."""
    notes: list[str] = []
    table = sa.table(str(live.name), *(sa.column(c.name) for c in old.columns), schema=live.schema)
    where = f"`{live.schema}`.`{live.name}`"
    with connection.engine.connect() as conn:
        required = [
            n for n in plan.added if not new.c[n].nullable and new.c[n].server_default is None
        ]
        if required:
            rows = conn.scalar(sa.select(sa.func.count()).select_from(live))
            if rows:
                raise MigrationError(
                    f"Cannot alter {where}: attribute `{required[0]}` is added without a "
                    f"default, and the {rows} stored rows would have no value for it. Give it a "
                    f"default (`{required[0]} = ... : {declared(new.c[required[0]])[0]}`) or "
                    "`= null`, or delete the rows first."
                )
        for new_name in sorted(plan.required):
            column = table.c[plan.modified[new_name]]
            nulls = conn.scalar(sa.select(sa.func.count()).where(column.is_(None)))
            if nulls:
                raise MigrationError(
                    f"Cannot alter {where}: `{new_name}` would be required, but {nulls} stored "
                    f"rows hold null in `{column.name}`. Fill them in (update1) or delete them "
                    "first, or keep `= null`."
                )
        for new_name in sorted(plan.retyped):
            old_name = plan.modified[new_name]
            notes.extend(
                _check_values(conn, backend, where, live, old.c[old_name], new.c[new_name])
            )
    return notes


def _check_values(
    conn: sa.Connection,
    backend: Backend,
    where: str,
    live: sa.Table,
    before: sa.Column[Any],
    after: sa.Column[Any],
) -> Iterator[str]:
    """Every stored value of ``before`` must be kept exactly by the new type of ``after``."""
    old_type, new_type = declared(before)[0], declared(after)[0]
    column = sa.Column(before.name, before.type)
    sa.Table(str(live.name), sa.MetaData(), column, schema=live.schema)  # the stored column
    query = sa.select(column).where(column.is_not(None)).distinct()
    encoded = isinstance(before.type, CodecColumn) or isinstance(after.type, CodecColumn)
    table = after.table
    assert isinstance(table, sa.Table)
    check = None if encoded else column_checks(table, backend).get(after.name, (None, None))[1]
    text = after.info["dj"].spec.python_type is str
    wrong: list[tuple[Any, str]] = []
    count = 0
    for (value,) in conn.execute(query.execution_options(yield_per=10_000)):
        count += 1
        if encoded:
            wrong.append((value, f"{old_type} values are encoded; {new_type} cannot read them"))
        elif check is not None:
            # a number becomes its decimal text, as every backend converts it
            why = check(str(value) if text and isinstance(value, int | decimal.Decimal) else value)
            if why is not None:
                wrong.append((value, why))
        if len(wrong) >= _SHOWN:
            break
    if wrong:
        examples = "; ".join(f"{shortened(v)}: {why}" for v, why in wrong)
        raise MigrationError(
            f"Cannot alter {where}: `{after.name}` cannot change from {old_type} to {new_type}, "
            f"because stored values would not be kept exactly ({examples}). Change or delete "
            "those rows first, or write an Alembic migration that converts them."
        )
    if count and narrowed(before.type, after.type):
        yield f"`{after.name}` narrows: its {count} distinct stored values were checked and fit"


# -- refusals -------------------------------------------------------------------------------------


def _refusal_message(refusal: Refusal, stored: Reflected, new: sa.Table, backend: Backend) -> str:
    """The refusal, with the migration that makes the change instead."""
    name, schema = str(new.name), new.schema
    old_columns = [c["name"] for c in stored.columns]
    steps: list[ops.MigrateOperation] = [
        ops.AddColumnOp(name, copy_column(column), schema=schema)
        for column in new.columns
        if column.name not in old_columns
    ]
    if refusal.kind == "primary key":
        old_key = str(constraint_name("PrimaryKeyConstraint", name, stored.key))
        steps.append(ops.DropConstraintOp(old_key, name, type_="primary", schema=schema))
        new_key = [c.name for c in new.primary_key]
        steps.append(_CreatePrimaryKey(str(new.primary_key.name), name, new_key, schema=schema))
        how = (
            "Alembic's autogenerate does not detect primary-key changes: write these steps by "
            "hand, and change the foreign keys of the tables that reference this one with them"
        )
    else:
        stored_keys = {
            (fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns): fk
            for fk in stored.notes.foreign_keys
        }
        new_keys = {foreign_key_signature(fk): fk for fk in new.foreign_key_constraints}
        for signature, info in stored_keys.items():
            if signature not in new_keys:
                targets = [f"{info.referred_table}.{c}" for c in info.referred_columns]
                pairs = [f"{c}->{t}" for c, t in zip(info.columns, targets, strict=True)]
                fk_name = str(constraint_name("ForeignKeyConstraint", name, pairs))
                steps.append(ops.DropConstraintOp(fk_name, name, type_="foreignkey", schema=schema))
        for signature, fk in new_keys.items():
            if signature not in stored_keys:
                steps.append(ops.CreateForeignKeyOp.from_constraint(fk))
        how = (
            "`alembic revision --autogenerate` renders it from the new definition, with the "
            "schema declared create_tables=False"
        )
    steps += [
        ops.DropColumnOp(name, column_name, schema=schema)
        for column_name in old_columns
        if column_name not in new.c
    ]
    code = render_python_code(
        ops.UpgradeOps(ops=[ops.ModifyTableOps(name, steps, schema=schema)]),
        render_as_batch=not backend.has_server_schemas,
        render_item=Renderer([new.metadata]),  # type: ignore[arg-type]  # returns str | bool
    )
    lines = [line for line in code.splitlines() if not line.lstrip().startswith("# ###")]
    script = textwrap.indent(textwrap.dedent("\n".join(lines)).strip(), "    ")
    return (
        f"{refusal.problem} Nothing was changed. Write an Alembic migration instead ({how}):\n"
        f"{script}\nthen run `alembic upgrade head` and import the module again."
    )


class _CreatePrimaryKey(ops.CreatePrimaryKeyOp):
    """``op.create_primary_key`` in a rendered script (Alembic renders no such operation:
    autogenerate never makes one)."""


@renderers.dispatch_for(_CreatePrimaryKey)
def _render_primary_key(context: AutogenContext, op: _CreatePrimaryKey) -> str:
    columns = [str(c) for c in op.columns]
    if context._has_batch:
        return f"batch_op.create_primary_key({op.constraint_name!r}, {columns!r})"
    return (
        f"op.create_primary_key({op.constraint_name!r}, {op.table_name!r}, {columns!r}, "
        f"schema={op.schema!r})"
    )
