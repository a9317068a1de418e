"""dj_sqla: DataJoint-style data pipelines on SQLAlchemy 2.x.

Use it as DataJoint is used::

    import dj_sqla as dj
    schema = dj.schema("alice_experiment")   # creates the schema (embedded SQLite by default)

A :class:`Schema` is a ``sqlalchemy.MetaData`` with a registry; decorated classes become
mapped classes; the same code runs on SQLite, MySQL/MariaDB and PostgreSQL.
"""

from __future__ import annotations

from . import errors, utils
from ._log import logger
from .config import ConfigWarning, config
from .connection import Connection, conn
from .errors import (
    AccessError,
    BucketInaccessible,
    ConfigError,
    ConfigFileError,
    ConfigFileMissingError,
    DataJointError,
    DefinitionError,
    DuplicateError,
    IntegrityError,
    LostConnectionError,
    MissingAttributeError,
    MissingExternalFile,
    MissingParentError,
    MissingTableError,
    PluginWarning,
    QueryError,
    QuerySyntaxError,
    SchemaDependencyError,
    SchemaLimitError,
    SchemaMissingError,
    SchemaNameError,
    TableNotDeclaredError,
    ThreadSafetyError,
    UnknownAttributeError,
    UnknownSettingError,
)
from .expression import AndList, Not, Top, U
from .populate import Computed, Imported
from .schemas import Schema, list_schemas, schema
from .table import Heading, Lookup, Manual, Part
from .virtual import VirtualModule, create_virtual_module, virtual_schema

__version__ = "0.1.0.dev0"

config.load_default_files()  # datajoint.json, dj_local_conf.json, ~/.datajoint_config.json

__all__ = [
    "AccessError",
    "AndList",
    "BucketInaccessible",
    "Computed",
    "ConfigError",
    "ConfigFileError",
    "ConfigFileMissingError",
    "ConfigWarning",
    "Connection",
    "DataJointError",
    "DefinitionError",
    "DuplicateError",
    "Heading",
    "Imported",
    "IntegrityError",
    "Lookup",
    "LostConnectionError",
    "Manual",
    "MissingAttributeError",
    "MissingExternalFile",
    "MissingParentError",
    "MissingTableError",
    "Not",
    "Part",
    "PluginWarning",
    "QueryError",
    "QuerySyntaxError",
    "Schema",
    "SchemaDependencyError",
    "SchemaLimitError",
    "SchemaMissingError",
    "SchemaNameError",
    "TableNotDeclaredError",
    "ThreadSafetyError",
    "Top",
    "U",
    "UnknownAttributeError",
    "UnknownSettingError",
    "VirtualModule",
    "__version__",
    "config",
    "conn",
    "create_virtual_module",
    "errors",
    "list_schemas",
    "logger",
    "schema",
    "utils",
    "virtual_schema",
]
