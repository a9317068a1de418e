"""MySQL and MariaDB (through PyMySQL).

A dj_sqla schema is a MySQL *database*. The connection URL should name no database, so that
no schema is the connection's default schema (Alembic misreads tables in the default schema).
"""

from __future__ import annotations

import re

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
