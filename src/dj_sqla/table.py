"""Table tiers (``dj.Manual``, ``dj.Lookup``, ``dj.Imported``, ``dj.Computed``, ``dj.Part``).

A class that derives from a tier and has a ``definition`` becomes, when a schema decorates it,
a ``sqlalchemy.Table`` in the schema's MetaData and a mapped class in its registry:
``Mouse.__table__``, ``select(Mouse.mouse_id)``, ``Mouse(mouse_id=1)`` as an ORM row. The
DataJoint class-level idioms stay: ``Mouse.insert1(row)``, ``Mouse.heading``,
``Mouse.primary_key``, ``Mouse.full_table_name``, ``Mouse.describe()``.

SQL names follow DataJoint, so both tools see the same database: class ``MouseCage`` is table
``mouse_cage``; Lookup tables get the prefix ``#``, Imported ``_``, Computed ``__``, and a part
``Trial`` of ``Session`` is ``session__trial``.

A column whose name is also a table method or property (``key``, ``delete``, ``heading``...)
stays that name in the database and in queries; only its Python attribute on the mapped class
gets a trailing underscore (``Mouse.delete_``).

Example:
    >>> import dj_sqla as dj
    >>> schema = dj.Schema("zoo", connection=dj.Connection("sqlite://"))
    >>> @schema
    ... class Animal(dj.Manual):
    ...     definition = '''
    ...     animal_id : int32
    ...     ---
    ...     name : varchar(40)
    ...     '''
    >>> Animal.insert1({"animal_id": 1, "name": "Ada"})
    >>> Animal.primary_key, Animal.table_name
    (['animal_id'], 'animal')
"""

from __future__ import annotations

import abc
import inspect
import os
import re
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa

from ._mapping import map_for_attribute, map_if_pending, own_attributes
from .declare.describe import describe_table
from .declare.names import is_hidden, snake_case
from .dependencies import full_name
from .errors import ClassNotDeclaredError, DataJointError, UnknownAttributeError
from .execution.insert import chunks, csv_rows, insert_rows, records
from .execution.query import TableQuery, is_mixin
from .execution.validate import ValidationResult, validate_rows
from .heading import Heading

if TYPE_CHECKING:
    from .connection import Connection, Schema

_R = TypeVar("_R")
_CAMEL = re.compile(r"[A-Z][A-Za-z0-9]*")

#: ``alter(cls, prompt, context)``: changes a declared table to its class's definition. The
#: Alembic support (``dj_sqla.migration``, a higher layer) supplies it when it is imported.
_ALTER: list[Callable[[type[UserTable], bool, Mapping[str, Any]], None]] = []


def supply_alter(alter: Callable[[type[UserTable], bool, Mapping[str, Any]], None]) -> None:
    """Set what :meth:`UserTable.alter` runs (called by ``dj_sqla.migration``)."""
    _ALTER[:] = [alter]


#: Makes ``Table.staged_insert1``'s context manager; set by the object-store layer.
staged_insert_hook: Callable[[type], AbstractContextManager[Any]] | None = None

#: Makes a schema's ``external`` mapping (DataJoint 0.14's tracking tables by store); set by
#: the object-store layer.
external_tables_hook: Callable[[Any], Any] | None = None


def external_tables(schema: Any) -> Any:
    """``schema.external``: DataJoint 0.14's tracking tables of an activated schema, by store."""
    if external_tables_hook is None:
        raise DataJointError("schema.external needs dj_sqla.stores (import dj_sqla).")
    return external_tables_hook(schema)


#: The tables whose ``make`` runs in this thread (or task): they take inserts from it.
_making: ContextVar[frozenset[type]] = ContextVar("dj_sqla_making", default=frozenset())


@contextmanager
def inserting_from_make(classes: Iterable[type]) -> Iterator[None]:
    """Let the ``make`` running in this thread insert into ``classes`` (its table and
    parts). Per thread, so one thread's ``make`` ending does not refuse another's inserts.

    Example:
        >>> with inserting_from_make([UserTable]):
        ...     UserTable in _making.get()
        True
    """
    token = _making.set(_making.get() | frozenset(classes))
    try:
        yield
    finally:
        _making.reset(token)


class classproperty(Generic[_R]):
    """A read-only property of the class (also readable on instances)."""

    def __init__(self, fget: Callable[[Any], _R]) -> None:
        self.fget = fget
        self.__doc__ = fget.__doc__

    def __get__(self, instance: object, owner: type) -> _R:
        return self.fget(owner)


def _mixin_overrides(cls: type) -> list[str]:
    """Names of dj_sqla's class-level table methods (``fetch``, ``delete``...) that a mixin of
    ``cls`` overrides with an instance method."""
    found = []
    seen: set[str] = set()
    for base in cls.__mro__[1:]:
        for attribute, value in vars(base).items():
            if attribute in seen or attribute.startswith("__"):
                continue
            seen.add(attribute)
            if is_mixin(base) and inspect.isfunction(value):
                ours = inspect.getattr_static(UserTable, attribute, None)
                if isinstance(ours, classmethod):
                    found.append(attribute)
    return found


class _QueryMethod:
    """A mixin's instance method standing where dj_sqla has a class-level table method: called
    on the class, it runs on the table as a query, as DataJoint runs it on an instance."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _function(self, owner: type) -> Any:
        for base in owner.__mro__:
            value = vars(base).get(self.name)
            if value is not None and not isinstance(value, _QueryMethod):
                return value
        raise AttributeError(self.name)

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is not None:
            return types.MethodType(self._function(owner), instance)
        if "__table__" not in own_attributes(owner):
            return self._function(owner)  # not declared yet: the plain function
        return getattr(owner(), self.name)


class TableMeta(type):
    """Lets a declared table class act as its table: ``Mouse()``, ``Mouse & key``.

    Calling a declared class with no arguments gives the table as a query expression; with
    keyword arguments it builds an ORM row as usual. (SQLAlchemy creates instances when loading
    rows through ``__new__``, which this does not touch.)
    """

    def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> None:
        super().__init__(name, bases, namespace)
        if not any(isinstance(base, TableMeta) for base in bases):
            return  # UserTable itself
        for attribute in _mixin_overrides(cls):
            if attribute not in namespace:
                type.__setattr__(cls, attribute, _QueryMethod(attribute))

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        attributes = own_attributes(cls)
        if not args and not kwargs and "__table__" in attributes:
            # expressions are immutable, so the whole table's can be made once per
            # declaration (a populate loop asks for it several times per key)
            schema = attributes.get("_schema")
            key = (attributes["__table__"], schema and schema.connection)
            made = attributes.get("_table_expression")
            if made is None or made[0] != key:
                made = (key, TableQuery.of(cls))  # type: ignore[arg-type]
                type.__setattr__(cls, "_table_expression", made)
            return made[1]
        if not args and not kwargs:
            return PendingTable(cls)  # DataJoint: `Mouse()` made before `@schema` works after
        map_if_pending(cls)  # an ORM row: its class must be mapped
        return super().__call__(*args, **kwargs)

    if not TYPE_CHECKING:  # hidden from mypy, which would then accept any class attribute

        def __getattr__(cls, name):
            # reached when the attribute is missing: a column attribute or ``__mapper__`` of
            # a class still waiting for mapping is made by mapping it. (``inspect`` and so
            # ``help(Mouse)`` call it directly for attributes that exist: no mapping then.)
            try:
                return type.__getattribute__(cls, name)
            except ClassNotDeclaredError:
                raise  # the class property's own message says what to do
            except AttributeError:
                pass
            if map_for_attribute(cls, name):
                return getattr(cls, name)
            raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")

    def __and__(cls, restriction: Any) -> Any:
        return cls() & restriction

    def __sub__(cls, restriction: Any) -> Any:
        return cls() - restriction

    def __xor__(cls, restriction: Any) -> Any:
        return cls() ^ restriction

    def __mul__(cls, other: Any) -> Any:
        return cls() * other

    def __matmul__(cls, other: Any) -> Any:
        return cls() @ other

    def __add__(cls, other: Any) -> Any:
        return cls() + other


#: A DataJoint table name without its tier prefix: lower-case words joined by single ``_``.
BASE_REGEXP = r"[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*"


def tier_pattern(tier: str, prefix: str) -> str:
    """The pattern of the table names of a tier (DataJoint's ``Manual.tier_regexp``...).

    Example:
        >>> import re
        >>> bool(re.match(tier_pattern("lookup", "#"), "#rig_type"))
        True
    """
    return rf"(?P<{tier}>{re.escape(prefix)}{BASE_REGEXP})"


class PendingTable:
    """``Mouse()`` of a class not declared yet: the table, once the class is declared.

    DataJoint code makes table objects at import time (a default argument
    ``table=Mouse()``) and decorates the class later; every use of the object goes to the
    declared table then. Used before the class is declared, it says so. ``isinstance(t,
    Mouse)`` holds.

    Example:
        >>> class Early(Manual):
        ...     definition = "early_id : int32"
        >>> table = Early()
        >>> isinstance(table, Early), repr(table)
        (True, 'Early() (not declared yet)')
        >>> len(table)
        Traceback (most recent call last):
        ...
        dj_sqla.errors.ClassNotDeclaredError: Class Early is not declared yet: ...
    """

    __slots__ = ("_table_class",)

    def __init__(self, table_class: TableMeta) -> None:
        object.__setattr__(self, "_table_class", table_class)

    @property  # type: ignore[misc]  # isinstance() sees the table's class
    def __class__(self) -> type:
        table_class: type = self._table_class
        return table_class

    def _table(self) -> Any:
        cls = self._table_class
        cls._declared()  # says what to do when it is not
        return cls()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table(), name)

    def __repr__(self) -> str:
        if "__table__" not in own_attributes(self._table_class):
            return f"{self._table_class.__name__}() (not declared yet)"
        return repr(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __bool__(self) -> bool:
        return bool(self._table())

    def __iter__(self) -> Any:
        return iter(self._table())

    def __contains__(self, item: Any) -> bool:
        return item in self._table()

    def __and__(self, other: Any) -> Any:
        return self._table() & other

    def __sub__(self, other: Any) -> Any:
        return self._table() - other

    def __xor__(self, other: Any) -> Any:
        return self._table() ^ other

    def __mul__(self, other: Any) -> Any:
        return self._table() * other

    def __matmul__(self, other: Any) -> Any:
        return self._table() @ other

    def __add__(self, other: Any) -> Any:
        return self._table() + other


class UserTable(metaclass=TableMeta):
    """Base of the table tiers. Subclass a tier, not this class."""

    #: The table's definition, in DataJoint's definition language.
    definition: ClassVar[str] = ""
    #: Prefix of the SQL table name that marks the tier.
    tier_prefix: ClassVar[str] = ""
    #: The pattern of the tier's table names (DataJoint's ``tier_regexp``).
    tier_regexp: ClassVar[str] = ""
    __table__: ClassVar[sa.Table]
    _schema: ClassVar[Schema | None] = None
    _heading: ClassVar[Heading]
    #: column name → Python attribute name, for columns whose name collides with a method
    _renamed_columns: ClassVar[dict[str, str]] = {}
    #: True for classes rebuilt from an existing table (codec columns are read as raw bytes)
    _reflected: ClassVar[bool] = False
    #: The names the class's foreign keys resolved in when it was declared (for alter())
    _declaration_context: ClassVar[Mapping[str, Any] | None] = None

    def __init__(self, **values: Any) -> None:
        """``Table()`` is the table; ``Table(attr=value, ...)`` is an ORM row for a Session."""
        cls = type(self)
        for name, value in values.items():
            attribute = cls._renamed_columns.get(name, name)
            if name not in cls.__table__.c and name not in cls._renamed_columns.values():
                raise UnknownAttributeError(
                    f"`{name}` is not an attribute of {cls.__name__} "
                    f"({', '.join(cls.__table__.c.keys())})."
                )
            setattr(self, attribute, value)

    # -- identity ------------------------------------------------------------------------------

    @classmethod
    def _declared(cls) -> sa.Table:
        table = own_attributes(cls).get("__table__")
        if table is None:
            raise ClassNotDeclaredError(
                f"Class {cls.__name__} is not declared yet: decorate it with a schema "
                "(`@schema`), or decorate its master if it is a Part."
            )
        return table  # type: ignore[no-any-return]

    @classmethod
    def _require_schema(cls) -> Schema:
        cls._declared()
        schema = cls._schema
        assert schema is not None  # set together with __table__
        return schema

    @classproperty
    def table_name(cls) -> str:
        """The SQL table name, with the tier prefix."""
        return str(cls._declared().name)

    @classproperty
    def is_declared(cls) -> bool:
        """Whether the table exists in the database (DataJoint's ``Table.is_declared``): False
        for a class not decorated yet, or whose schema was activated with
        ``create_tables=False`` before the table was made. Asks the database (one query)."""
        attributes = own_attributes(cls)  # type: ignore[arg-type]  # cls is the class
        table, schema = attributes.get("__table__"), attributes.get("_schema")
        if table is None or schema is None:
            return False
        connection = schema.connection
        with connection.read() as conn:
            return table.name in connection.backend.table_names(conn, table.schema)

    @classproperty
    def size_on_disk(cls) -> int:
        """Bytes the table takes in the database, its indexes included (DataJoint's
        ``Table.size_on_disk``; the server's own estimate on MySQL)."""
        table = cls._declared()
        connection = cls._require_schema().connection
        with connection.read() as conn:
            return connection.backend.size_on_disk(conn, str(table.schema), [table.name])

    @classproperty
    def database(cls) -> str:
        """The name of the table's schema (DataJoint's ``Table.database``)."""
        return str(cls._declared().schema)

    @classproperty
    def connection(cls) -> Connection:
        """The :class:`dj.Connection` of the table's schema (``Table.connection.transaction``)."""
        return cls._require_schema().connection

    @classproperty
    def full_table_name(cls) -> str:
        """``schema.table``, both names quoted for the connection's backend (```lab`.`mouse```
        on MySQL, ``"lab"."mouse"`` elsewhere), as DataJoint reports it."""
        return full_name(cls._require_schema().connection, cls._declared())

    @classproperty
    def staged_insert1(cls) -> AbstractContextManager[Any]:
        """DataJoint 2's staged insert: write large objects straight into their store, then
        insert the row when the block ends without an error (the objects are removed if it
        does not)::

            with Recording.staged_insert1 as staged:
                staged.rec["rec_id"] = 1
                zarr.open(staged.store("traces", ".zarr"), mode="w", shape=(100, 100))[:] = 1
        """
        if staged_insert_hook is None:
            raise DataJointError("staged_insert1 needs dj_sqla.stores (import dj_sqla).")
        return staged_insert_hook(cls)  # type: ignore[arg-type]  # cls: the class itself

    @classproperty
    def external(cls) -> Any:
        """DataJoint 0.14's tracking tables of the table's schema, by store
        (``Image.external["raw"].delete(delete_external_files=True)``)."""
        return external_tables(cls._require_schema())

    @classproperty
    def heading(cls) -> Heading:
        """The table's attributes (names, declared types, comments, key membership)."""
        cls._declared()
        return cls._heading

    @classproperty
    def primary_key(cls) -> list[str]:
        """Names of the primary-key attributes."""
        return [c.name for c in cls._declared().primary_key if not is_hidden(c.name)]

    @classmethod
    def describe(cls, printout: bool = False) -> str:
        """The definition of the table as stored in the database (round-trips exactly).

        Args:
            printout: also print it.
        """
        text = describe_table(cls._require_schema(), cls._declared())
        if printout:
            print(text)
        return text

    @classmethod
    def alter(cls, prompt: bool = True, context: Mapping[str, Any] | None = None) -> None:
        """Change the table in the database to the class's current ``definition``, keeping
        its rows (DataJoint's ``alter``): secondary attributes added, dropped, renamed (a
        comment opening with ``{old_name}``) or changed (type, default, nullability,
        comment), indexes and the table comment. Key and foreign-key changes are refused
        with the Alembic migration to write instead.

        Args:
            prompt: show the changes (and the SQL) and ask before running them.
            context: the names the definition's foreign keys resolve in; by default those
                the class was declared with (else the caller's namespace).

        Example:
            ``Mouse.definition = Mouse.definition.replace("---", "---\\nweight = null :
            float32")`` then ``Mouse.alter()``.
        """
        if context is None:
            master = own_attributes(cls).get("master", cls)
            context = own_attributes(master).get("_declaration_context")
        if context is None:
            frame = sys._getframe(1)
            context = {**frame.f_globals, **frame.f_locals}
        if not _ALTER:
            raise DataJointError("Table.alter() needs dj_sqla.migration; import dj_sqla.")
        _ALTER[0](cls, prompt, context)

    # -- data ----------------------------------------------------------------------------------

    #: DataJoint's switch for inserts into an Imported/Computed table outside ``make``; it is
    #: set by user code only (``populate`` lets ``make`` insert per thread: see
    #: :func:`inserting_from_make`).
    _allow_insert: ClassVar[bool] = False
    #: True for the tiers whose rows ``make`` inserts (Imported, Computed: see populate).
    _populated_by_make: ClassVar[bool] = False

    @classmethod
    def insert(
        cls,
        rows: Any,
        *,
        skip_duplicates: bool = False,
        replace: bool = False,
        ignore_extra_fields: bool = False,
        allow_direct_insert: bool | None = None,
        chunk_size: int | None = None,
    ) -> None:
        """Insert rows in one transaction: all are stored, or none (with ``chunk_size``, one
        transaction per chunk).

        Args:
            rows: dicts, tuples in attribute order, a numpy structured array, a pandas
                DataFrame (its named index included), a query / table (INSERT ... SELECT), or
                the path of a CSV file with a header row (an empty field is null).
            skip_duplicates: skip rows whose primary key is stored already (a duplicate of
                another unique index is still an error).
            replace: overwrite rows whose primary key is stored already (an upsert).
            ignore_extra_fields: drop attributes the table does not have.
            allow_direct_insert: allow inserting into an Imported or Computed table outside
                its ``make``.
            chunk_size: insert this many rows at a time, each chunk in its own transaction
                (for inputs too large to hold at once, such as a generator).
        """
        if (
            cls._populated_by_make
            and not cls._allow_insert
            and not allow_direct_insert
            and cls not in _making.get()
        ):
            raise DataJointError(
                f"{cls.__name__} is {'a Computed' if cls.tier_prefix == '__' else 'an Imported'}"
                " table: its rows are inserted by its make() during populate(). Pass "
                "allow_direct_insert=True to insert directly."
            )
        if isinstance(rows, (str, os.PathLike)):
            rows = csv_rows(rows)
        for chunk in chunks(rows, chunk_size):
            insert_rows(
                cls._require_schema(),
                cls._declared(),
                chunk,
                skip_duplicates=skip_duplicates,
                replace=replace,
                ignore_extra_fields=ignore_extra_fields,
            )

    @classmethod
    def insert_dataframe(cls, df: Any, index_as_pk: bool | None = None, **kwargs: Any) -> None:
        """Insert a pandas DataFrame, such as one from :meth:`to_pandas` (indexed by the key).

        Args:
            df: the DataFrame.
            index_as_pk: True: the index holds the primary key (its names must be the key's);
                False: the index is dropped; None: the index is used when its names are the
                primary key's, else dropped.
            **kwargs: the options of :meth:`insert`.
        """
        if not (hasattr(df, "reset_index") and hasattr(df, "index")):
            raise DataJointError(
                f"insert_dataframe takes a pandas DataFrame, not {type(df).__name__}; use "
                "insert() for other rows."
            )
        names = [n for n in df.index.names if n is not None]
        key = set(cls._expression().primary_key)
        if index_as_pk is None:
            index_as_pk = bool(names) and set(names) == key
        elif index_as_pk and set(names) != key:
            raise DataJointError(
                f"insert_dataframe: the index ({', '.join(map(str, names)) or 'unnamed'}) is "
                f"not the primary key ({', '.join(sorted(key))}); pass index_as_pk=False to "
                "drop it, or set the key as the index first."
            )
        cls.insert(df.reset_index(drop=not index_as_pk), **kwargs)

    @classmethod
    def validate(cls, rows: Any, *, ignore_extra_fields: bool = False) -> ValidationResult:
        """Check ``rows`` as an insert would, without inserting anything: all the problems
        (unknown or missing attributes, NULLs, values that do not fit their type) at once.

        Returns:
            A :class:`dj.ValidationResult` (``is_valid``, ``errors``, ``summary()``,
            ``raise_if_invalid()``).
        """
        if isinstance(rows, Mapping):
            rows = [rows]
        backend = cls._require_schema().connection.backend
        return validate_rows(
            cls._declared(), records(rows), backend, ignore_extra_fields=ignore_extra_fields
        )

    @classmethod
    def insert1(cls, row: Any, **kwargs: Any) -> None:
        """Insert one row (a dict or a tuple); see :meth:`insert` for the options."""
        cls.insert([row], **kwargs)

    # -- queries (the class stands for its whole table) ----------------------------------------

    @classmethod
    def _expression(cls) -> Any:
        return TableQuery.of(cls)  # type: ignore[arg-type]

    @classmethod
    def restrict(cls, restriction: Any) -> Any:
        """The table restricted by ``restriction`` (same as ``Table & restriction``)."""
        return cls._expression() & restriction

    @classmethod
    def proj(cls, *attributes: Any, **named: str) -> Any:
        """The table projected (see QueryExpression.proj)."""
        return cls._expression().proj(*attributes, **named)

    @classmethod
    def aggr(cls, other: Any, *attributes: Any, **named: Any) -> Any:
        """Aggregates of ``other`` per row of the table (see QueryExpression.aggr)."""
        return cls._expression().aggr(other, *attributes, **named)

    @classmethod
    def aggregate(cls, other: Any, *attributes: Any, **named: Any) -> Any:
        """DataJoint's other name for :meth:`aggr`."""
        return cls.aggr(other, *attributes, **named)

    @classmethod
    def join(cls, other: Any, *, left: bool = False, semantic_check: bool = True) -> Any:
        """The table joined with ``other`` (same as ``Table * other``; without
        ``semantic_check``, ``Table @ other``)."""
        return cls._expression().join(other, left=left, semantic_check=semantic_check)

    @classmethod
    def extend(cls, other: Any, *, semantic_check: bool = True) -> Any:
        """Every row with the attributes of ``other`` it determines (see
        QueryExpression.extend)."""
        return cls._expression().extend(other, semantic_check=semantic_check)

    @classmethod
    def to_dicts(cls, **kwargs: Any) -> list[dict[str, Any]]:
        """All rows as dicts (see QueryExpression.to_dicts)."""
        return cls._expression().to_dicts(**kwargs)  # type: ignore[no-any-return]

    @classmethod
    def to_arrays(cls, *attrs: str, **kwargs: Any) -> Any:
        """The rows as numpy arrays (see QueryExpression.to_arrays)."""
        return cls._expression().to_arrays(*attrs, **kwargs)

    @classmethod
    def to_pandas(cls, **kwargs: Any) -> Any:
        """The rows as a pandas DataFrame indexed by the primary key."""
        return cls._expression().to_pandas(**kwargs)

    @classmethod
    def to_arrow(cls, **kwargs: Any) -> Any:
        """The rows as a ``pyarrow.Table`` (see Query.to_arrow)."""
        return cls._expression().to_arrow(**kwargs)

    @classmethod
    def to_polars(cls, **kwargs: Any) -> Any:
        """The rows as a ``polars.DataFrame`` (see Query.to_polars)."""
        return cls._expression().to_polars(**kwargs)

    @classmethod
    def fetch(cls, *attrs: str, **kwargs: Any) -> Any:
        """DataJoint's classic fetch (see QueryExpression.fetch)."""
        return cls._expression().fetch(*attrs, **kwargs)

    @classmethod
    def head(cls, limit: int = 25) -> list[dict[str, Any]]:
        """The first rows by primary key."""
        return cls._expression().head(limit)  # type: ignore[no-any-return]

    @classmethod
    def tail(cls, limit: int = 25) -> list[dict[str, Any]]:
        """The last rows by primary key."""
        return cls._expression().tail(limit)  # type: ignore[no-any-return]

    @classmethod
    def keys(cls, **kwargs: Any) -> list[dict[str, Any]]:
        """The primary keys of all rows."""
        return cls._expression().keys(**kwargs)  # type: ignore[no-any-return]

    @classmethod
    def fetch1(cls, *attrs: str, **kwargs: Any) -> Any:
        """The table's only row (an error unless it has exactly one)."""
        return cls._expression().fetch1(*attrs, **kwargs)

    @classmethod
    def delete(
        cls,
        prompt: bool | None = None,
        part_integrity: str = "enforce",
        *,
        dry_run: bool = False,
        transaction: bool = True,
        **classic: Any,
    ) -> Any:
        """Delete all rows, with everything that depends on them (see TableQuery.delete, also
        for DataJoint 0.14's spellings in ``classic``); ``dry_run=True`` returns what would go
        instead."""
        return cls._expression().delete(
            prompt=prompt,
            part_integrity=part_integrity,
            dry_run=dry_run,
            transaction=transaction,
            **classic,
        )

    @classmethod
    def delete_quick(cls, get_count: bool = False) -> int | None:
        """Delete all rows without cascade or prompt."""
        return cls._expression().delete_quick(get_count)  # type: ignore[no-any-return]

    @classmethod
    def drop(cls, prompt: bool | None = None, part_integrity: str = "enforce") -> None:
        """Drop the table and the tables that depend on it (a part only with its master,
        unless ``part_integrity="ignore"``)."""
        cls._expression().drop(prompt, part_integrity)

    @classmethod
    def drop_quick(cls) -> None:
        """Drop the table alone."""
        cls._expression().drop_quick()

    @classmethod
    def update1(cls, row: Mapping[str, Any]) -> None:
        """Change secondary attributes of one existing row."""
        cls._expression().update1(row)

    # -- the foreign-key graph (see TableQuery.parents) -----------------------------------------

    @classmethod
    def parents(
        cls, primary: bool | None = None, as_objects: bool = False, foreign_key_info: bool = False
    ) -> list[Any]:
        """The tables this table references, one entry per foreign key (TableQuery.parents)."""
        return cls._expression().parents(primary, as_objects, foreign_key_info)  # type: ignore[no-any-return]

    @classmethod
    def children(
        cls, primary: bool | None = None, as_objects: bool = False, foreign_key_info: bool = False
    ) -> list[Any]:
        """The tables that reference this table, one entry per foreign key."""
        return cls._expression().children(primary, as_objects, foreign_key_info)  # type: ignore[no-any-return]

    @classmethod
    def descendants(cls, as_objects: bool = False) -> list[Any]:
        """This table and every table that depends on it, parents first."""
        return cls._expression().descendants(as_objects)  # type: ignore[no-any-return]

    @classmethod
    def ancestors(cls, as_objects: bool = False) -> list[Any]:
        """This table and every table it depends on, children first."""
        return cls._expression().ancestors(as_objects)  # type: ignore[no-any-return]

    @classmethod
    def parts(cls, as_objects: bool = False) -> list[Any]:
        """The part tables of this (master) table."""
        return cls._expression().parts(as_objects)  # type: ignore[no-any-return]

    @classmethod
    def select(cls) -> sa.Select[Any]:
        """The ``sqlalchemy.Select`` of the whole table."""
        return cls._expression().select()  # type: ignore[no-any-return]


class Manual(UserTable):
    """Rows entered by people or scripts."""

    tier_regexp = tier_pattern("manual", "")


class Lookup(UserTable):
    """Small reference tables; ``contents`` rows are inserted when the class is decorated."""

    tier_prefix = "#"
    tier_regexp = tier_pattern("lookup", "#")
    #: Rows inserted (skipping existing ones) when the class is declared.
    contents: ClassVar[Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]]] = ()


class Part(UserTable):
    """A part of its master: nested in the master class, declared with it, ``-> master``."""

    #: The master class, set when the master is declared.
    master: ClassVar[type[UserTable]]
    tier_regexp = rf"(?P<master>(?:__|_|#)?{BASE_REGEXP})__(?P<part>{BASE_REGEXP})"


def table_name_for(cls: type[UserTable], master_name: str | None = None) -> str:
    """The SQL name of a tier class; a Part's name starts with its master's ``master_name``."""
    if not _CAMEL.fullmatch(cls.__name__):
        raise DataJointError(
            f"Class name `{cls.__name__}` must be CamelCase (letters and digits, starting with a "
            "capital): the table name is derived from it."
        )
    if master_name is not None:
        return f"{master_name}__{snake_case(cls.__name__)}"
    return cls.tier_prefix + snake_case(cls.__name__)


def adopt_inherited_parts(cls: type[UserTable]) -> None:
    """Give ``cls`` its own copy (a subclass) of each Part it inherits from a base table
    class, so that ``class D(B)`` has ``D.C`` as a part of ``D`` while ``B.C`` stays ``B``'s
    (DataJoint declares inherited parts with the subclass)."""
    for base in cls.__mro__[1:]:
        for name, value in vars(base).items():
            if name in vars(cls) or not _is_part(name, value):
                continue
            own = type(
                value.__name__,
                (value,),
                {"__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.{name}"},
            )
            type.__setattr__(cls, name, own)


def _is_part(name: str, value: Any) -> bool:
    return name[:1].isupper() and isinstance(value, type) and issubclass(value, Part)


def parts_of(cls: type[UserTable]) -> list[type[Part]]:
    """The Part classes nested in ``cls``, in definition order."""
    return [value for name, value in vars(cls).items() if _is_part(name, value)]


#: DataJoint's table API (including what later dj_sqla versions add), so that the renaming of
#: colliding columns does not change when a method is added.
DATAJOINT_API = frozenset(
    (
        "aggr",
        "alter",
        "ancestors",
        "children",
        "contents",
        "definition",
        "delete",
        "delete_quick",
        "describe",
        "descendants",
        "drop",
        "drop_quick",
        "extend",
        "fetch",
        "fetch1",
        "full_table_name",
        "head",
        "heading",
        "insert",
        "insert1",
        "jobs",
        "join",
        "key",
        "key_source",
        "keys",
        "make",
        "make_compute",
        "make_fetch",
        "make_insert",
        "master",
        "metadata",
        "parents",
        "parts",
        "populate",
        "primary_key",
        "progress",
        "proj",
        "registry",
        "restrict",
        "select",
        "sql",
        "tail",
        "table_name",
        "to_arrays",
        "to_dicts",
        "to_pandas",
        "update1",
    )
)

#: Column names whose Python attribute gets a trailing underscore on the mapped class.
RESERVED_ATTRIBUTES = DATAJOINT_API | {n for n in dir(UserTable) if not n.startswith("_")}


class Table(abc.ABC):  # noqa: B024  # a name for isinstance checks, not a base with methods
    """DataJoint's name for "a table": every table class, the table as a query
    (``Mouse()``) and its restrictions (``Mouse & key``) are ``dj.Table``; joins and
    projections are queries, not tables.

    Example:
        >>> import dj_sqla as dj
        >>> issubclass(dj.Manual, dj.Table), isinstance(dj.U("a"), dj.Table)
        (True, False)
    """


Table.register(UserTable)
Table.register(TableQuery)
