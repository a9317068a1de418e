"""Alembic environment for dj_sqla's example pipeline.

The URL comes from dj_sqla's settings (``DJ_SQLA_URL`` or ``database.*``), through
``dj.conn()``, so SQLite schema files are attached exactly as the library attaches them. The
schemas are activated with ``create_tables=False``: in a migration-managed database only
``alembic upgrade`` creates tables. ``-x prefix=...`` changes the schema-name prefix (tests use
it to keep runs apart).
"""

from __future__ import annotations

from alembic import context

import dj_sqla as dj
from dj_sqla import example
from dj_sqla.migration import include_object

prefix = context.get_x_argument(as_dictionary=True).get("prefix", example.DEMO_PREFIX)
connection = dj.conn()
pipeline = example.build(connection, prefix=prefix, create_tables=False)
schema_names = {str(schema.database) for schema in pipeline.schemas}
target_metadata = [schema.metadata for schema in pipeline.schemas]


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Compare only the pipeline's schemas; the default schema (None) never."""
    if type_ == "schema":
        return name in schema_names
    return True


def run_migrations_online() -> None:
    with connection.engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            include_schemas=True,
            include_name=include_name,
            include_object=include_object(connection.backend.enforces_cross_schema_foreign_keys),
            version_table_schema=str(pipeline.lab.database),
            render_as_batch=not connection.backend.has_server_schemas,
        )
        with context.begin_transaction():
            context.run_migrations(prefix=prefix)


if context.is_offline_mode():
    raise SystemExit("dj_sqla's example migrations run online only (they need dj.conn()).")
run_migrations_online()
