"""The foreign-key graph of declared tables: lineage of attributes (for semantic matching).

An attribute's *lineage* is the table and attribute it originates from: a primary-key
attribute declared in table ``T`` has lineage ``schema.T.attr``, and an attribute copied from a
parent by a foreign key (renamed or not) inherits the parent's lineage. Other attributes have
none. Two namesake attributes may be matched in a join or restriction only when their lineages
are equal (DataJoint 2's semantic matching); dj_sqla reads lineage straight from the foreign
keys in the MetaData, with no lineage table in the database.

Example:
    >>> import sqlalchemy as sa
    >>> md = sa.MetaData(schema="lab")
    >>> mouse = sa.Table("mouse", md, sa.Column("mouse_id", sa.Integer, primary_key=True))
    >>> cage = sa.Table("cage", md, sa.Column("id", sa.ForeignKey(mouse.c.mouse_id)))
    >>> lineage(cage)
    {'id': 'lab.mouse.mouse_id'}
"""

from __future__ import annotations

import weakref

import sqlalchemy as sa

_cache: weakref.WeakKeyDictionary[sa.Table, dict[str, str | None]] = weakref.WeakKeyDictionary()


def lineage(table: sa.Table) -> dict[str, str | None]:
    """Attribute name → lineage (``schema.table.attribute``) or None, for one table."""
    found = _cache.get(table)
    if found is None:
        found = {}
        for column in table.columns:
            origin: str | None = None
            for fk in column.foreign_keys:
                parent = fk.column
                origin = (
                    lineage(parent.table)[parent.name]
                    if isinstance(parent.table, sa.Table)
                    else None
                )
                break
            if origin is None and column.primary_key and not column.foreign_keys:
                origin = f"{table.schema}.{table.name}.{column.name}"
            found[column.name] = origin
        _cache[table] = found
    return found
