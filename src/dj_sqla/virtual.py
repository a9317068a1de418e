"""Virtual schemas and free tables: existing tables as classes, without their code.

``dj.virtual_schema("alice_lab")`` activates the schema without creating anything and gives
a module whose attributes are classes made by :func:`dj_sqla.reflect.make_classes`;
``dj.FreeTable(connection, "alice_lab.mouse")`` is one such table as a query.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .connection import Connection, as_connection
from .errors import DataJointError
from .execution.query import TableQuery
from .reflect import make_classes
from .schemas import Schema


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


class _FreeTableType(type):
    """``FreeTable(conn, name)`` gives the table as a query; ``isinstance(q, FreeTable)``
    holds for every table query (DataJoint's ``schema[name]`` and ``Diagram`` give them)."""

    def __call__(cls, connection: Connection | sa.Engine | str | None, full_table_name: str) -> Any:
        schema_name, table_name = _split_full_name(full_table_name)
        conn = as_connection(connection)
        schema = conn.schema_named(schema_name)
        if schema is None:
            schema = Schema(schema_name, connection=conn, create_schema=False, create_tables=False)
        return schema.get_table(table_name)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, TableQuery)


class FreeTable(metaclass=_FreeTableType):
    """A table of the database as a query, by its full name, without a class of one's own
    (DataJoint's ``dj.FreeTable``): ``FreeTable(dj.conn(), "alice_lab.session")``.

    ``full_table_name`` is ``schema.table``, quoted (```alice_lab`.`session```) or not. The
    table's class is the one its schema has in this process, else one made from the database
    (the schema is activated without creating anything). Every table query is an instance
    (``isinstance(schema["Session"], dj.FreeTable)``).

    Raises:
        DataJointError: the name is not ``schema.table``, or there is no such table.

    Example::

        session = dj.FreeTable(dj.conn(), "alice_lab.session")
        len(session & "session_date > '2026-01-01'")
    """

    if TYPE_CHECKING:  # what the metaclass's __call__ takes

        def __init__(
            self, connection: Connection | sa.Engine | str | None, full_table_name: str
        ) -> None: ...


def _split_full_name(full_table_name: str) -> tuple[str, str]:
    parts = [p.strip('`"') for p in full_table_name.split(".")]
    if len(parts) != 2 or not all(parts):
        raise DataJointError(
            f"FreeTable: `{full_table_name}` is not a full table name; write it as "
            "schema.table (for example `alice_lab`.`session`)."
        )
    return parts[0], parts[1]
