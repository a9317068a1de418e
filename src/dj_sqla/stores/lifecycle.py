"""Removing the objects of deleted rows, once their deletion has committed.

A schema-addressed object (``<object@>``, ``<npy@>``) belongs to one row: it is removed as soon
as that row's deletion is committed. A hash-addressed object (``<hash@>``, ``<blob@>``,
``<attach@>``) may be shared by rows of any table of its schema: it is removed only when no
row refers to it any more, checked under a lock that concurrent inserts of the same contents
respect (see :func:`dj_sqla.execution.stored.confirm_objects`), so two deletions of rows sharing
an object remove it exactly once, and an insert that reuses it meanwhile keeps it.
``<filepath@>`` files belong to the user and are never removed.

Example:
    >>> from dj_sqla.execution import stored
    >>> stored.release is release_objects
    True
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..codecs import resolve_dtype
from ..config import config
from ..execution import stored
from ..execution.stored import StoredValue, store_columns
from .codecs import HashCodec, SchemaCodec
from .hashed import get_store_backend, shared_object_name
from .legacy import External, legacy_object_path, tracking_table

if TYPE_CHECKING:
    from ..connection import Connection

logger = logging.getLogger(__name__)


def kind_of(spec: str) -> str:
    """``"hash"``, ``"schema"``, ``"legacy"`` (DataJoint 0.14's) or ``"other"``: how objects
    of a codec spec are addressed."""
    _, chain, _ = resolve_dtype(spec)
    if any(isinstance(c, HashCodec) for c in chain):
        return "hash"
    if chain and isinstance(chain[0], External):
        return "legacy"
    if chain and isinstance(chain[0], SchemaCodec):
        return "schema"
    return "other"


def release_objects(connection: Connection, values: list[StoredValue]) -> None:
    """Remove the objects of deleted rows that no row refers to any more."""
    shared: dict[tuple[str, str | None, str], None] = {}
    tracked: dict[tuple[str, str, Any], None] = {}
    for value in values:
        kind = kind_of(value.spec)
        if kind == "legacy":
            tracked[(value.schema, str(resolve_dtype(value.spec)[2]), value.stored)] = None
            continue
        if kind == "other":
            continue
        codec = resolve_dtype(value.spec)[1][0]
        for path, store in codec.referenced_paths(value.stored):
            if kind == "hash":
                shared[(value.schema, store, path)] = None
                continue
            backend = get_store_backend(store, config)
            metadata = value.stored if isinstance(value.stored, dict) else {}
            if metadata.get("is_dir"):
                backend.remove_folder(path)
            else:
                backend.remove(path)
            backend.prune(path)
    for schema, store, path in shared:
        remove_if_unreferenced(connection, schema, store, path)
    for schema, store, key in tracked:
        release_tracked(connection, schema, store, key)


def release_tracked(connection: Connection, schema: str, store: str, key: Any) -> bool:
    """Delete a 0.14 tracking row that no row references any more, and its object; whether
    they went. The database's foreign keys refuse the deletion while a row references it."""
    tracking = tracking_table(connection, schema, store)
    backend = get_store_backend(store, config, legacy=True)
    try:
        with connection.engine.begin() as conn:
            connection.backend.lock_for_write(conn, tracking)
            query = sa.select(tracking).where(tracking.c.hash == key).with_for_update()
            row = conn.execute(query).first()
            if row is None:
                return False
            conn.execute(sa.delete(tracking).where(tracking.c.hash == key))
            # removed inside the transaction that holds the row: an insert of the same object
            # waits for it, then finds the object gone and writes it again
            path = legacy_object_path(schema, store, dict(row._mapping))
            backend.remove(path)
    except sa.exc.IntegrityError:
        return False  # still referenced
    return True


def hash_tables(connection: Connection, schema: str) -> list[tuple[sa.Table, list[str]]] | None:
    """The tables of ``schema`` (activated on the connection) with hash-addressed attributes;
    None when the database holds tables of it that this process does not know (their rows
    might refer to an object, so nothing shared may be removed)."""
    known = connection.schema_named(schema)
    if known is None:
        return None
    with connection.read() as conn:
        present = connection.backend.table_names(conn, schema)
    tables = {t.name: t for t in known.tables.values()}
    if set(present) - set(tables) - _bookkeeping(present):
        return None
    found = []
    for table in tables.values():
        names = [n for n, spec in store_columns(table).items() if kind_of(spec) == "hash"]
        if names and table.name in present:
            found.append((table, names))
    return found


def _bookkeeping(names: Iterable[str]) -> set[str]:
    """Tables that never hold store attributes (jobs, DataJoint's hidden tables)."""
    return {n for n in names if n.startswith(("~", "#~"))}


def remove_if_unreferenced(
    connection: Connection, schema: str, store: str | None, path: str
) -> bool:
    """Remove a shared object if no row of its schema refers to it; whether it was removed."""
    tables = hash_tables(connection, schema)
    if tables is None:
        logger.info("kept %s: schema %s has tables this process does not know", path, schema)
        return False
    backend = get_store_backend(store, config)
    with connection.engine.begin() as conn:
        connection.backend.lock_objects(
            conn, [shared_object_name(backend.name, path)], shared=False
        )
        if tables:
            connection.backend.lock_for_write(conn, tables[0][0])
        for table, names in tables:
            if _refers(conn, table, names, path):
                return False
        backend.remove(path)  # inside the locked transaction: no insert can reuse it meanwhile
    return True


def _refers(conn: sa.Connection, table: sa.Table, names: list[str], path: str) -> bool:
    """Whether a row of ``table`` refers to ``path`` (a locking read: on MySQL it waits for
    uncommitted inserts of such rows)."""
    conditions = [_path_of(table.c[n]) == path for n in names]
    query = sa.select(sa.literal(1)).select_from(table).where(sa.or_(*conditions)).limit(1)
    return conn.execute(query.with_for_update(read=True)).first() is not None


def _path_of(column: sa.Column[Any]) -> Any:
    """The ``path`` of a JSON metadata column, as text, on every backend."""
    return sa.type_coerce(column, sa.JSON())["path"].as_string()


stored.release = release_objects
