"""The :class:`Backend` interface and the parts shared by the server backends."""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy.schema import CreateSchema, DropSchema

from ..errors import AccessError, ConfigError, DataJointError
from ._access import refused_login
from ._sizes import size_on_disk

if TYPE_CHECKING:
    from sqlalchemy import URL, Connection, Engine

    from ..types import TypeSpec

# information_schema.referential_constraints is standard SQL, and MySQL/MariaDB and
# PostgreSQL both fill constraint_schema (the child's schema) and unique_constraint_schema
# (the referenced key's schema), so one Core query finds cross-schema dependents on both.
_referential_constraints = sa.table(
    "referential_constraints",
    sa.column("constraint_schema"),
    sa.column("unique_constraint_schema"),
    schema="information_schema",
)


@dataclass(frozen=True)
class ForeignKeyInfo:
    """A foreign key as stored: local columns → referred schema, table and columns."""

    columns: tuple[str, ...]
    referred_schema: str
    referred_table: str
    referred_columns: tuple[str, ...]


def _comment_text(comment: Any) -> str:
    return str(comment["text"] or "") if comment else ""


def foreign_key_infos(reflected: list[Any], schema: str) -> list[ForeignKeyInfo]:
    """ForeignKeyInfo objects from SQLAlchemy's reflected foreign keys."""
    return [
        ForeignKeyInfo(
            tuple(fk["constrained_columns"]),
            str(fk["referred_schema"] or schema),
            fk["referred_table"],
            tuple(fk["referred_columns"]),
        )
        for fk in reflected
    ]


@dataclass
class Annotations:
    """What :meth:`Backend.read_annotations` reads back for one table."""

    table_comment: str
    column_comments: dict[str, str]
    foreign_keys: list[ForeignKeyInfo] = field(default_factory=list)


class Drainable(Protocol):
    """A streamed result that can be read to its end at once (see ``Backend.reading``)."""

    connection: Connection

    def drain(self) -> None: ...


class Backend:
    """What dj_sqla needs from a database backend, bound to one Engine.

    Capability flags (class attributes) let other modules ask instead of testing dialect names.
    """

    #: dj_sqla's name for the backend (``sqlite``, ``mysql``, ``postgresql``).
    name: ClassVar[str]
    #: SQLAlchemy dialect names this backend serves.
    dialect_names: ClassVar[tuple[str, ...]]
    #: True when schemas are server objects (CREATE SCHEMA / DATABASE); False for SQLite files.
    has_server_schemas: ClassVar[bool] = True
    #: False when the database cannot enforce a foreign key from one schema to another.
    enforces_cross_schema_foreign_keys: ClassVar[bool] = True
    #: The most schemas one connection can use at once, or None for no limit.
    max_schemas: ClassVar[int | None] = None
    #: Schema names the backend reserves for itself (never listed, never created).
    system_schemas: ClassVar[frozenset[str]] = frozenset()
    #: How the "table does not exist" error names the table; group 1 is the name.
    missing_table_pattern: ClassVar[re.Pattern[str] | None] = None
    #: True when a failed CREATE cannot be rolled back (MySQL commits each DDL statement).
    has_nontransactional_ddl: ClassVar[bool] = False
    #: Longest table name the backend accepts.
    max_table_name_length: ClassVar[int] = 63
    #: Whether a connection can run statements without a transaction (one round trip each).
    has_autocommit: ClassVar[bool] = True
    #: Whether a connection can run other statements while a streamed (server-side) result
    #: is being read on it (MySQL's cannot: a streamed result holds it until read to the end).
    streams_beside_statements: ClassVar[bool] = True
    #: Whether reads outside a transaction use a pool of autocommit connections, so that a
    #: query costs one round trip instead of BEGIN, query, ROLLBACK (SQLite runs in-process).
    reads_in_autocommit: ClassVar[bool] = False
    #: Whether connections can be closed by a server (idle timeout, restart): pooled ones that
    #: sat idle are pinged before use.
    has_server: ClassVar[bool] = False
    #: Whether a float attribute stores NaN (SQLite would make it NULL, MySQL refuses it).
    stores_float_nan: ClassVar[bool] = False
    #: Whether a float attribute stores infinities (MySQL refuses them).
    stores_float_infinity: ClassVar[bool] = True

    @staticmethod
    def prepare_read_connection(dbapi_conn: Any, record: Any) -> None:
        """Adjust a new DBAPI connection of the autocommit read pool (a ``connect`` event)."""

    @staticmethod
    def prepare_write_connection(dbapi_conn: Any, record: Any) -> None:
        """Adjust a new DBAPI connection of the main pool (a ``connect`` event), when
        dj_sqla built the engine."""

    def bulk_insert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        *,
        skip_duplicates: bool = False,
    ) -> bool:
        """Insert many rows (all with the same attributes) by the backend's bulk path, inside
        ``conn``'s transaction; False when the rows should go through ``executemany``. With
        ``skip_duplicates``, rows whose primary key is stored (or repeated) are skipped.

        Errors are raised as SQLAlchemy's exceptions, as ``execute`` would raise them.
        """
        return False

    def declare(self, create: Callable[[Connection], None]) -> None:
        """Run one declaration's DDL (``create``) atomically, at once, in :meth:`declaring`:
        all of it is committed before this returns, or none of it (errors propagate)."""
        with self.declaring() as conn:
            create(conn)

    @contextmanager
    def declaring(self) -> Iterator[Connection]:
        """The transaction of one declaration: by default one of its own, committed when the
        block ends."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def altering(self, schemas: Sequence[str]) -> Iterator[Connection]:
        """The transaction that changes existing tables of ``schemas`` (``Table.alter()``, a
        table rename): by default one of the engine's own, committed when the block ends.
        (MySQL commits each DDL statement anyway.)"""
        with self.engine.begin() as conn:
            yield conn

    def rebuild_problem(self, conn: Connection) -> str | None:
        """Why tables that others reference cannot be rebuilt on ``conn`` now (SQLite, with
        foreign keys enforced), or None. The servers change tables in place."""
        return None

    def suspend_guards(self, conn: Connection, schemas: Sequence[str]) -> None:
        """Before tables of ``schemas`` are renamed or rebuilt on ``conn``: take away what
        would stop it (SQLite's cross-schema triggers). The servers need nothing."""

    def prepare_migration(self, conn: Connection, schemas: Sequence[str]) -> None:
        """Set up ``conn`` (not in a transaction yet) for an Alembic migration of
        ``schemas``. The servers need nothing."""

    def type_change_options(
        self, column: str, new_type: sa.types.TypeEngine[Any]
    ) -> dict[str, Any]:
        """Keyword arguments of Alembic's ``alter_column`` that change the type of ``column``
        to ``new_type`` keeping its values; the servers convert them by themselves."""
        return {}

    def create_tables(
        self, conn: Connection, metadata: sa.MetaData, tables: list[sa.Table]
    ) -> None:
        """CREATE ``tables`` of ``metadata`` (parents first), inside ``conn``'s transaction."""
        metadata.create_all(conn, tables=tables, checkfirst=False)

    @contextmanager
    def held_connection(self) -> Iterator[Connection]:
        """One connection of the engine, for a run of transactions
        (:meth:`dj_sqla.Connection.hold_connection`)."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def transaction_on(self, conn: Connection) -> Iterator[Connection]:
        """One transaction on a held connection: committed at the end, rolled back on error."""
        with conn.begin():
            yield conn

    def drop_tables(self, conn: Connection, tables: list[sa.Table]) -> None:
        """DROP ``tables`` (dependents first) inside ``conn``'s transaction, which undoes
        them all if one is refused."""
        for table in tables:
            table.drop(conn)

    def lock_for_write(self, conn: Connection, table: sa.Table) -> None:
        """Prepare a transaction that will read and then write ``table`` against deadlocks
        with other processes. Servers lock rows as they go, so by default nothing is sent."""

    def lock_objects(self, conn: Connection, names: list[str], *, shared: bool) -> None:
        """Hold locks on named stored objects until the transaction ends: shared by inserts
        that refer to an object, exclusive while one whose last row was deleted is removed.

        By default nothing is sent: SQLite's writers are serialized anyway, and on MySQL the
        removal's locking read of the referring rows waits for uncommitted inserts."""

    @contextmanager
    def reading(self, stream: Drainable) -> Iterator[None]:
        """While a query's rows are streamed outside a transaction (``Query.stream``). A
        backend whose readers keep other connections from committing (SQLite) has ``stream``
        read the rest at once when this thread commits on another connection; servers need
        nothing."""
        yield

    @contextmanager
    def worker_turn(self, schema: str) -> Iterator[None]:
        """The turn of one worker process to write to ``schema`` (``populate`` with jobs runs
        its reservations and each key's transaction in one). Servers queue lock waiters
        fairly, so by default the block just runs."""
        yield

    @property
    def shared_by_processes(self) -> bool:
        """Whether other processes (``populate(processes=N)``) can open this database."""
        return True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def engine_options(cls, url: URL) -> dict[str, Any]:
        """Keyword arguments for ``create_engine`` when dj_sqla builds the engine itself."""
        return {}

    def describe_server(self) -> str:
        """The server, for error messages: the URL without password (and without database)."""
        return self.engine.url.render_as_string(hide_password=True)

    def current_user(self, conn: Connection) -> str:
        """The user ``conn`` runs as; SQLite has none, so the operating-system user."""
        return getpass.getuser()

    def driver_sql(self, sql: str) -> str:
        """DataJoint-style raw SQL (``%s`` placeholders, ``%%`` for ``%``) in the driver's
        parameter style; pymysql and psycopg2 take it as it is."""
        return sql

    # -- schemas -------------------------------------------------------------------------------

    def schema_exists(self, conn: Connection, name: str) -> bool:
        """Whether the schema exists (one query)."""
        return bool(sa.inspect(conn).has_schema(name))

    def create_schema(self, conn: Connection, name: str) -> None:
        """Create the schema if it does not exist yet."""
        conn.execute(CreateSchema(name, if_not_exists=True))

    def drop_schema(self, conn: Connection, name: str) -> None:
        """Drop the schema and everything in it."""
        conn.execute(DropSchema(name, if_exists=True))

    def list_schemas(self, conn: Connection) -> list[str]:
        """Names of the user schemas on the server, sorted."""
        default = conn.dialect.default_schema_name
        names = sa.inspect(conn).get_schema_names()
        return sorted(n for n in names if n not in self.system_schemas and n != default)

    def dependent_schemas(self, conn: Connection, name: str) -> list[str]:
        """Other schemas holding foreign keys that reference tables of ``name``."""
        rc = _referential_constraints.c
        query = (
            sa.select(rc.constraint_schema)
            .where(rc.unique_constraint_schema == name, rc.constraint_schema != name)
            .distinct()
        )
        return sorted(str(row) for row in conn.scalars(query))

    def referencing_tables(
        self, conn: Connection, schema: str, names: Sequence[str]
    ) -> set[tuple[str, str]]:
        """(schema, table) of every table with a foreign key into the tables ``names`` of
        ``schema``, those tables included; by default read from the foreign keys (and
        annotations) of every schema the connection sees."""
        found: set[tuple[str, str]] = set()
        insp = sa.inspect(conn)
        for other in insp.get_schema_names():
            tables = insp.get_table_names(schema=other) if other not in self.system_schemas else []
            if not tables:
                continue
            for child, notes in self.read_annotations(conn, other, tables, {}).items():
                for fk in notes.foreign_keys:
                    if fk.referred_schema == schema and fk.referred_table in names:
                        found.add((other, child))
        return found

    def table_names(self, conn: Connection, schema: str) -> set[str]:
        """Names of the tables in ``schema`` (one query)."""
        return set(sa.inspect(conn).get_table_names(schema=schema))

    def size_on_disk(self, conn: Connection, schema: str, tables: Sequence[str] | None) -> int:
        """Bytes that ``tables`` of ``schema`` (all if None) take, with their indexes."""
        return size_on_disk(self.name, conn, schema, tables)

    # -- errors --------------------------------------------------------------------------------

    def missing_table(self, error: BaseException) -> str | None:
        """If ``error`` says a table does not exist, the table's ``schema.table`` name."""
        if self.missing_table_pattern is None:
            return None
        match = self.missing_table_pattern.search(str(error))
        return match.group(1).replace("`", "").replace('"', "") if match else None

    def integrity_kind(self, error: sa.exc.IntegrityError) -> str | None:
        """``"duplicate"``, ``"foreign_key"`` or None for an IntegrityError."""
        return None

    def referencing_table(self, error: sa.exc.IntegrityError) -> str | None:
        """The name of the table whose rows blocked a DELETE (a foreign-key failure), when
        the backend's message says it."""
        return None

    def is_unreachable(self, error: BaseException) -> bool:
        """Whether the driver error ``error`` says no connection could be opened (the server
        is down, starting, shutting down or unreachable)."""
        return False

    def is_conflict(self, error: BaseException) -> bool:
        """Whether the driver error ``error`` is a deadlock, a serialization failure or a lock
        wait timeout: the transaction was rolled back and running it again may succeed."""
        return False

    def access_error(self, error: BaseException, statement: str | None) -> AccessError | None:
        """The :class:`AccessError` for a driver error that says the user lacks a privilege
        (naming the table and the privilege), or None for any other error."""
        return None

    def refused_login(self, error: BaseException) -> bool:
        """Whether the driver error ``error`` says the server refused the credentials."""
        return False

    def login_error(self, error: BaseException) -> AccessError | None:
        """The :class:`AccessError` for refused credentials (naming the user, never the
        password), or None for any other error."""
        if not self.refused_login(error):
            return None
        return refused_login(self.engine.url.username, self.describe_server())

    # -- access control (``schema.grant``) -------------------------------------------------------

    def grant(self, conn: Connection, schema: str, user: str, level: str) -> None:
        """Give ``user`` the privileges of ``level`` on ``schema`` (see ``backends._access``)."""
        raise self._no_users("grant")

    def revoke(self, conn: Connection, schema: str, user: str, level: str) -> None:
        """Take ``level`` and the levels above it on ``schema`` from ``user``."""
        raise self._no_users("revoke")

    def privileges(self, conn: Connection, schema: str) -> dict[str, str]:
        """Each user holding privileges on ``schema``, with the level they amount to."""
        raise self._no_users("privileges")

    def _no_users(self, operation: str) -> DataJointError:
        return DataJointError(
            f"schema.{operation}(): {self.name} has no users or privileges; whoever can open "
            "the schema files can read and change them. Control access with the files' "
            "permissions, or use a MySQL or PostgreSQL server for per-user access."
        )

    @classmethod
    def tls_connect_args(cls, use_tls: bool | dict[str, Any]) -> dict[str, Any]:
        """The driver's connect arguments for DataJoint's ``use_tls``: True requires TLS,
        False turns it off, a dict of certificates (``ca``, ``cert``, ``key``, ...) requires
        TLS and verifies the server with them."""
        if use_tls is False:
            return {}
        raise ConfigError(
            f"use_tls: {cls.name} runs inside this process and has no network connection to "
            "encrypt; TLS applies to MySQL and PostgreSQL servers only."
        )

    def upsert(self, table: sa.Table, names: list[str]) -> Any:
        """An INSERT of the attributes ``names`` that overwrites rows with the same key."""
        raise NotImplementedError

    def insert_skipping_duplicates(self, table: sa.Table) -> Any:
        """An INSERT that skips each row whose primary key is stored already (or comes
        earlier in the same statement) and refuses every other error."""
        raise NotImplementedError

    def type_limit(self, spec: TypeSpec) -> str | None:
        """Why the backend cannot store ``spec`` exactly, or None when it can."""
        return None

    def read_annotations(
        self,
        conn: Connection,
        schema: str,
        names: list[str],
        columns: dict[tuple[str | None, str], list[Any]],
    ) -> dict[str, Annotations]:
        """Per table: its comment, column comments and foreign keys as stored.

        ``columns`` is SQLAlchemy's ``get_multi_columns`` result for these tables (comments
        included on the servers); the rest is read with multi-table inspection, which
        PostgreSQL answers with one query per kind of object.
        """
        insp = sa.inspect(conn)
        comments = insp.get_multi_table_comment(schema=schema, filter_names=names)
        foreign = insp.get_multi_foreign_keys(schema=schema, filter_names=names)
        return {
            name: Annotations(
                table_comment=_comment_text(comments.get((schema, name))),
                column_comments={
                    c["name"]: c.get("comment") or "" for c in columns.get((schema, name), [])
                },
                foreign_keys=foreign_key_infos(foreign.get((schema, name), []), schema),
            )
            for name in names
        }

    # -- hooks used by the schema module ---------------------------------------------------------

    def use_schema(self, conn: Connection, name: str) -> None:
        """Make the existing schema ``name`` usable on every pooled connection.

        Server backends have nothing to do; SQLite attaches the schema's file.
        """

    def forget_schema(self, name: str) -> None:
        """Undo :meth:`use_schema` after the schema was dropped."""

    def guard_foreign_keys(self, table: sa.Table) -> None:
        """Make the database refuse rows that break ``table``'s cross-schema foreign keys.

        Servers enforce them already; SQLite needs help (see its backend).
        """


def on_conflict_update(insert: Any, table: sa.Table, names: list[str]) -> Any:
    """PostgreSQL's and SQLite's ``INSERT ... ON CONFLICT (key) DO UPDATE`` (same API)."""
    key = [c.name for c in table.primary_key.columns]
    values = {n: insert.excluded[n] for n in names if n not in key}
    if not values:
        return insert.on_conflict_do_nothing(index_elements=key)
    return insert.on_conflict_do_update(index_elements=key, set_=values)


def on_conflict_skip(insert: Any, table: sa.Table) -> Any:
    """PostgreSQL's and SQLite's ``INSERT ... ON CONFLICT (key) DO NOTHING`` (same API): only
    a primary-key conflict is skipped, a unique-index one still fails."""
    return insert.on_conflict_do_nothing(index_elements=[c.name for c in table.primary_key.columns])


class ServerBackend(Backend):
    """Shared parts of MySQL/MariaDB and PostgreSQL."""

    reads_in_autocommit = True
    has_server = True

    def current_user(self, conn: Connection) -> str:
        """The database user ``conn`` runs as."""
        return str(conn.scalar(sa.select(sa.func.current_user())))

    #: Driver used when dj_sqla builds a URL from ``database.*`` settings.
    default_driver: ClassVar[str]
    default_port: ClassVar[int]
    #: The database in the URL (PostgreSQL needs one; MySQL must not have one).
    default_database: ClassVar[str | None] = None

    @classmethod
    def server_url(
        cls,
        *,
        host: str | None,
        port: str | int | None,
        user: str | None,
        password: str | None,
        name: str | None,
    ) -> URL:
        """A URL from DataJoint-style settings; ``host`` may be ``host:port``, and then its
        port wins over ``port`` (as in DataJoint, where ``database.port`` is a default)."""
        host = host or "localhost"
        name_part, colon, port_part = host.rpartition(":")
        if colon and port_part.isdigit() and ":" not in name_part:  # not an IPv6 address
            host, port = name_part, port_part
        return sa.URL.create(
            cls.default_driver,
            username=user,
            password=password,
            host=host,
            port=int(port) if port else cls.default_port,
            database=name or cls.default_database,
        )
