"""PostgreSQL (through psycopg2).

A dj_sqla schema is a PostgreSQL schema inside the database named in the URL.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import DropSchema

from .base import ServerBackend, on_conflict_update

if TYPE_CHECKING:
    from sqlalchemy import Connection


class PostgreSQLBackend(ServerBackend):
    """PostgreSQL 12+."""

    name = "postgresql"
    dialect_names = ("postgresql",)
    default_driver = "postgresql+psycopg2"
    default_port = 5432
    default_database = "postgres"
    system_schemas = frozenset({"information_schema", "pg_catalog", "pg_toast"})
    # psycopg2.errors.UndefinedTable: relation "alice.mouse" does not exist
    missing_table_pattern = re.compile(r'relation "([^"]+)" does not exist')

    def integrity_kind(self, error: sa.exc.IntegrityError) -> str | None:
        """SQLSTATE 23505 is a unique violation, 23503 a foreign-key violation."""
        code = getattr(error.orig, "pgcode", None)
        return {"23505": "duplicate", "23503": "foreign_key"}.get(str(code))

    def upsert(self, table: sa.Table, names: list[str]) -> Any:
        """``INSERT ... ON CONFLICT (key) DO UPDATE``."""
        return on_conflict_update(postgresql.insert(table), table, names)

    def drop_schema(self, conn: Connection, name: str) -> None:
        """Drop the schema with its tables, enum types and sequences (``CASCADE``)."""
        # CASCADE also drops objects *outside* the schema that depend on it (foreign keys
        # from other schemas); Schema.drop checks dependent_schemas first so that cannot happen
        # silently.
        conn.execute(DropSchema(name, cascade=True, if_exists=True))

    def list_schemas(self, conn: Connection) -> list[str]:
        """User schemas, without PostgreSQL's own ``pg_*`` schemas."""
        return [n for n in super().list_schemas(conn) if not n.startswith("pg_")]
