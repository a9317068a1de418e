"""SQLite, the embedded default: each dj_sqla schema is a database file attached by name.

SQLite has no ``CREATE SCHEMA``. A schema ``alice`` is the file ``alice.db`` next to the main
database file, ``ATTACH``-ed as ``alice`` on every pooled connection. Three SQLite facts shape
this module:

* an ``ATTACH`` is private to one DBAPI connection, so attachments are replayed on every
  connection when it is checked out of the pool (a version number makes that a no-op when
  nothing changed);
* one connection can attach at most 10 files (SQLite's compile-time default);
* foreign keys between two attached files are dropped by SQLAlchemy (SQLite could not enforce
  them), so dj_sqla installs ``TEMP`` triggers that refuse such orphans instead. Temp triggers
  are the only triggers SQLite allows to reference tables in another file; they cannot update
  other files, so a parent key update is refused (RESTRICT) rather than cascaded.

Transactions use SQLAlchemy's documented pysqlite recipe: the driver's own implicit
transaction handling is switched off and dj_sqla emits ``BEGIN`` itself, so DDL is
transactional and a failed declaration leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import sqlite
from sqlalchemy.pool import StaticPool

from .._memo import memo
from ..errors import ConfigError, IntegrityError, SchemaLimitError
from ..types import sqlite_limit
from . import _sqlite_ddl
from ._bulk import positional_rows
from .base import Annotations, Backend, Drainable, on_conflict_skip, on_conflict_update
from .key_lists import SQLITE_FUNCTIONS

try:
    import fcntl
except ImportError:  # (Windows: worker turns are SQLite's own locking alone)
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from sqlalchemy import URL, Connection, Engine
    from sqlalchemy.pool import ConnectionPoolEntry

    from ..types import TypeSpec

MAIN_FILE = "main.db"
SUFFIX = ".db"
_MEMORY = ":memory:"
#: Connection info key: foreign keys are enforced again when the connection is checked in.
_ENFORCE_LATER = "dj_sqla_enforce_foreign_keys"
#: Bytes a schema's kept rollback journal may keep after a commit (it is cut back to this).
JOURNAL_SIZE_LIMIT = 1 << 20


#: DataJoint's (pyformat) placeholders and escaped percent signs.
_PLACEHOLDER = re.compile(r"%(?:(%)|s|\((\w+)\)s)")


def _sqlite_placeholder(match: re.Match[str]) -> str:
    if match.group(1):
        return "%"
    return f":{match.group(2)}" if match.group(2) else "?"


@dataclass
class _Turn:
    """One process's (and thread's) open lock file of a schema's worker turns."""

    fd: int
    depth: int = 0


class SQLiteBackend(Backend):
    """SQLite files, one per schema, attached by name."""

    name = "sqlite"
    dialect_names = ("sqlite",)
    has_server_schemas = False
    enforces_cross_schema_foreign_keys = False
    max_schemas = 10
    system_schemas = frozenset({"main", "temp"})
    missing_table_pattern = re.compile(r"no such table: (\S+)")
    # the pysqlite recipe below keeps SQLAlchemy's isolation-level switching away from the
    # driver, whose reset would bring back its implicit transactions
    has_autocommit = False

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        database = engine.url.database
        self.directory: str | None = None
        if database and database != _MEMORY and not database.startswith("file:"):
            self.directory = os.path.dirname(os.path.abspath(database))
            try:
                os.makedirs(self.directory, exist_ok=True)
            except OSError as err:
                raise ConfigError(
                    f"The SQLite store folder {self.directory} cannot be created "
                    f"({err.strerror}); point database.sqlite_dir (or the sqlite:/// URL) at a "
                    "folder you can write."
                ) from err
        self._lock = threading.Lock()
        self._version = 0
        self._generation = 0
        # schema name -> (file path or ":memory:", generation); a re-created schema gets a new
        # generation, so connections that still hold the old file detach and re-attach it
        self._attached: dict[str, tuple[str, int]] = {}
        self._memory_schemas: set[str] = set()
        # trigger name -> (DDL, child schema, parent schema)
        self._triggers: dict[str, tuple[str, str, str]] = {}
        # trigger name -> how often its tables were rebuilt or renamed (a connection that made
        # it before then makes it again: it may name a table that is gone)
        self._remade: dict[str, int] = {}
        # (pid, thread, schema) -> the open lock file of worker turns (see worker_turn)
        self._turns: dict[tuple[int, int, str], _Turn] = {}
        # thread -> the query results it is streaming outside a transaction (see reading)
        self._streams: dict[int, list[Drainable]] = {}
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "checkout", self._on_checkout)
        event.listen(engine, "begin", self._on_begin)
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "checkin", self._on_checkin)
        engine.dispose()  # pooled connections made before the listeners lack the setup

    @classmethod
    def engine_options(cls, url: URL) -> dict[str, Any]:
        """In-memory stores use one shared connection so attached schemas stay visible."""
        if url.database in (None, "", _MEMORY):
            return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        return {}

    @staticmethod
    def store_url(directory: str) -> URL:
        """The URL of the embedded store in ``directory`` (created on first connection)."""
        return sa.URL.create("sqlite", database=os.path.join(os.path.abspath(directory), MAIN_FILE))

    def describe_server(self) -> str:
        """The store's folder (or ``in-memory SQLite``)."""
        return f"SQLite store {self.directory}" if self.directory else "in-memory SQLite"

    def driver_sql(self, sql: str) -> str:
        """DataJoint's ``%s`` / ``%(name)s`` placeholders in sqlite3's style (``?``,
        ``:name``), and ``%%`` as ``%``: the same text works as on the servers' drivers.

        Example:
            >>> backend = SQLiteBackend.__new__(SQLiteBackend)
            >>> backend.driver_sql("SELECT %s, %(n)s WHERE a LIKE 'x%%'")
            "SELECT ?, :n WHERE a LIKE 'x%'"
        """
        return _PLACEHOLDER.sub(_sqlite_placeholder, sql)

    def _path(self, name: str) -> str:
        return os.path.join(self.directory, name + SUFFIX) if self.directory else _MEMORY

    def _quote(self, name: str) -> str:
        return self.engine.dialect.identifier_preparer.quote_identifier(name)

    # -- connection set-up ---------------------------------------------------------------------

    def _on_connect(self, dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        # pysqlite recipe: no implicit BEGIN from the driver; _on_begin emits it instead
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")  # FKs inside one file are enforced
        cursor.execute("PRAGMA busy_timeout = 30000")  # wait for other writers, don't fail
        cursor.close()
        if sqlite3.sqlite_version_info < (3, 41, 0):  # long lists of bytes keys need unhex()
            for name, arity, function in SQLITE_FUNCTIONS:
                dbapi_conn.create_function(name, arity, function, deterministic=True)

    @staticmethod
    def _on_checkin(dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_conn is not None and record.info.pop(_ENFORCE_LATER, False):
            dbapi_conn.execute("PRAGMA foreign_keys = ON")  # after a migration (see above)

    def _on_checkout(self, dbapi_conn: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        self._sync_if_stale(dbapi_conn, record.info)

    def _sync_if_stale(self, dbapi_conn: Any, info: dict[str, Any]) -> None:
        """:meth:`_sync` the connection if schemas changed since it was last brought up to date
        (a version check: the usual case costs nothing)."""
        if info.get("dj_sqla_version") != self._version:
            self._sync(dbapi_conn, info)

    @contextmanager
    def reading(self, stream: Drainable) -> Iterator[None]:
        """A streamed read holds the file's read lock, so no other connection can commit
        (rollback journal): when this thread commits on another connection (``for row in
        A: B.insert1(...)``), ``stream`` first reads its remaining rows at once and ends its
        transaction. Other threads and processes wait for the loop to end (busy timeout)."""
        streams = self._streams.setdefault(threading.get_ident(), [])
        streams.append(stream)
        try:
            yield
        finally:
            streams.remove(stream)

    def _on_commit(self, conn: Connection) -> None:
        for stream in list(self._streams.get(threading.get_ident(), ())):
            if stream.connection is not conn:
                stream.drain()

    @contextmanager
    def worker_turn(self, schema: str) -> Iterator[None]:
        """In a file store, an exclusive lock of the file ``<schema>.db-workers`` for the
        block: worker processes write to a schema one at a time, in turn.

        SQLite's own lock is not fair: a waiting process polls it with growing sleeps (up to
        100 ms) while the process holding it takes it again at once after each commit, so
        one ``populate(reserve_jobs=True)`` worker with a quick ``make`` kept the schema and
        computed every key while the others waited. A process blocked on this lock is woken
        by the operating system when it is released. Nested turns of a process are one
        turn. Without ``fcntl`` (Windows), or in memory, the block just runs.
        """
        if self.directory is None or fcntl is None:
            yield
            return
        turn = self._turn(schema)
        if turn.depth == 0:
            fcntl.flock(turn.fd, fcntl.LOCK_EX)
        turn.depth += 1
        try:
            yield
        finally:
            turn.depth -= 1
            if turn.depth == 0:
                fcntl.flock(turn.fd, fcntl.LOCK_UN)
                os.sched_yield()  # let a woken waiter take it before this process asks again

    def _turn(self, schema: str) -> _Turn:
        # one open file per process (a forked child must not share its parent's lock)
        key = (os.getpid(), threading.get_ident(), schema)
        with self._lock:
            turn = self._turns.get(key)
            if turn is None:
                path = os.path.join(str(self.directory), schema + SUFFIX + "-workers")
                turn = self._turns[key] = _Turn(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
        return turn

    @property
    def shared_by_processes(self) -> bool:
        """A file store is; an in-memory database lives in this process only."""
        return self.directory is not None

    @contextmanager
    def transaction_on(self, conn: Connection) -> Iterator[Connection]:
        """One transaction on a held connection, which first attaches schemas that other
        code activated since it was checked out."""
        self._sync_if_stale(conn.connection.dbapi_connection, conn.connection.info)
        with conn.begin():
            yield conn

    @staticmethod
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    @contextmanager
    def altering(self, schemas: Sequence[str]) -> Iterator[Connection]:
        """A transaction that may rebuild tables other tables reference.

        SQLite changes a column by rebuilding its table (Alembic's batch mode: a new table,
        the rows copied, the old table dropped and the new one renamed). With foreign keys
        enforced, dropping a table that has children is refused, and enforcement can be
        switched off only outside a transaction. So it is off on this connection during the
        block, every foreign key of ``schemas`` is checked before the commit, and it is on
        again afterwards (see also :meth:`suspend_guards`).
        """
        with self.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            dbapi.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
            try:
                with conn.begin():
                    self.suspend_guards(conn, schemas)
                    yield conn
                    self._check_foreign_keys(conn, schemas)
            finally:
                dbapi.execute("PRAGMA foreign_keys = ON")

    def _check_foreign_keys(self, conn: Connection, schemas: Sequence[str]) -> None:
        for schema in schemas:
            check = f"PRAGMA {self._quote(schema)}.foreign_key_check"
            broken = conn.exec_driver_sql(check).fetchall()
            if broken:
                raise IntegrityError(
                    f"Changing tables of `{schema}` would leave rows of `{broken[0][0]}` "
                    "without their parent; nothing was changed."
                )

    def rebuild_problem(self, conn: Connection) -> str | None:
        """A table that others reference cannot be dropped (rebuilt) while foreign keys are
        enforced: a migration's connection must have been given to ``migration.options``."""
        if conn.exec_driver_sql("PRAGMA foreign_keys").scalar():
            return (
                "SQLite rebuilds the tables involved, which needs foreign-key enforcement off "
                "for the migration: pass env.py's connection to migration.options(targets, "
                "connection), which switches it off before the migration's transaction."
            )
        return None

    def suspend_guards(self, conn: Connection, schemas: Sequence[str]) -> None:
        """Drop, on ``conn``, the temp triggers that guard cross-schema foreign keys of
        ``schemas``: SQLite checks every trigger when a table is renamed, and one naming a
        table being rebuilt would fail it. Every connection installs them again when it is
        next checked out."""
        for statement in self._guards_dropped(schemas):
            conn.exec_driver_sql(statement)

    def _guards_dropped(self, schemas: Sequence[str]) -> list[str]:
        """The statements that drop the guards of ``schemas`` on one connection (every
        connection makes them again when it is next checked out)."""
        with self._lock:
            guards = [n for n, (_, *ends) in self._triggers.items() if set(ends) & set(schemas)]
            for name in guards:
                self._remade[name] = self._remade.get(name, 0) + 1
            self._changed()
        return [f"DROP TRIGGER IF EXISTS temp.{self._quote(name)}" for name in guards]

    def prepare_migration(self, conn: Connection, schemas: Sequence[str]) -> None:
        """Switch foreign-key enforcement off for an Alembic migration on ``conn``.

        Alembic's batch mode rebuilds a table to change it, and a table that others reference
        cannot be dropped while enforcement is on; it can be switched only outside a
        transaction, so here, before the migration's. Every foreign key of ``schemas`` is
        checked before each commit instead, and enforcement is on again when the connection
        goes back to the pool. The cross-schema guards are taken away as in
        :meth:`suspend_guards`.
        """
        if conn.in_transaction():
            return
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        dbapi.execute("PRAGMA foreign_keys = OFF")
        for statement in self._guards_dropped(schemas):  # see suspend_guards
            dbapi.execute(statement)
        conn.connection.info[_ENFORCE_LATER] = True

        def check(connection: Connection) -> None:
            self._check_foreign_keys(connection, schemas)

        event.listen(conn, "commit", check)

    def lock_for_write(self, conn: Connection, table: sa.Table) -> None:
        """Take the write lock of ``table``'s file now, with a statement that changes nothing.

        A transaction that reads and then writes could otherwise deadlock with another
        process's, and SQLite fails it at once with "database is locked" instead of waiting
        for the busy timeout. ``BEGIN IMMEDIATE`` would lock every attached file and make
        each commit a multi-file commit, about twice as slow.
        """

        # compiled once per table (SQLite's SQL is the same for every engine): a populate
        # loop sends it per key
        def compiled() -> str:
            return str(sa.delete(table).where(sa.false()).compile(dialect=conn.dialect))

        conn.exec_driver_sql(memo(table, "_dj_sqla_lock", compiled))

    def _sync(self, dbapi_conn: Any, info: dict[str, Any]) -> None:
        """Bring one DBAPI connection's attachments and triggers up to date."""
        with self._lock:
            version = self._version
            wanted = dict(self._attached)
            triggers = {name: ddl for name, (ddl, _, _) in self._triggers.items()}
            made = {name: (ddl, self._remade.get(name, 0)) for name, ddl in triggers.items()}
        attached: dict[str, int] = info.setdefault("dj_sqla_attached", {})
        # trigger name -> (DDL, remade) as this connection made it
        installed: dict[str, tuple[str, int]] = info.setdefault("dj_sqla_triggers", {})
        cursor = dbapi_conn.cursor()
        try:
            for name in [n for n in installed if installed[n] != made.get(n)]:
                cursor.execute(f"DROP TRIGGER IF EXISTS temp.{self._quote(name)}")
                del installed[name]
            for name, generation in list(attached.items()):
                if wanted.get(name, ("", None))[1] != generation:
                    cursor.execute(f"DETACH DATABASE {self._quote(name)}")
                    del attached[name]
            for name, (path, generation) in wanted.items():
                if name not in attached:
                    # the file name is a bound parameter; only the alias is an identifier
                    cursor.execute(f"ATTACH DATABASE ? AS {self._quote(name)}", (path,))
                    if self.directory is not None:
                        self._keep_journal(cursor, self._quote(name))
                    attached[name] = generation
            for name, ddl in triggers.items():
                try:
                    cursor.execute(ddl)  # CREATE TEMP TRIGGER IF NOT EXISTS: idempotent
                except sqlite3.OperationalError:
                    continue  # a table of the trigger is gone; nothing left to guard
                installed[name] = made[name]
        finally:
            cursor.close()
        info["dj_sqla_version"] = version

    @staticmethod
    def _keep_journal(cursor: sqlite3.Cursor, alias: str) -> None:
        """Commit a schema file by zeroing its rollback journal's header, not deleting it.

        SQLite's default creates and deletes ``alice.db-journal`` in every transaction;
        those directory changes make a commit several times slower (about 2 ms against
        0.5 ms on ext4) and keep nothing safer: a zeroed journal is ignored, and a crash
        still leaves a journal SQLite rolls back. Commits that span several schema files
        stay atomic (WAL would not). The kept journal is cut back to
        :data:`JOURNAL_SIZE_LIMIT` after each commit.
        """
        cursor.execute(f"PRAGMA {alias}.journal_mode = PERSIST").fetchall()
        cursor.execute(f"PRAGMA {alias}.journal_size_limit = {JOURNAL_SIZE_LIMIT}").fetchall()

    def _changed(self) -> None:
        self._version += 1

    # -- schemas -------------------------------------------------------------------------------

    def schema_exists(self, conn: Connection, name: str) -> bool:
        """A schema exists when its file exists (in memory: when created in this process)."""
        if self.directory is None:
            return name in self._memory_schemas
        return os.path.exists(self._path(name))

    def create_schema(self, conn: Connection, name: str) -> None:
        """Attach a new file for the schema; SQLite creates the file on attach."""
        self._attach(conn, name)
        if self.directory is None:
            self._memory_schemas.add(name)

    def use_schema(self, conn: Connection, name: str) -> None:
        """Attach an existing schema's file on ``conn`` and on every pooled connection."""
        self._attach(conn, name)

    def _attach(self, conn: Connection, name: str) -> None:
        with self._lock:
            if name not in self._attached:
                if self.max_schemas is not None and len(self._attached) >= self.max_schemas:
                    raise SchemaLimitError(
                        f"Cannot use schema `{name}`: SQLite attaches at most "
                        f"{self.max_schemas} schemas to one connection, and "
                        f"{', '.join(sorted(self._attached))} are in use. Drop a schema you "
                        "no longer need, or use a MySQL or PostgreSQL server for pipelines "
                        "with more schemas."
                    )
                self._generation += 1
                self._attached[name] = (self._path(name), self._generation)
                self._changed()
        self._sync(conn.connection.dbapi_connection, conn.connection.info)

    def drop_schema(self, conn: Connection, name: str) -> None:
        """Detach the schema everywhere and delete its file."""
        self.forget_schema(name)
        self._sync(conn.connection.dbapi_connection, conn.connection.info)
        self._memory_schemas.discard(name)
        if self.directory is not None:
            path = self._path(name)
            for suffix in ("", "-journal", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)

    def forget_schema(self, name: str) -> None:
        """Stop attaching ``name`` and drop the triggers that involve it."""
        with self._lock:
            self._attached.pop(name, None)
            for trigger, (_, child, parent) in list(self._triggers.items()):
                if name in (child, parent):
                    del self._triggers[trigger]
            self._changed()

    def list_schemas(self, conn: Connection) -> list[str]:
        """Schema files in the store's folder (in memory: schemas created in this process)."""
        if self.directory is None:
            return sorted(self._memory_schemas)
        return sorted(
            entry[: -len(SUFFIX)]
            for entry in os.listdir(self.directory)
            if entry.endswith(SUFFIX) and entry != MAIN_FILE
        )

    def dependent_schemas(self, conn: Connection, name: str) -> list[str]:
        """Schemas whose tables reference ``name`` through foreign keys known to this process."""
        with self._lock:
            links = {(child, parent) for _, child, parent in self._triggers.values()}
        return sorted({child for child, parent in links if parent == name and child != name})

    def table_names(self, conn: Connection, schema: str) -> set[str]:
        """Tables in the attached file ``schema``."""
        return set(sa.inspect(conn).get_table_names(schema=schema))

    # -- declarations --------------------------------------------------------------------------

    def integrity_kind(self, error: sa.exc.IntegrityError) -> str | None:
        """SQLite names the failed constraint in the message (triggers use the FK wording)."""
        message = str(error.orig)
        if message.startswith("UNIQUE constraint failed"):
            return "duplicate"
        if message.startswith("FOREIGN KEY constraint failed"):
            return "foreign_key"
        return None

    def upsert(self, table: sa.Table, names: list[str]) -> Any:
        """``INSERT ... ON CONFLICT (key) DO UPDATE``."""
        return on_conflict_update(sqlite.insert(table), table, names)

    def insert_skipping_duplicates(self, table: sa.Table) -> Any:
        """``INSERT ... ON CONFLICT (key) DO NOTHING``."""
        return on_conflict_skip(sqlite.insert(table), table)

    def bulk_insert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        *,
        skip_duplicates: bool = False,
    ) -> bool:
        """The driver's ``executemany`` of parameter tuples, bind-processed a column at a
        time (SQLAlchemy's own executemany spends more per row than SQLite does)."""
        if len(rows) < 2:
            return False
        names = list(rows[0])
        made = memo(table, "_dj_sqla_positional_inserts", dict)
        wanted = (skip_duplicates, tuple(names))
        if wanted not in made:
            statement = (
                self.insert_skipping_duplicates(table) if skip_duplicates else table.insert()
            )
            compiled = statement.compile(dialect=conn.dialect, column_keys=names)
            # the INSERT's text and its parameters' order (the table's, not the row's)
            made[wanted] = (compiled.string, list(compiled.positiontup or ()))
        sql, order = made[wanted]
        conn.exec_driver_sql(sql, positional_rows(conn, table, order, rows))
        return True

    def type_limit(self, spec: TypeSpec) -> str | None:
        """SQLite stores integers in 64 signed bits and decimals as doubles."""
        return sqlite_limit(spec)

    def read_annotations(
        self,
        conn: Connection,
        schema: str,
        names: list[str],
        columns: dict[tuple[str | None, str], list[Any]],
    ) -> dict[str, Annotations]:
        """Comments and cross-schema foreign keys live in the stored CREATE TABLE text."""
        return _sqlite_ddl.read_annotations(conn, schema, names)

    # -- cross-schema foreign keys -------------------------------------------------------------

    def guard_foreign_keys(self, table: sa.Table) -> None:
        """Install triggers that enforce ``table``'s foreign keys into other schemas."""
        added = False
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table
            if parent.schema == table.schema:
                continue  # same file: SQLite enforces it (PRAGMA foreign_keys)
            for trigger, ddl in self._trigger_ddl(table, parent, fk):
                with self._lock:
                    self._triggers[trigger] = (ddl, str(table.schema), str(parent.schema))
                added = True
        if added:
            with self._lock:
                self._changed()

    def _trigger_ddl(
        self, child: sa.Table, parent: sa.Table, fk: sa.ForeignKeyConstraint
    ) -> list[tuple[str, str]]:
        """The four triggers of one foreign key, as (name, DDL) pairs.

        Only identifiers, quoted by the dialect, are interpolated: no values.
        """
        q = self._quote
        pairs = [(q(el.parent.name), q(el.column.name)) for el in fk.elements]
        child_name = f"{q(str(child.schema))}.{q(child.name)}"
        parent_name = f"{q(str(parent.schema))}.{q(parent.name)}"
        digest = hashlib.sha1(f"{child.fullname}:{fk.column_keys}".encode()).hexdigest()[:12]
        label = f"{child.schema}.{child.name} -> {parent.schema}.{parent.name}"
        message = f"FOREIGN KEY constraint failed: {label}".replace("'", "''")
        raise_ = f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        has_parent = (
            f"EXISTS (SELECT 1 FROM {parent_name} WHERE "
            + " AND ".join(f"{p} = NEW.{c}" for c, p in pairs)
            + ")"
        )
        complete = " AND ".join(f"NEW.{c} IS NOT NULL" for c, _ in pairs)
        has_child = (
            f"EXISTS (SELECT 1 FROM {child_name} WHERE "
            + " AND ".join(f"{c} = OLD.{p}" for c, p in pairs)
            + ")"
        )
        key_changed = " OR ".join(f"OLD.{p} IS NOT NEW.{p}" for _, p in pairs)
        child_cols = ", ".join(c for c, _ in pairs)
        parent_cols = ", ".join(p for _, p in pairs)
        head = "CREATE TEMP TRIGGER IF NOT EXISTS"
        specs = {
            "ins": f"BEFORE INSERT ON {child_name} WHEN {complete} AND NOT {has_parent}",
            "upd": f"BEFORE UPDATE OF {child_cols} ON {child_name} "
            f"WHEN {complete} AND NOT {has_parent}",
            "del": f"BEFORE DELETE ON {parent_name} WHEN {has_child}",
            "key": f"BEFORE UPDATE OF {parent_cols} ON {parent_name} "
            f"WHEN ({key_changed}) AND {has_child}",
        }
        return [
            (f"dj_fk_{digest}_{kind}", f"{head} {q(f'dj_fk_{digest}_{kind}')} {spec} {raise_}")
            for kind, spec in specs.items()
        ]
