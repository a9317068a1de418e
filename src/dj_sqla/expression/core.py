"""Query expressions: immutable, compiled to a ``sqlalchemy.Select``, fetched in one query.

``Mouse()`` (a table class called without arguments) is the table as a query expression;
``Mouse() & {"sex": "F"}`` and ``Mouse - {"sex": "F"}`` restrict it (see
:mod:`dj_sqla.expression.conditions`). Every expression has ``.select()``, the SQLAlchemy
statement, usable in any SQLAlchemy code, and ``.sql()``, its text.

Example:
    >>> import dj_sqla as dj
    >>> schema = dj.Schema("zoo2", connection=dj.Connection("sqlite://"))
    >>> @schema
    ... class Animal(dj.Manual):
    ...     definition = "animal_id : int32\\n---\\nname : varchar(20)"
    >>> Animal.insert([{"animal_id": 1, "name": "Ada"}, {"animal_id": 2, "name": "Bo"}])
    >>> (Animal & {"name": "Bo"}).to_dicts()
    [{'animal_id': 2, 'name': 'Bo'}]
    >>> len(Animal - {"name": "Bo"})
    1
"""

from __future__ import annotations

import datetime as dt
import decimal
import inspect
import types
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .._mapping import own_attributes
from .._memo import memo
from ..dependencies import lineage
from ..errors import QueryError
from . import fetch
from .conditions import Not, Top, to_condition
from .strings import parse_value

if TYPE_CHECKING:
    from ..connection import Connection
    from ..table import UserTable


class QueryExpression:
    """An immutable query: a source, its attributes, its primary key and restrictions.

    Attributes map names to SQL expressions over the source (a table, a join, or a subquery);
    restrictions use those expressions directly, so restricting a projection needs no subquery.
    """

    __slots__ = (
        "_columns",
        "_conditions",
        "_connection",
        "_lineage",
        "_primary_key",
        "_source",
        "_tables",
    )

    def __init__(
        self,
        connection: Connection,
        source: sa.FromClause,
        columns: Mapping[str, ColumnElement[Any]],
        primary_key: Sequence[str],
        where: Sequence[ColumnElement[bool]] = (),
        *,
        lineage: Mapping[str, str | None] | None = None,
        tables: frozenset[sa.FromClause] | None = None,
    ) -> None:
        self._connection = connection
        self._source = source
        self._columns = dict(columns)
        self._primary_key = tuple(primary_key)
        self._conditions = tuple(where)
        self._lineage = dict(lineage or {})
        self._tables = tables if tables is not None else frozenset({source})

    def _replace(self, **changes: Any) -> QueryExpression:
        """A copy with some parts changed (expressions are immutable)."""
        parts = {
            "source": self._source,
            "columns": self._columns,
            "primary_key": self._primary_key,
            "where": self._where,
            "lineage": self._lineage,
            "tables": self._tables,
            **changes,
        }
        source, columns, key, where = (
            parts.pop(k) for k in ("source", "columns", "primary_key", "where")
        )
        return QueryExpression(self._connection, source, columns, key, where, **parts)

    @property
    def _where(self) -> tuple[ColumnElement[bool], ...]:
        """The restrictions, as SQL conditions (all must hold)."""
        return self._conditions

    def _executable(self, kind: str = "rows") -> tuple[sa.Executable, dict[str, Any]]:
        """The statement that fetches the rows (``kind="rows"``), counts them (``"count"``)
        or tells whether there is one (``"exists"``), and its parameters."""
        return _of_kind(self.select(), kind), {}

    # -- structure -----------------------------------------------------------------------------

    @property
    def heading_names(self) -> list[str]:
        """The attribute names, in order."""
        return list(self._columns)

    @property
    def columns(self) -> Mapping[str, ColumnElement[Any]]:
        """Attribute name → its SQL expression over the source (read-only)."""
        return types.MappingProxyType(self._columns)

    @property
    def primary_key(self) -> list[str]:
        """The primary-key attribute names."""
        return list(self._primary_key)

    def column(self, name: str) -> ColumnElement[Any]:
        """The SQL column of attribute ``name``."""
        try:
            return self._columns[name]
        except KeyError:
            raise QueryError(
                f"`{name}` is not an attribute of this query ({', '.join(self._columns)})."
            ) from None

    def shared_attributes(self, other: QueryExpression, *, operation: str) -> list[str]:
        """Namesake attributes of ``self`` and ``other``, checked for equal lineage.

        Raises:
            QueryError: a namesake pair has different or no lineage (semantic matching).
        """
        shared = [name for name in self._columns if name in other._columns]
        for name in shared:
            mine, theirs = self._lineage.get(name), other._lineage.get(name)
            if mine is None or mine != theirs:
                raise QueryError(
                    f"Cannot {operation} on attribute `{name}`: its lineages differ "
                    f"({mine or 'none'} vs {theirs or 'none'}), so the two are not the same "
                    f"thing. Rename one side with .proj({name}_2='{name}') to keep both."
                )
        return shared

    def _derive(self, where: Sequence[ColumnElement[bool]]) -> QueryExpression:
        return self._replace(where=where)

    # -- restriction ---------------------------------------------------------------------------

    def restrict(self, restriction: Any) -> QueryExpression:
        """A new expression with only the rows that satisfy ``restriction``."""
        if isinstance(restriction, Top):
            ordered = self._ordered(restriction.order_by, restriction.limit, restriction.offset)
            return self.as_subquery(ordered)
        return self._derive((*self._where, to_condition(self, restriction)))

    def __and__(self, restriction: Any) -> QueryExpression:
        return self.restrict(restriction)

    def __sub__(self, restriction: Any) -> QueryExpression:
        return self.restrict(Not(restriction))

    # -- projection and join ---------------------------------------------------------------------

    def proj(self, *attributes: Any, **named: str) -> QueryExpression:
        """Keep, rename, exclude or compute attributes; the primary key is always kept.

        Args:
            *attributes: names to keep; ``...`` keeps every attribute; ``"-name"`` drops one.
            **named: ``new="old"`` renames (also a key attribute); ``new="(old)"`` copies;
                any other string is computed, in the same SQL as restriction strings
                (``total="a + b"``).

        Example:
            ``Mouse.proj("sex", born="dob", grams="weight * 1000")``
        """
        keep: list[str] = []
        dropped: set[str] = set()
        for item in attributes:
            if item is Ellipsis:
                keep.extend(self._columns)
            elif isinstance(item, str) and item.startswith("-"):
                name = item[1:].strip()
                if name in self._primary_key:
                    raise QueryError(f"Cannot exclude `{name}`: it is in the primary key.")
                self.column(name)
                dropped.add(name)
            elif isinstance(item, str):
                self.column(item)
                keep.append(item)
            else:
                raise QueryError(f"proj() takes attribute names, not {item!r}.")
        if dropped and not keep:
            keep = list(self._columns)
        renamed = {old: new for new, old in named.items() if old in self._columns}
        columns: dict[str, ColumnElement[Any]] = {}
        lineage: dict[str, str | None] = {}
        for name in self._primary_key:
            target = renamed.get(name, name)
            columns[target], lineage[target] = self._columns[name], self._lineage.get(name)
        for name in keep:
            if name not in self._primary_key and name not in dropped and name not in renamed:
                columns[name], lineage[name] = self._columns[name], self._lineage.get(name)
        for new, text in named.items():
            if text in renamed and renamed[text] == new:
                if text not in self._primary_key:
                    columns[new], lineage[new] = self._columns[text], self._lineage.get(text)
                continue
            inner = text.strip()
            if (
                inner.startswith("(")
                and inner.endswith(")")
                and inner[1:-1].strip() in self._columns
            ):
                columns[new], lineage[new] = self._columns[inner[1:-1].strip()], None
                continue
            columns[new] = parse_value(text, self.column)
            lineage[new] = None
        key = [renamed.get(name, name) for name in self._primary_key]
        return self._replace(columns=columns, primary_key=key, lineage=lineage)

    def join(self, other: Any, *, left: bool = False) -> QueryExpression:
        """Rows of both with equal shared attributes (``A * B``); ``left=True`` keeps every
        row of ``self`` (requires that ``self`` determines ``other``)."""
        other = as_expression(other)
        if left and not set(other._primary_key) <= set(self._columns):
            raise QueryError(
                "A left join needs the left operand to contain the primary key of the right "
                f"one ({', '.join(other._primary_key)})."
            )
        return self.joined(other, left=left)

    def joined(self, other: QueryExpression, *, left: bool) -> QueryExpression:
        """The join itself (see :meth:`join`), without the left-join precondition."""
        shared = self.shared_attributes(other, operation="join")
        if self._tables & other._tables or (left and other._where):
            # the same table on both sides (or a restricted right side of a left join):
            # join the right side as a subquery
            other = other.as_subquery()
        on = sa.and_(sa.true(), *(self._columns[n] == other._columns[n] for n in shared))
        columns = {**self._columns}
        lineage = {**self._lineage}
        for name, column in other._columns.items():
            if name not in columns:
                columns[name], lineage[name] = column, other._lineage.get(name)
        if set(other._primary_key) <= set(self._columns):
            key = list(self._primary_key)
        elif set(self._primary_key) <= set(other._columns):
            key = list(other._primary_key)
        else:
            key = [
                *self._primary_key,
                *(k for k in other._primary_key if k not in self._primary_key),
            ]
        return self._replace(
            source=self._source.join(other._source, on, isouter=left),
            columns=columns,
            primary_key=key,
            where=(*self._where, *other._where),
            lineage=lineage,
            tables=self._tables | other._tables,
        )

    def as_subquery(self, query: sa.Select[Any] | None = None) -> QueryExpression:
        """The same rows, as an expression over the subquery of ``query`` (default: own)."""
        sub = (query if query is not None else self.select()).subquery()
        names = list(sub.c.keys())  # (iterating sub.c yields columns, not names)
        return QueryExpression(
            self._connection,
            sub,
            {name: sub.c[name] for name in names},
            self._primary_key,
            lineage={name: self._lineage.get(name) for name in names},
        )

    def aggr(
        self, other: Any, *attributes: Any, exclude_nonmatching: bool = False, **named: str
    ) -> QueryExpression:
        """Per row of ``self``, aggregates over the matching rows of ``other``.

        Every row of ``self`` is kept (``count(*)`` is 0 where nothing matches) unless
        ``exclude_nonmatching``; ``attributes`` are attributes of ``self`` to keep.

        Example:
            ``Mouse.aggr(Session, n="count(*)", last="max(session_date)")``
        """
        from .grouping import aggregate

        return aggregate(self, as_expression(other), attributes, named, exclude_nonmatching)

    def __add__(self, other: Any) -> QueryExpression:
        from .grouping import union

        return union(self, as_expression(other))

    def __mul__(self, other: Any) -> QueryExpression:
        return self.join(other)

    # -- SQL -----------------------------------------------------------------------------------

    def select(self) -> sa.Select[Any]:
        """The ``sqlalchemy.Select`` of this expression (one labelled column per attribute)."""
        columns = [
            # a table's own column already carries its name; labelling it would only cost time
            column if isinstance(column, sa.Column) and column.name == name else column.label(name)
            for name, column in self._columns.items()
        ]
        return sa.select(*columns).select_from(self._source).where(*self._where)

    def sql(self, dialect: sa.Dialect | None = None) -> str:
        """The SQL text for ``dialect`` (default: the connection's), with bound parameters."""
        return str(self.select().compile(dialect=dialect or self._connection.engine.dialect))

    def __repr__(self) -> str:
        """A preview: the first rows by key and the row count, as DataJoint prints it."""
        shown = 12
        rows = self.fetch_rows(order_by="KEY", limit=shown + 1)
        names = self.heading_names
        cells = [[("*" if n in self._primary_key else "") + n for n in names]]
        cells += [[str(v) for v in row] for row in rows[:shown]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(names))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        if len(rows) > shown:
            lines.append("...")
        lines.append(f" ({len(self)} rows)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The preview as an HTML table, for notebooks."""
        import html

        rows = self.fetch_rows(order_by="KEY", limit=12)
        head = "".join(f"<th>{html.escape(n)}</th>" for n in self.heading_names)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
            for row in rows
        )
        return f"<table><tr>{head}</tr>{body}</table><p>{len(self)} rows</p>"

    # -- fetching ------------------------------------------------------------------------------

    def _ordered(
        self, order_by: str | Sequence[str] | None, limit: int | None, offset: int | None
    ) -> sa.Select[Any]:
        query = self.select()
        if order_by is None and limit is None and offset is None:
            return query
        terms = [order_by] if isinstance(order_by, str) else list(order_by or ["KEY"])
        clauses: list[Any] = []
        used: set[str] = set()
        for term in terms:
            name, _, direction = term.strip().partition(" ")
            descending = direction.strip().upper() == "DESC"
            names = self._primary_key if name.upper() == "KEY" else (name,)
            for attr in names:
                column = self.column(attr)
                clauses.append(column.desc() if descending else column.asc())
                used.add(attr)
        # ties are broken by the primary key, so every backend returns the same order
        clauses.extend(self.column(k).asc() for k in self._primary_key if k not in used)
        return query.order_by(*clauses).limit(limit).offset(offset)

    def to_dicts(
        self,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[dict[str, Any]]:
        """All rows as dicts. ``order_by`` takes names, ``"name DESC"`` and ``"KEY"``."""
        return fetch.rows_to_dicts(self.heading_names, self.fetch_rows(order_by, limit, offset))

    def fetch_rows(
        self,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Sequence[Sequence[Any]]:
        """All rows (tuple-like), values in ``heading_names`` order (one query)."""
        if order_by is None and limit is None and offset is None:
            query, params = self._executable()
        else:
            query, params = self._ordered(order_by, limit, offset), {}
        with self._connection.read() as conn:
            return fetch.all_rows(conn.execute(query, params), query)  # type: ignore[arg-type]

    def to_arrays(self, *attrs: str, include_key: bool = False, **kwargs: Any) -> Any:
        """A numpy structured array of the rows, or one array per attribute in ``attrs``."""
        return fetch.to_arrays(self, attrs, include_key=include_key, **kwargs)

    def to_pandas(self, **kwargs: Any) -> Any:
        """A pandas DataFrame of the rows, indexed by the primary key."""
        return fetch.to_pandas(self, **kwargs)

    def fetch(
        self,
        *attrs: str,
        as_dict: bool | None = None,
        format: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """DataJoint's classic fetch (arrays; ``as_dict=True``: dicts; ``format="frame"``)."""
        return fetch.fetch(self, attrs, as_dict=as_dict, format=format, **kwargs)

    def head(self, limit: int = 25) -> list[dict[str, Any]]:
        """The first ``limit`` rows by primary key."""
        return self.to_dicts(order_by="KEY", limit=limit)

    def tail(self, limit: int = 25) -> list[dict[str, Any]]:
        """The last ``limit`` rows by primary key, in key order."""
        return self.to_dicts(order_by="KEY DESC", limit=limit)[::-1]

    def keys(self, **kwargs: Any) -> list[dict[str, Any]]:
        """The primary keys of the rows, as dicts."""
        return self.proj().to_dicts(**kwargs)

    def fetch1(self, *attrs: str) -> Any:
        """The one row of the expression: a dict, or the values of ``attrs``.

        Raises:
            QueryError: the expression has no row or more than one.
        """
        # no LIMIT (it costs more than it saves when the query is right): two rows are read
        # from the result, which tells "more than one"
        query, params = self._executable()
        with self._connection.read() as conn:
            result = conn.execute(query, params)
            fetched = result.fetchmany(2)
            result.close()
        rows = fetch.rows_to_dicts(self.heading_names, fetched)
        if len(rows) != 1:
            found = "no rows" if not rows else "more than one row"
            raise QueryError(
                f"fetch1 needs exactly one row and this query has {found}; restrict it to "
                "one key first."
            )
        row = rows[0]
        if not attrs:
            return row
        values = [{k: row[k] for k in self._primary_key} if a == "KEY" else row[a] for a in attrs]
        return values[0] if len(values) == 1 else tuple(values)

    def __len__(self) -> int:
        count, params = self._executable("count")
        with self._connection.read() as conn:
            return int(conn.scalar(count, params) or 0)

    def __bool__(self) -> bool:
        exists, params = self._executable("exists")
        with self._connection.read() as conn:
            return bool(conn.scalar(exists, params))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_dicts())

    def __contains__(self, restriction: Any) -> bool:
        return bool(self & restriction)


class TableExpression(QueryExpression):
    """A table, possibly restricted, as a query; it can also change the table's data.

    Table methods of the class (``insert1``, ``heading``...) pass through.
    """

    __slots__ = ("_key", "table_class")

    def __init__(
        self, table_class: type[UserTable], where: Sequence[ColumnElement[bool]] = ()
    ) -> None:
        self._key: tuple[tuple[str, ...], tuple[Any, ...]] | None = None
        table = table_class._declared()
        super().__init__(
            table_class._require_schema().connection,
            table,
            {column.name: column for column in table.columns},
            [column.name for column in table.primary_key],
            where,
            lineage=lineage(table),
        )
        self.table_class = table_class

    def _derive(
        self,
        where: Sequence[ColumnElement[bool]],
        key: tuple[tuple[str, ...], tuple[Any, ...]] | None = None,
    ) -> TableExpression:
        # still one table, so it can delete; the heading is shared, not rebuilt (expressions
        # are immutable, and a populate loop restricts a table once per key)
        derived = TableExpression.__new__(TableExpression)
        for name in QueryExpression.__slots__:
            object.__setattr__(derived, name, getattr(self, name))
        derived._conditions = tuple(where)
        derived._key = key
        derived.table_class = self.table_class
        return derived

    # -- restriction by key values ---------------------------------------------------------------
    #
    # ``Table & key`` with a dict of plain values is the restriction a ``make`` applies to
    # every parent, once per key. It is kept as (names, values): the SQL conditions are built
    # only when something asks for them, and fetching runs a statement made once per table
    # and set of names, with the values as its parameters. SQLAlchemy then finds its compiled
    # form without building and hashing a new statement, which is most of the cost of a small
    # query.

    def restrict(self, restriction: Any) -> QueryExpression:
        """A new expression with only the rows that satisfy ``restriction``."""
        if type(restriction) is dict:
            key = _key_values(self._columns, restriction)
            if key is not None:
                if not key[0]:
                    return self  # no attribute of the table named: no restriction
                if self._key is not None:
                    key = (self._key[0] + key[0], self._key[1] + key[1])
                return self._derive(self._conditions, key)
        return super().restrict(restriction)

    @property
    def _where(self) -> tuple[ColumnElement[bool], ...]:
        if self._key is None:
            return self._conditions
        names, values = self._key
        columns = self._columns
        keyed = tuple(columns[n] == v for n, v in zip(names, values, strict=True))
        return self._conditions + keyed

    def _executable(self, kind: str = "rows") -> tuple[sa.Executable, dict[str, Any]]:
        if self._key is None or self._conditions:
            return super()._executable(kind)
        names, values = self._key
        found = _keyed_statement(self._table, names, values, kind)
        if found is None:
            return super()._executable(kind)
        statement, parameters = found
        return statement, dict(zip(parameters, values, strict=True))

    def __getattr__(self, name: str) -> Any:
        if name == "table_class":  # not set yet (during __init__)
            raise AttributeError(name)
        value = getattr(self.table_class, name)
        if inspect.isfunction(value):  # a plain method such as make(self, key): bind it here
            return types.MethodType(value, self)
        return value

    def __repr__(self) -> str:
        return f"{self.table_class.__name__}\n{super().__repr__()}"

    @property
    def _table(self) -> sa.Table:
        return self.table_class._declared()

    def _condition(self) -> ColumnElement[bool]:
        if not self._where:
            return sa.true()  # the whole table (a DELETE without WHERE)
        return self._where[0] if len(self._where) == 1 else sa.and_(*self._where)

    def _require_unrestricted(self, operation: str) -> None:
        if self._where:
            raise QueryError(f"{operation} applies to a whole table, not a restriction of it.")

    def delete(self, prompt: bool | None = None, part_integrity: str = "enforce") -> int:
        """Delete these rows and every row that depends on them, in one transaction.

        Args:
            prompt: show the counts and ask before committing; default ``dj.config['safemode']``.
            part_integrity: ``"enforce"``, ``"ignore"`` or ``"cascade"`` (see
                :mod:`dj_sqla.delete`).

        Returns:
            The number of rows deleted from this table.
        """
        from ..delete import cascade_delete

        return cascade_delete(
            self._connection,
            self._table,
            self._condition(),
            prompt=prompt,
            part_integrity=part_integrity,
        )

    def delete_quick(self, get_count: bool = False) -> int | None:
        """Delete these rows only (no cascade, no prompt); dependent rows make it fail."""
        from ..delete import delete_rows

        count = delete_rows(self._connection, self._table, self._condition())
        return count if get_count else None

    def drop_quick(self) -> None:
        """Drop this table (dependent tables make it fail)."""
        from ..delete import drop_tables

        self._require_unrestricted("drop_quick()")
        drop_tables(self._connection, self._table, cascade=False, prompt=False)

    def drop(self, prompt: bool | None = None) -> None:
        """Drop this table and every table that depends on it, after confirmation."""
        from ..delete import drop_tables

        self._require_unrestricted("drop()")
        drop_tables(self._connection, self._table, cascade=True, prompt=prompt)

    def update1(self, row: Mapping[str, Any]) -> None:
        """Change secondary attributes of one existing row, found by its full primary key."""
        from .._insert import update_row

        self._require_unrestricted("update1()")
        update_row(self._connection, self._table, row)


#: Value types a key restriction binds as they are; others (None, which means IS NULL,
#: booleans, numpy scalars, SQL expressions) take the general path.
_KEY_VALUE_TYPES = frozenset(
    {int, float, str, bytes, decimal.Decimal, dt.date, dt.datetime, dt.time, uuid.UUID}
)


def _key_values(
    columns: Mapping[str, ColumnElement[Any]], restriction: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
    """The names and values of a dict restriction's attributes, or None when a value needs
    the general path."""
    items = [(k, v) for k, v in restriction.items() if k in columns]
    if not _KEY_VALUE_TYPES.issuperset(type(v) for _, v in items):
        return None
    return tuple(k for k, _ in items), tuple(v for _, v in items)


_Keyed = tuple[sa.Executable, tuple[str, ...]]


def _keyed_statement(
    table: sa.Table, names: tuple[str, ...], values: tuple[Any, ...], kind: str
) -> _Keyed | None:
    """The statement of ``kind`` (see ``_executable``) over ``table`` restricted to rows
    whose ``names`` equal parameters, made once and reused.

    Kept on the table (see ``_memo``): (names, value types, kind) → the statement with one
    parameter per name and the parameter names, or None where ``column == value`` is not a
    plain comparison with a bound value. Value types are part of the key because SQLAlchemy
    types a compared value by its Python type.
    """
    statements: dict[tuple[Any, ...], _Keyed | None] = memo(table, "_dj_sqla_keyed", dict)
    cache_key = (names, tuple(map(type, values)), kind)
    if cache_key in statements:
        return statements[cache_key]
    parameters = tuple(f"dj_key_{i}" for i in range(len(names)))
    conditions = []
    found: _Keyed | None = None
    for name, value, parameter in zip(names, values, parameters, strict=True):
        column = table.c[name]
        bound = getattr(column == value, "right", None)  # typed as ``column == value`` types it
        if not isinstance(bound, sa.BindParameter):
            break
        conditions.append(column == sa.bindparam(parameter, type_=bound.type))
    else:
        found = (_of_kind(sa.select(*table.columns).where(*conditions), kind), parameters)
    statements[cache_key] = found
    return found


def _of_kind(query: sa.Select[Any], kind: str) -> sa.Executable:
    """``query`` itself (``"rows"``), the count of its rows (``"count"``) or whether it has
    one (``"exists"``)."""
    if kind == "count":
        return sa.select(sa.func.count()).select_from(query.subquery())
    if kind == "exists":
        return sa.select(sa.exists(query))
    return query


def as_expression(value: Any) -> QueryExpression:
    """A query expression for a table class or an expression."""
    if isinstance(value, QueryExpression):
        return value
    if isinstance(value, type) and "__table__" in own_attributes(value):
        return TableExpression(value)
    raise QueryError(f"Cannot join with {value!r}; join with a table or a query.")
