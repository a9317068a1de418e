"""MySQL and MariaDB (through PyMySQL).

A dj_sqla schema is a MySQL *database*. The connection URL should name no database, so that
no schema is the connection's default schema (Alembic misreads tables in the default schema).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from ..errors import AccessError, DataJointError
from ._access import (
    LEVELS,
    Denial,
    GrantOn,
    LevelPrivileges,
    User,
    access_error,
    check_level,
    escape_schema_pattern,
    level_of,
    statement_privilege,
    unknown_user,
)
from ._bulk import LOAD_DATA_FORMAT, column_values, delimited_text
from ._tls import tls_options, verifies
from .base import ServerBackend

#: PyMySQL's SERVER_STATUS_IN_TRANS flag of the server status in each reply.
_IN_TRANSACTION = 1
#: PyMySQL's CLIENT_LOCAL_FILES capability flag (the connection may send files).
_LOCAL_FILES = 128
#: Rows from which an insert goes through ``LOAD DATA LOCAL INFILE``.
LOAD_THRESHOLD = 1000
#: Types (after bind processing) ``LOAD DATA`` reads from text as ``executemany`` sends them.
_LOADABLE = (
    type(None),
    bool,
    int,
    float,
    decimal.Decimal,
    str,
    bytes,
    dt.date,
    dt.datetime,
    dt.time,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection


#: Statements longer than this are measured against the server's ``max_allowed_packet``
#: (whose smallest setting is 1 MB), so small statements cost nothing.
_CHECKED_ABOVE = 1_000_000
_TABLE = re.compile(r"(?:INSERT|REPLACE|UPDATE)\s+(?:INTO\s+)?(`[^`]+`(?:\.`[^`]+`)?)", re.I)


def _refuse_oversized(sql: Any, limit: list[int], dbapi_conn: Any) -> None:
    """Refuse, before sending it, a statement the server would cut off: beyond
    ``max_allowed_packet`` MariaDB and MySQL drop the connection (a lost connection, not an
    error naming the value)."""
    if not limit:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SELECT @@max_allowed_packet")
            limit.append(int(cursor.fetchone()[0]))
        finally:
            cursor.close()
    size = len(sql.encode() if isinstance(sql, str) else sql)
    if size > limit[0]:
        found = _TABLE.search(sql[:400] if isinstance(sql, str) else "")
        where = f" into {found.group(1)}" if found else ""
        raise DataJointError(
            f"A statement{where} of {size / 2**20:.1f} MiB exceeds the server's "
            f"max_allowed_packet ({limit[0] / 2**20:.1f} MiB); nothing was sent or stored. "
            "Insert fewer rows at a time, store large arrays in an object store, or raise "
            "max_allowed_packet on the server (SET GLOBAL max_allowed_packet = ...)."
        )


#: What each level grants on ``schema``.* (MySQL grants privileges per database).
_READ = ("SELECT", "REFERENCES")
_WRITE = (*_READ, "INSERT", "UPDATE", "DELETE")
_DECLARE = (*_WRITE, "CREATE", "ALTER", "INDEX", "DROP")
_GRANTED = {
    "read": LevelPrivileges(schema=_READ),
    "write": LevelPrivileges(schema=_WRITE),
    "declare": LevelPrivileges(schema=_DECLARE),
    "all": LevelPrivileges(schema=("ALL PRIVILEGES",)),
}
#: What a user must hold to be listed at each level (``ALL PRIVILEGES`` is listed as its parts).
_HELD = {
    **_GRANTED,
    "all": LevelPrivileges(schema=(*_DECLARE, "CREATE VIEW", "TRIGGER", "EVENT", "LOCK TABLES")),
}
_schema_privileges = sa.table(
    "SCHEMA_PRIVILEGES",
    sa.column("GRANTEE"),
    sa.column("TABLE_SCHEMA"),
    sa.column("PRIVILEGE_TYPE"),
    schema="information_schema",
)
#: ``'alice'@'%'`` as information_schema writes a grantee.
_GRANTEE = re.compile(r"'((?:[^']|'')*)'@'((?:[^']|'')*)'")
#: 1142 (table), 1143 (column): "INSERT command denied to user 'u'@'h' for table `s`.`t`".
_COMMAND_DENIED = re.compile(
    r"(?P<privilege>[A-Z][A-Z ]*?) command denied to user '(?P<user>[^']*)'@'[^']*' for "
    r"(?:column '(?P<column>[^']*)' in )?table (?P<table>.+)"
)
#: 1044: "Access denied for user 'u'@'h' to database 's'".
_DATABASE_DENIED = re.compile(
    r"Access denied for user '(?P<user>[^']*)'@'[^']*' to database '(?P<db>[^']*)'"
)
#: 1227: "Access denied; you need (at least one of) the SUPER privilege(s) for this operation".
_NEEDS = re.compile(r"you need \(at least one of\) the (?P<privilege>.+?) privilege")


def _quoted_table(text: str) -> str:
    """```s`.`t``` or ``'t'`` (MySQL 8) as ```s`.`t``` / ```t```."""
    parts = [part.strip("`'") for part in re.findall(r"`[^`]*`|'[^']*'|[^.]+", text.strip())]
    return ".".join(f"`{part}`" for part in parts)


def _refuse_files(dbapi_conn: Any) -> None:
    """Have PyMySQL refuse a server's request for a local file, and close the connection.

    The connection says it may send files (``local_infile``), because that is decided when
    it opens, but a server may ask for *any* file the client can read in reply to any
    statement. PyMySQL sends one only while its ``_local_infile`` is set (a private
    attribute: it has no public switch after connecting), which :func:`_load` does for its
    own ``LOAD DATA`` alone. Otherwise PyMySQL raises ``RuntimeError`` and leaves the server
    waiting for the file, so the connection is closed and the error raised as a lost
    connection (a user's own ``LOAD DATA LOCAL`` is refused that way).
    """
    if not hasattr(dbapi_conn, "_local_infile"):
        return
    dbapi_conn._local_infile = False
    read = dbapi_conn._read_query_result

    def read_refusing_files(*args: Any, **kwargs: Any) -> Any:
        try:
            return read(*args, **kwargs)
        except RuntimeError as err:
            dbapi_conn._force_close()
            raise dbapi_conn.OperationalError(  # PEP 249: the driver's errors on the connection
                2013,
                "the server asked for a local file, which dj_sqla sends only for its own bulk "
                f"inserts; the connection was closed ({err})",
            ) from err

    dbapi_conn._read_query_result = read_refusing_files


#: The savepoint a plain bulk load is undone to when it left warnings.
_SAVEPOINT = "dj_sqla_load"


def _load(
    conn: Connection,
    dbapi_conn: Any,
    target: Any,
    names: list[str],
    binary: list[bool],
    text: str,
) -> int:
    """``LOAD DATA LOCAL INFILE`` of ``text`` (tab-separated lines) into ``target``: the
    rows stored, or -1 when the server left any warning (an error it turned into one).

    Bytes arrive as hex and are decoded by ``UNHEX`` (the file is UTF-8 text). The file is
    a temporary one of this process, removed at once.
    """
    preparer = conn.dialect.identifier_preparer
    fields = [
        preparer.quote(n) if not raw else f"@v{i}"
        for i, (n, raw) in enumerate(zip(names, binary, strict=True))
    ]
    decoded = [
        f"{preparer.quote(n)} = UNHEX(@v{i})"
        for i, (n, raw) in enumerate(zip(names, binary, strict=True))
        if raw
    ]
    with _rows_file(text) as path:
        # LOAD DATA has no SQLAlchemy construct; the names are quoted by the dialect's
        # preparer and the file name by the driver
        statement = (
            f"LOAD DATA LOCAL INFILE {dbapi_conn.escape(path)} "
            f"INTO TABLE {preparer.format_table(target)} CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
            f"({', '.join(fields)})" + (f" SET {', '.join(decoded)}" if decoded else "")
        )
        dbapi_conn._local_infile = True
        try:
            result = conn.exec_driver_sql(statement)
            warnings = result.context.cursor.warning_count
        finally:
            dbapi_conn._local_infile = False
    return -1 if warnings else int(result.rowcount)


#: Where Linux names a process's open files: a file without a name is read there.
_OPEN_FILES = "/proc/self/fd"


@contextmanager
def _rows_file(text: str) -> Iterator[str]:
    """A path the driver reads ``text`` from, for as long as the block runs.

    Where the system names open files (Linux), the file has no name in any folder: a
    process killed during the load leaves no copy of the rows behind. Elsewhere it is a
    named temporary file of this process, removed when the block ends.
    """
    if os.path.isdir(_OPEN_FILES):
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="", prefix="dj_sqla_") as file:
            file.write(text)
            file.flush()
            yield f"{_OPEN_FILES}/{file.fileno()}"
        return
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", suffix=".tsv", prefix="dj_sqla_", delete=False
    ) as named:
        named.write(text)
    try:
        yield named.name
    finally:
        os.remove(named.name)


def schema_collation(dialect: Any) -> str:
    """The server's binary utf8mb4 collation that compares trailing spaces (NO PAD):
    MariaDB's ``utf8mb4_nopad_bin``, MySQL's ``utf8mb4_0900_bin`` (8.0.17 on); older MySQL
    has only ``utf8mb4_bin``, which pads."""
    if getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"
    if tuple(dialect.server_version_info or ()) >= (8, 0, 17):
        return "utf8mb4_0900_bin"
    return "utf8mb4_bin"


#: What only :meth:`MySQLBackend.insert_skipping_duplicates` writes after its update clause.
_SKIPPING_MARK = "ELSE NULL END"

#: Each foreign key's columns, with the table they reference (MySQL's information_schema).
_key_usage = sa.table(
    "key_column_usage",
    sa.column("table_schema"),
    sa.column("table_name"),
    sa.column("referenced_table_schema"),
    sa.column("referenced_table_name"),
    schema="information_schema",
)


class MySQLBackend(ServerBackend):
    """MySQL 8 and MariaDB 10.5+."""

    stores_float_infinity = False

    name = "mysql"
    dialect_names = ("mysql", "mariadb")
    default_driver = "mysql+pymysql"
    default_port = 3306
    system_schemas = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
    # error 1146: Table 'alice.mouse' doesn't exist
    missing_table_pattern = re.compile(r"\(1146, \"Table '([^']+)' doesn't exist")
    max_table_name_length = 64
    has_nontransactional_ddl = True
    streams_beside_statements = False

    def referencing_tables(
        self, conn: Connection, schema: str, names: Sequence[str]
    ) -> set[tuple[str, str]]:
        """The tables whose foreign keys reference ``names`` of ``schema``: one query."""
        k = _key_usage.c
        query = (
            sa.select(k.table_schema, k.table_name)
            .where(k.referenced_table_schema == schema, k.referenced_table_name.in_(names))
            .distinct()
        )
        return {(str(s), str(t)) for s, t in conn.execute(query)}

    @staticmethod
    def prepare_read_connection(dbapi_conn: Any, record: Any) -> None:
        """Skip the ROLLBACK that ends every read when no transaction is open.

        SQLAlchemy ends each use of a connection with the driver's ``rollback()``, and
        PyMySQL sends it to the server even in autocommit mode, doubling the round trips of
        a read. The server reports in every reply whether a transaction is open, so the
        rollback is sent only then. (The server is refused files: :func:`_refuse_files`.)
        """
        _refuse_files(dbapi_conn)
        rollback = dbapi_conn.rollback

        def rollback_if_needed() -> None:
            if dbapi_conn.server_status & _IN_TRANSACTION:
                rollback()

        dbapi_conn.rollback = rollback_if_needed

    @staticmethod
    def prepare_write_connection(dbapi_conn: Any, record: Any) -> None:
        """Skip the ROLLBACK that follows every committed transaction.

        When a connection goes back to the pool, SQLAlchemy calls the driver's
        ``rollback()`` unless a transaction is still open on it, so ``engine.begin()`` ends
        with COMMIT and then ROLLBACK, and PyMySQL sends both: a round trip per transaction
        for nothing (a fourth for each ``populate`` key, which needs three). The rollback is
        skipped when no statement ran since the last commit or rollback. That is tracked
        here, on the connection's own calls, rather than read from the server's
        in-transaction flag as for reads: an error reply does not update that flag, and a
        statement that failed may have left a transaction open. (The server is refused
        files except during dj_sqla's own bulk loads: :func:`_refuse_files`.)
        """
        _refuse_files(dbapi_conn)
        query, begin = dbapi_conn.query, dbapi_conn.begin
        commit, rollback = dbapi_conn.commit, dbapi_conn.rollback
        clean = [True]  # no statement since the connection opened, committed or rolled back

        limit: list[int] = []  # the server's max_allowed_packet, read when first needed

        def query_tracked(sql: Any, *args: Any, **kwargs: Any) -> Any:
            if len(sql) > _CHECKED_ABOVE:
                _refuse_oversized(sql, limit, dbapi_conn)
            clean[0] = False
            return query(sql, *args, **kwargs)

        def begin_tracked() -> None:
            clean[0] = False
            begin()

        def commit_tracked() -> None:
            commit()
            clean[0] = True

        def rollback_if_needed() -> None:
            if not clean[0]:
                rollback()
                clean[0] = True

        def committed_by_server() -> None:
            clean[0] = True

        dbapi_conn.query = query_tracked
        dbapi_conn.begin = begin_tracked
        dbapi_conn.commit = commit_tracked
        dbapi_conn.rollback = rollback_if_needed
        dbapi_conn.dj_sqla_committed_by_server = committed_by_server

    @classmethod
    def engine_options(cls, url: sa.URL) -> dict[str, Any]:
        """Connections may send files (``LOAD DATA LOCAL INFILE``): only dj_sqla's own bulk
        inserts do, and only while they run (see :meth:`bulk_insert`)."""
        return {"connect_args": {"local_infile": True}}

    def bulk_insert(
        self,
        conn: Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        *,
        skip_duplicates: bool = False,
    ) -> bool:
        """``LOAD DATA LOCAL INFILE`` for large inserts: about twice as fast as multi-row
        ``INSERT`` statements, in the same transaction.

        ``LOAD DATA LOCAL`` cannot stop the client's file midway, so the server turns every
        error into a warning and skips or adjusts the row. A load that left any warning is
        therefore undone (to a savepoint) and the rows go through ``executemany``, which
        raises the error itself. With ``skip_duplicates`` the rows are loaded into a
        temporary table without keys and moved by :meth:`insert_skipping_duplicates`'s
        ``ON DUPLICATE KEY UPDATE``, so only primary-key duplicates are skipped.

        Only when dj_sqla built the engine (its connections may send files), the server
        allows local files (``local_infile``), and every value is of a type the loader reads
        from text as the driver would send it; otherwise False.
        """
        dbapi_conn: Any = conn.connection.dbapi_connection
        if (
            len(rows) < LOAD_THRESHOLD
            or not getattr(dbapi_conn, "client_flag", 0) & _LOCAL_FILES
            or not self._server_loads_files(conn)
        ):
            return False
        names = list(rows[0])
        columns = column_values(conn, table, names, rows)
        if not all(set(map(type, values)).issubset(_LOADABLE) for values in columns):
            return False
        binary = [any(type(v) is bytes for v in values) for values in columns]
        preparer = conn.dialect.identifier_preparer
        if skip_duplicates:
            target: Any = sa.table(
                f"dj_sqla_skip_{table.name}"[:60], *map(sa.column, names), schema=table.schema
            )
            # CREATE TEMPORARY TABLE ... SELECT has no SQLAlchemy construct; the names are
            # quoted by the dialect's preparer. The copy has the columns' types, no keys.
            selected = ", ".join(preparer.quote(n) for n in names)
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {preparer.format_table(target)} "
                f"SELECT {selected} FROM {preparer.format_table(table)} LIMIT 0"
            )
        else:
            target = table
            conn.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
        text = delimited_text(columns, LOAD_DATA_FORMAT)
        if skip_duplicates:
            # a temporary table outlives a rolled-back transaction (it belongs to the
            # session), so it is dropped whatever happens: the next skipping insert on this
            # pooled connection creates it again
            drop = f"DROP TEMPORARY TABLE IF EXISTS {preparer.format_table(target)}"
            try:
                loaded = _load(conn, dbapi_conn, target, names, binary, text)
                if loaded == len(rows):
                    moving = self.insert_skipping_duplicates(table)
                    conn.execute(moving.from_select(names, sa.select(*target.c)))
            except BaseException:
                if not conn.invalidated:  # a lost session took its temporary table along
                    with contextlib.suppress(sa.exc.SQLAlchemyError):  # the first error counts
                        conn.exec_driver_sql(drop)
                raise
            conn.exec_driver_sql(drop)
            return loaded == len(rows)
        loaded = _load(conn, dbapi_conn, target, names, binary, text)
        if loaded != len(rows):
            conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        else:
            conn.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        return loaded == len(rows)

    def _server_loads_files(self, conn: Connection) -> bool:
        """Whether the server takes ``LOAD DATA LOCAL`` (its ``local_infile``; asked once)."""
        if self._loads_files is None:
            self._loads_files = bool(conn.exec_driver_sql("SELECT @@local_infile").scalar())
        return self._loads_files

    _loads_files: bool | None = None

    @contextmanager
    def declaring(self) -> Iterator[Connection]:
        """A declaration's DDL, without a COMMIT of its own.

        MySQL commits each DDL statement by itself, so after a declaration whose statements
        all succeeded, and whose last reply says no transaction is open, there is nothing
        to commit (or roll back): the connection goes back to the pool without a round
        trip. (After a failure, ``Schema`` drops what was created.)
        """
        with self.engine.connect() as conn:
            yield conn
            dbapi_conn: Any = conn.connection.dbapi_connection
            mark = getattr(dbapi_conn, "dj_sqla_committed_by_server", None)
            if mark is not None and not dbapi_conn.server_status & _IN_TRANSACTION:
                mark()  # the pool's rollback is skipped
            else:
                conn.commit()

    def drop_tables(self, conn: Connection, tables: list[sa.Table]) -> None:
        """One ``DROP TABLE a, b, ...`` (dependents first): MySQL commits each DDL statement,
        so dropping them one by one could drop some before the server refuses another; in
        one statement it checks the privileges on all of them before dropping any."""
        preparer = self.engine.dialect.identifier_preparer
        # DropTable names one table; the names are quoted by the dialect's preparer
        names = ", ".join(preparer.format_table(table) for table in tables)
        conn.execute(sa.text(f"DROP TABLE {names}"))

    def create_schema(self, conn: Connection, name: str) -> None:
        """``CREATE DATABASE`` with utf8mb4 text and a binary collation without padding.

        SQLAlchemy's CreateSchema has no character-set option, and a server's default may be
        latin1 (MariaDB's is), which cannot store most of Unicode. The binary collation makes
        text comparisons case- and accent-sensitive, as on PostgreSQL and SQLite, so that the
        same keys are equal (or not) on every backend; without padding, trailing spaces count
        too (``utf8mb4_bin`` found ``'ab'`` equal to ``'ab '``: a duplicate key, and a
        restriction matching both). The name is quoted by the dialect.
        """
        quoted = self.engine.dialect.identifier_preparer.quote_identifier(name)
        collation = schema_collation(conn.dialect)
        # CREATE DATABASE ... CHARACTER SET has no SQLAlchemy construct (see above)
        conn.execute(
            sa.text(
                f"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4 COLLATE {collation}"
            )
        )

    def upsert(self, table: sa.Table, names: list[str]) -> Any:
        """``INSERT ... ON DUPLICATE KEY UPDATE`` (a no-op update when only keys are given)."""
        insert = mysql.insert(table)
        key = [c.name for c in table.primary_key.columns]
        values = {n: insert.inserted[n] for n in names if n not in key} or {
            key[0]: insert.inserted[key[0]]
        }
        return insert.on_duplicate_key_update(values)

    def insert_skipping_duplicates(self, table: sa.Table) -> Any:
        """``INSERT ... ON DUPLICATE KEY UPDATE`` that keeps a row whose primary key is stored.

        ``INSERT IGNORE`` would also turn foreign-key failures and truncations into warnings.
        The update sets the first key column to itself when the stored row has the new row's
        primary key, and to NULL otherwise: a clash on another unique index then fails with
        "cannot be null" (key columns are NOT NULL), as it does on the other backends.
        """
        insert = mysql.insert(table)
        key = list(table.primary_key.columns)
        same_key = sa.and_(*[c == insert.inserted[c.name] for c in key])
        first = key[0]
        return insert.on_duplicate_key_update(
            {first.name: sa.case((same_key, first), else_=sa.null())}
        )

    # -- access control ------------------------------------------------------------------------

    @classmethod
    def tls_connect_args(cls, use_tls: bool | dict[str, Any]) -> dict[str, Any]:
        """PyMySQL's ``ssl`` (a dict, as DataJoint passes it): a non-empty one makes TLS
        required; without a CA the certificate is not checked. False: ``ssl_disabled``."""
        if use_tls is False:
            return {"ssl_disabled": True}
        options = tls_options(use_tls)
        verify, check_hostname = verifies(options)
        return {"ssl": {**options, "verify_mode": verify, "check_hostname": check_hostname}}

    def access_error(self, error: BaseException, statement: str | None) -> AccessError | None:
        """MySQL errors 1142/1143 (a command on a table or column), 1044 (a database) and
        1227 (a server-wide privilege)."""
        code, message = _code_and_message(error)
        denial: Denial | None = None
        if code in (1142, 1143):
            found = _COMMAND_DENIED.search(message)
            if found is not None:
                table = f"table {_quoted_table(found['table'])}"
                if found["column"]:
                    table = f"column `{found['column']}` of {table}"
                denial = Denial(found["privilege"], table, found["user"])
        elif code == 1044:
            found = _DATABASE_DENIED.search(message)
            if found is not None:
                privilege = statement_privilege(statement)
                denial = Denial(privilege, f"schema `{found['db']}`", found["user"])
        elif code == 1227:
            found = _NEEDS.search(message)
            denial = Denial(found["privilege"] if found else "required", "this server")
        if denial is None:
            return None
        return access_error(denial, user=self.engine.url.username, server=self.describe_server())

    def refused_login(self, error: BaseException) -> bool:
        """MySQL error 1045 (wrong user or password), 1698 (no such login for this user)."""
        return _code_and_message(error)[0] in (1045, 1698)

    def grant(self, conn: Connection, schema: str, user: str, level: str) -> None:
        """``GRANT <level's privileges> ON `schema`.* TO 'user'@'host'``."""
        privileges = _GRANTED[check_level(level)].schema
        who = User.parse(user)
        try:
            conn.execute(GrantOn(privileges, "schema", schema, who))
        except sa.exc.DBAPIError as err:
            if _code_and_message(err)[0] == 1133:  # no such user (and none is created)
                raise unknown_user(str(who), self.describe_server()) from err
            raise

    def revoke(self, conn: Connection, schema: str, user: str, level: str) -> None:
        """Revoke everything on ``schema``.*, then grant the level below ``level`` again (a
        user who holds nothing there is left alone: MySQL would refuse the REVOKE)."""
        below = LEVELS[: LEVELS.index(check_level(level))]
        who = User.parse(user)
        held = self._grants(conn, schema).get(who)
        if not held:
            return
        conn.execute(GrantOn(("ALL PRIVILEGES",), "schema", schema, who, revoke=True))
        if below:
            conn.execute(GrantOn(_GRANTED[below[-1]].schema, "schema", schema, who))

    def privileges(self, conn: Connection, schema: str) -> dict[str, str]:
        """Users with privileges on ``schema``.* (from information_schema, which shows every
        user's grants to an administrator and a user's own to anyone else); server-wide
        grants are not listed."""
        return {
            str(who): level_of({"schema": held}, _HELD)
            for who, held in sorted(self._grants(conn, schema).items(), key=lambda i: str(i[0]))
        }

    def _grants(self, conn: Connection, schema: str) -> dict[User, set[str]]:
        sp = _schema_privileges.c
        rows = conn.execute(
            sa.select(sp.GRANTEE, sp.PRIVILEGE_TYPE).where(
                sp.TABLE_SCHEMA.in_([schema, escape_schema_pattern(schema)])
            )
        ).all()
        found: dict[User, set[str]] = {}
        for grantee, privilege in rows:
            parsed = _GRANTEE.fullmatch(str(grantee))
            if parsed is not None:
                who = User(parsed[1].replace("''", "'"), parsed[2].replace("''", "'"))
                found.setdefault(who, set()).add(str(privilege).upper())
        return found

    def referencing_table(self, error: sa.exc.IntegrityError) -> str | None:
        """MySQL: 'a foreign key constraint fails (`schema`.`child`, CONSTRAINT ...'."""
        found = re.search(r"constraint fails \(`[^`]*`\.`([^`]+)`", str(error.orig))
        return found.group(1) if found else None

    def is_unreachable(self, error: BaseException) -> bool:
        """MySQL client errors 2002/2003 (cannot connect), 2005 (unknown host), server error
        1053 (shutdown in progress)."""
        code = getattr(getattr(error, "orig", error), "args", (None,))[:1]
        return bool(code) and code[0] in (1053, 2002, 2003, 2005)

    def is_conflict(self, error: BaseException) -> bool:
        """MySQL error 1213 is a deadlock, 1205 a lock wait timeout."""
        code = getattr(getattr(error, "orig", error), "args", (None,))[:1]
        return bool(code) and code[0] in (1205, 1213)

    def integrity_kind(self, error: sa.exc.IntegrityError) -> str | None:
        """MySQL error 1062 is a duplicate key; 1451/1452 are foreign-key failures."""
        code = getattr(error.orig, "args", (None,))[0]
        if code == 1048 and _SKIPPING_MARK in str(error.statement or ""):
            return "duplicate"  # a unique-index clash under insert_skipping_duplicates
        kinds = {1062: "duplicate", 1451: "foreign_key", 1452: "foreign_key"}
        return kinds.get(code) if isinstance(code, int) else None


def _code_and_message(error: BaseException) -> tuple[Any, str]:
    """A PyMySQL error's number and message (``(1142, "INSERT command denied ...")``)."""
    args: Any = getattr(getattr(error, "orig", error), "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], str(args[1])
    return None, ""


def condition_text(condition: sa.ColumnElement[bool]) -> str:
    """``condition`` as MySQL's SQL text with its values written in and its columns by bare
    name (`` `mouse_id` = 3 ``): the restriction string DataJoint's ``make_condition`` gives,
    which dj_sqla reads back on every backend.

    Example:
        >>> t = sa.table("mouse", sa.column("mouse_id"), sa.column("sex"))
        >>> condition_text(sa.and_(t.c.mouse_id == 3, t.c.sex.in_(["F", "U"])))
        "`mouse_id` = 3 AND `sex` IN ('F', 'U')"
    """

    def bare(element: Any, **_: Any) -> Any:
        if isinstance(element, sa.ColumnClause) and element.table is not None:
            return sa.literal_column(f"`{element.name}`", element.type)
        return None

    options: dict[str, Any] = {}
    bare_names = sa.sql.visitors.replacement_traverse(condition, options, bare)
    dialect = mysql.dialect()
    return str(bare_names.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
