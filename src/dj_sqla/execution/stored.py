"""Rows whose values live in object stores: encoding with the row's key before the insert, and
the objects of deleted rows handed on once the deletion has committed.

An attribute of a codec that keeps its value in a store (``<blob@s>``, ``<npy@s>``, ...) is
encoded here, with its row's key, table and schema (the object's path is made from them), and
its object is written before the row: a row never refers to an object that is not stored yet.
Objects written for an insert that fails are removed again (:mod:`dj_sqla.codecs.journal`).
When rows are deleted, the stored values of their store attributes are read first, and after
the deletion has committed they go to :data:`release`, which the object-store layer sets: it
removes objects no row refers to any more.

Example:
    >>> import sqlalchemy as sa
    >>> store_columns(sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer)))
    {}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .._log import logger
from .._memo import memo
from ..codecs import CodecError, encode_value, resolve_dtype
from ..codecs.journal import Encoded, WriteJournal, journal
from ..config import config
from ..errors import DataJointError
from ..types import EXTERNAL_TABLE, CodecColumn

if TYPE_CHECKING:
    from ..connection import Connection


@dataclass(frozen=True)
class StoredValue:
    """The stored value of a store attribute of a deleted row."""

    schema: str
    table: str
    attribute: str
    spec: str
    stored: Any


#: Called with the connection and the stored values of deleted rows once their deletion has
#: committed; set by the object-store layer (it removes objects no row refers to any more).
release: Callable[[Connection, list[StoredValue]], None] | None = None


def store_columns(table: sa.Table) -> dict[str, str]:
    """The attributes of ``table`` kept in object stores, with their codec specs."""

    def find() -> dict[str, str]:
        found = {}
        for column in table.columns:
            if isinstance(column.type, CodecColumn):
                spec = column.type.spec
                if resolve_dtype(spec)[2] is not None:
                    found[column.name] = spec
        return found

    return memo(table, "_dj_sqla_store_columns", find)


def encode_for_store(
    table: sa.Table, rows: list[dict[str, Any]], columns: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The rows with their store attributes encoded (their objects written), key by key.

    Raises:
        CodecError: A value cannot be stored (the table, attribute and key are named).
        BucketInaccessible: The store cannot be reached (named); nothing is written.
    """
    key_names = [c.name for c in table.primary_key.columns]
    where = f"`{table.schema}`.`{table.name}`"
    result = []
    for row in rows:
        if not any(name in row for name in columns):
            result.append(row)
            continue
        key = {k: row[k] for k in key_names if k in row}
        row = dict(row)
        for name, spec in columns.items():
            value = row.get(name)
            if value is None or isinstance(value, Encoded):
                continue
            context = {"schema": table.schema, "table": table.name, "field": name, "config": config}
            legacy = {"_schema": table.schema, "_table": table.name, "_field": name, **key}
            try:
                row[name] = Encoded(encode_value(spec, value, key=legacy, context=context))
            except CodecError as err:
                raise err.add_context(table=where, attribute=name, key=key) from None
            except (TypeError, ValueError) as err:
                raise CodecError(str(err)).add_context(
                    table=where, attribute=name, key=key
                ) from err
            except DataJointError as err:
                if type(err) is not DataJointError:
                    raise  # a store that cannot be reached, a setting: named already
                located = CodecError(str(err).rstrip("."))  # a codec refusing the value
                raise located.add_context(table=where, attribute=name, key=key) from err
        result.append(row)
    return result


@contextmanager
def writing_objects(connection: Connection) -> Iterator[WriteJournal]:
    """Around an insert with store attributes: objects written in the block are removed if it
    fails, or if the transaction it joined rolls back later."""
    with journal() as written:
        try:
            yield written
        except BaseException:
            written.undo()
            raise
        connection.after_transaction(rolled_back=written.undo)


def write_tracking(
    connection: Connection, conn: sa.Connection, table: sa.Table, written: WriteJournal
) -> None:
    """Before the rows: the rows of DataJoint 0.14's tracking tables that they reference (a
    row that is there already stays as it is)."""
    by_store: dict[str, list[dict[str, Any]]] = {}
    for store, row in written.tracking:
        by_store.setdefault(store, []).append(row)
    for store, rows in by_store.items():
        tracking = table.metadata.tables[f"{table.schema}.{EXTERNAL_TABLE.format(store=store)}"]
        names = ("hash", "size", "attachment_name", "filepath", "contents_hash")
        unique = list({row["hash"]: {n: row.get(n) for n in names} for row in rows}.values())
        conn.execute(connection.backend.insert_skipping_duplicates(tracking), unique)
    for check in written.tracking_checks:  # the rows are locked now: no deletion removes them
        check()


def confirm_objects(connection: Connection, conn: sa.Connection, written: WriteJournal) -> None:
    """Once the rows are written, before they commit: lock the shared objects they refer to
    and write back any that a concurrent deletion removed meanwhile."""
    if written.shared:
        connection.backend.lock_objects(conn, written.shared, shared=True)
    written.recheck()


def stored_values(
    connection: Connection, conn: sa.Connection, table: sa.Table, conditions: list[Any]
) -> list[StoredValue]:
    """The stored values of the store attributes of the rows about to be deleted (read in the
    deleting transaction, which takes its write lock first: SQLite fails a transaction that
    reads and then writes while another one writes)."""
    columns = store_columns(table)
    if not columns:
        return []
    connection.backend.lock_for_write(conn, table)
    selected = [sa.type_coerce(table.c[n], _storage(table.c[n])) for n in columns]
    query = sa.select(*selected).where(*conditions)
    found = []
    for row in conn.execute(query):
        for name, value in zip(columns, row, strict=True):
            if value is not None:
                found.append(StoredValue(str(table.schema), table.name, name, columns[name], value))
    return found


def _storage(column: sa.Column[Any]) -> Any:
    """The type a codec column is stored as (its JSON, bytes...), to read it undecoded."""
    codec_type = column.type
    assert isinstance(codec_type, CodecColumn)
    return codec_type.storage


def release_after(connection: Connection, values: list[StoredValue]) -> None:
    """Hand the values of deleted rows on once the deletion commits (now, outside one)."""
    if not values or release is None:
        return
    hook = release

    def run() -> None:
        try:
            hook(connection, values)
        except DataJointError as err:  # the rows are gone; garbage collection finds the rest
            logger.warning("objects of deleted rows were not all removed: %s", err)

    if not connection.after_transaction(committed=run):
        run()
