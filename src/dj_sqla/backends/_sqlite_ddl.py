"""SQLite DDL annotations: where dj_sqla keeps what SQLite's schema cannot hold.

SQLite has no column or table comments and drops foreign keys into other (attached) files. It
does keep the text of every ``CREATE TABLE`` in ``sqlite_master``, comments included. So for the
SQLite dialect dj_sqla adds SQL comments to the statement:

* after a column: ``/* :int32:unique id */`` (the same ``:type:comment`` as elsewhere);
* first inside the parentheses: ``/* dj:comment a laboratory mouse */`` for the table comment
  and ``/* dj:fk subject_id -> lab.subject(subject_id) */`` for each cross-schema foreign key.

:func:`read_annotations` parses them back. Only identifiers and comment text are written; a
``*/`` inside a comment is broken up so it cannot end the SQL comment early.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateColumn, CreateTable

from .base import Annotations, ForeignKeyInfo, foreign_key_infos

_COLUMN = re.compile(r'^\s*("(?:[^"]|"")+"|\w+)[^\n]*?/\* (:.*?) \*/', re.MULTILINE)
_TABLE_COMMENT = re.compile(r"/\* dj:comment (.*?) \*/", re.DOTALL)
_FK = re.compile(r"/\* dj:fk (.+?) -> (.+?)\.(.+?)\((.+?)\) \*/")


def _safe(text: str) -> str:
    return text.replace("*/", "* /")


@compiles(CreateColumn, "sqlite")
def _create_column(element: CreateColumn, compiler: Any, **kw: Any) -> str:
    text = str(compiler.visit_create_column(element, **kw))
    comment = element.element.comment
    return f"{text} /* {_safe(comment)} */" if comment and comment.startswith(":") else text


@compiles(CreateTable, "sqlite")
def _create_table(element: CreateTable, compiler: Any, **kw: Any) -> str:
    text = str(compiler.visit_create_table(element, **kw))
    table: sa.Table = element.element
    notes = []
    if table.comment:
        notes.append(f"/* dj:comment {_safe(table.comment)} */")
    for fk in table.foreign_key_constraints:
        parent = fk.referred_table
        if parent.schema != table.schema:
            notes.append(
                f"/* dj:fk {','.join(fk.column_keys)} -> {parent.schema}.{parent.name}"
                f"({','.join(el.column.name for el in fk.elements)}) */"
            )
    if not notes:
        return text
    head, paren, rest = text.partition("(")
    return f"{head}({' '.join(notes)}{rest}" if paren else text


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def read_annotations(conn: sa.Connection, schema: str, names: list[str]) -> dict[str, Annotations]:
    """Comments and cross-schema foreign keys from the stored CREATE statements (one query),
    plus the foreign keys SQLite holds itself."""
    master = sa.table("sqlite_master", sa.column("sql"), sa.column("name"), schema=schema)
    texts = dict(
        conn.execute(sa.select(master.c.name, master.c.sql).where(master.c.name.in_(names))).all()
    )
    foreign = sa.inspect(conn).get_multi_foreign_keys(schema=schema, filter_names=names)
    found = {}
    for name in names:
        sql = texts.get(name) or ""
        match = _TABLE_COMMENT.search(sql)
        foreign_keys = [
            ForeignKeyInfo(tuple(cols.split(",")), other, table, tuple(refs.split(",")))
            for cols, other, table, refs in _FK.findall(sql)
        ]
        foreign_keys += foreign_key_infos(foreign.get((schema, name), []), schema)
        found[name] = Annotations(
            match.group(1) if match else "",
            {_unquote(m.group(1)): m.group(2) for m in _COLUMN.finditer(sql)},
            foreign_keys,
        )
    return found
