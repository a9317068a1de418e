"""Alembic support for dj_sqla schemas.

In ``env.py``::

    from dj_sqla import migration
    schemas = [lab_module.schema, experiment_module.schema]   # dj.Schema objects
    with connection.engine.connect() as conn:
        context.configure(connection=conn, **migration.options(schemas, connection))

and in a migration script::

    from dj_sqla.migration import column
    op.add_column("session", column("notes", "varchar(1024)", "free text", nullable=True),
                  schema="lab")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .declare.build import comment_marker
from .errors import DataJointError
from .types import resolve_type

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .connection import Connection


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
    """An Alembic ``include_object`` hook for autogenerate.

    It skips tables whose name starts with ``~`` (job tables, created by ``populate`` rather
    than by migrations, and DataJoint's bookkeeping tables) and cross-schema foreign keys
    where the database cannot hold them (SQLite: dj_sqla enforces them with triggers
    instead), so that autogenerate does not report them as missing forever."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        if table is not None and table.name.startswith("~"):
            return False  # job tables (``~~name``) and DataJoint's own bookkeeping tables
        if type_ == "foreign_key_constraint" and not backend_enforces_cross_schema_keys:
            return bool(obj.referred_table.schema == obj.table.schema)
        return True

    return include


def options(schemas: Sequence[Any], connection: Connection) -> dict[str, Any]:
    """Keyword arguments for Alembic's ``context.configure`` for these schemas.

    ``schemas`` holds ``dj.Schema`` objects (each a MetaData) or pipeline modules, whose
    ``schema`` attribute is used (a DataJoint pipeline module's ``schema = dj.schema(...)``,
    or a virtual module).

    * ``target_metadata``: the schemas;
    * ``include_schemas`` with a filter that compares only these schemas, never the
      connection's default schema (Alembic reports it as None);
    * ``version_table_schema``: the first schema, so the version table lives with the data;
    * ``render_as_batch`` on SQLite, whose ALTER TABLE needs batch mode;
    * ``include_object`` that skips cross-schema foreign keys on SQLite (see above);
    * ``compare_type``.
    """
    schemas = [getattr(item, "schema", None) if _is_module(item) else item for item in schemas]
    if not all(isinstance(s, sa.MetaData) for s in schemas):
        raise DataJointError(
            "migration.options takes dj.Schema objects, or modules with a `schema` attribute."
        )
    names = {str(schema.schema) for schema in schemas}

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return name in names if type_ == "schema" else True

    backend = connection.backend
    return {
        "target_metadata": list(schemas),
        "include_schemas": True,
        "include_name": include_name,
        "include_object": include_object(backend.enforces_cross_schema_foreign_keys),
        "version_table_schema": str(schemas[0].schema),
        "render_as_batch": not backend.has_server_schemas,
        "compare_type": True,
    }


def _is_module(item: Any) -> bool:
    return not isinstance(item, sa.MetaData) and isinstance(
        getattr(item, "schema", None), sa.MetaData
    )
