"""Queries that run: fetching rows, and changing the rows of one table.

:class:`Query` adds the fetch methods (``to_dicts``, ``to_arrays``, ``fetch``, ``fetch1``,
``len``, iteration, previews) to the pure :class:`~dj_sqla.expression.QueryExpression`;
:class:`TableQuery` adds what changes a table's rows (``delete``, ``update1``, ``drop``) to a
:class:`~dj_sqla.expression.TableExpression`. Every expression derived from a ``Query`` (a
projection, a join, an aggregation) is a ``Query`` again.

Example:
    >>> import dj_sqla as dj
    >>> schema = dj.Schema("zoo3", connection=dj.Connection("sqlite://"))
    >>> @schema
    ... class Animal(dj.Manual):
    ...     definition = "animal_id : int32\\n---\\nname : varchar(20)"
    >>> Animal.insert([{"animal_id": 1, "name": "Ada"}, {"animal_id": 2, "name": "Bo"}])
    >>> isinstance(Animal & {"name": "Bo"}, Query)
    True
    >>> (Animal & {"name": "Bo"}).fetch1("animal_id")
    2
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

import sqlalchemy as sa

from .. import dependencies as deps
from .._mapping import own_attributes
from ..codecs import CodecError
from ..errors import DataJointError, QueryError
from ..expression.core import QueryExpression, TableClass, TableExpression
from ..types import CodecColumn, decoding_with
from .delete import (
    DeletePreview,
    cascade_delete,
    classic_delete_arguments,
    delete_rows,
    drop_tables,
    preview_delete,
)
from .fetch import (
    all_rows,
    dict_maker,
    key_names,
    record_array,
    rows_to_arrays,
    rows_to_dicts,
    squeezed,
)
from .frames import rows_to_arrow, rows_to_polars
from .insert import update_row

#: Rows per fetch when a query is iterated (see :meth:`Query.stream`).
STREAM_BATCH = 1000


#: The look of a query's HTML preview in notebooks.
_HTML_STYLE = (
    "<style>.dj-sqla table{border-collapse:collapse}.dj-sqla th,.dj-sqla td{padding:2px 8px;"
    "border-bottom:1px solid #ddd;text-align:left}.dj-sqla th{font-weight:bold}</style>"
)


class Query(QueryExpression):
    """A query expression that fetches its rows (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:  # what the operators derive from a Query is a Query (``_derived_class``)

        def restrict(self, restriction: Any, *, semantic_check: bool = True) -> Query: ...
        def __and__(self, restriction: Any) -> Query: ...
        def __sub__(self, restriction: Any) -> Query: ...
        def __xor__(self, restriction: Any) -> Query: ...
        def proj(self, *attributes: Any, **named: str) -> Query: ...
        def join(self, other: Any, *, left: bool = False, semantic_check: bool = True) -> Query: ...
        def __mul__(self, other: Any) -> Query: ...
        def __matmul__(self, other: Any) -> Query: ...
        def extend(self, other: Any, *, semantic_check: bool = True) -> Query: ...
        def __add__(self, other: Any) -> Query: ...
        def aggr(
            self,
            other: Any,
            *attributes: Any,
            exclude_nonmatching: bool = False,
            keep_all_rows: bool | None = None,
            **named: str,
        ) -> Query: ...

    def _display(self, name: str, given: int | None) -> int:
        """A ``display.*`` setting of this query's connection, unless given."""
        return int(given if given is not None else self._connection._config[f"display.{name}"])

    def _preview_rows(self, limit: int | None) -> tuple[int, Sequence[Sequence[Any]]]:
        shown = self._display("limit", limit)
        return shown, self.fetch_rows(order_by=None if self._order else "KEY", limit=shown + 1)

    def preview(self, limit: int | None = None, width: int | None = None) -> str:
        """The first rows (by key, or in a ``dj.Top``'s order) and the row count, as text laid
        out as DataJoint lays it out: a header line (``*`` marks key attributes) and a rule,
        one line per row, ``...`` when there are more, and ``(Total: n)`` unless
        ``display.show_tuple_count`` is off.

        Args:
            limit: rows to show (default ``dj.config["display.limit"]``).
            width: cut longer values to this many characters (default: not cut).

        Example:
            >>> # print(Mouse().preview(limit=3))
        """
        shown, rows = self._preview_rows(limit)
        names = self.heading_names

        def cell(value: Any) -> str:
            text = str(value)
            return (
                text if width is None or len(text) <= width else text[: max(width - 3, 1)] + "..."
            )

        cells = [[("*" if n in self._primary_key else "") + n for n in names]]
        cells += [[cell(v) for v in row] for row in rows[:shown]]
        widths = [max(3, *(len(row[i]) for row in cells)) for i in range(len(names))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        lines.insert(1, "  ".join("+" + "-" * (w - 2) + "+" for w in widths))
        if len(rows) > shown:
            lines.append("   ...")
        if self._connection._config["display.show_tuple_count"]:
            lines.append(f" (Total: {len(self)})")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        """The :meth:`preview`, as DataJoint prints a query."""
        return self.preview()

    def _repr_html_(self) -> str:
        """The preview as an HTML table (its style first), for notebooks."""
        shown, rows = self._preview_rows(None)
        head = "".join(
            f"<th>{'*' if n in self._primary_key else ''}{html.escape(n)}</th>"
            for n in self.heading_names
        )
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
            for row in rows[:shown]
        )
        more = "<p>...</p>" if len(rows) > shown else ""
        return (
            f"{_HTML_STYLE}<div class='dj-sqla'><table><tr>{head}</tr>{body}</table>{more}"
            f"<p>{len(self)} rows</p></div>"
        )

    # -- fetching ------------------------------------------------------------------------------

    def to_dicts(
        self,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        *,
        download_path: str | None = None,
    ) -> list[dict[str, Any]]:
        """All rows as dicts. ``order_by`` takes names, ``"name DESC"`` and ``"KEY"``;
        attachments are written to ``download_path`` (default ``dj.config["download_path"]``)."""
        rows = self.fetch_rows(order_by, limit, offset, download_path=download_path)
        return self._keyed_refs(rows_to_dicts(self.heading_names, rows))

    def _keyed_refs(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Lazy references to stored objects (``<npy@>``, ``<object@>``) learn their row's key,
        so that an error when their data is read names it."""
        lazy = [
            name
            for name, column in self._columns.items()
            if name in self.heading_names
            and isinstance(column.type, CodecColumn)
            and "@" in column.type.spec
        ]
        if lazy:
            for row in rows:
                key = {k: row[k] for k in self._primary_key if k in row}
                for name in lazy:
                    tell = getattr(row[name], "_set_key", None)
                    if tell is not None:
                        tell(key)
        return rows

    def fetch_rows(
        self,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        *,
        download_path: str | None = None,
        attributes: Sequence[str] | None = None,
    ) -> Sequence[Sequence[Any]]:
        """All rows (tuple-like), values in ``heading_names`` order (one query); with
        ``attributes``, only their values, in that order (``order_by`` may name any
        attribute)."""
        plain = order_by is None and limit is None and offset is None and self._order is None
        if plain and attributes is None:
            query, params = self._executable()
        else:
            query, params = self._ordered(order_by, limit, offset, attributes), {}

        def read(conn: sa.Connection) -> Sequence[Sequence[Any]]:
            try:
                return all_rows(conn.execute(query, params), query)  # type: ignore[arg-type]
            except CodecError as err:
                raise self._keyed_error(conn, err) from None

        with decoding_with(download_path=download_path, connection=self._connection):
            return self._connection.run_read(read)

    def _keyed_error(self, conn: sa.Connection, err: CodecError) -> CodecError:
        """The decoding error completed with the key of the row whose value failed: the
        stored values are read again as bytes and decoded one by one (error path only)."""
        for column in self._columns.values():
            decoder = column.type
            if not isinstance(decoder, CodecColumn) or decoder.where is None:
                continue
            if decoder.where[1] != err.attribute:
                continue
            raw = sa.type_coerce(column, decoder.storage).label("raw")  # as stored
            keys = [self.column(k) for k in self._primary_key]
            query = sa.select(*keys, raw).select_from(self._from_clause).where(*self._where)
            for row in conn.execute(query):
                try:
                    decoder.process_result_value(row[-1], None)
                except CodecError:
                    return err.add_context(key=dict(zip(self._primary_key, row[:-1], strict=True)))
        return err

    def to_arrays(self, *attrs: str, include_key: bool = False, **kwargs: Any) -> Any:
        """A numpy structured array of the rows, or one array per attribute in ``attrs``."""
        return _to_arrays(self, attrs, include_key=include_key, **kwargs)

    def to_pandas(self, **kwargs: Any) -> Any:
        """A pandas DataFrame of the rows, indexed by the primary key."""
        return _to_pandas(self, **kwargs)

    def to_arrow(self, **kwargs: Any) -> Any:
        """A ``pyarrow.Table`` of the rows (``order_by``, ``limit``, ``offset`` as in
        :meth:`to_dicts`); needs the ``arrow`` extra."""
        return rows_to_arrow(self.heading_names, self.fetch_rows(**kwargs))

    def to_polars(self, **kwargs: Any) -> Any:
        """A ``polars.DataFrame`` of the rows (``order_by``, ``limit``, ``offset`` as in
        :meth:`to_dicts`); needs the ``polars`` extra."""
        return rows_to_polars(self.heading_names, self.fetch_rows(**kwargs))

    def fetch(
        self,
        *attrs: str,
        as_dict: bool | None = None,
        format: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """DataJoint's classic fetch (arrays; ``as_dict=True``: dicts; ``format="frame"``);
        ``dj.key`` stands for ``"KEY"``."""
        return _fetch(self, key_names(attrs), as_dict=as_dict, format=format, **kwargs)

    def head(self, limit: int = 25, **fetch_kwargs: Any) -> Any:
        """The first ``limit`` rows by primary key: dicts, or with ``fetch``'s arguments
        (``format="frame"``, ``as_dict=False``...) what ``fetch`` gives."""
        if fetch_kwargs:
            return self.fetch(order_by="KEY", limit=limit, **fetch_kwargs)
        return self.to_dicts(order_by="KEY", limit=limit)

    def tail(self, limit: int = 25, **fetch_kwargs: Any) -> Any:
        """The last ``limit`` rows by primary key, in key order (``fetch``'s arguments as in
        :meth:`head`)."""
        if fetch_kwargs:
            rows = self.fetch(order_by="KEY DESC", limit=limit, **fetch_kwargs)
            return rows.iloc[::-1] if hasattr(rows, "iloc") else rows[::-1]
        return self.to_dicts(order_by="KEY DESC", limit=limit)[::-1]

    def keys(self, **kwargs: Any) -> list[dict[str, Any]]:
        """The primary keys of the rows, as dicts."""
        return rows_to_dicts(
            self._primary_key, self.fetch_rows(attributes=self._primary_key, **kwargs)
        )

    def fetch1(self, *attrs: str, download_path: str | None = None, squeeze: bool = False) -> Any:
        """The one row of the expression: a dict, or the values of ``attrs`` (attachments are
        written to ``download_path``, default ``dj.config["download_path"]``; ``dj.key`` stands
        for ``"KEY"``; ``squeeze=True`` drops the length-1 dimensions of arrays).

        Raises:
            QueryError: the expression has no row or more than one.
        """
        wanted = [a for a in key_names(attrs) if a != "KEY" and a not in self._primary_key]
        if wanted and set(self.heading_names) != {*self._primary_key, *wanted}:
            # only what was asked for: other attributes may be blobs, or objects in a store
            narrowed = self.proj(*dict.fromkeys(wanted))
            return narrowed.fetch1(*attrs, download_path=download_path, squeeze=squeeze)
        # no LIMIT (it costs more than it saves when the query is right): two rows are read
        # from the result, which tells "more than one"
        query, params = self._executable()

        def read(conn: sa.Connection) -> Sequence[Any]:
            result = conn.execute(query, params)
            try:
                fetched: Sequence[Any] = result.fetchmany(2)
            except CodecError as err:
                raise self._keyed_error(conn, err) from None
            result.close()
            return fetched

        with decoding_with(download_path=download_path, connection=self._connection):
            fetched = self._connection.run_read(read)
        rows = self._keyed_refs(rows_to_dicts(self.heading_names, fetched))
        if len(rows) != 1:
            found = "no rows" if not rows else "more than one row"
            raise QueryError(
                f"fetch1 needs exactly one row and this query has {found}; restrict it to "
                "one key first."
            )
        row = {k: squeezed(v) for k, v in rows[0].items()} if squeeze else rows[0]
        if not attrs:
            return row
        values = [
            {k: row[k] for k in self._primary_key} if a == "KEY" else row[a]
            for a in key_names(attrs)
        ]
        return values[0] if len(values) == 1 else tuple(values)

    def __len__(self) -> int:
        count, params = self._executable("count")
        return int(self._connection.run_read(lambda conn: conn.scalar(count, params)) or 0)

    def __bool__(self) -> bool:
        exists, params = self._executable("exists")
        return bool(self._connection.run_read(lambda conn: conn.scalar(exists, params)))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows as dicts, read in batches as the loop goes (see :meth:`stream`)."""
        return self.stream()

    def stream(
        self,
        batch_size: int = STREAM_BATCH,
        *,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        download_path: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The rows as dicts, read ``batch_size`` rows at a time: memory holds one batch,
        whatever the number of rows. ``for row in query`` is ``query.stream()``.

        The query runs when the first row is asked for. Where the driver has server-side
        cursors (PostgreSQL's named cursors, MySQL's unbuffered cursors) the server sends the
        rows as they are read; SQLite reads them from the file as they are asked for. A loop
        that stops early (``break``) closes the cursor and reads no more. Outside a
        transaction the rows come from one connection held until the loop ends; inside
        ``with connection.transaction`` from the transaction's (on MySQL, which cannot run
        other statements beside a streamed result, that result is read whole by the driver
        first and converted a batch at a time). Outside a transaction the rows are one
        snapshot where the backend gives one (a transaction that is rolled back at the end).
        On a SQLite file store that read holds the file's read lock until the loop ends, so
        other processes' commits wait for it (busy timeout); a commit of this thread on
        another connection (``for row in A: B.insert1(...)``) first reads the remaining rows
        at once.

        Args:
            batch_size: rows per fetch from the cursor.
            order_by, limit, offset, download_path: as for :meth:`to_dicts`.

        Example:
            >>> import dj_sqla as dj
            >>> schema = dj.Schema("zoo_stream", connection=dj.Connection("sqlite://"))
            >>> @schema
            ... class Animal(dj.Manual):
            ...     definition = "animal_id : int32"
            >>> Animal.insert([(n,) for n in range(5)])
            >>> [row["animal_id"] for row in Animal().stream(batch_size=2, order_by="KEY")]
            [0, 1, 2, 3, 4]
        """
        if batch_size < 1:
            raise DataJointError(f"stream(batch_size={batch_size}): give 1 or more rows.")
        if order_by is None and limit is None and offset is None and self._order is None:
            query, params = self._executable()
        else:
            query, params = self._ordered(order_by, limit, offset), {}
        return _streamed(self, query, params, batch_size, download_path)

    def __contains__(self, restriction: Any) -> bool:
        return bool(self & restriction)


def _streamed(
    expr: Query, query: Any, params: Any, batch_size: int, download_path: str | None
) -> Iterator[dict[str, Any]]:
    """The generator behind :meth:`Query.stream` (its body runs at the first ``next``)."""
    connection = expr._connection
    to_dicts = dict_maker(tuple(expr.heading_names))
    inside = connection.in_transaction
    streaming = not inside or connection.backend.streams_beside_statements
    options = {"stream_results": True, "yield_per": batch_size} if streaming else {}
    # outside a transaction, a connection of the main engine: a server-side cursor lives in a
    # transaction (the read engine's connections are in autocommit)
    with connection.read() if inside else connection.engine.connect() as conn:
        with decoding_with(download_path=download_path, connection=connection):
            result = conn.execute(query, params, execution_options=options)
        stream = _Stream(conn, result, batch_size, download_path)
        try:
            with nullcontext() if inside else connection.backend.reading(stream):
                while True:
                    rows = stream.fetch()
                    if not rows:
                        return
                    yield from to_dicts(rows)
        finally:
            result.close()


class _Stream:
    """A query's result, read a batch at a time, or read to its end at once (``drain``:
    the backend asks for that when the open result would block a commit)."""

    def __init__(
        self,
        connection: sa.Connection,
        result: sa.CursorResult[Any],
        batch_size: int,
        download_path: str | None,
    ) -> None:
        self.connection = connection
        self._result = result
        self._batch_size = batch_size
        self._download_path = download_path
        self._rest: list[Any] | None = None

    def fetch(self) -> Sequence[Any]:
        """The next batch of rows (empty at the end)."""
        if self._rest is not None:
            batch = self._rest[: self._batch_size]
            del self._rest[: self._batch_size]
            return batch
        with decoding_with(download_path=self._download_path):  # values decode as fetched
            return self._result.fetchmany(self._batch_size)

    def drain(self) -> None:
        """Read the remaining rows now and end the connection's transaction."""
        if self._rest is None:
            with decoding_with(download_path=self._download_path):
                self._rest = list(self._result.fetchall())
            self._result.close()
            self.connection.rollback()  # (a read: nothing to keep)


Query._derived_class = Query


def is_mixin(base: type) -> bool:
    """Whether ``base`` is a plain mixin class of a table class (a pipeline's own class, not a
    table tier, dj_sqla's or SQLAlchemy's): its methods apply to the table's queries too.

    DataJoint's queries of a table are instances of the table's class, so a mixin that
    overrides ``fetch``, ``delete`` or ``restrict`` (as spyglass's does) applies to
    ``(Mouse & key).fetch()``. Here ``Mouse & key`` is a query of ``type(Mouse())``, which
    derives from the same mixins.
    """
    module = base.__module__ or ""
    return (
        type(base) is type
        and base is not object
        and not module.startswith(("dj_sqla.", "sqlalchemy.", "builtins", "abc", "typing"))
    )


class TableQuery(TableExpression, Query):
    """A table, possibly restricted, as a query that can also change the table's rows.

    Table methods of the class (``insert1``, ``heading``...) pass through. ``Mouse()`` is an
    instance of a subclass made for the table (:meth:`of`), named like it, so DataJoint code
    that derives a class from ``type(Mouse())`` and a mixin, and calls it with no arguments,
    gets the table with the mixin's methods.

    Example:
        >>> import dj_sqla as dj
        >>> schema = dj.Schema("tq", connection=dj.Connection("sqlite://"))
        >>> @schema
        ... class Mouse(dj.Manual):
        ...     definition = "mouse_id : int32"
        >>> type(Mouse()).__name__, len(type(Mouse())())
        ('Mouse', 0)
    """

    __slots__ = ()

    #: The table a per-table subclass (:meth:`of`) stands for when called with no table.
    _table_of_class: ClassVar[TableClass | None] = None

    def __init__(self, table_class: TableClass | None = None, where: Sequence[Any] = ()) -> None:
        if table_class is None:
            table_class = type(self)._table_of_class
            if table_class is None:
                raise DataJointError(
                    "TableQuery() needs the table class it queries: call the table class "
                    "(`Mouse()`) or derive from the type of one of its instances."
                )
        super().__init__(table_class, where)

    @classmethod
    def of(cls, table_class: TableClass) -> TableQuery:
        """The whole table ``table_class`` as a query of its own subclass (made once)."""
        # kept on the table class (not in a registry), so the two go together
        made: type[TableQuery] | None = own_attributes(table_class).get(  # type: ignore[arg-type]
            "_query_class"
        )
        if made is None:
            name = table_class.__name__
            namespace = {
                "__slots__": (),
                "__module__": table_class.__module__,
                "__qualname__": getattr(table_class, "__qualname__", name),
                "__doc__": table_class.__doc__,  # help(Mouse()) shows the table's definition
                "_table_of_class": table_class,
            }
            mixins = tuple(base for base in type.mro(table_class) if is_mixin(base))  # type: ignore[arg-type]
            try:
                made = type(name, (*mixins, cls), namespace)
            except TypeError:  # the mixins cannot precede a query class (an MRO conflict)
                made = type(name, (cls,), namespace)
            type.__setattr__(table_class, "_query_class", made)
        return made(table_class)

    if TYPE_CHECKING:

        def restrict(self, restriction: Any, *, semantic_check: bool = True) -> Query: ...

    @overload
    def delete(
        self,
        prompt: bool | None = None,
        part_integrity: str = "enforce",
        *,
        dry_run: Literal[False] = False,
        transaction: bool = True,
        safemode: bool | None = None,
    ) -> int: ...

    @overload
    def delete(
        self,
        prompt: bool | None = None,
        part_integrity: str = "enforce",
        *,
        dry_run: Literal[True],
        transaction: bool = True,
        safemode: bool | None = None,
    ) -> DeletePreview: ...

    def delete(
        self,
        prompt: bool | None = None,
        part_integrity: str = "enforce",
        *,
        dry_run: bool = False,
        transaction: bool = True,
        **classic: Any,
    ) -> int | DeletePreview:
        """Delete these rows and every row that depends on them, in one transaction.

        Args:
            prompt: show what goes (each table and its row count) and ask before committing;
                default ``dj.config['safemode']``.
            part_integrity: ``"enforce"``, ``"ignore"`` or ``"cascade"`` (see
                :mod:`dj_sqla.execution.delete`).
            dry_run: delete nothing; return what would go.
            transaction: False for a delete nested in the caller's transaction (DataJoint's
                spelling): it asks nothing, and commits or rolls back with that transaction.
            **classic: DataJoint 0.14's spellings: ``safemode`` (= ``prompt``),
                ``force_masters=True`` (= ``part_integrity="cascade"``), ``force_parts=True``
                and, on a part table, ``force=True`` (= ``part_integrity="ignore"``).

        Returns:
            The number of rows deleted from this table; with ``dry_run`` the
            :class:`~dj_sqla.execution.delete.DeletePreview`: every table the cascade reaches
            with its row count, in the order the rows would go (``print`` it).
        """
        prompt, part_integrity = classic_delete_arguments(prompt, part_integrity, classic)
        if dry_run:
            return preview_delete(
                self._connection, self._table, self._condition(), part_integrity=part_integrity
            )
        return cascade_delete(
            self._connection,
            self._table,
            self._condition(),
            prompt=prompt if transaction else False,
            part_integrity=part_integrity,
        )

    def delete_quick(self, get_count: bool = False) -> int | None:
        """Delete these rows only (no cascade, no prompt); dependent rows make it fail."""
        count = delete_rows(self._connection, self._table, self._condition())
        return count if get_count else None

    def drop_quick(self) -> None:
        """Drop this table (dependent tables make it fail)."""
        self._require_unrestricted("drop_quick()")
        drop_tables(self._connection, self._table, cascade=False, prompt=False)

    def drop(self, prompt: bool | None = None, part_integrity: str = "enforce") -> None:
        """Drop this table and every table that depends on it, after confirmation; a part
        only with its master unless ``part_integrity="ignore"``."""
        self._require_unrestricted("drop()")
        drop_tables(
            self._connection,
            self._table,
            cascade=True,
            prompt=prompt,
            part_integrity=part_integrity,
        )

    def update1(self, row: Mapping[str, Any]) -> None:
        """Change secondary attributes of one existing row, found by its full primary key."""
        self._require_unrestricted("update1()")
        update_row(self._connection, self._table, row)

    # -- the foreign-key graph of the activated schemas (DataJoint's table API) ---------------

    def parents(
        self, primary: bool | None = None, as_objects: bool = False, foreign_key_info: bool = False
    ) -> list[Any]:
        """The tables this table references, one entry per foreign key (in every schema
        activated on the connection).

        Args:
            primary: True: only foreign keys inside the primary key; False: only the others;
                None: all.
            as_objects: the tables as queries (``Subject()``) instead of full table names.
            foreign_key_info: pair each with its foreign key: ``{"primary", "attr_map"
                (child → parent attribute), "aliased" (renamed), "multi" (one-to-many)}``.

        Example:
            >>> import dj_sqla as dj
            >>> from dj_sqla import example
            >>> p = example.build(dj.Connection("sqlite://"), prefix="")
            >>> p.Session().parents(), p.Subject().children(primary=False)
            (['"lab"."subject"'], [])
        """
        graph = deps.connection_graph(self._connection)
        found = deps.parents(graph, self._table, primary)
        return deps.related(
            self._connection, found, as_objects=as_objects, foreign_key_info=foreign_key_info
        )

    def children(
        self, primary: bool | None = None, as_objects: bool = False, foreign_key_info: bool = False
    ) -> list[Any]:
        """The tables that reference this table, one entry per foreign key (arguments as for
        :meth:`parents`)."""
        graph = deps.connection_graph(self._connection)
        found = deps.children(graph, self._table, primary)
        return deps.related(
            self._connection, found, as_objects=as_objects, foreign_key_info=foreign_key_info
        )

    def descendants(self, as_objects: bool = False) -> list[Any]:
        """This table and every table that depends on it, parents first."""
        graph = deps.connection_graph(self._connection)
        found = deps.descendants(graph, self._table)
        return deps.related(self._connection, found, as_objects=as_objects)

    def ancestors(self, as_objects: bool = False) -> list[Any]:
        """This table and every table it depends on, children first (DataJoint's order)."""
        graph = deps.connection_graph(self._connection)
        found = deps.ancestors(graph, self._table)
        return deps.related(self._connection, found, as_objects=as_objects)

    def parts(self, as_objects: bool = False) -> list[Any]:
        """The part tables of this (master) table."""
        graph = deps.connection_graph(self._connection)
        return deps.related(self._connection, deps.parts(graph, self._table), as_objects=as_objects)


def _to_arrays(
    expr: Query,
    attrs: Sequence[str],
    *,
    include_key: bool = False,
    **kwargs: Any,
) -> Any:
    """A structured array of all attributes, or one array per named attribute.

    ``"KEY"`` among ``attrs`` gives the list of primary-key dicts in its place;
    ``include_key=True`` puts that list first.
    """
    wanted = [n for n in attrs if n != "KEY"] if attrs else expr.heading_names
    # the primary key comes along, for "KEY" and include_key
    names = [*expr.primary_key, *(n for n in wanted if n not in expr.primary_key)]
    rows = expr.fetch_rows(attributes=names, **kwargs)
    by_name = rows_to_arrays(names, rows)
    key_dicts: list[dict[str, Any]] = []
    if include_key or "KEY" in attrs:
        positions = [names.index(k) for k in expr.primary_key]
        key_dicts = [
            {k: row[i] for k, i in zip(expr.primary_key, positions, strict=True)} for row in rows
        ]
    if not attrs:
        record = record_array(wanted, [by_name[n] for n in wanted])
        return (key_dicts, record) if include_key else record
    arrays: list[Any] = [key_dicts if n == "KEY" else by_name[n] for n in attrs]
    if include_key:
        arrays.insert(0, key_dicts)
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


def _to_pandas(expr: Query, **kwargs: Any) -> Any:
    """A DataFrame of the rows, indexed by the primary key."""
    try:
        import pandas  # an optional extra (dj_sqla[pandas]): imported when a DataFrame is asked for
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise DataJointError("DataFrames need pandas: pip install 'dj_sqla[pandas]'.") from None
    rows = expr.fetch_rows(**kwargs)
    frame = pandas.DataFrame.from_records(rows, columns=expr.heading_names)
    return frame.set_index(expr.primary_key) if expr.primary_key else frame


def _fetch(
    expr: Query,
    attrs: Sequence[str],
    *,
    as_dict: bool | None = None,
    format: str | None = None,
    **kwargs: Any,
) -> Any:
    """DataJoint's classic ``fetch``: arrays by default, dicts with ``as_dict=True``, a
    DataFrame with ``format="frame"`` (or, when no attribute is named, with
    ``dj.config["fetch_format"] = "frame"``, as in DataJoint 0.14)."""
    if format is None and not attrs and not as_dict:
        format = expr._connection._config["fetch_format"]
    if format not in (None, "array", "frame"):
        raise DataJointError(f"fetch(format={format!r}): use 'array' or 'frame'.")
    if format == "frame":
        return _to_pandas(expr, **kwargs)
    if as_dict:
        if not attrs:
            return expr.to_dicts(**kwargs)
        # the primary key comes along (as ``proj`` would keep it)
        key = expr.primary_key
        names = [*key, *(n for n in dict.fromkeys(attrs) if n != "KEY" and n not in key)]
        return rows_to_dicts(names, expr.fetch_rows(attributes=names, **kwargs))
    return _to_arrays(expr, attrs, **kwargs)
