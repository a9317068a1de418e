"""The errors dj_sqla raises, under DataJoint's names and hierarchy, and how their messages
quote a value (:func:`shortened`).

Every error derives from :class:`DataJointError` (also exported as ``dj.DataJointError``), so
``except dj.DataJointError`` catches anything the library raises on purpose. Errors that wrap a
driver error are raised ``from`` it, so the original stays reachable as ``__cause__``.

The classes DataJoint (0.14 and 2.x) defines in ``datajoint.errors`` exist here with the same
names and the same parents, so ``except dj.errors.DuplicateError`` in a pipeline catches a
duplicate raised by dj_sqla. dj_sqla's own, more specific errors sit below the DataJoint class a
pipeline would catch for them:

==========================  ===========================  ======================================
class                       parent                       raised when
==========================  ===========================  ======================================
``LostConnectionError``     ``DataJointError``           the server connection is gone
``TransactionConflictError`` ``DataJointError``          a deadlock rolled a transaction back
``QueryError``              ``DataJointError``           a query cannot be built or run
``QuerySyntaxError``        ``QueryError``               a query (or restriction) is malformed
``QueryArgumentError``      ``QueryError``, ``TypeError``: a query argument of the wrong type
``AccessError``             ``QueryError``               the user lacks a privilege
``DuplicateError``          ``QueryError``               a row repeats a primary or unique key
``IntegrityError``          ``QueryError``               a foreign key forbids the change
``MissingParentError``      ``IntegrityError``           a row's parent row does not exist
``SchemaDependencyError``   ``IntegrityError``           other schemas reference a dropped one
``UnknownAttributeError``   ``QueryError``               a name is not in the heading
``UnknownFieldError``       ``UnknownAttributeError``, ``KeyError``: a row to insert names one
``MissingAttributeError``   ``QueryError``               an insert lacks a required value
``MissingTableError``       ``DataJointError``           a table is not declared
``TableNotDeclaredError``   ``MissingTableError``        (dj_sqla's name for the same)
``MissingExternalFile``     ``DataJointError``           a stored object file is gone
``BucketInaccessible``      ``DataJointError``           an object-store bucket cannot be used
``ThreadSafetyError``       ``DataJointError``           global state used in thread-safe mode
``ConfigError``             ``DataJointError``           a setting is missing or unusable
``UnknownSettingError``     ``ConfigError``, ``KeyError``, ``AttributeError``: no such setting
``ConfigFileError``         ``ConfigError``              a settings file cannot be read
``InvalidSettingError``     ``ConfigError``, ``ValueError``: a setting's value is not allowed
``ConfigFileExistsError``   ``ConfigError``, ``FileExistsError``: a template would overwrite
``MissingDefinitionError``  ``DefinitionError``, ``NotImplementedError``: a class without
                            a ``definition``
``MigrationError``          ``DataJointError``           ``alter()`` or a table rename is refused
                                                         or failed
==========================  ===========================  ======================================

As in DataJoint, ``DuplicateError`` is *not* an ``IntegrityError``: DataJoint keeps the two
siblings under ``QueryError``, and pipelines that catch one expect the other to pass through.

Example:
    >>> try:
    ...     raise MissingParentError("Session 7 references mouse 3, which does not exist.")
    ... except IntegrityError as err:
    ...     print(type(err).__name__)
    MissingParentError
"""

from __future__ import annotations

import os

# --- quoting in messages -------------------------------------------------------------------


def shortened(value: object, length: int = 60) -> str:
    """``repr(value)``, cut to about ``length`` characters for an error message.

    Example:
        >>> shortened("x" * 100)
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (102 characters)"
    """
    text = repr(value)
    return text if len(text) <= length else f"{text[: length - 4]}... ({len(text)} characters)"


# --- the root ------------------------------------------------------------------------------


class DataJointError(Exception):
    """Root of every error raised by dj_sqla.

    Example:
        >>> try:
        ...     raise SchemaMissingError("Schema `lab` does not exist")
        ... except DataJointError as err:
        ...     print(err)
        Schema `lab` does not exist
    """

    def suggest(self, *args: object) -> DataJointError:
        """A new error of the same class with ``args`` appended (DataJoint's ``suggest``).

        Example:
            >>> DataJointError("Cannot insert.").suggest("Pass skip_duplicates=True.").args
            ('Cannot insert.', 'Pass skip_duplicates=True.')
        """
        return self.__class__(*(self.args + args))


# --- DataJoint's classes, with DataJoint's parents ------------------------------------------


class LostConnectionError(DataJointError):
    """The connection to the database server was lost; reconnect (``dj.conn(reset=True)``)."""


class TransactionConflictError(DataJointError):
    """The database rolled a transaction back to resolve a conflict with another one (a
    deadlock, a serialization failure, a lock wait timeout); running it again may succeed."""


class QueryError(DataJointError):
    """A query expression cannot be built or run as written (DataJoint's ``QueryError``)."""


class QueryArgumentError(QueryError, TypeError):
    """An argument of a query has the wrong type (``dj.Top(limit="5")``, ``order_by=1``);
    also a ``TypeError``, as DataJoint raises there."""


class QuerySyntaxError(QueryError):
    """A query or restriction is malformed (DataJoint's ``QuerySyntaxError``)."""


class AccessError(QueryError):
    """The database user lacks a privilege the operation needs (DataJoint's ``AccessError``)."""


class DuplicateError(QueryError):
    """A row duplicates the primary key (or a unique index) of a row already stored."""


class IntegrityError(QueryError):
    """A foreign key forbids the change (DataJoint's ``IntegrityError``)."""


class UnknownAttributeError(QueryError):
    """An attribute name is not in the table's (or query's) heading."""


class UnknownFieldError(UnknownAttributeError, KeyError):
    """A row to insert names an attribute the table lacks. Also a ``KeyError``, as DataJoint
    raises there."""

    def __str__(self) -> str:
        # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class MissingAttributeError(QueryError):
    """An insert lacks a value for an attribute that has no default."""


class MissingTableError(DataJointError):
    """A table is used that is not declared in the database (DataJoint's name)."""


class MissingExternalFile(DataJointError):
    """A file or object that a row refers to is no longer in its store."""


class BucketInaccessible(DataJointError):
    """An object-store bucket does not exist or cannot be reached with the credentials."""


class ThreadSafetyError(DataJointError):
    """Process-wide state (``dj.conn()``, ``dj.config``) was used where it is disabled."""


class PluginWarning(DataJointError):
    """DataJoint 0.14's marker for an unverified plugin; dj_sqla never raises it."""


# --- dj_sqla's own classes, under the DataJoint class a pipeline catches --------------------


class ConfigError(DataJointError):
    """A configuration value is missing or cannot be used (``dj.config``, URLs)."""


class UnknownSettingError(ConfigError, KeyError, AttributeError):
    """A setting name that ``dj.config`` does not know (and that was never set).

    It is a ``KeyError`` so ``dj.config.get(name, default)`` and ``name in dj.config`` behave
    as for a dict, and an ``AttributeError`` so ``getattr(dj.config.database, name, None)``
    and ``hasattr`` do too.
    """

    def __str__(self) -> str:
        # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class ConfigFileError(ConfigError):
    """A settings file cannot be read: not JSON, not an object, or unreadable."""


class InvalidSettingError(ConfigError, ValueError):
    """A setting was given a value it cannot hold (``dj.config.database.port = "harbor"``).

    Also a ``ValueError``, as DataJoint 2's settings raise a (pydantic) ``ValueError`` there.
    """


class ConfigFileExistsError(ConfigError, FileExistsError):
    """A settings template would overwrite an existing file (also a ``FileExistsError``)."""


class ConfigFileMissingError(ConfigFileError, FileNotFoundError):
    """A settings file given by name does not exist (also a ``FileNotFoundError``)."""


class SchemaMissingError(DataJointError):
    """A schema does not exist on the server and ``create_schema=False`` forbids creating it."""


class SchemaNameError(DataJointError):
    """A schema name cannot be used: invalid, or the connection's default schema."""


class SchemaLimitError(DataJointError):
    """The backend cannot hold more schemas on one connection (SQLite attaches at most 10)."""


class SchemaDependencyError(IntegrityError):
    """A schema cannot be dropped because tables in other schemas reference it."""


class ClassNotDeclaredError(DataJointError, AttributeError):
    """A table class is asked for what only a declared class has (``Mouse.heading`` before
    ``@schema``). It is also an ``AttributeError``, so ``hasattr``, ``getattr(..., default)``
    and ``help()`` treat the attribute as absent, as they do for any class."""


class TableNotDeclaredError(MissingTableError):
    """A table is used that does not exist in the database (e.g. ``create_tables=False``)."""


class DefinitionError(DataJointError):
    """A table definition cannot be declared; the message names the table, line and text."""


class MissingDefinitionError(DefinitionError, NotImplementedError):
    """A table class has no ``definition`` (often a misspelled one); also a
    ``NotImplementedError``, as DataJoint raises there."""


class MissingParentError(IntegrityError):
    """A row references a parent row (foreign key) that does not exist."""


class MigrationError(DataJointError):
    """``Table.alter()`` or a table rename is refused (the message names the Alembic
    migration to write instead) or failed (the message says what was undone, or on MySQL,
    which statements had run)."""


# --- DataJoint 0.14's feature switches -------------------------------------------------------
# DataJoint 0.14 gated adapted types and filepath attributes behind environment variables and
# pipelines flip them with these functions. dj_sqla does not gate either feature; the switches
# are kept so that such code runs, and they report what was switched.

ADAPTED_TYPE_SWITCH = "DJ_SUPPORT_ADAPTED_TYPES"
FILEPATH_FEATURE_SWITCH = "DJ_SUPPORT_FILEPATH_MANAGEMENT"


def _switch(variable: str, on: bool) -> None:
    if on:
        os.environ[variable] = "TRUE"
    else:
        os.environ.pop(variable, None)


def _switch_adapted_types(on: bool) -> None:
    """Turn DataJoint 0.14's adapted-type switch on or off (no effect on dj_sqla)."""
    _switch(ADAPTED_TYPE_SWITCH, on)


def _support_adapted_types() -> bool:
    """Whether DataJoint 0.14's adapted-type switch is on."""
    return os.environ.get(ADAPTED_TYPE_SWITCH, "FALSE").upper() == "TRUE"


def _switch_filepath_types(on: bool) -> None:
    """Turn DataJoint 0.14's filepath switch on or off (no effect on dj_sqla)."""
    _switch(FILEPATH_FEATURE_SWITCH, on)


def _support_filepath_types() -> bool:
    """Whether DataJoint 0.14's filepath switch is on."""
    return os.environ.get(FILEPATH_FEATURE_SWITCH, "FALSE").upper() == "TRUE"


class ArgumentError(DataJointError, ValueError):
    """An argument has a value the operation does not take; also a ``ValueError``, which
    DataJoint raises for it (``delete(part_integrity="casade")``)."""
