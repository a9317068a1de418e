"""``dj_sqla.install_as_datajoint()``: installed DataJoint packages import dj_sqla as ``datajoint``.

Like ``pymysql.install_as_MySQLdb()``: one explicit call, before the DataJoint code is imported,
makes ``import datajoint`` (and ``from datajoint.schemas import Schema``...) give dj_sqla. The
published DataJoint Elements then run unmodified::

    import dj_sqla
    dj_sqla.install_as_datajoint()
    from element_lab import lab          # a published package, from PyPI
    lab.activate("myproj_lab", linking_module="myproj.pipeline")

``datajoint`` becomes a module holding dj_sqla's public names (``datajoint.Manual`` is
``dj_sqla.Manual``, ``datajoint.config`` is ``dj_sqla.config``...), and each of DataJoint's
submodules that pipelines import (``datajoint.errors``, ``datajoint.utils``,
``datajoint.schemas``, ``datajoint.user_tables``...) a module holding the dj_sqla objects of
DataJoint's names there. A name dj_sqla does not provide is an ``AttributeError`` that says so.

Example:
    >>> import sys, dj_sqla
    >>> saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "datajoint"}
    >>> for name in saved:
    ...     del sys.modules[name]
    >>> dj_sqla.install_as_datajoint()
    >>> import datajoint
    >>> datajoint.Manual is dj_sqla.Manual
    True
    >>> from datajoint.user_tables import Computed
    >>> Computed is dj_sqla.Computed
    True
    >>> for name in [k for k in sys.modules if k.split(".")[0] == "datajoint"]:
    ...     del sys.modules[name]
    >>> sys.modules.update(saved)
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from . import _hash, _log, codecs, console, errors, utils
from .backends.mysql import condition_text
from .config import Config
from .connection import Connection, conn
from .declare.names import tier_and_names
from .dependencies import Dependencies, topo_sort
from .diagram import Diagram
from .errors import DataJointError
from .execution.delete import FOREIGN_KEY_ERROR
from .execution.jobs import ERROR_MESSAGE_LENGTH, TRUNCATION_APPENDIX, Jobs
from .execution.query import Query
from .execution.validate import ValidationResult
from .expression import AndList, Not, Top, U
from .expression.conditions import to_condition
from .expression.core import as_expression
from .heading import Attribute, Heading, default_attribute_properties
from .instance import Instance
from .populate import AutoPopulate, Computed, Imported
from .schemas import Schema, list_schemas
from .stores import (
    ExternalMapping,
    ExternalTable,
    FilepathCodec,
    HashCodec,
    IntegrityError,
    NpyCodec,
    NpyRef,
    ObjectCodec,
    ObjectRef,
    SchemaCodec,
    StagedInsert,
    StorageAdapter,
    StorageBackend,
    build_object_path,
    encode_pk_value,
    gc,
    generate_token,
    get_storage_adapter,
    get_storage_backend,
    hashed,
    staged_insert1,
)
from .table import Lookup, Manual, Part, Table, TableMeta, UserTable
from .virtual import FreeTable, VirtualModule, create_virtual_module, virtual_schema

#: The marker ``install_as_datajoint`` leaves on the ``datajoint`` module it installs.
MARKER = "__dj_sqla__"

_TIERS: dict[str, Any] = {
    "Manual": Manual,
    "Lookup": Lookup,
    "Imported": Imported,
    "Computed": Computed,
    "Part": Part,
    "UserTable": UserTable,
    "AutoPopulate": AutoPopulate,
    # DataJoint 2.3's aliases of the tiers
    "Entry": Manual,
    "Ingest": Imported,
    "Compute": Computed,
}


def _get_tier(full_table_name: str) -> type[UserTable]:
    """The tier class of a table, read from its name (`` `schema`.`#lookup_table` `` gives
    ``Lookup``; a name with ``__`` after the tier prefix gives ``Part``).

    DataJoint keeps this helper private to its diagram and user-table modules; REST servers
    (pharus) call it to sort a schema's tables by tier, so DataJoint's module names offer it.

    Example:
        >>> _get_tier("`lab`.`__session_stats__unit`").__name__
        'Part'
    """
    name = full_table_name.rpartition(".")[2].strip('`"')
    tier, names = tier_and_names(name)
    return Part if len(names) > 1 else _TIERS[tier]


def _make_condition(query_expression: Any, condition: Any, columns: set[str]) -> str | bool:
    """A restriction as DataJoint's ``condition.make_condition`` gives it: True (every row),
    False (none) or MySQL's SQL text (`` `mouse_id` = 3 AND `sex` = 'F' ``), which restricts
    the same rows when given back as a string on any backend. The names of the attributes
    it uses are added to ``columns``.

    DataJoint keeps this helper internal to its query layer; pipelines that store or combine
    restrictions as text (spyglass) call it, so DataJoint's module name offers it.

    Example:
        >>> import dj_sqla as dj
        >>> schema = dj.Schema("mc", connection=dj.Connection("sqlite://"))
        >>> @schema
        ... class Mouse(dj.Manual):
        ...     definition = "mouse_id : int32\\n---\\nsex : varchar(1)"
        >>> used = set()
        >>> _make_condition(Mouse(), [{"mouse_id": 3}, "sex = 'F'"], used), sorted(used)
        ("`mouse_id` = 3 OR `sex` = 'F'", ['mouse_id', 'sex'])
    """
    expr = as_expression(query_expression)
    clause = to_condition(expr, condition)
    while isinstance(clause, sa.sql.elements.AsBoolean):  # `and_(true())`: no condition
        clause = clause.element
    if isinstance(clause, sa.sql.elements.True_):
        return True
    if isinstance(clause, sa.sql.elements.False_):
        return False
    names = set(expr.heading_names)
    columns.update(
        element.name
        for element in sa.sql.visitors.iterate(clause)
        if isinstance(element, sa.ColumnClause) and element.name in names
    )
    return condition_text(clause)


def _repr_html(query: Any) -> str:
    """A query's preview as an HTML table (DataJoint's ``preview.repr_html``)."""
    return str(as_expression(query)._repr_html_())  # type: ignore[attr-defined]


#: DataJoint's submodules and the dj_sqla objects they hold under DataJoint's names.
_SUBMODULES: dict[str, Mapping[str, Any]] = {
    "connection": {"Connection": Connection, "conn": conn},
    "schemas": {
        "Schema": Schema,
        "VirtualModule": VirtualModule,
        "virtual_schema": virtual_schema,
        "create_virtual_module": create_virtual_module,
        "list_schemas": list_schemas,
        "FreeTable": FreeTable,
        "Heading": Heading,
        "Job": Jobs,
        **_TIERS,
    },
    "table": {
        "Table": Table,
        "FreeTable": FreeTable,
        "Heading": Heading,
        "QueryExpression": Query,
        "ValidationResult": ValidationResult,
        "foreign_key_error_regexp": FOREIGN_KEY_ERROR,
    },
    "instance": {"Instance": Instance},
    "cli": {"cli": console.cli},
    "user_tables": {
        **_TIERS,
        "Table": Table,
        "TableMeta": TableMeta,
        "PartMeta": TableMeta,
        "_get_tier": _get_tier,
    },
    "expression": {
        "QueryExpression": Query,
        "AndList": AndList,
        "Not": Not,
        "Top": Top,
        "U": U,
        "Union": Query,  # a union is a query like any other here
    },
    "condition": {"AndList": AndList, "Not": Not, "Top": Top, "make_condition": _make_condition},
    "hash": {
        name: getattr(_hash, name)
        for name in ("key_hash", "uuid_from_buffer", "uuid_from_file", "uuid_from_stream")
    },
    "preview": {"repr_html": _repr_html},
    "autopopulate": {"AutoPopulate": AutoPopulate},
    "jobs": {
        "Job": Jobs,
        "JobTable": Jobs,
        "ERROR_MESSAGE_LENGTH": ERROR_MESSAGE_LENGTH,
        "TRUNCATION_APPENDIX": TRUNCATION_APPENDIX,
    },
    "dependencies": {"Dependencies": Dependencies, "topo_sort": topo_sort},
    "heading": {
        "Heading": Heading,
        "Attribute": Attribute,
        "default_attribute_properties": default_attribute_properties,
    },
    "diagram": {"Diagram": Diagram, "_get_tier": _get_tier},
    # object stores (DataJoint 2.3's module names)
    "objectref": {"ObjectRef": ObjectRef, "IntegrityError": IntegrityError},
    "storage": {
        "StorageBackend": StorageBackend,
        "get_storage_backend": get_storage_backend,
        "build_object_path": build_object_path,
        "generate_token": generate_token,
        "encode_pk_value": encode_pk_value,
    },
    "storage_adapter": {
        "StorageAdapter": StorageAdapter,
        "get_storage_adapter": get_storage_adapter,
    },
    "builtin_codecs": {
        "HashCodec": HashCodec,
        "SchemaCodec": SchemaCodec,
        "ObjectCodec": ObjectCodec,
        "NpyCodec": NpyCodec,
        "NpyRef": NpyRef,
        "FilepathCodec": FilepathCodec,
    },
    "builtin_codecs.hash": {"HashCodec": HashCodec},
    "builtin_codecs.schema": {"SchemaCodec": SchemaCodec},
    "builtin_codecs.object": {"ObjectCodec": ObjectCodec},
    "builtin_codecs.npy": {"NpyCodec": NpyCodec, "NpyRef": NpyRef},
    "builtin_codecs.filepath": {"FilepathCodec": FilepathCodec},
    "external": {"ExternalTable": ExternalTable, "ExternalMapping": ExternalMapping},
    "staged_insert": {"StagedInsert": StagedInsert, "staged_insert1": staged_insert1},
    "version": {"__version__": None},  # filled from the package at install time
}

#: DataJoint's submodules that are dj_sqla modules as they are.
_SAME_MODULES: dict[str, types.ModuleType] = {
    "blob": codecs.blob,
    "codecs": codecs,
    "errors": errors,
    "utils": utils,
    "settings": sys.modules[Config.__module__],  # (the package attribute is the object)
    "logging": _log,
    "gc": gc,
    "hash_registry": hashed,  # itself: code that patches its functions reaches dj_sqla's
}


def install_as_datajoint(package: types.ModuleType | None = None) -> None:
    """Make ``import datajoint`` import dj_sqla, with DataJoint's submodule names.

    Call it once, before the DataJoint code (a pipeline module, a DataJoint Element) is
    imported. Calling it again does nothing.

    Args:
        package: the dj_sqla package module (default: ``dj_sqla`` itself).

    Raises:
        DataJointError: the real ``datajoint`` package is imported already; its classes would
            mix with dj_sqla's.
    """
    installed = sys.modules.get("datajoint")
    if installed is not None:
        if getattr(installed, MARKER, False):
            return
        raise DataJointError(
            "install_as_datajoint(): the real `datajoint` package is imported already "
            f"({getattr(installed, '__file__', 'datajoint')}), so code that imported it would "
            "mix its tables with dj_sqla's. Call dj_sqla.install_as_datajoint() first, before "
            "anything imports datajoint."
        )
    package = package if package is not None else sys.modules[__name__.rpartition(".")[0]]
    root = _module("datajoint", {name: getattr(package, name) for name in package.__all__})
    setattr(root, MARKER, True)
    version = package.__version__
    root.__dict__["__version__"] = version
    root.__dict__["__getattr__"] = _missing("datajoint", fallback=package)
    modules = {"datajoint": root}
    for name, names in _SUBMODULES.items():
        values = {"__version__": version} if name == "version" else names
        modules[f"datajoint.{name}"] = _module(f"datajoint.{name}", values)
    for name, module in _SAME_MODULES.items():
        modules[f"datajoint.{name}"] = module
    for full_name, module in modules.items():
        if full_name != "datajoint":
            parent, _, attribute = full_name.rpartition(".")
            setattr(modules[parent], attribute, module)
    # the settings object, not the module, is what `datajoint.config` names
    root.__dict__["config"] = package.config
    sys.modules.update(modules)


def _module(name: str, values: Mapping[str, Any]) -> types.ModuleType:
    module = types.ModuleType(name, f"dj_sqla's stand-in for DataJoint's `{name}`.")
    module.__dict__.update(values)
    setattr(module, MARKER, True)
    if name != "datajoint":
        module.__dict__["__getattr__"] = _missing(name)
    return module


def _missing(module_name: str, fallback: types.ModuleType | None = None) -> Any:
    """A module ``__getattr__``: a name dj_sqla has elsewhere, or a clear AttributeError."""

    def __getattr__(name: str) -> Any:
        if fallback is not None and not name.startswith("__") and hasattr(fallback, name):
            return getattr(fallback, name)
        raise AttributeError(
            f"module {module_name!r} (provided by dj_sqla) has no attribute {name!r}: dj_sqla "
            "does not offer that part of DataJoint's API yet."
        )

    return __getattr__
