"""Tier classes → Tables in a schema's MetaData → mapped classes.

The schema layer's declaration machinery: the definition of a class (and of its parts) is parsed
and built by :mod:`dj_sqla.declare` into a Table of the schema's MetaData, and the class is
registered for mapping on that Table.

Building is separate from mapping: a class (and its parts) is mapped only after every Table of
the batch was built, because SQLAlchemy cannot un-map a class when a later definition fails.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import types
from collections import ChainMap
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event, orm

from ._mapping import defer_mapping, is_mapped, own_attributes
from .declare.build import ColumnInfo, build_table, declared_checks
from .declare.describe import reflected_type
from .declare.names import is_hidden
from .declare.parser import ForeignKeyRef, parse_definition
from .dependencies import forget_lineage
from .errors import DataJointError, DefinitionError, MissingDefinitionError
from .heading import Heading, attribute_of
from .table import (
    RESERVED_ATTRIBUTES,
    Lookup,
    Part,
    UserTable,
    parts_of,
    table_name_for,
)
from .types import resolve_type

if TYPE_CHECKING:
    from .backends import Backend


class Registered(Protocol):
    """The schema a class is mapped in: it holds the ORM registry (a ``dj.Schema``)."""

    @property
    def registry(self) -> orm.registry: ...


Built = list[tuple[type[UserTable], sa.Table]]


def _infos(table: sa.Table) -> dict[str, ColumnInfo]:
    return {c.name: c.info["dj"] for c in table.columns if "dj" in c.info}


def _plain_infos(table: sa.Table, name: str, line: int, text: str) -> dict[str, ColumnInfo]:
    """ColumnInfo for the key of a table that no definition declared (an application's
    SQLAlchemy model): each key column's DataJoint type is read from its SQLAlchemy type, so
    ``-> AppModel`` copies the key as a definition would."""
    infos = _infos(table)
    for column in table.primary_key.columns:
        if column.name not in infos:
            spelled = reflected_type(column.type, legacy_blobs=False)
            try:
                spec = resolve_type(spelled, table=name, line=line, attribute=column.name)
            except DefinitionError as err:
                raise DefinitionError(
                    f"Table `{name}`, line {line}: `{text}` — the key column `{column.name}` of "
                    f"`{table.fullname}` has a type dj_sqla cannot copy ({err})."
                ) from err
            infos[column.name] = ColumnInfo(spec, column.comment or "")
    return infos


def _check_name(name: str, cls: type, backend: Backend) -> None:
    limit = backend.max_table_name_length
    if len(name) > limit:
        raise DefinitionError(
            f"Table `{name}` (class {cls.__name__}) has a {len(name)}-character name; "
            f"{backend.name} allows at most {limit}. Shorten the class name."
        )


def _build_one(
    schema: sa.MetaData,
    table_cls: type[UserTable],
    name: str,
    context: Mapping[str, Any],
    backend: Backend,
    tables: dict[type, sa.Table],
) -> sa.Table:
    """Build the Table of one class (master or part) named ``name`` into ``schema``; its
    foreign keys resolve in ``context`` and among the ``tables`` built earlier."""
    _check_name(name, table_cls, backend)
    if not table_cls._reflected and not table_cls.definition.strip():
        raise MissingDefinitionError(
            f"{table_cls.__qualname__} (table `{name}`) has no `definition`: give the class a "
            "`definition` string declaring its attributes (check its spelling)."
        )
    definition = parse_definition(table_cls.definition, table=name, existing=table_cls._reflected)

    def resolve(ref: ForeignKeyRef, line: int) -> tuple[sa.Table, dict[str, ColumnInfo]]:
        target_text = ".".join(ref.target)
        if ref.target[0] not in context:
            raise DefinitionError(
                f"Table `{name}`, line {line}: `{ref.text}` — `{ref.target[0]}` is not "
                "defined where the class is decorated; import it, or pass it in the "
                "schema's context / add_objects."
            )
        target: Any = context[ref.target[0]]
        for attr in ref.target[1:]:
            target = getattr(target, attr, None)
        if target in tables:
            return tables[target], _infos(tables[target])
        if not (isinstance(target, type) and issubclass(target, UserTable)):
            plain = target if isinstance(target, sa.Table) else getattr(target, "__table__", None)
            if isinstance(plain, sa.Table):  # an application's own SQLAlchemy class
                return plain, _plain_infos(plain, name, line, ref.text)
            raise DefinitionError(
                f"Table `{name}`, line {line}: `{ref.text}` — `{target_text}` is not a "
                "table class; reference a class derived from dj.Manual, dj.Lookup, "
                "dj.Imported, dj.Computed or dj.Part, a mapped SQLAlchemy class or a "
                "sqlalchemy.Table."
            )
        parent = own_attributes(target).get("__table__")
        if parent is None:
            raise DefinitionError(
                f"Table `{name}`, line {line}: `{ref.text}` — `{target_text}` is not "
                "declared yet; decorate it with its schema before this class."
            )
        return parent, _infos(parent)

    table = build_table(
        schema,
        name,
        definition,
        resolve=resolve,
        raw_codecs=table_cls._reflected,
        adapters=context,
    )
    for column in table.columns:
        problem = backend.type_limit(column.info["dj"].spec)
        if problem:
            raise DefinitionError(
                f"Table `{name}`: attribute `{column.name}` cannot be stored exactly on "
                f"{backend.name}: {problem}"
            )
    tables[table_cls] = table
    return table


def _master_context(cls: type[UserTable], names: Mapping[str, Any]) -> Mapping[str, Any]:
    own: dict[str, Any] = {cls.__name__: cls, "self": cls}
    return ChainMap(own, names)  # type: ignore[arg-type]  # read only


def _part_context(master: type[UserTable], part: type, context: Mapping[str, Any]) -> Any:
    # as in DataJoint: a part's own name is not in its context, so `-> Organization`
    # in a part named Organization is the module's Organization, not the part itself
    return ChainMap({"master": master, "self": part}, context)  # type: ignore[arg-type]


def build_class_tables(
    schema: sa.MetaData,
    cls: type[UserTable],
    names: Mapping[str, Any],
    backend: Backend,
    batch: dict[type, sa.Table] | None = None,
) -> Built:
    """Build the Table of ``cls`` and of its parts into ``schema`` (nothing is mapped yet).

    ``batch`` holds the Tables built earlier in the same declaration, which are not mapped
    yet either (a deferred schema's classes, declared together when it is activated); the
    Tables built here are added to it.
    """
    tables: dict[type, sa.Table] = {} if batch is None else batch
    context = _master_context(cls, names)
    master_table = _build_one(schema, cls, table_name_for(cls), context, backend, tables)
    built: Built = [(cls, master_table)]
    for part in parts_of(cls):
        name = table_name_for(part, master_name=master_table.name)
        part_table = _build_one(
            schema, part, name, _part_context(cls, part, context), backend, tables
        )
        built.append((part, part_table))
    return built


def build_declared_table(
    schema: sa.MetaData,
    cls: type[UserTable],
    name: str,
    names: Mapping[str, Any],
    backend: Backend,
) -> sa.Table:
    """The Table that ``cls.definition`` gives the declared class ``cls`` (a master or a
    part, whose table is ``name``) now, built into ``schema`` (a scratch MetaData): what
    ``Table.alter()`` compares with the database. ``names`` is the context the master was
    declared in."""
    master = own_attributes(cls).get("master") if issubclass(cls, Part) else None
    if master is None:
        return _build_one(schema, cls, name, _master_context(cls, names), backend, {})
    context = _part_context(master, cls, _master_context(master, names))
    return _build_one(schema, cls, name, context, backend, {})


def map_class(schema: Registered, cls: type[UserTable], table: sa.Table) -> None:
    """Attach dj_sqla's class data to ``cls`` and register its mapping on ``table`` in the
    schema's registry; SQLAlchemy maps it when it is first used as a mapped class."""
    renamed = {c.name: f"{c.name}_" for c in table.columns if c.name in RESERVED_ATTRIBUTES}
    properties = {attr: table.c[col] for col, attr in renamed.items()}
    type.__setattr__(cls, "__table__", table)
    type.__setattr__(cls, "_schema", schema)
    type.__setattr__(cls, "_renamed_columns", renamed)
    type.__setattr__(
        cls,
        "_heading",
        Heading(attribute_of(c) for c in table.columns if not is_hidden(c.name)),
    )
    defer_mapping(cls, schema.registry, table, properties)


def redeclare(schema: Registered, cls: type[UserTable], live: sa.Table, built: sa.Table) -> bool:
    """Make the declared Table ``live`` of ``cls`` what ``built`` (the Table of its altered
    definition) says, after ``Table.alter()`` changed the database, and refresh the class.

    The Table object stays (children's foreign keys, the schema and the ORM refer to it): an
    alter changes no key or foreign key, so only other columns, their CHECKs, the indexes and
    the comment change. A column whose definition changed is a new Column object.

    Returns:
        True when the class was mapped by SQLAlchemy already: its mapper keeps the columns it
        was built with (SQLAlchemy cannot take a mapped attribute away), and only added columns
        are added to it.
    """
    changed = [
        c.name
        for c in built.columns
        if c.name not in live.c or _column_key(live.c[c.name]) != _column_key(c)
    ]
    gone = [c for c in live.columns if c.name not in built.c or c.name in changed]
    if (
        not (changed or gone)
        and live.comment == built.comment
        and _indexes(live) == _indexes(built)
    ):
        return False  # the same declaration (the table was altered before, or elsewhere)
    for constraint in list(live.constraints):
        if isinstance(constraint, sa.CheckConstraint) and (
            any(c in gone for c in constraint.columns)
            or set(constraint.info.get("dj_columns", ())) & {c.name for c in gone}
        ):
            live.constraints.discard(constraint)
    for index in list(live.indexes):
        live.indexes.discard(index)
    for column in gone:
        live._columns.remove(column)  # SQLAlchemy has no public way to take a column out
    added: list[sa.Column[Any]] = []
    for name in changed:
        new = built.c[name]
        column = copy_column(new)
        live.append_column(column)
        for check in declared_checks(str(live.name), column, new.info["dj"].spec):
            live.append_constraint(check)
        added.append(column)
    order = [c.name for c in built.columns if not c.primary_key]
    if [c.name for c in live.columns if not c.primary_key] != order:
        for name in order:  # the definition's order, as a new declaration would have it
            column = live.c[name]
            live._columns.remove(column)
            live.append_column(column)
    for index in built.indexes:
        sa.Index(index.name, *(live.c[c.name] for c in index.columns), unique=index.unique)
    live.comment = built.comment
    for name in [n for n in vars(live) if n.startswith("_dj_sqla_")]:
        delattr(live, name)  # statements and value checks made for the old columns
    forget_lineage(live)
    if "_table_expression" in own_attributes(cls):
        type.__delattr__(cls, "_table_expression")
    if not is_mapped(cls):
        map_class(schema, cls, live)
        return False
    type.__setattr__(
        cls, "_heading", Heading(attribute_of(c) for c in live.columns if not is_hidden(c.name))
    )
    mapper = orm.class_mapper(cls)
    for column in added:
        if column.key not in mapper.attrs:
            mapper.add_property(cls._renamed_columns.get(column.name, column.name), column)
    return True


def _indexes(table: sa.Table) -> set[tuple[Any, ...]]:
    return {(ix.name, ix.unique, tuple(c.name for c in ix.columns)) for ix in table.indexes}


def copy_column(column: sa.Column[Any], name: str | None = None) -> sa.Column[Any]:
    """A new Column declared as ``column`` (of a built Table), named ``name`` if given."""
    return sa.Column(
        name or column.name,
        column.type,
        nullable=column.nullable,
        server_default=getattr(column.server_default, "arg", None),
        autoincrement=column.autoincrement,
        comment=column.comment,
        info=dict(column.info),
    )


def _column_key(column: sa.Column[Any]) -> tuple[Any, ...]:
    default = getattr(column.server_default, "arg", None)
    return (
        column.comment,
        column.nullable,
        str(getattr(default, "text", default)),
        type(default).__name__,
    )


def attach_parts(cls: type[UserTable]) -> None:
    """Give each part its ``master``."""
    for part in parts_of(cls):
        type.__setattr__(part, "master", cls)


def lookup_contents(cls: type[Lookup]) -> Any:
    """A Lookup's ``contents``, also when written as a ``@property`` (as DataJoint allows)."""
    declared = inspect.getattr_static(cls, "contents", ())
    if isinstance(declared, property) and declared.fget is not None:
        return declared.fget(cls())
    return cls.contents


class LinkedContext(Mapping[str, Any]):
    """A class's declaration context: the schema's ``add_objects``, then the namespaces of
    its linking modules, then the names the class was decorated among; all read when a
    foreign key is resolved, so names added later (at activation) are found."""

    def __init__(
        self,
        add_objects: Mapping[str, Any],
        linked: list[Mapping[str, Any]],
        names: Mapping[str, Any],
    ) -> None:
        self._add_objects = add_objects  # the schema's own dict and list, read live
        self._linked = linked
        self._names = names

    def _maps(self) -> list[Mapping[str, Any]]:
        return [self._add_objects, *self._linked, self._names]

    def __getitem__(self, key: str) -> Any:
        for names in self._maps():
            if key in names:
                return names[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(key in names for names in self._maps())

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for names in self._maps() for k in names))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def linking_namespace_module(value: types.ModuleType | str) -> types.ModuleType:
    """A linking module given as a module or as its importable name."""
    if isinstance(value, types.ModuleType):
        return value
    try:
        return importlib.import_module(value)
    except ImportError as err:
        raise DataJointError(
            f"linking_module={value!r} cannot be imported ({err}); pass the module itself or "
            "its full dotted name."
        ) from err


def resolve_plain_foreign_keys(cls: type, names: Mapping[str, Any]) -> None:
    """Point string foreign keys that name a class of the context at that class's column.

    ``ForeignKey("Subject.subject_id")`` with ``Subject`` a mapped class (or Table) in the
    context becomes a reference to ``Subject.__table__.c.subject_id``. A Column reference
    works across schemas (one MetaData each), where a string cannot.
    """
    for value in vars(cls).values():
        column = getattr(value, "column", value)
        if not isinstance(column, sa.Column) or column.table is not None:
            continue
        for fk in list(column.foreign_keys):
            spec = fk.target_fullname
            *path, column_name = spec.split(".")
            if not path or path[0] not in names:
                continue
            target: Any = names[path[0]]
            for attr in path[1:]:
                target = getattr(target, attr, None)
            table = getattr(target, "__table__", target)
            if not isinstance(table, sa.Table) or column_name not in table.c:
                continue
            replacement = sa.ForeignKey(
                table.c[column_name],
                name=fk.name,
                onupdate=fk.onupdate,
                ondelete=fk.ondelete,
                deferrable=fk.deferrable,
                initially=fk.initially,
                use_alter=fk.use_alter,
                match=fk.match,
                comment=fk.comment,
            )
            # A ForeignKey hooks itself onto its column's table attachment; unhook the string
            # one (public event API) before attaching its replacement.
            column.foreign_keys.discard(fk)
            event.remove(column, "after_parent_attach", fk._set_table)
            column.append_foreign_key(replacement)


#: While ``Schema._create`` runs in a thread: the tables whose creation it has started.
CREATING = threading.local()


@event.listens_for(sa.Table, "before_create")
def note_creating(table: sa.Table, connection: Any, **kw: Any) -> None:
    """Record a table ``Schema._create`` is about to create (it may have to drop it again).

    One listener for all tables' DDL, rather than one per connection for every statement
    (on MySQL that cost a fifth of a CREATE TABLE). ``after_create`` would come too late:
    it follows the table's indexes, which can fail after the table exists.
    """
    tables = getattr(CREATING, "tables", None)
    if tables is not None:
        tables.append(table)


def created_before(err: sa.exc.DBAPIError, started: list[sa.Table]) -> list[sa.Table]:
    """The tables that exist after ``err`` stopped creating ``started`` (in that order): all
    of them, unless the failed statement was the last one's CREATE TABLE itself."""
    statement = (err.statement or "").lstrip().upper()
    return started[:-1] if statement.startswith("CREATE TABLE") else list(started)
