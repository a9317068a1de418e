"""PostgreSQL (through psycopg2).

A dj_sqla schema is a PostgreSQL schema inside the database named in the URL.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.interfaces import ExecuteStyle
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import (
    CreateTable,
    DropSchema,
    SetColumnComment,
    SetConstraintComment,
    SetTableComment,
)
from sqlalchemy.sql.ddl import SchemaGenerator

from ..errors import AccessError, DataJointError
from ..types import CodecColumn
from . import _postgresql_access as access
from ._access import access_error
from ._bulk import COPY_FORMAT, column_values, delimited_text
from .base import ServerBackend, on_conflict_skip, on_conflict_update

if TYPE_CHECKING:
    from sqlalchemy import Connection


#: Rows from which an insert uses COPY: below this, executemany is about as fast.
COPY_THRESHOLD = 1000
#: SQLSTATE of a unique violation.
_UNIQUE_VIOLATION = "23505"
#: The savepoint of a skipping insert's first try (:func:`_move_new_rows`).
_SAVEPOINT = "dj_sqla_new_rows"
#: In a held connection's ``info``: True while its transaction's BEGIN waits for the first
#: statement (:meth:`PostgreSQLBackend.transaction_on`).
_BEGIN_PENDING = "dj_sqla_begin_pending"


# pg_catalog: foreign keys (contype 'f') by the tables they belong to and reference. (The
# information_schema views show only the constraints of tables the current role owns.)
def _catalog(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns), schema="pg_catalog")


_constraint = _catalog("pg_constraint", "conrelid", "confrelid", "contype")
_class = _catalog("pg_class", "oid", "relname", "relnamespace")
_namespace = _catalog("pg_namespace", "oid", "nspname")


class PostgreSQLBackend(ServerBackend):
    """PostgreSQL 12+."""

    stores_float_nan = True

    name = "postgresql"
    dialect_names = ("postgresql",)
    default_driver = "postgresql+psycopg2"
    default_port = 5432
    default_database = "postgres"
    system_schemas = frozenset({"information_schema", "pg_catalog", "pg_toast"})
    # psycopg2.errors.UndefinedTable: relation "alice.mouse" does not exist
    missing_table_pattern = re.compile(r'relation "([^"]+)" does not exist')

    def referencing_tables(
        self, conn: Connection, schema: str, names: Sequence[str]
    ) -> set[tuple[str, str]]:
        """The tables whose foreign keys reference ``names`` of ``schema``: one query."""
        child, parent = _class.alias(), _class.alias()
        child_ns, parent_ns = _namespace.alias(), _namespace.alias()
        query = (
            sa.select(child_ns.c.nspname, child.c.relname)
            .select_from(_constraint)
            .join(child, child.c.oid == _constraint.c.conrelid)
            .join(child_ns, child_ns.c.oid == child.c.relnamespace)
            .join(parent, parent.c.oid == _constraint.c.confrelid)
            .join(parent_ns, parent_ns.c.oid == parent.c.relnamespace)
            .where(
                _constraint.c.contype == "f",
                parent_ns.c.nspname == schema,
                parent.c.relname.in_(names),
            )
            .distinct()
        )
        return {(str(s), str(t)) for s, t in conn.execute(query)}

    def type_change_options(
        self, column: str, new_type: sa.types.TypeEngine[Any]
    ) -> dict[str, Any]:
        """``USING "column"::new_type``: PostgreSQL converts only some types by itself
        (text to integer, for instance, needs the cast spelled out). Only the quoted column
        name and the compiled type are written into the SQL."""
        quoted = self.engine.dialect.identifier_preparer.quote(column)
        spelled = new_type.compile(dialect=self.engine.dialect)
        return {"postgresql_using": f"{quoted}::{spelled}"}

    def lock_objects(self, conn: sa.Connection, names: list[str], *, shared: bool) -> None:
        """Transaction-scoped advisory locks, one per object name (PostgreSQL's reads never
        wait for uncommitted inserts, so the names are locked explicitly)."""
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        # text(): PostgreSQL's own lock functions, hashed to the 64-bit key they take
        statement = sa.text(f"SELECT {function}(hashtextextended(:name, 0))")
        for name in sorted(set(names)):  # one order everywhere: no deadlock between lockers
            conn.execute(statement, {"name": name})

    @contextmanager
    def held_connection(self) -> Iterator[Connection]:
        """A connection in autocommit mode, whose transactions dj_sqla opens and ends itself
        (:meth:`transaction_on`)."""
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            event.listen(conn, "before_cursor_execute", _begin_with_statement, retval=True)
            yield conn

    @contextmanager
    def transaction_on(self, conn: Connection) -> Iterator[Connection]:
        """One transaction on a held connection, its ``BEGIN`` sent with the first statement.

        psycopg2 sends ``BEGIN`` in a round trip of its own before a transaction's first
        statement. On the held connection (autocommit) dj_sqla puts ``BEGIN;`` in front of
        that statement instead, so both go to the server in one message, and ends the
        transaction with its own ``COMMIT`` or ``ROLLBACK``: a ``populate`` key that reads
        once and inserts once costs three round trips, not four. A transaction that sends
        nothing sends no ``BEGIN`` either.
        """
        info = conn.info
        info[_BEGIN_PENDING] = True
        try:
            with conn.begin():  # SQLAlchemy's bookkeeping; in autocommit it sends nothing
                try:
                    yield conn
                except BaseException:
                    if not info[_BEGIN_PENDING]:
                        _end_quietly(conn, "ROLLBACK")
                    raise
                if not info[_BEGIN_PENDING]:
                    conn.exec_driver_sql("COMMIT")
        finally:
            info[_BEGIN_PENDING] = False

    def create_tables(
        self, conn: Connection, metadata: sa.MetaData, tables: list[sa.Table]
    ) -> None:
        """``create_all``, with each table's comments sent in its ``CREATE TABLE`` message.

        SQLAlchemy sends ``COMMENT ON TABLE`` and one ``COMMENT ON COLUMN`` per column as
        statements of their own after ``CREATE TABLE``; dj_sqla comments every column (the
        declared type is kept there), so a table of five attributes cost seven round trips.
        Here SQLAlchemy's own table creation runs with the comment statements joined to the
        ``CREATE TABLE`` text: one round trip, the same DDL.
        """
        conn._run_ddl_visitor(_CommentsWithTable, metadata, checkfirst=False, tables=tables)

    # -- access control (see _postgresql_access) -------------------------------------------------

    @classmethod
    def tls_connect_args(cls, use_tls: bool | dict[str, Any]) -> dict[str, Any]:
        """libpq's ``sslmode`` (``require``, or ``verify-full`` with a CA) and certificates."""
        return access.tls_connect_args(use_tls)

    def access_error(self, error: BaseException, statement: str | None) -> AccessError | None:
        """SQLSTATE 42501, with the table and privilege taken from the statement."""
        denied = access.denial(error, statement)
        if denied is None:
            return None
        return access_error(denied, user=self.engine.url.username, server=self.describe_server())

    def refused_login(self, error: BaseException) -> bool:
        """A wrong password, an unknown role, or no pg_hba.conf line letting the user in."""
        return access.refused_login(error)

    def grant(self, conn: Connection, schema: str, user: str, level: str) -> None:
        """GRANT on the schema, its tables and sequences, and their default privileges."""
        access.grant(conn, schema, user, level, server=self.describe_server())

    def revoke(self, conn: Connection, schema: str, user: str, level: str) -> None:
        """REVOKE ``level`` and above, keeping the level below it."""
        access.revoke(conn, schema, user, level, server=self.describe_server())

    def privileges(self, conn: Connection, schema: str) -> dict[str, str]:
        """Roles with privileges on the schema and the level they amount to."""
        return access.privileges(conn, schema)

    def referencing_table(self, error: sa.exc.IntegrityError) -> str | None:
        """PostgreSQL: 'Key (...) is still referenced from table "child"'."""
        found = re.search(r'still referenced from table "([^"]+)"', str(error.orig))
        return found.group(1) if found else None

    def is_unreachable(self, error: BaseException) -> bool:
        """psycopg2 says so in its message (connecting fails before any SQLSTATE): refused,
        or the server is starting up, shutting down or recovering (SQLSTATE 57P03)."""
        orig = getattr(error, "orig", error)
        if getattr(orig, "pgcode", None) == "57P03":
            return True
        text = str(orig)
        return text.startswith(("connection to server", "could not connect")) or (
            "the database system is" in text
        )

    def is_conflict(self, error: BaseException) -> bool:
        """SQLSTATE 40P01 is a deadlock, 40001 a serialization failure, 55P03 a lock not
        available."""
        return getattr(getattr(error, "orig", error), "pgcode", None) in ("40P01", "40001", "55P03")

    def integrity_kind(self, error: sa.exc.IntegrityError) -> str | None:
        """SQLSTATE 23505 is a unique violation, 23503 a foreign-key violation."""
        code = getattr(error.orig, "pgcode", None)
        return {"23505": "duplicate", "23503": "foreign_key"}.get(str(code))

    def bulk_insert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        *,
        skip_duplicates: bool = False,
    ) -> bool:
        """``COPY table (columns) FROM STDIN`` for large inserts: several times faster than
        ``executemany``, in the same transaction, so a failure still stores nothing.

        Values go through the same SQLAlchemy bind processing as in an INSERT and are
        written in COPY's text format; a driver error is raised as SQLAlchemy would raise it.
        With ``skip_duplicates`` the rows are copied into a temporary table first and moved
        by ``INSERT ... SELECT ... ON CONFLICT (key) DO NOTHING``.
        """
        if len(rows) < COPY_THRESHOLD:
            return False
        try:
            self._bulk_insert(conn, table, rows, skip_duplicates=skip_duplicates)
        except sa.exc.DBAPIError as err:
            # COPY runs on the driver's cursor, past SQLAlchemy's error events
            denied = self.access_error(err, str(err.statement))
            if denied is not None:
                raise denied from err
            raise
        return True

    def _bulk_insert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        *,
        skip_duplicates: bool,
    ) -> None:
        if not skip_duplicates:
            _copy(conn, table, table, rows)
            return
        names = list(rows[0])
        scratch = sa.table(f"dj_sqla_skip_{table.name}"[:60], *(sa.column(n) for n in names))
        preparer = conn.dialect.identifier_preparer
        # CREATE TEMP TABLE ... (LIKE ...) has no SQLAlchemy construct; both names are quoted
        # by the dialect's preparer
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {preparer.format_table(scratch)} "
            f"(LIKE {preparer.format_table(table)} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        _copy(conn, table, scratch, rows)
        _move_new_rows(conn, table, scratch, names)
        # dropped now for the next insert of the same transaction (a failure above rolls the
        # transaction back, and the temporary table with it)
        conn.exec_driver_sql(f"DROP TABLE {preparer.format_table(scratch)}")

    def upsert(self, table: sa.Table, names: list[str]) -> Any:
        """``INSERT ... ON CONFLICT (key) DO UPDATE``."""
        return on_conflict_update(postgresql.insert(table), table, names)

    def insert_skipping_duplicates(self, table: sa.Table) -> Any:
        """``INSERT ... ON CONFLICT (key) DO NOTHING``, sent as multi-row statements.

        ``RETURNING`` makes SQLAlchemy send many rows per statement ("insertmanyvalues")
        instead of one statement per row, about ten times faster for large inserts.
        """
        key = list(table.primary_key.columns)
        return on_conflict_skip(postgresql.insert(table), table).returning(key[0])

    def drop_schema(self, conn: Connection, name: str) -> None:
        """Drop the schema with its tables, enum types and sequences (``CASCADE``)."""
        # CASCADE also drops objects *outside* the schema that depend on it (foreign keys
        # from other schemas); Schema.drop checks dependent_schemas first so that cannot happen
        # silently.
        conn.execute(DropSchema(name, cascade=True, if_exists=True))

    def list_schemas(self, conn: Connection) -> list[str]:
        """User schemas, without PostgreSQL's own ``pg_*`` schemas."""
        return [n for n in super().list_schemas(conn) if not n.startswith("pg_")]


#: Set while :class:`_CommentsWithTable` creates a table: its comments join the CREATE TABLE.
_creating_with_comments = threading.local()


def _copy(conn: Connection, table: sa.Table, target: Any, rows: list[dict[str, Any]]) -> None:
    """``COPY target (columns) FROM STDIN`` of ``rows``, bound as ``table``'s columns."""
    dialect = conn.dialect
    names = list(rows[0])
    text = delimited_text(column_values(conn, table, names, rows), COPY_FORMAT)
    preparer = dialect.identifier_preparer
    # COPY has no SQLAlchemy construct; the names are quoted by the dialect's preparer
    statement = (
        f"COPY {preparer.format_table(target)} "
        f"({', '.join(preparer.quote(name) for name in names)}) FROM STDIN"
    )
    dbapi_conn: Any = conn.connection.dbapi_connection
    if conn.info.get(_BEGIN_PENDING):  # COPY bypasses the statement events: begin here
        _begin_now(conn, dbapi_conn)
    cursor = dbapi_conn.cursor()
    try:
        cursor.copy_expert(statement, io.StringIO(text))
    except dialect.loaded_dbapi.Error as err:
        raise sa.exc.DBAPIError.instance(statement, None, err, dialect.loaded_dbapi.Error) from err
    finally:
        cursor.close()


def _move_new_rows(conn: Connection, table: sa.Table, scratch: Any, names: list[str]) -> None:
    """``INSERT`` the rows of ``scratch`` whose primary key ``table`` lacks.

    ``ON CONFLICT DO NOTHING`` inserts each row speculatively, which costs about a third
    more than a plain insert of the new rows (measured: 0.41 s against 0.32 s for 50k new
    of 100k rows). So the new rows are picked by an anti-join and inserted plainly, in a
    savepoint; only when that meets a unique violation (a key repeated within the insert, a
    row another transaction committed meanwhile, or another unique index) is it rolled back
    and done again with ``ON CONFLICT (key) DO NOTHING``, which skips the first two and
    still refuses the third.
    """
    key = [c.name for c in table.primary_key.columns]
    source = sa.select(*scratch.c)
    new_rows = source.where(~sa.exists().where(*(table.c[k] == scratch.c[k] for k in key)))
    conn.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
    try:
        conn.execute(table.insert().from_select(names, new_rows))
    except sa.exc.IntegrityError as err:
        if getattr(err.orig, "pgcode", None) != _UNIQUE_VIOLATION:
            raise
        conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        conn.execute(on_conflict_skip(postgresql.insert(table).from_select(names, source), table))
    conn.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")


class _InlineComments:
    """A dialect as SQLAlchemy's table creation sees it: comments go with ``CREATE TABLE``
    (``inline_comments``, MySQL's way), so it sends no ``COMMENT ON`` of its own."""

    inline_comments = True

    def __init__(self, dialect: sa.Dialect) -> None:
        self._dialect = dialect

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dialect, name)


class _CommentsWithTable(SchemaGenerator):
    """SQLAlchemy's ``create_all`` whose ``CREATE TABLE`` statements carry the comments."""

    def __init__(self, dialect: sa.Dialect, connection: Connection, **kw: Any) -> None:
        super().__init__(_InlineComments(dialect), connection, **kw)  # type: ignore[no-untyped-call]

    def visit_table(self, table: Any, **kw: Any) -> None:  # type: ignore[override]
        _creating_with_comments.active = True
        try:
            super().visit_table(table, **kw)  # type: ignore[no-untyped-call]
        finally:
            _creating_with_comments.active = False


@compiles(CreateTable, "postgresql")
def _create_table(element: CreateTable, compiler: Any, **kw: Any) -> str:
    """``CREATE TABLE``, followed by its ``COMMENT ON`` statements when
    :class:`_CommentsWithTable` creates it (one message; psycopg2 sends it as one query)."""
    text = str(compiler.visit_create_table(element, **kw))
    if not getattr(_creating_with_comments, "active", False):
        return text
    table: sa.Table = element.element
    comments: list[Any] = [SetTableComment(table)] if table.comment is not None else []
    comments += [SetColumnComment(c) for c in table.columns if c.comment is not None]
    comments += [SetConstraintComment(c) for c in table.constraints if c.comment is not None]
    statements = [text.rstrip(), *(compiler.process(c) for c in comments)]
    return ";\n".join(statements + _external_storage(table, compiler))


def _external_storage(table: sa.Table, compiler: Any) -> list[str]:
    """``SET STORAGE EXTERNAL`` for blob columns: their values are compressed already when
    that pays (DataJoint's format), and PostgreSQL's own compression would scan a whole
    incompressible array because its header compresses (measured: +70 % insert time for
    1 MB arrays). No SQLAlchemy construct exists for it; the names are quoted by the
    dialect's preparer."""
    preparer = compiler.preparer
    return [
        f"ALTER TABLE {preparer.format_table(table)} ALTER COLUMN "
        f"{preparer.format_column(column)} SET STORAGE EXTERNAL"
        for column in table.columns
        if isinstance(column.type, CodecColumn) and isinstance(column.type.storage, sa.LargeBinary)
    ]


def _begin_now(conn: Connection, dbapi_conn: Any) -> None:
    """Send a held connection's pending ``BEGIN`` on its own."""
    conn.info[_BEGIN_PENDING] = False
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("BEGIN")
    finally:
        cursor.close()


def _begin_with_statement(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    """A held connection's first statement of a transaction, with its ``BEGIN`` in front
    (a ``before_cursor_execute`` listener).

    One ``cursor.execute`` sends both in one message; the cursor's result is the
    statement's. ``executemany`` and named (server-side) cursors send ``BEGIN`` on its own
    first: the one repeats the statement, the other wraps it in ``DECLARE``.
    """
    if not conn.info.get(_BEGIN_PENDING):
        return statement, parameters
    one_execute = not executemany or (
        context is not None and context.execute_style is ExecuteStyle.INSERTMANYVALUES
    )
    if one_execute and getattr(cursor, "name", None) is None:
        conn.info[_BEGIN_PENDING] = False
        return "BEGIN; " + statement, parameters
    _begin_now(conn, cursor.connection)
    return statement, parameters


def _end_quietly(conn: Connection, statement: str) -> None:
    """End the transaction after an error; the error itself is what the caller raises."""
    # on a broken connection SQLAlchemy has invalidated it, and the server rolled back
    if conn.invalidated:
        return
    with suppress(sa.exc.DBAPIError, DataJointError):  # a lost connection is translated
        conn.exec_driver_sql(statement)
