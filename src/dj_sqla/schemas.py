"""``dj.Schema``: a SQLAlchemy MetaData with a registry, used as the class decorator.

A Schema **is** a ``sqlalchemy.MetaData`` whose ``.schema`` is the schema's name, with a naming
convention that gives short, identical constraint names on every backend, and an
``sqlalchemy.orm.registry`` that maps the decorated classes. Activation (at construction when a
name is given, else ``schema.activate(name)``) makes sure the schema exists on the server and
reads which of its tables exist with **one** query; decorating a class then creates its table
only if it is missing.

Example:
    >>> import dj_sqla as dj
    >>> from sqlalchemy import Integer
    >>> from sqlalchemy.orm import mapped_column
    >>> schema = dj.Schema("lab", connection=dj.Connection("sqlite://"))
    >>> @schema
    ... class Subject:
    ...     __tablename__ = "subject"
    ...     subject_id = mapped_column(Integer, primary_key=True)
    >>> schema.list_tables()
    ['subject']
"""

from __future__ import annotations

import re
import sys
import types
from collections import ChainMap
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.sql.elements import quoted_name

from ._mapping import Registry, is_mapped, own_attributes
from ._naming import NAMING_CONVENTION
from ._schema_access import SchemaAccess
from ._schema_info import SchemaInfo
from .config import config
from .connection import Connection, as_connection
from .declaration import (
    CREATING,
    LinkedContext,
    attach_parts,
    build_class_tables,
    created_before,
    linking_namespace_module,
    lookup_contents,
    map_class,
    resolve_plain_foreign_keys,
)
from .declare.names import snake_case
from .errors import (
    DataJointError,
    DefinitionError,
    SchemaDependencyError,
    SchemaMissingError,
    SchemaNameError,
    TableNotDeclaredError,
)
from .execution.jobs import Jobs, job_table_name
from .execution.schema_jobs import SchemaJobs
from .populate import AutoPopulate, Computed, Imported
from .reflect import DATAJOINT_TABLE_NAME, make_classes
from .table import (
    Lookup,
    Manual,
    Part,
    UserTable,
    adopt_inherited_parts,
    external_tables,
    parts_of,
)
from .utils import confirm as _confirm

if TYPE_CHECKING:
    from .backends import Backend

_T = TypeVar("_T", bound=type)

#: Schema names: a letter or underscore, then letters, digits, ``_`` or ``$``. The limit of 63
#: characters is PostgreSQL's, so that one name works on every backend.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")


#: The tier classes themselves (decorating one of them, not a subclass, is an error).
_TIERS = (Manual, Lookup, Imported, Computed, Part)


def _document(cls: type[UserTable]) -> None:
    """Append the class's definition to its docstring, as DataJoint does, so that
    ``help(Mouse)`` shows the attributes (once, also when the class is declared again)."""
    definition = cls.__dict__.get("definition")
    doc = cls.__dict__.get("__doc__") or ""
    if isinstance(definition, str) and definition.strip() and definition not in doc:
        type.__setattr__(cls, "__doc__", f"{doc}\nTable definition:\n\n{definition}")


class Schema(SchemaInfo, SchemaAccess, sa.MetaData):
    """A database schema, its tables' MetaData and registry, and the class decorator.

    Args:
        name: the schema's name on the server. Without it, call :meth:`activate` later;
            classes decorated before that are declared on activation.
        context: names for resolving foreign-key references; by default the namespace of the
            code that decorates each class. The mapping is kept, not copied (as in DataJoint:
            ``dj.schema(name, locals())`` also finds classes defined after the schema).
        connection: a :class:`dj.Connection`, a ``sqlalchemy.Engine`` or a URL; default
            ``dj.conn()``.
        create_schema: create the schema when it does not exist (PostgreSQL ``CREATE SCHEMA``,
            MySQL ``CREATE DATABASE``, SQLite a new attached file). When False, a missing
            schema is a :class:`~dj_sqla.errors.SchemaMissingError` and nothing is created.
        create_tables: create decorated tables that are missing. When False no DDL is emitted
            and using a missing table raises :class:`~dj_sqla.errors.TableNotDeclaredError`.
        add_objects: more names for the context.

    Example:
        >>> import dj_sqla as dj
        >>> schema = dj.Schema("alice_experiment", connection=dj.Connection("sqlite://"))
        >>> schema.metadata.schema, schema.exists
        ('alice_experiment', True)
    """

    def __init__(
        self,
        name: str | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        connection: Connection | sa.Engine | str | sa.URL | None = None,
        create_schema: bool = True,
        create_tables: bool = True,
        add_objects: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(naming_convention=NAMING_CONVENTION)
        self.registry: orm.registry = Registry(metadata=self)
        self.context: Mapping[str, Any] | None = context
        self.add_objects: dict[str, Any] = dict(add_objects or {})
        #: namespaces of the linking modules given to activate(), searched after add_objects
        self._linked: list[Mapping[str, Any]] = []
        self.create_schema = create_schema
        self.create_tables = create_tables
        self.database: str | None = None
        self._connection_arg = connection
        self._connection: Connection | None = None
        self._pending: list[tuple[type, Mapping[str, Any]]] = []
        self._existing: set[str] = set()
        #: every declared table's class (tier classes may not be mapped yet: see ``_mapping``)
        self._classes: dict[sa.Table, type] = {}
        #: tables renamed in the database since activation: old name -> new name
        self._renamed: dict[str, str] = {}
        if name is not None:
            self.activate(name)

    # -- identity ------------------------------------------------------------------------------

    @property
    def metadata(self) -> sa.MetaData:
        """The ``sqlalchemy.MetaData`` of this schema: the Schema itself."""
        return self

    @property
    def connection(self) -> Connection:
        """The :class:`dj.Connection` the schema was activated on."""
        return self._require_active()

    def __repr__(self) -> str:
        if self.database is None:
            return "Schema(not activated)"
        return f"Schema `{self.database}` on {self.connection.backend.describe_server()}"

    def _require_active(self) -> Connection:
        if self._connection is None or self.database is None:
            raise DataJointError(
                "The schema is not activated yet; call schema.activate('schema_name') first."
            )
        return self._connection

    # -- activation ----------------------------------------------------------------------------

    def activate(
        self,
        name: str | None = None,
        *,
        connection: Connection | sa.Engine | str | sa.URL | None = None,
        create_schema: bool | None = None,
        create_tables: bool | None = None,
        add_objects: Mapping[str, Any] | None = None,
        linking_module: types.ModuleType | str | None = None,
    ) -> None:
        """Bind the schema to its name on the server and declare the classes decorated so far.

        Costs two queries when the schema exists (does it exist, which tables does it have),
        however many tables it holds.

        Foreign keys of the classes decorated before activation resolve, in this order, in
        ``add_objects``, in the namespace of ``linking_module`` (a module or its name: how
        DataJoint's Elements are activated) and in the namespace each class was decorated in.

        Example:
            ``lab.schema.activate("myproj_lab", linking_module="myproj.pipeline")``

        Raises:
            SchemaNameError: the name is invalid, or is the connection's default schema.
            SchemaMissingError: the schema does not exist and ``create_schema`` is False.
            SchemaLimitError: SQLite cannot attach another schema to the connection.
        """
        if self.database is not None:
            if name in (None, self.database):
                return
            raise DataJointError(
                f"The schema is already activated as `{self.database}`; make another "
                f"dj.Schema for `{name}`."
            )
        if name is None:
            raise DataJointError("Please provide a schema name to activate the schema.")
        if create_schema is not None:
            self.create_schema = create_schema
        if create_tables is not None:
            self.create_tables = create_tables
        if add_objects:
            self.add_objects.update(add_objects)
        if linking_module is not None:
            self._linked.append(vars(linking_namespace_module(linking_module)))
        if not _NAME.fullmatch(name):
            raise SchemaNameError(
                f"`{name}` cannot be a schema name: use 1 to 63 letters, digits, `_` or `$`, "
                "starting with a letter or `_`, so the name works on every backend."
            )
        conn = as_connection(connection if connection is not None else self._connection_arg)
        backend = conn.backend
        with conn.engine.connect() as sa_conn:
            self._check_name(name, sa_conn.dialect.default_schema_name, backend, conn)
            if backend.schema_exists(sa_conn, name):
                backend.use_schema(sa_conn, name)
                existing = backend.table_names(sa_conn, name)
            elif self.create_schema:
                backend.create_schema(sa_conn, name)
                existing = set()
            else:
                raise SchemaMissingError(
                    f"Schema `{name}` does not exist on {backend.describe_server()} (or its "
                    "user may not see it), and create_schema=False forbids creating it. Check "
                    "the name (dj.list_schemas() lists the ones you can see) or pass "
                    "create_schema=True."
                )
            sa_conn.commit()
        self.schema = quoted_name(name, None)
        self.database = name
        self._connection = conn
        self._existing = existing
        conn.register_schema(self)
        pending, self._pending = self._pending, []
        if pending:
            self._declare(pending)

    @staticmethod
    def _check_name(name: str, default: str | None, backend: Backend, conn: Connection) -> None:
        if name in backend.system_schemas:
            raise SchemaNameError(
                f"`{name}` is reserved by {backend.name} and cannot be a dj_sqla schema; "
                "choose another name."
            )
        if default is not None and name == default:
            raise SchemaNameError(
                f"Schema `{name}` is the default schema of the connection "
                f"{backend.describe_server()} (the database in a MySQL URL, or the first "
                "entry of PostgreSQL's search_path). A dj_sqla schema must not be the default "
                "schema: Alembic and SQLAlchemy report its tables without a schema name, so "
                "migrations would re-create or drop them. Connect without a database in the "
                "MySQL URL (or leave search_path at `public`), or pick another schema name."
            )

    # -- the decorator -------------------------------------------------------------------------

    def __call__(self, cls: _T, *, context: Mapping[str, Any] | None = None) -> _T:
        """Decorate a class: add its table to this MetaData and create it if missing, in a
        committed transaction of its own (on every backend the table exists, durably and for
        every other connection, when the decorator returns; a definition the database refuses
        raises :class:`DefinitionError` here and leaves nothing); the class is mapped in the
        schema's registry (tier classes on their first ORM use).

        The class is written in SQLAlchemy's declarative style (``__tablename__`` and
        ``Mapped[...]`` annotations) without a declarative base: the schema's registry maps it.

        Example:
            >>> import dj_sqla as dj
            >>> from sqlalchemy import Integer, select
            >>> from sqlalchemy.orm import mapped_column
            >>> schema = dj.Schema("shop", connection=dj.Connection("sqlite://"))
            >>> @schema
            ... class Item:
            ...     __tablename__ = "item"
            ...     item_id = mapped_column(Integer, primary_key=True)
            >>> str(select(Item.item_id)).split()
            ['SELECT', 'shop.item.item_id', 'FROM', 'shop.item']
        """
        if isinstance(cls, type) and issubclass(cls, UserTable):
            if cls in _TIERS or issubclass(cls, Part):
                raise DataJointError(
                    f"Cannot decorate {cls.__name__}: Part tables are declared with their "
                    "master (nest the Part class inside it and decorate the master)."
                    if issubclass(cls, Part)
                    else f"Cannot decorate the tier {cls.__name__} itself; subclass it."
                )
            adopt_inherited_parts(cls)  # class D(B): B's parts become D's own
            if "__table__" in own_attributes(cls):
                if own_attributes(cls).get("_schema") is self:
                    return cls  # declared here already: decorating again changes nothing
                family: list[type] = [cls, *parts_of(cls)]
                mapped = [c for c in family if is_mapped(c)]
                if mapped:
                    raise DataJointError(
                        f"Class {cls.__name__} is declared in schema "
                        f"`{own_attributes(cls)['_schema'].database}` and SQLAlchemy has "
                        f"mapped {mapped[0].__name__} there (it was used as an ORM class); "
                        "SQLAlchemy cannot map a class twice. Define the class anew (a new "
                        "class statement) to declare it in this schema."
                    )
                # as in DataJoint, a class decorated by another schema moves to that schema
        elif "__mapper__" in cls.__dict__ or getattr(cls, "__table__", None) is not None:
            raise DataJointError(
                f"Class {cls.__name__} is already mapped by SQLAlchemy (does it derive from a "
                "DeclarativeBase?). Decorate a plain class: the schema maps it into "
                "schema.registry itself."
            )
        names = self._context_for(context, sys._getframe(1))
        if self.database is None:
            self._pending.append((cls, names))
        else:
            self._declare([(cls, names)])
        return cls

    def _context_for(self, given: Mapping[str, Any] | None, frame: Any) -> Mapping[str, Any]:
        """The names a class's foreign keys resolve in: live views, read when the class is
        declared (at once, or at activation for a schema activated later)."""
        if given is not None:
            names: Mapping[str, Any] = given
        elif self.context is not None:
            names = self.context
        else:
            names = ChainMap(frame.f_locals, frame.f_globals)
        return LinkedContext(self.add_objects, self._linked, names)

    def _declare(self, items: list[tuple[type, Mapping[str, Any]]]) -> None:
        """Build the classes' Tables, create the missing ones, then map the classes.

        Nothing is created when any definition fails: every Table is built (and checked)
        first, the DDL runs next, and tier classes are registered for mapping last, because
        SQLAlchemy cannot un-map a class. (Plain declarative classes are mapped while
        building: that is how their Table comes to exist.)
        """
        conn = self._require_active()
        before = set(self.tables.values())
        tiers: list[tuple[type[UserTable], sa.Table]] = []
        batch: dict[type, sa.Table] = {}  # classes may reference ones earlier in the batch
        try:
            for cls, names in items:
                if issubclass(cls, UserTable):
                    tiers.extend(
                        build_class_tables(
                            self,
                            cls,
                            names,
                            conn.backend,
                            batch,
                        )
                    )
                else:
                    resolve_plain_foreign_keys(cls, names)
                    self.registry.mapped(cls)
                    self._classes[own_attributes(cls)["__table__"]] = cls
        except Exception:
            for table in [t for t in self.tables.values() if t not in before]:
                self.remove(table)
            raise
        tables = [t for t in self.tables.values() if t not in before]
        missing = [t for t in tables if t.name not in self._existing]
        if missing and self.create_tables:
            try:
                if conn.in_transaction:
                    raise DataJointError(
                        f"Cannot create table(s) {', '.join(t.name for t in missing)} inside a "
                        "transaction; decorate the classes before `with connection.transaction`."
                    )
                self._create(conn, missing)
            except Exception:
                for table in tables:
                    self.remove(table)
                raise
        # mapped last: SQLAlchemy cannot un-map a class if creating its table fails
        for cls, table in tiers:
            previous = own_attributes(cls)
            if "__table__" in previous and previous["_schema"] is not self:
                # the class moves here from the schema that declared it before
                previous["_schema"]._classes.pop(previous["__table__"], None)
            map_class(self, cls, table)
            self._classes[table] = cls
            _document(cls)
        for cls, names in items:
            if issubclass(cls, UserTable):
                attach_parts(cls)
                type.__setattr__(cls, "_declaration_context", names)  # for alter()
        for table in tables:
            if table.name in self._existing:
                conn.backend.guard_foreign_keys(table)
        created = set(missing) if self.create_tables else set()
        for cls, table in tiers:
            if issubclass(cls, Lookup) and table.name in self._existing:
                contents = lookup_contents(cls)
                rows = list(contents) if contents is not None else []
                # as DataJoint: a table that exists is filled only when it holds fewer rows
                # than its contents, so that activating sends no write (a read-only user)
                if rows and (table in created or len(rows) > len(cls._expression())):
                    cls.insert(rows, skip_duplicates=True)

    def _create(self, conn: Connection, tables: list[sa.Table]) -> None:
        """CREATE the tables atomically, at once, in one committed transaction of their own.
        Where DDL is not transactional (MySQL),
        drop the tables this call created before the failure: nothing is left half-declared,
        and a table someone else created meanwhile is left alone."""
        backend = conn.backend
        started: list[sa.Table] = []

        def create(sa_conn: sa.Connection) -> None:
            CREATING.tables = started  # filled by note_creating
            try:
                backend.create_tables(sa_conn, self, tables)
            except sa.exc.DBAPIError as err:
                names = ", ".join(f"`{t.name}`" for t in tables)
                raise DefinitionError(
                    f"{backend.name} refused to create {names} in schema `{self.database}`; "
                    f"nothing was created. Change the definition. ({err.orig})"
                ) from err
            finally:
                CREATING.tables = None

        try:
            backend.declare(create)
        except DefinitionError as err:
            cause = err.__cause__
            if isinstance(cause, sa.exc.DBAPIError) and backend.has_nontransactional_ddl:
                created = created_before(cause, started)
                if created:
                    with conn.engine.begin() as sa_conn:
                        for table in reversed(created):
                            table.drop(sa_conn)
            raise
        self._existing.update(t.name for t in tables)

    # -- inspection ----------------------------------------------------------------------------

    def is_activated(self) -> bool:
        """Whether the schema is bound to its name on a server (see :meth:`activate`)."""
        return self.database is not None

    @property
    def jobs(self) -> SchemaJobs:
        """The job tables of this schema's Imported and Computed tables that have one (job
        tables are created by ``Table.jobs`` or ``populate(reserve_jobs=True)``): a list, as
        in DataJoint 2, that also takes 0.14's ``schema.jobs.delete()``, ``&``,
        ``reserve(table_name, key)``, ``error``, ``ignore``, ``fetch`` and ``fetch1``."""
        conn = self._require_active()
        with conn.engine.connect() as sa_conn:
            present = conn.backend.table_names(sa_conn, str(self.database))
        return SchemaJobs(
            (
                Jobs(cls)  # type: ignore[arg-type]
                for table, cls in self._classes.items()
                if issubclass(cls, AutoPopulate) and job_table_name(table.name) in present
            ),
            self._jobs_of,
        )

    @property
    def external(self) -> Any:
        """DataJoint 0.14's tracking tables of this schema by store, each a query with the
        store's operations (``schema.external["raw"].delete(delete_external_files=True)``);
        see :mod:`dj_sqla.stores.external`."""
        self._require_active()
        return external_tables(self)

    def _jobs_of(self, table_name: str) -> Jobs | None:
        """The jobs of this schema's Imported or Computed table ``table_name`` (SQL name)."""
        for table, cls in self._classes.items():
            if table.name == table_name and issubclass(cls, AutoPopulate):
                return Jobs(cls)  # type: ignore[arg-type]
        return None

    def get_table(self, name: str) -> Any:
        """The table ``name`` of this schema as a query (``schema["session"]``).

        ``name`` is the SQL name (``session__trial``) or the class name (``Session``, or
        ``Session.Trial`` for a part); the tier prefix may be left out. A table without a
        class in this process gets one, as :meth:`make_classes` makes it.

        Raises:
            DataJointError: the schema has no such table.
        """
        table_name = self._find_table_name(name)
        if table_name is None:
            raise DataJointError(
                f"Schema `{self.database}` has no table `{name}` (it does not exist); "
                "schema.list_tables() lists "
                "its tables."
            )
        return self._query_of(table_name)

    def _query_of(self, table_name: str) -> Any:
        """The query of this schema's table ``table_name`` (its SQL name, which exists)."""
        cls = self.class_for(self.database, table_name)
        if cls is None:
            make_classes(self, {})
            cls = self.class_for(self.database, table_name)
        if cls is None:
            raise DataJointError(
                f"Table `{self.database}`.`{table_name}` is not a DataJoint table (its name "
                "says no tier); query it with SQLAlchemy (schema.tables)."
            )
        return cls()

    def __getitem__(self, name: str) -> Any:
        """``schema["Session"]``: see :meth:`get_table`."""
        return self.get_table(name)

    def __iter__(self) -> Iterator[Any]:
        """The schema's tables as queries, parents before children (see :meth:`list_tables`)."""
        for table_name in self.list_tables():  # one query for all of them
            if DATAJOINT_TABLE_NAME.fullmatch(table_name):
                yield self._query_of(table_name)

    def __contains__(self, name: object) -> bool:
        """``"Session" in schema``: whether the schema has that table (by SQL or class name).
        A ``sqlalchemy.Table`` or a MetaData key (``"schema.table"``) is looked up as
        ``sqlalchemy.MetaData`` does."""
        if isinstance(name, sa.Table) or (isinstance(name, str) and name in self.tables):
            return super().__contains__(name)
        return isinstance(name, str) and self._find_table_name(name) is not None

    def _find_table_name(self, name: str) -> str | None:
        """The SQL name of table ``name`` (SQL or class name, tier prefix optional)."""
        present = self.list_tables()
        plain = "__".join(snake_case(p) for p in name.split(".")) if name[:1].isupper() else name
        for candidate in (plain, *(prefix + plain for prefix in ("#", "_", "__"))):
            if candidate in present:
                return candidate
        return None

    @property
    def exists(self) -> bool:
        """Whether the schema exists on the server now (one query)."""
        conn = self._require_active()
        with conn.engine.connect() as sa_conn:
            return conn.backend.schema_exists(sa_conn, str(self.database))

    def list_tables(self) -> list[str]:
        """Names of the tables in the database schema.

        Tables this Schema declares come first, parents before children; other tables of the
        schema follow in alphabetical order. Job tables (``~~name``) are not listed.
        """
        conn = self._require_active()
        with conn.engine.connect() as sa_conn:
            present = conn.backend.table_names(sa_conn, str(self.database))
        present = {name for name in present if not name.startswith("~")}  # job tables
        known = [t.name for t in self.sorted_tables if t.name in present]
        return known + sorted(present - set(known))

    def _table_names(self) -> list[str]:
        return self.list_tables()

    def tables_renamed(self, names: Mapping[str, str]) -> None:
        """Note that tables of this schema were renamed (old name -> new name) in the
        database (``dj_sqla.migration.rename``): their classes in this process keep the old
        names, and using them raises an error that names the new table."""
        for old, new in names.items():
            self._existing.discard(old)
            self._existing.add(new)
            self._renamed[old] = new

    def missing_table_message(self, table_name: str) -> str:
        """The explanation given when ``table_name`` of this schema does not exist."""
        where = f"`{self.database}`.`{table_name}`"
        if table_name in self._renamed:
            return (
                f"Table {where} was renamed to `{self._renamed[table_name]}` in the database. "
                "Change its class to match (its tier or its name) and import the module again."
            )
        server = self.connection.backend.describe_server()
        if not self.create_tables:
            return (
                f"Table {where} does not exist on {server}. Schema `{self.database}` was "
                "activated with create_tables=False, so dj_sqla does not create tables: "
                "create it with a migration (`alembic upgrade head`) or activate the schema "
                "with create_tables=True."
            )
        return (
            f"Table {where} does not exist on {server}; it was dropped after the schema was "
            "activated. Activate the schema again to re-create it."
        )

    def make_classes(self, into: dict[str, Any] | None = None) -> dict[str, type]:
        """Classes for the schema's tables that have no class yet (tiers from the table
        names, parts nested in their masters), put into ``into`` (default: the caller's
        namespace, its ``locals()``, as in DataJoint: a module's globals at module level).
        Nothing is created in the database.

        Returns:
            The new classes by name.
        """
        target = into if into is not None else sys._getframe(1).f_locals
        return make_classes(self, target)

    def spawn_missing_classes(self, context: dict[str, Any] | None = None) -> dict[str, type]:
        """DataJoint's classic name for :meth:`make_classes`."""
        target = context if context is not None else sys._getframe(1).f_locals
        return self.make_classes(into=target)

    def class_for(self, schema_name: str | None, table_name: str) -> type | None:
        """The class mapped to table ``schema_name.table_name``: from this schema's registry
        when it is this schema, else from the schema of that name on the connection."""
        owner = (
            self if schema_name == self.database else self.connection.schema_named(str(schema_name))
        )
        for table, cls in owner._classes.items() if owner is not None else ():
            if table.name == table_name:
                return cls
        return None

    def forget_tables(
        self, tables: Iterable[sa.Table], *, reason: BaseException | None = None
    ) -> None:
        """Note that ``tables`` were dropped. Their classes stay; using them raises
        :class:`TableNotDeclaredError`. (``reason`` is unused: it remains in the connection's
        ``Schema`` interface, which no longer needs it.)"""
        for table in tables:
            self._existing.discard(table.name)

    def require_table(self, table: sa.Table) -> None:
        """Raise :class:`TableNotDeclaredError` if ``table`` is known to be missing."""
        if table.name not in self._existing:
            raise TableNotDeclaredError(self.missing_table_message(table.name))

    # -- dropping ------------------------------------------------------------------------------

    def drop(self, prompt: bool | None = None) -> None:
        """Drop the schema with all its tables.

        Args:
            prompt: ask for confirmation first; default ``dj.config['safemode']``.

        Raises:
            SchemaDependencyError: tables in other schemas reference this one; drop those
                schemas first.
        """
        conn = self._require_active()
        name = str(self.database)
        backend = conn.backend
        with conn.engine.connect() as sa_conn:
            if not backend.schema_exists(sa_conn, name):
                return
            dependents = backend.dependent_schemas(sa_conn, name)
            if dependents:
                raise SchemaDependencyError(
                    f"Cannot drop schema `{name}`: tables in "
                    f"{', '.join(f'`{d}`' for d in dependents)} reference it. Drop "
                    "those schemas first."
                )
            if (config["safemode"] if prompt is None else prompt) and not _confirm(
                f"Proceed to drop schema `{name}` and all its tables?"
            ):
                return
            backend.drop_schema(sa_conn, name)
            sa_conn.commit()
        self._existing = set()


#: Lower-case alias used by DataJoint's classic documentation (``dj.schema('name')``).
schema = Schema


def list_schemas(connection: Connection | sa.Engine | str | sa.URL | None = None) -> list[str]:
    """Names of the schemas on the server (SQLite: the schema files of the store).

    Example:
        >>> import dj_sqla as dj
        >>> store = dj.Connection("sqlite://")
        >>> _ = dj.Schema("lab_a", connection=store)
        >>> dj.list_schemas(store)
        ['lab_a']
    """
    conn = as_connection(connection)
    with conn.engine.connect() as sa_conn:
        return conn.backend.list_schemas(sa_conn)
