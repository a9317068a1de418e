"""The Alembic operations of an :class:`~._alter_plan.AlterPlan`.

On the servers each change is an ``ALTER TABLE`` (``op.add_column``, ``op.alter_column``, ...).
SQLite cannot change a column in place: Alembic's batch mode rebuilds the table (a new table,
the rows copied, the old table dropped, the new one renamed), here from a copy of the new
Table in which renamed attributes still have their old names and added ones are missing, so
that exactly the kept values are copied. The CHECKs dj_sqla declares for an attribute (text
length, integer range) go with the attribute: dropped before it changes, made again after.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.operations import BatchOperations, Operations

from .._naming import NAMING_CONVENTION, constraint_name
from ..backends import Backend
from ..declaration import copy_column
from ..declare.build import declared_checks
from ._alter_plan import AlterPlan, declared, default_text
from ._apply import Work


def _default(column: sa.Column[Any]) -> Any:
    return getattr(column.server_default, "arg", None)


def _name(constraint: sa.Constraint) -> str | None:
    """A constraint's given name; None lets the naming convention name it."""
    return constraint.name if isinstance(constraint.name, str) else None


def _applies(check: sa.CheckConstraint, dialect: str) -> bool:
    """Whether a declared CHECK is made on ``dialect`` (its ``ddl_if``)."""
    where = getattr(getattr(check, "_ddl_if", None), "dialect", None)
    return where is None or dialect == where or dialect in where


def _type_checks(table: sa.Table, column: str) -> list[sa.CheckConstraint]:
    """The CHECKs a column's type makes (an enum's list of values)."""
    return [
        c
        for c in table.constraints
        if isinstance(c, sa.CheckConstraint)
        and getattr(c, "_type_bound", False)
        and column in {col.name for col in c.columns}
    ]


def _own_checks(table: sa.Table, column: sa.Column[Any]) -> list[sa.CheckConstraint]:
    return declared_checks(str(table.name), column, column.info["dj"].spec)


def alter_work(
    plan: AlterPlan,
    old: sa.Table,
    new: sa.Table,
    backend: Backend,
    present_checks: set[str],
) -> Work:
    """The change of ``plan`` as a function of Alembic's operations (see the module
    docstring). ``old`` holds the stored attributes' declarations, ``new`` is the Table of
    the new definition; ``present_checks`` are the names of the table's stored CHECKs."""
    if not backend.has_server_schemas:
        return _rebuild(plan, new)
    name, schema = str(new.name), new.schema
    dialect = backend.engine.dialect.name
    retyped_old = {plan.modified[n] for n in plan.retyped}
    unchecked = list(dict.fromkeys([*plan.dropped, *plan.renamed, *retyped_old]))

    def work(op: Operations) -> None:
        for index_name, _, _ in plan.drop_indexes:
            op.drop_index(index_name, table_name=name, schema=schema)
        for old_name in unchecked:
            stale = str(constraint_name("CheckConstraint", name, [old_name]))
            if stale in present_checks:
                op.drop_constraint(stale, name, type_="check", schema=schema)
        for old_name in plan.dropped:
            op.drop_column(name, old_name, schema=schema)
        for old_name, new_name in plan.renamed.items():
            op.alter_column(
                name,
                old_name,
                new_column_name=new_name,
                schema=schema,
                **_existing(old.c[old_name]),
            )
        for new_name, old_name in plan.modified.items():
            _modify(op, name, schema, old.c[old_name], new.c[new_name], backend)
        for new_name in plan.added:
            op.add_column(name, copy_column(new.c[new_name]), schema=schema)
        for new_name in dict.fromkeys([*plan.renamed.values(), *plan.retyped, *plan.added]):
            for check in _own_checks(new, new.c[new_name]):
                if _applies(check, dialect):
                    op.create_check_constraint(_name(check), name, check.sqltext, schema=schema)
        for new_name in plan.renamed.values():
            if new_name not in plan.retyped:  # a retyped column's type makes them again
                for check in _type_checks(new, new_name):
                    op.create_check_constraint(_name(check), name, check.sqltext, schema=schema)
        for index in plan.add_indexes:
            columns = [c.name for c in index.columns]
            op.create_index(index.name, name, columns, unique=index.unique, schema=schema)
        if plan.comment is not None:
            before, after = plan.comment
            if after:
                op.create_table_comment(name, after, existing_comment=before, schema=schema)
            else:
                op.drop_table_comment(name, existing_comment=before, schema=schema)

    return work


def _existing(column: sa.Column[Any]) -> dict[str, Any]:
    """What Alembic must know of a column it changes (MySQL restates the whole column)."""
    return {
        "existing_type": column.type,
        "existing_nullable": column.nullable,
        "existing_server_default": _default(column),
        "existing_comment": column.comment,
    }


def _modify(
    op: Operations,
    name: str,
    schema: str | None,
    before: sa.Column[Any],
    after: sa.Column[Any],
    backend: Backend,
) -> None:
    """``alter_column`` for what changed between two declarations of an attribute (its
    name has been changed already)."""
    changes: dict[str, Any] = {}
    if declared(before)[0] != declared(after)[0]:
        # without existing_type: Alembic then makes the new type's CHECKs without dropping
        # the old type's, which were dropped by name with dj_sqla's own
        changes["type_"] = after.type
        changes.update(backend.type_change_options(after.name, after.type))
    if bool(before.nullable) != bool(after.nullable):
        changes["nullable"] = after.nullable
    if default_text(before) != default_text(after):
        changes["server_default"] = _default(after)
    if before.comment != after.comment:
        changes["comment"] = after.comment
    if not changes:
        return
    existing = _existing(before)
    if "type_" in changes:
        del existing["existing_type"]
    op.alter_column(name, after.name, schema=schema, **existing, **changes)


def _rebuild(plan: AlterPlan, new: sa.Table) -> Work:
    """SQLite: the table rebuilt by Alembic's batch mode (see the module docstring)."""
    added = set(plan.added)
    old_names = {new_name: old_name for old_name, new_name in plan.renamed.items()}
    metadata = sa.MetaData(schema=new.schema, naming_convention=NAMING_CONVENTION)
    columns = {
        column.name: copy_column(column, name=old_names.get(column.name, column.name))
        for column in new.columns
        if column.name not in added
    }
    constraints: list[Any] = [
        sa.PrimaryKeyConstraint(
            *(columns[c.name] for c in new.primary_key), name=_name(new.primary_key)
        )
    ]
    # Alembic's batch mode copies a foreign key into the table's own schema: one into
    # another schema (kept by dj_sqla as an annotation on SQLite) is given to it as is
    elsewhere = [fk for fk in new.foreign_key_constraints if fk.referred_table.schema != new.schema]
    constraints.extend(
        _foreign_key(fk, [columns[c] for c in fk.column_keys])
        for fk in new.foreign_key_constraints
        if fk not in elsewhere
    )
    for unique in new.constraints:
        if isinstance(unique, sa.UniqueConstraint):
            constraints.append(
                sa.UniqueConstraint(*(columns[c.name] for c in unique.columns), name=unique.name)
            )
    later: list[sa.CheckConstraint] = []
    for column in new.columns:
        checks = _own_checks(new, column)
        if column.name in added or column.name in old_names:
            later.extend(checks)  # made once the column has its new name
        else:
            constraints.extend(
                declared_checks(str(new.name), columns[column.name], column.info["dj"].spec)
            )
    copy = sa.Table(new.name, metadata, *columns.values(), *constraints)
    for index in new.indexes:
        names = [c.name for c in index.columns]
        if not added & set(names) and not set(old_names) & set(names):
            sa.Index(index.name, *(copy.c[n] for n in names), unique=index.unique)

    def work(op: Operations) -> None:
        with op.batch_alter_table(
            str(new.name),
            schema=new.schema,
            copy_from=copy,
            recreate="always",
            table_args=tuple(_foreign_key(fk, list(fk.column_keys)) for fk in elsewhere),
            table_kwargs={"comment": new.comment},
        ) as batch:
            _in_batch(batch, plan, new, old_names, later)

    return work


def _foreign_key(fk: sa.ForeignKeyConstraint, columns: list[Any]) -> sa.ForeignKeyConstraint:
    """A copy of ``fk`` on ``columns`` (Columns, or names), referring to the same parent."""
    return sa.ForeignKeyConstraint(
        columns,
        [element.column for element in fk.elements],
        name=fk.name,
        onupdate=fk.onupdate,
        ondelete=fk.ondelete,
    )


def _in_batch(
    batch: BatchOperations,
    plan: AlterPlan,
    new: sa.Table,
    old_names: dict[str, str],
    later: list[sa.CheckConstraint],
) -> None:
    for new_name, old_name in old_names.items():
        batch.alter_column(old_name, new_column_name=new_name)
    for new_name in plan.added:
        batch.add_column(copy_column(new.c[new_name]))
    for check in later:
        batch.create_check_constraint(str(check.name), check.sqltext)
    for index in new.indexes:
        names = [c.name for c in index.columns]
        if set(plan.added) & set(names) or set(old_names) & set(names):
            batch.create_index(str(index.name), names, unique=index.unique)
