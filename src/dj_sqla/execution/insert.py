"""Writing rows: insert (dicts, tuples, numpy records, DataFrames, queries), update1.

An insert is one transaction: every row is stored, or none. Errors name the table and, where
the database's message allows, the offending row and attribute.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import itertools
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from .._mapping import own_attributes
from .._memo import memo
from ..codecs import CodecError
from ..errors import (
    DataJointError,
    DuplicateError,
    MissingParentError,
    QueryArgumentError,
    UnknownAttributeError,
    UnknownFieldError,
    shortened,
)
from ..expression._values import plain
from ..expression.core import QueryExpression
from ..types import INTEGER_RANGES, CodecColumn
from .stored import (
    confirm_objects,
    encode_for_store,
    release_after,
    store_columns,
    stored_values,
    write_tracking,
    writing_objects,
)
from .values import check_rows

if TYPE_CHECKING:
    from ..connection import Connection, Schema


#: Types drivers take as they are; anything else is checked for numpy scalars.
_PLAIN_TYPES = frozenset(
    {
        int,
        float,
        str,
        bytes,
        bool,
        type(None),
        decimal.Decimal,
        dt.date,
        dt.datetime,
        dt.time,
        dt.timedelta,
        uuid.UUID,
        dict,
        list,
    }
)


def _plain(value: Any) -> Any:
    """numpy scalars (and 0-d arrays) as Python values (drivers do not all accept numpy
    types), pandas' missing-value markers as None (as in a DataFrame); arrays and other
    objects stay as they are (a blob column serializes them).

    A datetime64 or timedelta64 finer than microseconds stays as it is (``item()`` would
    make it an integer): the value rule refuses it.
    """
    return plain(value)


def _codec_columns(table: sa.Table) -> frozenset[str]:
    """The attributes whose values a codec encodes (blobs, attachments): given as they are."""
    return memo(
        table,
        "_dj_sqla_codec_columns",
        lambda: frozenset(c.name for c in table.columns if isinstance(c.type, CodecColumn)),
    )


def _columnar_rows(rows: Any) -> Any:
    """A pyarrow Table (or record batch) or a polars DataFrame as a list of dicts of Python
    values; anything else as it is."""
    module = type(rows).__module__
    if module.startswith("pyarrow") and hasattr(rows, "to_pylist"):
        return rows.to_pylist()
    if module.startswith("polars") and hasattr(rows, "to_dicts"):
        return rows.to_dicts()
    return rows


def records(rows: Any) -> Iterable[Mapping[str, Any] | Sequence[Any]]:
    """Rows from a pandas DataFrame (index included when named), a numpy structured array, a
    pyarrow Table or a polars DataFrame; other collections of rows as they are."""
    rows = _columnar_rows(rows)
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a pandas DataFrame
        frame = rows.reset_index() if any(n is not None for n in rows.index.names) else rows
        # pandas marks missing values with NaN/NaT: they are NULL
        frame = frame.astype(object).where(frame.notna(), None)
        records = frame.to_dict(orient="records")
        return [{k: _plain(v) for k, v in record.items()} for record in records]
    dtype = getattr(rows, "dtype", None)
    if dtype is not None and dtype.names:  # a numpy structured array (tolist gives Python values)
        return [dict(zip(dtype.names, record, strict=True)) for record in rows.tolist()]
    return rows  # type: ignore[no-any-return]


def _uniform_plain_dicts(table: sa.Table, rows: Any) -> bool:
    """Whether ``rows`` is a list of dicts that all name the same attributes of ``table`` and
    hold only values drivers take: the usual large insert, checked here in a few passes that
    run in C rather than in a loop per row."""
    if type(rows) is not list or not rows or set(map(type, rows)) != {dict}:
        return False
    names = set().union(*rows)
    return (
        set(map(len, rows)) == {len(names)}  # all rows name all of ``names``
        and names.issubset(table.c.keys())
        and _PLAIN_TYPES.issuperset(map(type, chain.from_iterable(map(dict.values, rows))))
    )


def _as_dicts(
    table: sa.Table, rows: Iterable[Mapping[str, Any] | Sequence[Any]], ignore_extra: bool
) -> tuple[list[dict[str, Any]], bool]:
    """The rows as dicts of the table's attributes, numpy scalars made Python values, and
    whether all rows name the same attributes.

    The user's dicts are not copied unless something in them changes, and each set of
    attribute names is checked once: this loop runs once per row of a large insert.
    """
    if _uniform_plain_dicts(table, rows):
        return rows, True  # type: ignore[return-value]
    names = table.c.keys()
    known = set(names)
    checked: set[tuple[str, ...]] = set()  # attribute-name tuples known to be valid
    result = []
    for row in rows:
        if type(row) is dict:
            values = row
        elif isinstance(row, Mapping):
            values = dict(row)
        else:
            try:
                positional = None if isinstance(row, str | bytes) else list(row)
            except TypeError:
                positional = None
            if positional is None:
                raise QueryArgumentError(
                    f"Cannot insert {shortened(row, _ROW)} into `{table.fullname}`: a row is a "
                    "dict of attribute values or a sequence of them in attribute order "
                    f"({', '.join(names)})."
                )
            if len(positional) != len(names):
                raise UnknownAttributeError(
                    f"Row {shortened(tuple(positional), _ROW)} for `{table.fullname}` has "
                    f"{len(positional)} values; the table has {len(names)} attributes "
                    f"({', '.join(names)})."
                )
            values = dict(zip(names, positional, strict=True))
        attributes = tuple(values)
        if attributes not in checked:
            extra = [k for k in values if k not in known]
            if not extra:
                checked.add(attributes)
            elif not ignore_extra:
                raise UnknownFieldError(
                    f"`{extra[0]}` is not an attribute of `{table.fullname}` (row "
                    f"{shortened(values, _ROW)}); its attributes are {', '.join(names)}. Pass "
                    "ignore_extra_fields=True to drop unknown fields."
                )
            else:
                values = {k: v for k, v in values.items() if k in known}
        if not _PLAIN_TYPES.issuperset(map(type, values.values())):
            encoded = _codec_columns(table)
            values = {k: v if k in encoded else _plain(v) for k, v in values.items()}
        result.append(values)
    return result, len(checked) <= 1 and not ignore_extra


#: Value tuples looked up per query (SQLite binds at most 32,766 parameters per statement).
_LOOKUP_CHUNK = 2000


def _existing(
    conn: sa.Connection, columns: Sequence[sa.Column[Any]], wanted: list[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Which of the ``wanted`` value tuples of ``columns`` their table holds: one query per
    ``_LOOKUP_CHUNK`` tuples, a composite key as a row-value ``IN`` (every backend has it)."""
    target: Any = columns[0] if len(columns) == 1 else sa.tuple_(*columns)
    found: set[tuple[Any, ...]] = set()
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        values = [w[0] for w in chunk] if len(columns) == 1 else chunk
        query = sa.select(*columns).where(target.in_(values))
        found.update(tuple(r) for r in conn.execute(query))
    return found


def _existing_keys(
    conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> set[tuple[Any, ...]]:
    """Primary keys among ``rows`` that the table holds already (one query)."""
    key = list(table.primary_key.columns)
    return _existing(conn, key, [tuple(row.get(c.name) for c in key) for row in rows])


def _insert_of(table: sa.Table) -> sa.Insert:
    """``table.insert()``, made once per table (statements are immutable)."""
    return memo(table, "_dj_sqla_insert", table.insert)


@contextmanager
def _explaining(
    connection: Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> Iterator[None]:
    """An IntegrityError from the block as DataJoint's error naming the row; entered before
    the write transaction, so the queries that find the row run after it rolled back (an
    in-memory SQLite database has one connection, which cannot open a second transaction)."""
    try:
        yield
    except sa.exc.IntegrityError as err:
        raise _explain(connection, table, err, rows) from err


def _skipping_insert_of(connection: Connection, table: sa.Table) -> Any:
    """The backend's insert that skips rows whose primary key exists, made once per table."""
    backend = connection.backend
    name = f"_dj_sqla_insert_skipping_{backend.name}"  # one per dialect
    return memo(table, name, lambda: backend.insert_skipping_duplicates(table))


def insert_rows(
    schema: Schema,
    table: sa.Table,
    rows: Any,
    *,
    skip_duplicates: bool = False,
    replace: bool = False,
    ignore_extra_fields: bool = False,
) -> int:
    """Insert ``rows`` into ``table`` atomically; return how many were sent.

    Raises:
        UnknownAttributeError: a row names an attribute the table lacks.
        DuplicateError: a row repeats a stored primary key (or unique index).
        MissingParentError: a row references a parent row that does not exist.
    """
    if skip_duplicates and replace:
        raise DataJointError("insert: choose skip_duplicates or replace, not both.")
    if isinstance(rows, type) and "__table__" in own_attributes(rows):
        rows = rows()  # a table class: insert from its rows
    if isinstance(rows, QueryExpression):
        return _insert_from_query(schema, table, rows, skip_duplicates, ignore_extra_fields)
    prepared, uniform = _as_dicts(table, records(rows), ignore_extra_fields)
    if not prepared:
        return 0
    backend = schema.connection.backend
    if uniform:
        checked = check_rows(table, prepared[0], prepared, backend)
        if checked is not prepared:
            prepared = list(checked)
            # None for an attribute with a default leaves it out of its row
            uniform = len(set(map(tuple, prepared))) == 1
    else:
        by_names: dict[tuple[str, ...], list[int]] = {}
        for index, row in enumerate(prepared):
            by_names.setdefault(tuple(row), []).append(index)
        for names, indices in by_names.items():
            same = [prepared[i] for i in indices]
            checked = check_rows(table, names, same, backend)
            if checked is not same:
                for index, row in zip(indices, checked, strict=True):
                    prepared[index] = row
    connection = schema.connection
    stored = store_columns(table)
    if not stored:
        _write_rows(connection, table, prepared, uniform, replace, skip_duplicates)
        return len(prepared)
    with writing_objects(connection) as written:
        prepared = encode_for_store(table, prepared, stored)
        _write_rows(
            connection,
            table,
            prepared,
            uniform,
            replace,
            skip_duplicates,
            lambda conn: confirm_objects(connection, conn, written),
            lambda conn: write_tracking(connection, conn, table, written),
        )
    return len(prepared)


def _write_rows(
    connection: Connection,
    table: sa.Table,
    prepared: list[dict[str, Any]],
    uniform: bool,
    replace: bool,
    skip_duplicates: bool,
    before_commit: Callable[[sa.Connection], None] | None = None,
    before_rows: Callable[[sa.Connection], None] | None = None,
) -> None:
    """The insert's statements, in one transaction (or the open one)."""
    with _explaining(connection, table, prepared), connection.write() as conn:
        if before_rows is not None:
            before_rows(conn)
        # one executemany per set of given attributes: an omitted attribute gets its default,
        # which a single statement over rows with different keys could not express
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        if uniform:  # the usual case: every row names the same attributes
            groups[tuple(prepared[0])] = prepared
        else:
            for row in prepared:
                groups.setdefault(tuple(row), []).append(row)
        try:
            for rows_with_same_keys in groups.values():  # the transaction rolls back on error
                if replace:
                    statement = connection.backend.upsert(table, list(rows_with_same_keys[0]))
                elif skip_duplicates:  # the backend skips stored keys and repeats in the call
                    statement = _skipping_insert_of(connection, table)
                else:
                    statement = _insert_of(table)
                if not replace and connection.backend.bulk_insert(
                    conn, table, rows_with_same_keys, skip_duplicates=skip_duplicates
                ):
                    continue  # COPY on PostgreSQL
                # one row goes as plain parameters: SQLAlchemy's executemany path costs more
                single = len(rows_with_same_keys) == 1
                conn.execute(statement, rows_with_same_keys[0] if single else rows_with_same_keys)
        except CodecError as err:  # a backend's bulk path encodes values itself
            raise _codec_failure(table, prepared, err) from err
        except sa.exc.StatementError as err:
            if isinstance(err, sa.exc.IntegrityError):
                raise  # explained once the transaction has rolled back
            if isinstance(getattr(err, "orig", None), CodecError):
                raise _codec_failure(table, prepared, err.orig) from err
            if err.connection_invalidated or connection.backend.is_conflict(err):
                raise  # a lost connection or a deadlock, already a dj_sqla error: no value's fault
            misfit = "a value does not fit its attribute"
            if isinstance(err, (sa.exc.OperationalError, sa.exc.ProgrammingError)):
                misfit = "the database refused the rows"  # not necessarily a value's fault
            what = _misfit(table, prepared) or misfit
            raise DataJointError(
                f"Cannot insert into `{table.schema}`.`{table.name}`: {what}; nothing was "
                f"inserted. ({_quoted(getattr(err, 'orig', err))})"
            ) from err
        if before_commit is not None:
            before_commit(conn)


def _quoted(error: Any) -> str:
    """The database's message, on one line and cut to a few hundred characters (a
    driver's message may repeat a whole statement and its parameters)."""
    text = " ".join(str(error).split())
    return text if len(text) <= _QUOTED else text[: _QUOTED - 3] + "..."


_QUOTED = 300


#: Characters of a row quoted in an error (its key, when it has one, is quoted instead).
_ROW = 200


def _row_named(table: sa.Table, row: Mapping[str, Any]) -> str:
    """A row as an error names it: by its primary key, or its shortened values."""
    key = [c.name for c in table.primary_key.columns]
    if key and all(k in row for k in key):
        return f"the row with key {shortened({k: row[k] for k in key}, _ROW)}"
    return f"row {shortened(dict(row), _ROW)}"


def _misfit(table: sa.Table, rows: list[dict[str, Any]]) -> str | None:
    """The first value its attribute cannot hold (too long, or out of range), named; the
    database's own message rarely names the row (error path only)."""
    return _too_long(table, rows) or _out_of_range(table, rows)


def _codec_failure(table: sa.Table, rows: list[dict[str, Any]], error: Any) -> Exception:
    """The encoding error, completed with the table, attribute and key of the value that
    caused it (found again on this error path only); nothing was inserted."""
    key = [c.name for c in table.primary_key.columns]
    for name in sorted(_codec_columns(table)):
        column_type = table.c[name].type
        for row in rows:
            if row.get(name) is None:
                continue
            try:
                column_type.process_bind_param(row[name], None)  # type: ignore[attr-defined]
            except CodecError as found:
                where = f"`{table.schema}`.`{table.name}`"
                return found.add_context(table=where, key={k: row.get(k) for k in key})
    return error  # type: ignore[no-any-return]


def _too_long(table: sa.Table, rows: list[dict[str, Any]]) -> str | None:
    """The first text value longer than its attribute allows, named (error path only)."""
    for row in rows:
        for name, value in row.items():
            length = getattr(table.c[name].type, "length", None)
            if isinstance(value, str) and isinstance(length, int) and len(value) > length:
                return (
                    f"in {_row_named(table, row)}, `{name}` has {len(value)} characters and "
                    f"holds at most {length}"
                )
    return None


def _out_of_range(table: sa.Table, rows: list[dict[str, Any]]) -> str | None:
    """The first integer outside its attribute's range, named (error path only)."""
    ranges = {}
    for column in table.columns:
        info = column.info.get("dj")
        if info is not None and info.spec.name in INTEGER_RANGES:
            ranges[column.name] = (info.spec.name, *INTEGER_RANGES[info.spec.name])
    for row in rows:
        for name, value in row.items():
            if name in ranges and isinstance(value, int):
                type_name, low, high = ranges[name]
                if not low <= value <= high:
                    return (
                        f"in {_row_named(table, row)}, `{name}` is {value}, outside the range of "
                        f"{type_name} ({low}..{high})"
                    )
    return None


def _explain(
    connection: Connection,
    table: sa.Table,
    err: sa.exc.IntegrityError,
    rows: list[dict[str, Any]] | None = None,
) -> Exception:
    """The DataJoint error for a failed insert, naming the offending row where it can.

    The failed transaction is gone; finding the row costs one query per key or foreign key,
    and only on this error path.
    """
    kind = connection.backend.integrity_kind(err)
    where = f"`{table.schema}`.`{table.name}`"
    culprit = _culprit(connection, table, kind, rows) if rows else None
    if kind == "duplicate":
        what = culprit or " a row repeats a stored primary key or unique value"
        return DuplicateError(
            f"Duplicate entry in {where}:{what}; nothing was inserted. Use "
            "skip_duplicates=True to skip rows whose key exists, or replace=True to overwrite "
            f"them. ({_quoted(err.orig)})"
        )
    if kind == "foreign_key":
        what = culprit or " a row references a parent row that does not exist"
        return MissingParentError(
            f"Cannot insert into {where}:{what}; nothing was inserted. Insert the parent "
            f"first. ({_quoted(err.orig)})"
        )
    what = _misfit(table, rows or []) or "a value breaks a constraint of the table"
    return DataJointError(
        f"Cannot insert into {where}: {what}; nothing was inserted. ({_quoted(err.orig)})"
    )


def _culprit(
    connection: Connection, table: sa.Table, kind: str | None, rows: list[dict[str, Any]]
) -> str | None:
    """A sentence naming the first row (and attributes) that caused the failure."""
    with connection.read() as conn:
        if kind == "duplicate":
            key = [c.name for c in table.primary_key.columns]
            stored = _existing_keys(conn, table, rows)
            seen: set[tuple[Any, ...]] = set()
            for row in rows:
                values = tuple(row.get(k) for k in key)
                if values in stored or values in seen:
                    shown = {k: row.get(k) for k in key}
                    return f" the row with primary key {shown} is stored already (or given twice)"
                seen.add(values)
            return None
        if kind == "foreign_key":
            for fk in table.foreign_key_constraints:
                local = [el.parent.name for el in fk.elements]
                complete = [r for r in rows if all(r.get(n) is not None for n in local)]
                if not complete:
                    continue
                wanted = [tuple(r[n] for n in local) for r in complete]
                parents = _existing(conn, [el.column for el in fk.elements], wanted)
                for row, values in zip(complete, wanted, strict=True):
                    if values not in parents:
                        attrs = ", ".join(f"{n}={shortened(row[n])}" for n in local)
                        return (
                            f" {_row_named(table, row)} has {attrs}, which is not in "
                            f"`{fk.referred_table.schema}`.`{fk.referred_table.name}`"
                        )
    return None


def _insert_from_query(
    schema: Schema, table: sa.Table, query: Any, skip_duplicates: bool, ignore_extra: bool
) -> int:
    """``INSERT ... SELECT`` from a query expression (its attributes, by name)."""
    names = [n for n in query.heading_names if n in table.c]
    extra = [n for n in query.heading_names if n not in table.c]
    if extra and not ignore_extra:
        raise UnknownFieldError(
            f"`{extra[0]}` is not an attribute of `{table.schema}`.`{table.name}`; pass "
            "ignore_extra_fields=True to leave it out."
        )
    source = query.proj(*names) if extra else query
    select = source.select()
    if list(select.selected_columns.keys()) != names:  # a projection put the key first
        select = select.with_only_columns(*(select.selected_columns[n] for n in names))
    if skip_duplicates:
        key = [c.name for c in table.primary_key.columns]
        inner = select.subquery()
        present = sa.exists(
            sa.select(sa.literal(1)).where(*(table.c[k] == inner.c[k] for k in key))
        )
        select = sa.select(*(inner.c[n] for n in names)).where(~present)
    connection = schema.connection
    with connection.write() as conn:
        try:
            result = conn.execute(table.insert().from_select(names, select))
        except sa.exc.IntegrityError as err:
            raise _explain(connection, table, err) from err
    return int(result.rowcount)


def update_row(connection: Connection, table: sa.Table, row: Mapping[str, Any]) -> None:
    """``update1``: set secondary attributes of the one row with ``row``'s primary key.

    Raises:
        UnknownAttributeError: ``row`` names an attribute the table lacks.
        DataJointError: the key is incomplete, or no row has it.
    """
    names = set(table.c.keys())
    unknown = [k for k in row if k not in names]
    if unknown:
        raise UnknownAttributeError(
            f"`{unknown[0]}` is not an attribute of `{table.fullname}`; its attributes are "
            f"{', '.join(table.c.keys())}."
        )
    key = [c.name for c in table.primary_key.columns]
    missing = [k for k in key if k not in row]
    if missing:
        raise DataJointError(
            f"update1 needs the full primary key of `{table.fullname}`; missing "
            f"{', '.join(missing)}."
        )
    encoded = _codec_columns(table)
    plain = {k: v if k in encoded else _plain(v) for k, v in row.items()}
    if len(plain) == len(key):
        return
    # the key by the same rule: a value no row can hold is refused, not searched for
    row = check_rows(table, plain, [plain], connection.backend, verb="update")[0]
    values = {k: v for k, v in row.items() if k not in key}
    stored = store_columns(table)
    if stored.keys() & values.keys():
        where = [table.c[k] == row[k] for k in key]
        with writing_objects(connection) as written:
            keyed = encode_for_store(table, [{**{k: row[k] for k in key}, **values}], stored)[0]
            # 0.14's tracking rows first, in the update's transaction
            with nullcontext() if connection.in_transaction else connection.transaction:
                with connection.write() as conn:
                    write_tracking(connection, conn, table, written)
                    replaced = [
                        value
                        for value in stored_values(connection, conn, table, where)
                        if value.attribute in values
                    ]
                _update(connection, table, row, key, {k: keyed[k] for k in values})
                # the objects of the values replaced go once the update commits, as those of
                # deleted rows do (a shared one only when no row refers to it any more)
                release_after(connection, replaced)
        return
    _update(connection, table, row, key, values)


def _update(
    connection: Connection,
    table: sa.Table,
    row: Mapping[str, Any],
    key: list[str],
    values: dict[str, Any],
) -> None:
    where = [table.c[k] == row[k] for k in key]
    with connection.write() as conn:
        try:
            count = conn.execute(sa.update(table).where(*where).values(values)).rowcount
        except sa.exc.IntegrityError as err:
            raise MissingParentError(
                f"Cannot update `{table.fullname}`: a new value references a parent row that "
                f"does not exist. ({_quoted(err.orig)})"
            ) from err
        if count != 1:
            raise DataJointError(
                f"update1 found no row of `{table.fullname}` with key "
                f"{ {k: row[k] for k in key} }; it only updates an existing row."
            )


def chunks(rows: Any, size: int | None) -> Iterator[Any]:
    """``rows`` in pieces of ``size`` (all at once without a size)."""
    rows = _columnar_rows(rows)
    if size is None:
        yield rows
        return
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise DataJointError(f"insert: chunk_size must be a positive integer, not {size!r}.")
    if isinstance(rows, (QueryExpression, type)):
        raise DataJointError("insert: chunk_size does not apply to inserting from a query.")
    if hasattr(rows, "iloc"):  # a DataFrame: slices keep its index
        for start in range(0, len(rows), size):
            yield rows.iloc[start : start + size]
        return
    if isinstance(rows, np.ndarray):
        for start in range(0, len(rows), size):
            yield rows[start : start + size]
        return
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def csv_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a CSV file with a header row, as dicts of text (an empty field is null)."""
    try:
        with open(path, newline="", encoding="utf-8") as file:
            return [
                {k: (v if v != "" else None) for k, v in row.items()}
                for row in csv.DictReader(file)
            ]
    except OSError as err:
        raise DataJointError(
            f"insert: cannot read the CSV file {os.fspath(path)!r} ({err.strerror}); give "
            "rows, or the path of a readable CSV file."
        ) from None
