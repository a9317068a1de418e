"""Alembic environment for dj_sqla's example pipeline.

The URL comes from dj_sqla's settings (``DJ_SQLA_URL`` or ``database.*``), through
``dj.conn()``, so SQLite schema files are attached exactly as the library attaches them. The
schemas are activated with ``create_tables=False``: in a migration-managed database only
``alembic upgrade`` creates tables. ``-x prefix=...`` changes the schema-name prefix (tests use
it to keep runs apart).

Declaring the recordings' ``<npy@dj_sqla_demo>`` attribute needs that object store's settings.
Migrations never read or write objects, so unless ``dj.config["stores"]`` names the store an
in-memory one stands in for it (and no folder is created).
"""

from __future__ import annotations

from alembic import context

import dj_sqla as dj
from dj_sqla import example, migration

prefix = context.get_x_argument(as_dictionary=True).get("prefix", example.DEMO_PREFIX)
connection = dj.conn()
if example.STORE not in dj.config["stores"]:
    store = {"protocol": "memory", "location": f"/{example.STORE_FOLDER}"}
    dj.config["stores"] = {**dj.config["stores"], example.STORE: store}
pipeline = example.build(connection, prefix=prefix, create_tables=False)


def run_migrations_online() -> None:
    with connection.engine.connect() as conn:
        context.configure(connection=conn, **migration.options(pipeline.schemas, conn))
        with context.begin_transaction():
            context.run_migrations(prefix=prefix)


if context.is_offline_mode():
    raise SystemExit("dj_sqla's example migrations run online only (they need dj.conn()).")
run_migrations_online()
