"""Helpers for Alembic migrations of dj_sqla schemas.

Example, in a migration script::

    from dj_sqla.migration import column

    op.add_column("session", column("notes", "varchar(1024)", "free text", nullable=True),
                  schema="lab")
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .declare.build import comment_marker
from .types import resolve_type


def column(name: str, declared: str, comment: str = "", **kwargs: Any) -> sa.Column[Any]:
    """A column exactly as a dj_sqla declaration makes it.

    Its type comes from dj_sqla's type map (with the per-backend variants that Alembic's
    autogenerate does not render) and its comment is the ``:type:comment`` marker that
    ``describe()`` reads back. ``nullable`` defaults to False, as for a declared attribute.
    """
    spec = resolve_type(declared)
    kwargs.setdefault("nullable", False)
    kwargs.setdefault("autoincrement", False)
    return sa.Column(name, spec.sa_type, comment=comment_marker(spec.name, comment), **kwargs)


def include_object(backend_enforces_cross_schema_keys: bool) -> Any:
    """An Alembic ``include_object`` hook that skips cross-schema foreign keys where the
    database cannot hold them (SQLite: dj_sqla enforces them with triggers instead), so that
    autogenerate does not report them as missing forever."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "foreign_key_constraint" and not backend_enforces_cross_schema_keys:
            return bool(obj.referred_table.schema == obj.table.schema)
        return True

    return include
