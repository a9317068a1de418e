"""Classes for tables that exist in the database: ``make_classes`` and virtual schemas.

Each table becomes a class of the tier its name says (``#`` Lookup, ``_`` Imported, ``__``
Computed, ``master__part`` a Part nested in its master), declared from the definition that
``describe()`` reads back from the database, with ``create_tables=False`` semantics: nothing is
created. Parents come before children, so foreign keys resolve to the classes just made; a
parent in another schema must have its classes already (activate or reflect that schema first).

Columns of DataJoint codec types (``<blob>``, ``<attach>``, ``<object@store>``...) are read as
the raw bytes stored in the row: dj_sqla does not decode DataJoint's codecs yet.
"""

from __future__ import annotations

import graphlib
import re
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .declare.describe import reflect, render
from .table import Computed, Imported, Lookup, Manual, Part, tier_and_names

if TYPE_CHECKING:
    from .connection import Connection
    from .schemas import Schema

_TIERS: dict[str, type] = {
    "Manual": Manual,
    "Lookup": Lookup,
    "Imported": Imported,
    "Computed": Computed,
}
#: Table names DataJoint (and dj_sqla) declare; others (``~lineage``, ``alembic_version``'s
#: kin) are left alone.
_DATAJOINT_NAME = re.compile(r"(#|__|_)?[a-z][a-z0-9]*(_[a-z0-9]+)*(__[a-z][a-z0-9_]*)?")
_SKIP = {"alembic_version"}


def make_classes(schema: Schema, into: dict[str, Any]) -> dict[str, type]:
    """Create (and declare on ``schema``) classes for its tables that have none yet."""
    connection = schema.connection
    name = str(schema.database)
    with connection.engine.connect() as conn:
        tables = connection.backend.table_names(conn, name)
        foreign = sa.inspect(conn).get_multi_foreign_keys(schema=name)
    mapped = {table.name for table in schema._classes}
    wanted = sorted(
        t for t in tables if t not in mapped and t not in _SKIP and _DATAJOINT_NAME.fullmatch(t)
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
    made: dict[str, type] = {}
    masters = [t for t in sorter.static_order() if len(tier_and_names(t)[1]) == 1]
    for table in masters:
        tier, (class_name,) = tier_and_names(table)
        namespace: dict[str, Any] = {
            "definition": render(schema, table, reflected[table]),
            "_reflected": True,
        }
        for part in sorted(t for t in wanted if t.startswith(table + "__")):
            part_name = tier_and_names(part)[1][1]
            namespace[part_name] = type(
                part_name,
                (Part,),
                {
                    "definition": render(schema, part, reflected[part]),
                    "__qualname__": f"{class_name}.{part_name}",
                },
            )
        cls = type(class_name, (_TIERS[tier],), namespace)
        schema(cls, context=context)
        context[class_name] = made[class_name] = cls
    into.update(made)
    return made


class VirtualModule(types.ModuleType):
    """A module whose attributes are the table classes of an existing schema.

    Args:
        module_name: the module's name.
        schema_name: the schema to read.
        create_schema: create the schema if missing (default: a missing schema is an error).
        create_tables: passed to the schema (tables are never created by reflection).
        connection: as for ``dj.Schema``.
        add_objects: extra names for resolving foreign keys.

    Example:
        ``lab = dj.VirtualModule("lab", "alice_lab"); lab.Mouse.to_dicts()``
    """

    def __init__(
        self,
        module_name: str,
        schema_name: str,
        *,
        create_schema: bool = False,
        create_tables: bool = False,
        connection: Connection | sa.Engine | str | None = None,
        add_objects: Mapping[str, Any] | None = None,
    ) -> None:
        from .schemas import Schema

        super().__init__(module_name)
        self.schema = Schema(
            schema_name,
            connection=connection,
            create_schema=create_schema,
            create_tables=create_tables,
            add_objects=add_objects,
        )
        make_classes(self.schema, into=self.__dict__)

    def __repr__(self) -> str:
        return f"<virtual module {self.__name__!r} for schema `{self.schema.database}`>"


def virtual_schema(
    schema_name: str,
    *,
    connection: Connection | sa.Engine | str | None = None,
    create_schema: bool = False,
    create_tables: bool = False,
    add_objects: Mapping[str, Any] | None = None,
) -> VirtualModule:
    """The table classes of an existing schema, as a module (``dj.virtual_schema``)."""
    return VirtualModule(
        schema_name,
        schema_name,
        connection=connection,
        create_schema=create_schema,
        create_tables=create_tables,
        add_objects=add_objects,
    )


def create_virtual_module(module_name: str, schema_name: str, **kwargs: Any) -> VirtualModule:
    """DataJoint's classic name for :class:`VirtualModule`."""
    return VirtualModule(module_name, schema_name, **kwargs)
