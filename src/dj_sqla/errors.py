"""The errors dj_sqla raises.

Every error derives from :class:`DataJointError` (also exported as ``dj.DataJointError``), so
``except dj.DataJointError`` catches anything the library raises on purpose. Errors that wrap a
driver error are raised ``from`` it, so the original stays reachable as ``__cause__``.
"""

from __future__ import annotations


class DataJointError(Exception):
    """Root of every error raised by dj_sqla.

    Example:
        >>> try:
        ...     raise SchemaMissingError("Schema `lab` does not exist")
        ... except DataJointError as err:
        ...     print(err)
        Schema `lab` does not exist
    """


class ConfigError(DataJointError):
    """A configuration value is missing or cannot be used (``dj.config``, URLs)."""


class SchemaMissingError(DataJointError):
    """A schema does not exist on the server and ``create_schema=False`` forbids creating it."""


class SchemaNameError(DataJointError):
    """A schema name cannot be used: invalid, or the connection's default schema."""


class SchemaLimitError(DataJointError):
    """The backend cannot hold more schemas on one connection (SQLite attaches at most 10)."""


class SchemaDependencyError(DataJointError):
    """A schema cannot be dropped because tables in other schemas reference it."""


class TableNotDeclaredError(DataJointError):
    """A table is used that does not exist in the database (e.g. ``create_tables=False``)."""


class DefinitionError(DataJointError):
    """A table definition cannot be declared; the message names the table, line and text."""


class DuplicateError(DataJointError):
    """A row duplicates the primary key (or a unique index) of a row already stored."""


class MissingParentError(DataJointError):
    """A row references a parent row (foreign key) that does not exist."""


class UnknownAttributeError(DataJointError):
    """An attribute name is not in the table's heading."""


class QueryError(DataJointError):
    """A query expression cannot be built or run as written."""
