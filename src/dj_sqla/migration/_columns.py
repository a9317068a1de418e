"""Columns and types exactly as a declaration makes them, and the helpers that rendered
migration scripts call (``dj_column``, ``dj_type``, ``dj_in_default_schema``,
``dj_drop_checks``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op as alembic_op
from alembic.operations import BatchOperations

from .._naming import constraint_name
from ..declare.build import comment_marker
from ..types import resolve_type

_AUTO = " auto_increment"


def column_type(declared: str) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type a declaration gives a ``declared`` DataJoint type.

    Rendered migration scripts call it (as ``dj_type``) where a column's type changes.

    Example:
        >>> column_type("varchar(40)").length
        40
    """
    auto = declared.endswith(_AUTO)
    spec = resolve_type(declared.removesuffix(_AUTO), raw_codecs=True)
    if auto:  # as a declaration does: SQLite auto-increments only an INTEGER PRIMARY KEY
        return spec.sa_type.with_variant(sa.Integer(), "sqlite")
    return spec.sa_type


def in_default_schema(target: str) -> str:
    """``table.column`` qualified with the default schema of the running migration's
    connection: the target of a foreign key from a table of a named schema into an
    application's table (SQLite then leaves the key out, as it cannot hold it).

    Rendered migration scripts call it (as ``dj_in_default_schema``).
    """
    default = alembic_op.get_bind().dialect.default_schema_name
    return f"{default}.{target}" if default else target


def drop_checks(
    operations: Any, table: str, column_name: str, schema: str | None = None
) -> list[str]:
    """Drop the CHECKs a declaration gave ``column_name`` (where the database has them),
    before the column is dropped or retyped; returns their names.

    SQLite copies a table's CHECKs when batch mode rebuilds it, and reads a double-quoted
    name of a dropped column as a string: a stale CHECK would then refuse every row.
    Rendered scripts call it (as ``dj_drop_checks``) with ``op`` or, in batch mode,
    ``batch_op``.
    """
    name = str(constraint_name("CheckConstraint", table, [column_name]))
    inspector = sa.inspect(alembic_op.get_bind())
    existing = {c["name"] for c in inspector.get_check_constraints(table, schema=schema)}
    if name not in existing:
        return []
    if isinstance(operations, BatchOperations):
        operations.drop_constraint(name, type_="check")
    else:
        operations.drop_constraint(name, table, type_="check", schema=schema)
    return [name]


def column(name: str, declared: str, comment: str = "", **kwargs: Any) -> sa.Column[Any]:
    """A column exactly as a dj_sqla declaration makes it.

    Its type comes from dj_sqla's type map (with the per-backend variants) and its comment is
    the ``:type:comment`` marker that ``describe()`` reads back. ``nullable`` defaults to
    False, as for a declared attribute; a ``declared`` type ending in ``auto_increment``
    makes an auto-incremented column.

    Example:
        >>> column("notes", "varchar(64)", "free text").comment
        ':varchar(64):free text'
    """
    kwargs.setdefault("nullable", False)
    kwargs.setdefault("autoincrement", declared.endswith(_AUTO))
    spec = resolve_type(declared.removesuffix(_AUTO), raw_codecs=True)
    marker = spec.name + (_AUTO if declared.endswith(_AUTO) else "")
    return sa.Column(name, column_type(declared), comment=comment_marker(marker, comment), **kwargs)
