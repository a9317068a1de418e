"""Constraint and index names that are short and identical on every backend.

SQLAlchemy's automatic truncation of long names differs per dialect (60 characters on
PostgreSQL, 61 on MariaDB, none on SQLite) and the default index convention bakes in the schema
name. dj_sqla's convention names each constraint after its table (cut to 24 characters, with
characters such as DataJoint's ``#`` prefix removed) plus a 10-character hash of the table and
the columns involved, for example ``fk_session_0c1e0f5a9b``: at most 38 characters, the same on
SQLite, MySQL and PostgreSQL, and independent of the schema name (a test copy of a schema gets
the same names as production).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import sqlalchemy as sa

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


def _table_token(const: Any, table: sa.Table) -> str:
    return _UNSAFE.sub("", table.name).strip("_")[:24] or "t"


def _hash_token(const: Any, table: sa.Table) -> str:
    kind = type(const).__name__
    text = f"{kind}:{table.name}:{','.join(_columns(const))}"
    return hashlib.sha1(text.encode()).hexdigest()[:10]


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
