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

import inspect
import types
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .._mapping import own_attributes
from ..declare.names import is_hidden
from ..dependencies import lineage
from ..errors import QueryError
from ..heading import Heading, heading_of
from ._keyed import key_values, keyed_statement, of_kind
from .conditions import Not, Top, order_terms, row_count, to_condition
from .strings import parse_value

if TYPE_CHECKING:
    from ..connection import Connection


class TableClass(Protocol):
    """What a query over a table needs of the table's class (the tables layer supplies it)."""

    __name__: str

    def _declared(self) -> sa.Table: ...

    def _require_schema(self) -> Any: ...


class QueryExpression:
    """An immutable query: a source, its attributes, its primary key and restrictions.

    Attributes map names to SQL expressions over the source (a table, a join, or a subquery);
    restrictions use those expressions directly, so restricting a projection needs no subquery.

    This class builds queries only. The execution layer subclasses it with fetching
    (:class:`dj_sqla.execution.query.Query`) and sets ``_derived_class``, the class of the
    expressions derived from one (a projection, a join, a subquery), so that what a fetchable
    query derives can fetch too.
    """

    #: The class of the expressions that operators derive from this one.
    _derived_class: ClassVar[type[QueryExpression]]

    __slots__ = (
        "_columns",
        "_conditions",
        "_connection",
        "_from_clause",
        "_lineage",
        "_order",
        "_primary_key",
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
        self._from_clause = source
        self._columns = dict(columns)
        self._primary_key = tuple(primary_key)
        self._conditions = tuple(where)
        self._lineage = dict(lineage or {})
        self._tables = tables if tables is not None else frozenset({source})
        #: The order a ``dj.Top`` gave these rows (its terms), kept by later restrictions;
        #: fetching without an ``order_by`` uses it. None: no order.
        self._order: tuple[str, ...] | None = None

    def _replace(self, **changes: Any) -> QueryExpression:
        """A copy with some parts changed (expressions are immutable)."""
        parts = {
            "source": self._from_clause,
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
        derived = self._derived_class(self._connection, source, columns, key, where, **parts)
        if self._order is not None and source is self._from_clause:  # same rows, fewer
            names = {name for name, _ in order_terms(list(self._order))}
            if (
                all(derived._order_key(name) is not None for name in names)
                and derived._primary_key == self._primary_key
            ):
                derived._order = self._order
        return derived

    @property
    def _where(self) -> tuple[ColumnElement[bool], ...]:
        """The restrictions, as SQL conditions (all must hold)."""
        return self._conditions

    def _executable(self, kind: str = "rows") -> tuple[sa.Executable, dict[str, Any]]:
        """The statement that fetches the rows (``kind="rows"``), counts them (``"count"``)
        or tells whether there is one (``"exists"``), and its parameters."""
        return of_kind(self.select(), kind), {}

    # -- structure -----------------------------------------------------------------------------

    @property
    def heading_names(self) -> list[str]:
        """The attribute names, in order."""
        return list(self._columns)

    @property
    def heading(self) -> Heading:
        """The attributes, as DataJoint's ``query.heading`` gives them: each as its table
        declares it (under its name here, with this query's key), computed ones as
        ``expression``.

        Example:
            >>> # (Session * Mouse).proj(day="session_date").heading.names
        """
        return heading_of(self._columns, self._primary_key)

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

    def _query_of(self, value: Any) -> QueryExpression | None:
        """The query that ``value`` stands for in a restriction (an expression, or a table
        class for its table), or None when it is no query."""
        if isinstance(value, QueryExpression):
            return value
        if isinstance(value, type) and "__table__" in own_attributes(value):
            return as_expression(value)
        return None

    # -- restriction ---------------------------------------------------------------------------

    def restrict(self, restriction: Any, *, semantic_check: bool = True) -> QueryExpression:
        """A new expression with only the rows that satisfy ``restriction``.

        With ``semantic_check=False`` (DataJoint's ``A ^ B``), a query restriction matches
        namesake attributes even when their lineages differ.
        """
        if isinstance(restriction, Top):
            order = restriction.order_by
            if order is None:  # continue in the order so far
                order = list(self._order) if self._order is not None else ["KEY"]
            ordered = self._ordered(order, restriction.limit, restriction.offset)
            result = self.as_subquery(ordered)
            result._order = tuple(order)
            return result
        condition = to_condition(self, restriction, semantic_check)
        return self._derive((*self._where, condition))

    def __and__(self, restriction: Any) -> QueryExpression:
        return self.restrict(restriction)

    def __xor__(self, restriction: Any) -> QueryExpression:
        """``A ^ B``: DataJoint 0.14's restriction without the lineage check."""
        return self.restrict(restriction, semantic_check=False)

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

    def join(
        self, other: Any, *, left: bool = False, semantic_check: bool = True
    ) -> QueryExpression:
        """Rows of both with equal shared attributes (``A * B``); ``left=True`` keeps every
        row of ``self`` (requires that ``self`` determines ``other``); without
        ``semantic_check`` (DataJoint's ``A @ B``) namesakes match whatever their lineage."""
        other = as_expression(other)
        if left and not set(other._primary_key) <= set(self._columns):
            raise QueryError(
                "A left join needs the left operand to contain the primary key of the right "
                f"one ({', '.join(other._primary_key)})."
            )
        return self.joined(other, left=left, semantic_check=semantic_check)

    def joined(
        self, other: QueryExpression, *, left: bool, semantic_check: bool = True
    ) -> QueryExpression:
        """The join itself (see :meth:`join`), without the left-join precondition."""
        if semantic_check:
            shared = self.shared_attributes(other, operation="join")
        else:
            shared = [name for name in self._columns if name in other._columns]
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
            source=self._from_clause.join(other._from_clause, on, isouter=left),
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
        return self._derived_class(
            self._connection,
            sub,
            {name: sub.c[name] for name in names},
            self._primary_key,
            lineage={name: self._lineage.get(name) for name in names},
        )

    def aggr(
        self,
        other: Any,
        *attributes: Any,
        exclude_nonmatching: bool = False,
        keep_all_rows: bool | None = None,
        **named: str,
    ) -> QueryExpression:
        """Per row of ``self``, aggregates over the matching rows of ``other``.

        Every row of ``self`` is kept (``count(*)`` is 0 where nothing matches) unless
        ``exclude_nonmatching`` (DataJoint 0.14 spells it ``keep_all_rows=False``);
        ``attributes`` are attributes of ``self`` to keep.

        Example:
            ``Mouse.aggr(Session, n="count(*)", last="max(session_date)")``
        """
        if keep_all_rows is not None:
            if exclude_nonmatching and keep_all_rows:
                raise QueryError("aggr: keep_all_rows=True contradicts exclude_nonmatching=True.")
            exclude_nonmatching = not keep_all_rows
        return aggregate(self, as_expression(other), attributes, named, exclude_nonmatching)

    #: DataJoint's other name for :meth:`aggr`.
    aggregate = aggr

    def __add__(self, other: Any) -> QueryExpression:
        return union(self, as_expression(other))

    def __mul__(self, other: Any) -> QueryExpression:
        return self.join(other)

    def extend(self, other: Any, *, semantic_check: bool = True) -> QueryExpression:
        """Every row of ``self`` with the attributes of ``other`` it determines (null where
        nothing matches): DataJoint's ``extend``, a left join."""
        return self.join(other, left=True, semantic_check=semantic_check)

    def __matmul__(self, other: Any) -> QueryExpression:
        """``A @ B``: DataJoint 0.14's join without the lineage check."""
        return self.join(other, semantic_check=False)

    # -- SQL -----------------------------------------------------------------------------------

    def select(self) -> sa.Select[Any]:
        """The ``sqlalchemy.Select`` of this expression (one labelled column per attribute)."""
        return self._select_of(self._columns)

    def _select_of(self, names: Sequence[str] | Mapping[str, Any]) -> sa.Select[Any]:
        """The Select of some of the attributes, over all the rows of this expression."""
        columns = [
            # a table's own column already carries its name; labelling it would only cost time
            column if isinstance(column, sa.Column) and column.name == name else column.label(name)
            for name, column in ((n, self.column(n)) for n in names)
        ]
        return sa.select(*columns).select_from(self._from_clause).where(*self._where)

    def sql(self, dialect: sa.Dialect | None = None) -> str:
        """The SQL text for ``dialect`` (default: the connection's), with bound parameters."""
        return str(self.select().compile(dialect=dialect or self._connection.engine.dialect))

    # -- ordering ------------------------------------------------------------------------------

    def _order_key(self, name: str) -> tuple[str, ...] | None:
        """The attributes an ``order_by`` term names: ``KEY`` (any case, unless an attribute
        is named so) is the primary key; None: no attribute of this expression."""
        if name in self._columns and name != "KEY":
            return (name,)
        return self._primary_key if name.upper() == "KEY" else None

    def _ordered(
        self,
        order_by: str | Sequence[str] | None,
        limit: int | None,
        offset: int | None,
        attributes: Sequence[str] | None = None,
    ) -> sa.Select[Any]:
        """The Select in ``order_by`` order, of ``attributes`` only if given: the order may
        name any attribute of this expression, fetched or not."""
        query = self.select() if attributes is None else self._select_of(attributes)
        if order_by is None and self._order is not None:  # the order of a dj.Top
            order_by = list(self._order)
        if order_by is None and limit is None and offset is None:
            return query
        limit = row_count(limit, "limit", none=True)
        offset = row_count(offset, "offset", none=True)
        clauses: list[Any] = []
        used: set[str] = set()
        for name, descending in order_terms(order_by):
            for attr in self._order_key(name) or (name,):
                column = self.column(attr)
                clauses.append(column.desc() if descending else column.asc())
                used.add(attr)
        # ties are broken by the primary key, so every backend returns the same order
        clauses.extend(self.column(k).asc() for k in self._primary_key if k not in used)
        return query.order_by(*clauses).limit(limit).offset(offset)


QueryExpression._derived_class = QueryExpression


class TableExpression(QueryExpression):
    """A table, possibly restricted, as a query; it can also change the table's data.

    Table methods of the class (``insert1``, ``heading``...) pass through.
    """

    __slots__ = ("_key", "table_class")

    def __init__(self, table_class: TableClass, where: Sequence[ColumnElement[bool]] = ()) -> None:
        self._key: tuple[tuple[str, ...], tuple[Any, ...]] | None = None
        table = table_class._declared()
        super().__init__(
            table_class._require_schema().connection,
            table,
            {column.name: column for column in table.columns if not is_hidden(column.name)},
            [column.name for column in table.primary_key if not is_hidden(column.name)],
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
        cls = type(self)
        derived = cls.__new__(cls)
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

    def restrict(self, restriction: Any, *, semantic_check: bool = True) -> QueryExpression:
        """A new expression with only the rows that satisfy ``restriction``."""
        if type(restriction) is dict:
            key = key_values(self._columns, restriction)
            if key is not None:
                if not key[0]:
                    return self  # no attribute of the table named: no restriction
                if self._key is not None:
                    key = (self._key[0] + key[0], self._key[1] + key[1])
                return self._derive(self._conditions, key)
        return super().restrict(restriction, semantic_check=semantic_check)

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
        found = keyed_statement(self._table, names, values, kind)
        if found is None:
            return super()._executable(kind)
        statement, parameters = found
        return statement, dict(zip(parameters, values, strict=True))

    def __getattr__(self, name: str) -> Any:
        if name == "table_class":  # not set yet (during __init__)
            raise AttributeError(name)
        declared = inspect.getattr_static(self.table_class, name, None)
        if isinstance(declared, property) and declared.fget is not None:
            return declared.fget(self)  # an instance property (DataJoint's key_source...)
        value = getattr(self.table_class, name)
        if inspect.isfunction(value):  # a plain method such as make(self, key): bind it here
            return types.MethodType(value, self)
        return value

    @property
    def heading(self) -> Heading:
        """The table's heading (restrictions keep it)."""
        heading: Heading = getattr(self.table_class, "heading")  # noqa: B009  # not in TableClass
        return heading

    def __setattr__(self, name: str, value: Any) -> None:
        if name in TableExpression.__slots__ or name in QueryExpression.__slots__:
            object.__setattr__(self, name, value)
            return
        if name.startswith("_") or name not in dir(self.table_class):
            raise AttributeError(
                f"Cannot set `{name}` on {self.table_class.__name__}(): a table query is "
                "immutable; set attributes of your own on the class."
            )
        # a class attribute of the user's (``Language().contents = [...]``, as DataJoint code
        # sets it on an instance): the table class holds it, so set it there
        setattr(self.table_class, name, value)

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


def as_expression(value: Any) -> QueryExpression:
    """A query expression for a table class or an expression."""
    if isinstance(value, QueryExpression):
        return value
    if isinstance(value, type) and "__table__" in own_attributes(value):
        return value._expression()  # type: ignore[attr-defined,no-any-return]  # a table class
    raise QueryError(f"Cannot join with {value!r}; join with a table or a query.")


def _kept(expr: QueryExpression, attributes: Sequence[Any]) -> list[str]:
    names = list(expr.primary_key)
    for item in attributes:
        extra = expr.heading_names if item is Ellipsis else [item]
        names.extend(n for n in extra if n not in names and expr.column(n) is not None)
    return names


def aggregate(
    expr: QueryExpression,
    other: QueryExpression,
    attributes: Sequence[Any],
    named: Mapping[str, str],
    exclude_nonmatching: bool,
) -> QueryExpression:
    """``expr.aggr(other, *attributes, **named)``."""
    missing = [k for k in expr.primary_key if k not in other.heading_names]
    if missing:
        raise QueryError(
            f"aggr: the aggregated query must contain the primary key of the left operand; "
            f"it lacks {', '.join(missing)}."
        )
    joined = expr.joined(other, left=not exclude_nonmatching)
    # over a left join, count(*) counts the right side's rows: 0 where nothing matched
    marker = next(
        (k for k in other.primary_key if k not in expr.heading_names), other.primary_key[0]
    )
    count_star = sa.func.count(joined.column(marker)) if not exclude_nonmatching else None
    keep = _kept(expr, attributes)
    columns = [expr.column(n).label(n) for n in keep]
    values = [
        parse_value(text, joined.column, count_star=count_star).label(name)
        for name, text in named.items()
    ]
    query = (
        sa.select(*columns, *values)
        .select_from(joined._from_clause)
        .where(*joined._where)
        .group_by(*(expr.column(n) for n in keep))
    )
    return expr.as_subquery(query)


def union(left: QueryExpression, right: QueryExpression) -> QueryExpression:
    """``left + right``: the rows of either (same primary key and attributes).

    Unlike DataJoint, two restrictions of one table with secondary attributes can be united
    (``(A & c1) + (A & c2)``); only the primary keys must share their lineage.
    """
    if left.primary_key != right.primary_key or set(left.heading_names) != set(right.heading_names):
        raise QueryError(
            "A union needs operands with the same primary key and attributes "
            f"({', '.join(left.heading_names)} vs {', '.join(right.heading_names)}); "
            "project both with .proj() first."
        )
    # the keys must mean the same thing; secondary values are just values to unite
    left.proj().shared_attributes(right.proj(), operation="unite")
    ordered = right.proj(*left.heading_names).select()
    return left.as_subquery(sa.union(left.select(), ordered).subquery().select())
