"""dj_sqla: DataJoint-style data pipelines on SQLAlchemy 2.x.

Use it as DataJoint is used::

    import dj_sqla as dj
    schema = dj.schema("alice_experiment")   # creates the schema (embedded SQLite by default)

A :class:`Schema` is a ``sqlalchemy.MetaData`` with a registry; decorated classes become
mapped classes; the same code runs on SQLite, MySQL/MariaDB and PostgreSQL.
"""

from __future__ import annotations

from . import (
    errors,
    migration,  # noqa: F401  # supplies Table.alter() (Alembic operations)
    utils,
)
from ._config_keys import ConfigWarning
from ._log import logger
from ._version import __version__
from .codecs import AttributeAdapter, Codec, MatCell, MatStruct, get_codec, list_codecs
from .compat import install_as_datajoint
from .config import config
from .connection import Connection, conn
from .diagram import ERD, Di, Diagram
from .errors import (
    AccessError,
    ArgumentError,
    BucketInaccessible,
    ClassNotDeclaredError,
    ConfigError,
    ConfigFileError,
    ConfigFileExistsError,
    ConfigFileMissingError,
    DataJointError,
    DefinitionError,
    DuplicateError,
    IntegrityError,
    InvalidSettingError,
    LostConnectionError,
    MigrationError,
    MissingAttributeError,
    MissingDefinitionError,
    MissingExternalFile,
    MissingParentError,
    MissingTableError,
    PluginWarning,
    QueryArgumentError,
    QueryError,
    QuerySyntaxError,
    SchemaDependencyError,
    SchemaLimitError,
    SchemaMissingError,
    SchemaNameError,
    TableNotDeclaredError,
    ThreadSafetyError,
    TransactionConflictError,
    UnknownAttributeError,
    UnknownFieldError,
    UnknownSettingError,
)
from .execution.fetch import key
from .execution.jobs import Jobs
from .execution.validate import ValidationResult
from .expression import AndList, Not, Top, U
from .heading import Heading
from .instance import Instance
from .populate import AutoPopulate, Computed, Imported
from .schemas import Schema, list_schemas, schema
from .stores import NpyRef, ObjectRef, SchemaCodec, StorageAdapter, gc, get_storage_adapter
from .table import Lookup, Manual, Part, Table
from .virtual import FreeTable, VirtualModule, create_virtual_module, virtual_schema

#: DataJoint 2.3's names for the tiers and the job table.
Entry = Manual
Ingest = Imported
Compute = Computed
Job = Jobs

config.load_default_files()  # datajoint.json, dj_local_conf.json, ~/.datajoint_config.json

# plain sorted order (the public-API test checks it), not ruff's constants-first order
__all__ = [  # noqa: RUF022
    "AccessError",
    "AndList",
    "ArgumentError",
    "AttributeAdapter",
    "AutoPopulate",
    "BucketInaccessible",
    "ClassNotDeclaredError",
    "Codec",
    "Compute",
    "Computed",
    "ConfigError",
    "ConfigFileError",
    "ConfigFileExistsError",
    "ConfigFileMissingError",
    "ConfigWarning",
    "Connection",
    "DataJointError",
    "DefinitionError",
    "Di",
    "Diagram",
    "DuplicateError",
    "ERD",
    "Entry",
    "FreeTable",
    "Heading",
    "Imported",
    "Ingest",
    "Instance",
    "IntegrityError",
    "InvalidSettingError",
    "Job",
    "Lookup",
    "LostConnectionError",
    "Manual",
    "MatCell",
    "MatStruct",
    "MigrationError",
    "MissingAttributeError",
    "MissingDefinitionError",
    "MissingExternalFile",
    "MissingParentError",
    "MissingTableError",
    "Not",
    "NpyRef",
    "ObjectRef",
    "Part",
    "PluginWarning",
    "QueryArgumentError",
    "QueryError",
    "QuerySyntaxError",
    "Schema",
    "SchemaCodec",
    "SchemaDependencyError",
    "SchemaLimitError",
    "SchemaMissingError",
    "SchemaNameError",
    "StorageAdapter",
    "Table",
    "TableNotDeclaredError",
    "ThreadSafetyError",
    "Top",
    "TransactionConflictError",
    "U",
    "UnknownAttributeError",
    "UnknownFieldError",
    "UnknownSettingError",
    "ValidationResult",
    "VirtualModule",
    "__version__",
    "config",
    "conn",
    "create_virtual_module",
    "errors",
    "gc",
    "get_codec",
    "get_storage_adapter",
    "install_as_datajoint",
    "key",
    "list_codecs",
    "list_schemas",
    "logger",
    "schema",
    "utils",
    "virtual_schema",
]
