"""Classes for tables that exist in the database: what ``Schema.make_classes`` builds.

Each table becomes a class of the tier its name says (``#`` Lookup, ``_`` Imported, ``__``
Computed, ``master__part`` a Part nested in its master), declared from the definition that
``describe()`` reads back from the database, with ``create_tables=False`` semantics: nothing is
created. Parents come before children, so foreign keys resolve to the classes just made. A
parent in another schema that is not activated on the connection is loaded the same way
first (a virtual schema of it), so a schema's classes never depend on what was imported
before. Tables of plain SQLAlchemy applications are read too (see ``describe``).

Columns of DataJoint's codec types (``<blob>``, ``<attach>``, a registered plugin's ``<name>``)
are decoded; those of codecs dj_sqla does not know (object stores' ``<object@store>``, an
uninstalled plugin) are read as the bytes stored in the row.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .connection import Schema
from .declare.describe import Reflected, reflect, render
from .declare.names import tier_and_names
from .populate import Computed, Imported
from .table import Lookup, Manual, Part

_TIERS: dict[str, type] = {
    "Manual": Manual,
    "Lookup": Lookup,
    "Imported": Imported,
    "Computed": Computed,
}
#: Table names DataJoint (and dj_sqla) declare; others (``~lineage``, ``alembic_version``'s
#: kin) are left alone.
DATAJOINT_TABLE_NAME = re.compile(r"(#|__|_)?[a-z][a-z0-9]*(_[a-z0-9]+)*(__[a-z][a-z0-9_]*)?")
_SKIP = {"alembic_version"}


def _load_referenced(schema: Schema, reflected: Iterable[Reflected]) -> list[Schema]:
    """Reflect the schemas that ``reflected`` tables reference and that are not activated on
    the connection; returns them (their classes resolve the foreign keys)."""
    connection, loaded = schema.connection, []
    wanted = sorted(
        {
            fk.referred_schema
            for table in reflected
            for fk in table.notes.foreign_keys
            if fk.referred_schema and fk.referred_schema != schema.database
        }
    )
    default = connection.engine.dialect.default_schema_name
    for name in wanted:
        if connection.schema_named(name) is not None or name == default:
            continue  # activated: its classes are the user's; an application's own tables
        # a schema of the same class as ``schema`` (the schema layer's dj.Schema, which this
        # layer may not import), activated without creating anything
        factory: Any = type(schema)
        other = factory(name, connection=connection, create_schema=False, create_tables=False)
        make_classes(other, into={})
        loaded.append(other)
    return loaded


def make_classes(schema: Schema, into: dict[str, Any]) -> dict[str, type]:
    """Create (and declare on ``schema``) classes for its tables that have none yet.

    A name already in ``into`` is kept as it is, as DataJoint's ``spawn_missing_classes``
    keeps it: only the missing classes are added (with the parts of their masters).
    """
    connection = schema.connection
    name = str(schema.database)
    with connection.engine.connect() as conn:
        tables = connection.backend.table_names(conn, name)
        foreign = sa.inspect(conn).get_multi_foreign_keys(schema=name)
    mapped = {table.name for table in schema._classes}
    wanted = sorted(
        t
        for t in tables
        if t not in mapped and t not in _SKIP and DATAJOINT_TABLE_NAME.fullmatch(t)
    )
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for table in wanted:
        parents = [
            fk["referred_table"]
            for fk in foreign.get((name, table), [])
            if (fk["referred_schema"] or name) == name and fk["referred_table"] != table
        ]
        sorter.add(table, *(p for p in parents if p in wanted))
    context = dict(into)
    for other in connection.schemas():
        for cls in other._classes.values():
            context.setdefault(cls.__name__, cls)
    reflected = reflect(schema, wanted)  # every table at once, not query by query
    for other in _load_referenced(schema, reflected.values()):
        for cls in other._classes.values():
            context.setdefault(cls.__name__, cls)
    made: dict[str, type] = {}
    order = list(sorter.static_order())  # parents first, parts among themselves too
    masters = [
        t for t in order if len(tier_and_names(t)[1]) == 1 and tier_and_names(t)[1][0] not in into
    ]
    for table in masters:
        tier, (class_name,) = tier_and_names(table)
        namespace: dict[str, Any] = {
            "definition": render(schema, table, reflected[table]),
            "_reflected": True,
        }
        for part in (t for t in order if t.startswith(table + "__")):
            part_name = tier_and_names(part)[1][1]
            namespace[part_name] = type(
                part_name,
                (Part,),
                {
                    "definition": render(schema, part, reflected[part]),
                    "_reflected": True,
                    "__qualname__": f"{class_name}.{part_name}",
                },
            )
        cls = type(class_name, (_TIERS[tier],), namespace)
        schema(cls, context=context)
        context[class_name] = made[class_name] = cls
    into.update(made)
    return made
