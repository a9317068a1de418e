"""Constraint and index names that are short and identical on every backend.

SQLAlchemy's automatic truncation of long names differs per dialect (60 characters on
PostgreSQL, 61 on MariaDB, none on SQLite) and the default index convention bakes in the schema
name. dj_sqla's convention names each constraint after its table (cut to 24 characters, with
characters such as DataJoint's ``#`` prefix removed) plus a 10-character hash of the table and
the columns involved, for example ``fk_session_0c1e0f5a9b``: at most 38 characters, the same on
SQLite, MySQL and PostgreSQL, and independent of the schema name (a test copy of a schema gets
the same names as production).

The convention serves constraints that users and Alembic add; dj_sqla's own declarations name
their constraints up front with :func:`constraint_name`, which gives the same names: the
convention recomputes a primary key's name for every column added to it (about 5% of the
Python calls of building a table).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.naming import conv

_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


def _columns(const: Any) -> list[str]:
    if isinstance(const, sa.ForeignKeyConstraint):
        # target without its schema, so the name does not depend on where the parent lives
        return [
            f"{key}->{'.'.join(el.target_fullname.split('.')[-2:])}"
            for key, el in zip(const.column_keys, const.elements, strict=True)
        ]
    columns = [col.name for col in getattr(const, "columns", ())]
    if not columns and isinstance(const, sa.CheckConstraint):
        # dj_sqla's own checks are SQL text and name their column; others hash their text
        columns = const.info.get("dj_columns") or [str(const.sqltext)]
    return columns


def _table_part(table: str) -> str:
    return _UNSAFE.sub("", table).strip("_")[:24] or "t"


def _hash_part(kind: str, table: str, columns: Sequence[str]) -> str:
    text = f"{kind}:{table}:{','.join(columns)}"
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _table_token(const: Any, table: sa.Table) -> str:
    return _table_part(table.name)


def _hash_token(const: Any, table: sa.Table) -> str:
    return _hash_part(type(const).__name__, table.name, _columns(const))


#: The prefix of each kind of constraint's name (the convention's keys).
_PREFIXES = {
    "PrimaryKeyConstraint": "pk",
    "ForeignKeyConstraint": "fk",
    "Index": "ix",
    "UniqueConstraint": "uq",
    "CheckConstraint": "ck",
}


def constraint_name(kind: str, table: str, columns: Sequence[str]) -> conv:
    """The name :data:`NAMING_CONVENTION` gives a constraint, from plain names.

    Args:
        kind: the SQLAlchemy class name (``"PrimaryKeyConstraint"``, ``"Index"``, ...).
        table: the table's name.
        columns: the column names in the constraint's order; for a foreign key, each as
            ``"column->parent_table.parent_column"``.

    Example:
        >>> constraint_name("PrimaryKeyConstraint", "#session", ["mouse_id", "session"])
        'pk_session_9f672e24cc'
    """
    return conv(f"{_PREFIXES[kind]}_{_table_part(table)}_{_hash_part(kind, table, columns)}")


#: The ``naming_convention`` of every Schema's MetaData.
NAMING_CONVENTION: dict[str, Any] = {
    "dj_table": _table_token,
    "dj_hash": _hash_token,
    "pk": "pk_%(dj_table)s_%(dj_hash)s",
    "fk": "fk_%(dj_table)s_%(dj_hash)s",
    "ix": "ix_%(dj_table)s_%(dj_hash)s",
    "uq": "uq_%(dj_table)s_%(dj_hash)s",
    "ck": "ck_%(dj_table)s_%(dj_hash)s",
}
