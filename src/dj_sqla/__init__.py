"""dj_sqla: DataJoint-style data pipelines on SQLAlchemy 2.x.

Use it as DataJoint is used::

    import dj_sqla as dj
    schema = dj.schema("alice_experiment")   # creates the schema (embedded SQLite by default)

A :class:`Schema` is a ``sqlalchemy.MetaData`` with a registry; decorated classes become
mapped classes; the same code runs on SQLite, MySQL/MariaDB and PostgreSQL.
"""

from __future__ import annotations

from .config import config
from .connection import Connection, conn
from .errors import (
    ConfigError,
    DataJointError,
    DefinitionError,
    DuplicateError,
    MissingParentError,
    QueryError,
    SchemaDependencyError,
    SchemaLimitError,
    SchemaMissingError,
    SchemaNameError,
    TableNotDeclaredError,
    UnknownAttributeError,
)
from .expression import AndList, Not, Top, U
from .populate import Computed, Imported
from .schemas import Schema, list_schemas, schema
from .table import Heading, Lookup, Manual, Part
from .virtual import VirtualModule, create_virtual_module, virtual_schema

__version__ = "0.1.0.dev0"

__all__ = [
    "AndList",
    "Computed",
    "ConfigError",
    "Connection",
    "DataJointError",
    "DefinitionError",
    "DuplicateError",
    "Heading",
    "Imported",
    "Lookup",
    "Manual",
    "MissingParentError",
    "Not",
    "Part",
    "QueryError",
    "Schema",
    "SchemaDependencyError",
    "SchemaLimitError",
    "SchemaMissingError",
    "SchemaNameError",
    "TableNotDeclaredError",
    "Top",
    "U",
    "UnknownAttributeError",
    "VirtualModule",
    "__version__",
    "config",
    "conn",
    "create_virtual_module",
    "list_schemas",
    "schema",
    "virtual_schema",
]
