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

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..errors import QueryError
from .conditions import Not, to_condition

if TYPE_CHECKING:
    from ..connection import Connection
    from ..table import UserTable


class QueryExpression:
    """An immutable query: a source, its attributes, its primary key and restrictions."""

    __slots__ = ("_columns", "_connection", "_primary_key", "_source", "_where")

    def __init__(
        self,
        connection: Connection,
        source: sa.FromClause,
        columns: Mapping[str, ColumnElement[Any]],
        primary_key: Sequence[str],
        where: Sequence[ColumnElement[bool]] = (),
    ) -> None:
        self._connection = connection
        self._source = source
        self._columns = dict(columns)
        self._primary_key = tuple(primary_key)
        self._where = tuple(where)

    # -- structure -----------------------------------------------------------------------------

    @property
    def heading_names(self) -> list[str]:
        """The attribute names, in order."""
        return list(self._columns)

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

    def _derive(self, where: Sequence[ColumnElement[bool]]) -> QueryExpression:
        return QueryExpression(
            self._connection, self._source, self._columns, self._primary_key, where
        )

    # -- restriction ---------------------------------------------------------------------------

    def restrict(self, restriction: Any) -> QueryExpression:
        """A new expression with only the rows that satisfy ``restriction``."""
        return self._derive((*self._where, to_condition(self, restriction)))

    def __and__(self, restriction: Any) -> QueryExpression:
        return self.restrict(restriction)

    def __sub__(self, restriction: Any) -> QueryExpression:
        return self.restrict(Not(restriction))

    # -- SQL -----------------------------------------------------------------------------------

    def select(self) -> sa.Select[Any]:
        """The ``sqlalchemy.Select`` of this expression (one labelled column per attribute)."""
        columns = [column.label(name) for name, column in self._columns.items()]
        return sa.select(*columns).select_from(self._source).where(*self._where)

    def sql(self, dialect: sa.Dialect | None = None) -> str:
        """The SQL text for ``dialect`` (default: the connection's), with bound parameters."""
        return str(self.select().compile(dialect=dialect or self._connection.engine.dialect))

    def __repr__(self) -> str:
        return f"<QueryExpression {', '.join(self._columns)}>"

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
        with self._connection.read() as conn:
            result = conn.execute(self._ordered(order_by, limit, offset))
            names = list(result.keys())
            return [dict(zip(names, row, strict=True)) for row in result]

    def keys(self, **kwargs: Any) -> list[dict[str, Any]]:
        """The primary keys of the rows, as dicts."""
        key = self._project(self._primary_key)
        return key.to_dicts(**kwargs)

    def _project(self, names: Sequence[str]) -> QueryExpression:
        columns = {name: self.column(name) for name in names}
        primary = [n for n in self._primary_key if n in columns]
        return QueryExpression(self._connection, self._source, columns, primary, self._where)

    def fetch1(self, *attrs: str) -> Any:
        """The one row of the expression: a dict, or the values of ``attrs``.

        Raises:
            QueryError: the expression has no row or more than one.
        """
        rows = self.to_dicts(limit=2)
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
        count = sa.select(sa.func.count()).select_from(self.select().subquery())
        with self._connection.read() as conn:
            return int(conn.scalar(count) or 0)

    def __bool__(self) -> bool:
        with self._connection.read() as conn:
            return bool(conn.scalar(sa.select(sa.exists(self.select()))))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_dicts())

    def __contains__(self, restriction: Any) -> bool:
        return bool(self & restriction)


class TableExpression(QueryExpression):
    """A whole table as a query; table methods (``insert1``, ``heading``...) pass through."""

    __slots__ = ("table_class",)

    def __init__(self, table_class: type[UserTable]) -> None:
        table = table_class._declared()
        super().__init__(
            table_class._require_schema().connection,
            table,
            {column.name: column for column in table.columns},
            [column.name for column in table.primary_key],
        )
        self.table_class = table_class

    def __getattr__(self, name: str) -> Any:
        if name == "table_class":  # not set yet (during __init__)
            raise AttributeError(name)
        return getattr(self.table_class, name)

    def __repr__(self) -> str:
        return f"<{self.table_class.__name__}: {', '.join(self._columns)}>"
