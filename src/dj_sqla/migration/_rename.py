"""Renaming a DataJoint table, rows kept: a change of tier (``mouse`` -> ``#mouse``: a Manual
table that should have been a Lookup) or of class name (``mouse`` -> ``animal``).

* In an Alembic migration script: ``rename_table(op, "mouse", "#mouse", schema="lab")``; its
  downgrade renames back. Autogenerate renders it (as ``dj_rename_table``) where it would
  otherwise drop the old table and create an empty new one (:mod:`._rename_detect`).
* In a notebook: ``dj_sqla.migration.rename(Mouse, dj.Lookup)`` shows what changes, asks (as
  ``dj.config["safemode"]`` says) and renames in one transaction (on MySQL, which commits each
  DDL statement, a failure lists the statements that had run).

The parts (``mouse__trial``), the job table, the foreign keys of the tables that reference it
(in any schema), the constraint and index names of dj_sqla's naming convention and DataJoint's
bookkeeping rows follow (:mod:`._rename_plan`). On SQLite, where constraint names live in the
``CREATE TABLE`` text, the tables involved are rebuilt; that needs the connection's foreign-key
enforcement off, as ``migration.options()`` sets it for a migration and the notebook form does
by itself.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import renderers
from alembic.operations import Operations, ops
from sqlalchemy.sql.naming import conv

from .._log import logger
from .._naming import NAMING_CONVENTION
from ..backends import Backend, backend_for
from ..config import config
from ..declare.names import snake_case
from ..errors import DataJointError, MigrationError
from ..populate import Computed, Imported
from ..schemas import Schema
from ..table import Lookup, Manual, Part, UserTable, table_name_for
from ..utils import confirm
from ._apply import Work, render_sql, run
from ._rename_plan import Rebuild, RenamePlan, inspect_rename

_IMPORT = "from dj_sqla.migration import rename_table as dj_rename_table"
_TIERS = (Manual, Lookup, Imported, Computed)


def rename_table(op: Any, old: str, new: str, *, schema: str | None = None) -> None:
    """Rename DataJoint table ``old`` to ``new`` in an Alembic migration, keeping its rows.

    Its parts, job table, the foreign keys that reference it, the names of its constraints
    and indexes, and DataJoint's bookkeeping rows follow (see the module docstring).

    Args:
        op: Alembic's ``op`` (or an :class:`~alembic.operations.Operations`).
        old: the table's SQL name (``"mouse"``).
        new: its new SQL name (``"#mouse"`` for a Lookup, ``"animal"`` for class Animal).
        schema: the table's schema.

    Raises:
        MigrationError: the table does not exist, the new name is taken or not a DataJoint
            table name, or the migration runs offline (``--sql``): renaming reads the
            database.

    Example:
        In a migration script::

            from dj_sqla.migration import rename_table

            def upgrade():
                rename_table(op, "mouse", "#mouse", schema="lab")

            def downgrade():
                rename_table(op, "#mouse", "mouse", schema="lab")
    """
    bind = op.get_bind()
    if bind is None:
        raise MigrationError(
            f"Renaming `{old}` reads the database (its parts, the tables that reference it): "
            "run this migration online, not with --sql."
        )
    backend = backend_for(bind.engine)
    where = schema or str(bind.dialect.default_schema_name)
    problem = backend.rebuild_problem(bind)
    if problem:
        raise MigrationError(f"Cannot rename `{where}`.`{old}`: {problem}")
    plan = inspect_rename(bind, backend, where, old, new)
    backend.suspend_guards(bind, [where, *(s for s, _ in plan.children)])
    rename_work(plan, backend)(op)


def rename_work(plan: RenamePlan, backend: Backend) -> Work:
    """The rename of ``plan`` as a function of Alembic's operations."""

    def work(op: Operations) -> None:
        if backend.has_server_schemas:
            _on_server(op, plan)
        else:
            for old, new in plan.names.items():
                op.rename_table(old, new, schema=plan.schema)
            for rebuild in plan.rebuilds:
                _rebuild(op, rebuild)
        for update in plan.bookkeeping:
            op.execute(update)

    return work


def _on_server(op: Operations, plan: RenamePlan) -> None:
    """Foreign keys whose names change are dropped first (PostgreSQL will not drop a key
    they reference) and made again last; other names are changed by dropping and creating."""
    keys = [c for c in plan.constraints if c.kind == "fk" and c.new_name != c.name]
    for fk in keys:
        op.drop_constraint(fk.name, fk.table, type_="foreignkey", schema=fk.schema)
        if fk.implied_index:  # MySQL's index for it: the new key makes its own
            op.drop_index(fk.name, table_name=fk.table, schema=fk.schema)
    for old, new in plan.names.items():
        op.rename_table(old, new, schema=plan.schema)
    for item in plan.constraints:
        if item.kind == "fk" or item.new_name == item.name:
            continue
        table = plan.new_name(item.schema, item.table)
        if item.kind == "ix":
            op.drop_index(item.name, table_name=table, schema=item.schema)
            op.create_index(
                item.new_name, table, item.columns, unique=item.unique, schema=item.schema
            )
            continue
        kind = {"pk": "primary", "uq": "unique", "ck": "check"}[item.kind]
        op.drop_constraint(item.name, table, type_=kind, schema=item.schema)
        if item.kind == "pk":
            op.create_primary_key(item.new_name, table, item.columns, schema=item.schema)
        elif item.kind == "uq":
            op.create_unique_constraint(item.new_name, table, item.columns, schema=item.schema)
        else:
            op.create_check_constraint(item.new_name, table, item.sqltext, schema=item.schema)
    for fk in keys:
        op.create_foreign_key(
            fk.new_name,
            plan.new_name(fk.schema, fk.table),
            plan.new_name(*fk.referred),
            fk.columns,
            fk.referred_columns,
            source_schema=fk.schema,
            referent_schema=fk.referred[0],
            **fk.options,
        )


def _rebuild(op: Operations, rebuild: Rebuild) -> None:
    """SQLite: make a table again from its reflected copy (Alembic's batch mode)."""
    extra: list[Any] = [sa.CheckConstraint(text, name=conv(name)) for name, text in rebuild.checks]
    for info in rebuild.foreign:  # into another schema: kept as an annotation by dj_sqla
        parent = sa.Table(
            info.referred_table,
            sa.MetaData(),
            *(sa.Column(c, sa.Integer) for c in info.referred_columns),
            schema=info.referred_schema,
        )
        extra.append(
            sa.ForeignKeyConstraint(
                list(info.columns), [parent.c[c] for c in info.referred_columns]
            )
        )
    with op.batch_alter_table(
        rebuild.name,
        schema=rebuild.schema,
        copy_from=rebuild.copy,
        recreate="always",
        table_args=tuple(extra),
        table_kwargs={"comment": rebuild.comment},
    ):
        pass


# -- in autogenerated scripts ---------------------------------------------------------------------


class RenameTable(ops.MigrateOperation):
    """A DataJoint table renamed (:func:`rename_table`), as autogenerate renders it.

    Example:
        >>> RenameTable("mouse", "#mouse", "lab").reverse().new
        'mouse'
    """

    def __init__(self, old: str, new: str, schema: str | None, note: str = "") -> None:
        self.old, self.new, self.schema, self.note = old, new, schema, note

    def reverse(self) -> RenameTable:
        """The rename back."""
        return RenameTable(self.new, self.old, self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """The difference ``alembic check`` reports."""
        return ("rename_table", self.schema, self.old, self.new)


@renderers.dispatch_for(RenameTable)
def _render_rename(context: AutogenContext, op: RenameTable) -> list[str]:
    context.imports.add(_IMPORT)
    lines = [f"# {line}" for line in op.note.splitlines()]
    return [*lines, f"dj_rename_table(op, {op.old!r}, {op.new!r}, schema={op.schema!r})"]


# -- in a notebook --------------------------------------------------------------------------------


def rename(table: Any, to: str | type, *, prompt: bool | None = None) -> str:
    """Rename a declared table in the database now, keeping its rows: the notebook form of
    :func:`rename_table`.

    Afterwards change the class to match (its tier, or its name) and import its module again
    (restart the kernel): until then the old class raises an error naming the new table.

    Args:
        table: the table's class (``Mouse``).
        to: a tier (``dj.Lookup``: the same name with that tier's prefix), the new class, or
            the new SQL name (``"animal"``).
        prompt: show what changes and ask first; default ``dj.config["safemode"]``.

    Returns:
        The new SQL name.

    Raises:
        MigrationError: as :func:`rename_table`, or a rename that fails (rolled back; on
            MySQL the error lists the statements that had run).

    Example:
        ``dj_sqla.migration.rename(Mouse, dj.Lookup)`` renames ``mouse`` to ``#mouse``.
    """
    cls = table if isinstance(table, type) else getattr(table, "table_class", None)
    if not (isinstance(cls, type) and issubclass(cls, UserTable)):
        raise DataJointError(f"rename() takes a declared table class, not {table!r}.")
    schema = cls._require_schema()
    assert isinstance(schema, Schema)
    old, new = str(cls._declared().name), _new_name(cls, to)
    connection, backend = schema.connection, schema.connection.backend
    if connection.in_transaction:
        raise DataJointError(
            f"Cannot rename `{old}` inside a transaction; call rename() outside it."
        )
    where = str(schema.database)
    with connection.engine.connect() as conn:
        plan = inspect_rename(conn, backend, where, old, new)
    work = rename_work(plan, backend)
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    asking = config["safemode"] if prompt is None else prompt
    if asking:
        sql = render_sql(connection, work, metadata)
        lines = [f"Rename `{where}`.`{old}` to `{new}`:", *(f"  - {x}" for x in plan.describe())]
        if not confirm("\n".join([*lines, "", sql, "", "Execute?"])):
            logger.info("Nothing was renamed.")
            return old
    schemas = list(dict.fromkeys([where, *(s for s, _ in plan.children)]))
    finish = "finish the rename by hand with the statements that are left, or undo the above."
    run(connection, schemas, work, metadata, f"Renaming `{where}`.`{old}` to `{new}`", finish)
    schema.tables_renamed(plan.names)
    return new


def _new_name(cls: type[UserTable], to: str | type) -> str:
    if isinstance(to, str):
        return to
    if issubclass(cls, Part):
        raise DataJointError(
            f"{cls.__name__} is a part: it has no tier of its own. Rename its master, or give "
            "the part's new SQL name."
        )
    if to in _TIERS:
        return f"{to.tier_prefix}{snake_case(cls.__name__)}"
    if isinstance(to, type) and issubclass(to, UserTable):
        return table_name_for(to)
    raise DataJointError(f"rename(..., to={to!r}): give a tier, a table class or a SQL name.")
