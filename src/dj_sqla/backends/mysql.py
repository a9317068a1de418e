"""MySQL and MariaDB (through PyMySQL).

A dj_sqla schema is a MySQL *database*. The connection URL should name no database, so that
no schema is the connection's default schema (Alembic misreads tables in the default schema).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from .base import ServerBackend


class MySQLBackend(ServerBackend):
    """MySQL 8 and MariaDB 10.5+."""

    name = "mysql"
    dialect_names = ("mysql", "mariadb")
    default_driver = "mysql+pymysql"
    default_port = 3306
    system_schemas = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
    # error 1146: Table 'alice.mouse' doesn't exist
    missing_table_pattern = re.compile(r"\(1146, \"Table '([^']+)' doesn't exist")
    max_table_name_length = 64
    has_nontransactional_ddl = True

    def integrity_kind(self, error: sa.exc.IntegrityError) -> str | None:
        """MySQL error 1062 is a duplicate key; 1451/1452 are foreign-key failures."""
        code = getattr(error.orig, "args", (None,))[0]
        kinds = {1062: "duplicate", 1451: "foreign_key", 1452: "foreign_key"}
        return kinds.get(code) if isinstance(code, int) else None
