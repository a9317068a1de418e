"""The space tables take in the database (data and indexes, bytes): DataJoint's
``Table.size_on_disk`` and ``Schema.size_on_disk``, by each backend's own statistics.

- MySQL/MariaDB: ``information_schema.tables`` (``data_length + index_length``; InnoDB's
  estimate, refreshed by the server);
- PostgreSQL: ``pg_total_relation_size`` (the table, its indexes and its TOAST data);
- SQLite: the ``dbstat`` table of pages (the table's and its indexes' pages), else, where the
  library lacks it, the schema's whole file.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def size_on_disk(
    dialect: str, conn: Connection, schema: str, tables: Sequence[str] | None = None
) -> int:
    """Bytes that ``tables`` of ``schema`` (all its tables if None) take, indexes included.

    Example:
        >>> engine = sa.create_engine("sqlite://")
        >>> with engine.begin() as conn:
        ...     _ = conn.exec_driver_sql("create table t (a int primary key)")
        ...     size_on_disk("sqlite", conn, "main", ["t"]) > 0
        True
    """
    if dialect == "mysql":
        return _mysql(conn, schema, tables)
    if dialect == "postgresql":
        return _postgresql(conn, schema, tables)
    return _sqlite(conn, schema, tables)


def _catalog(schema: str, name: str, *columns: str) -> sa.TableClause:
    """A system table of the server, with the columns read here."""
    return sa.table(name, *(sa.column(c) for c in columns), schema=schema)


def _mysql(conn: Connection, schema: str, tables: Sequence[str] | None) -> int:
    columns = ("table_schema", "table_name", "data_length", "index_length")
    info = _catalog("information_schema", "tables", *columns)
    query = sa.select(
        sa.func.coalesce(sa.func.sum(info.c.data_length + info.c.index_length), 0)
    ).where(info.c.table_schema == schema)
    if tables is not None:
        query = query.where(info.c.table_name.in_(list(tables)))
    return int(conn.execute(query).scalar_one())


def _postgresql(conn: Connection, schema: str, tables: Sequence[str] | None) -> int:
    pg_class = _catalog("pg_catalog", "pg_class", "oid", "relname", "relnamespace", "relkind")
    pg_namespace = _catalog("pg_catalog", "pg_namespace", "oid", "nspname")
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(sa.func.pg_total_relation_size(pg_class.c.oid)), 0))
        .select_from(pg_class.join(pg_namespace, pg_namespace.c.oid == pg_class.c.relnamespace))
        .where(pg_namespace.c.nspname == schema, pg_class.c.relkind.in_(["r", "p"]))
    )
    if tables is not None:
        query = query.where(pg_class.c.relname.in_(list(tables)))
    return int(conn.execute(query).scalar_one())


def _sqlite(conn: Connection, schema: str, tables: Sequence[str] | None) -> int:
    quoted = conn.dialect.identifier_preparer.quote(schema)
    objects: list[str] | None = None
    if tables is not None:  # each table with its indexes
        master = f"SELECT name FROM {quoted}.sqlite_master WHERE tbl_name = ?"
        objects = [n for t in tables for (n,) in conn.exec_driver_sql(master, (t,)).fetchall()]
        if not objects:
            return 0
    try:
        sql = "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE schema = ?"
        params: tuple[str, ...] = (schema,)
        if objects is not None:
            sql += f" AND name IN ({', '.join('?' * len(objects))})"
            params += tuple(objects)
        return int(conn.exec_driver_sql(sql, params).scalar_one())
    except sa.exc.OperationalError:  # a SQLite library without dbstat: the whole file
        pages = conn.exec_driver_sql(f"PRAGMA {quoted}.page_count").scalar_one()
        page_size = conn.exec_driver_sql(f"PRAGMA {quoted}.page_size").scalar_one()
        return int(pages) * int(page_size)
