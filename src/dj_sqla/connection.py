"""Connections: a SQLAlchemy Engine plus dj_sqla's backend state and transactions.

``dj.conn()`` is the process-wide default connection, built from :data:`dj.config` the first
time it is needed. With nothing configured it is the embedded SQLite store in the folder
``dj_sqla_data`` of the working directory, so a pipeline runs with no server at all.

Example:
    >>> import dj_sqla as dj
    >>> c = dj.Connection("sqlite://")          # an in-memory store
    >>> c.dialect_name
    'sqlite'
    >>> with c.transaction as sa_conn:          # one transaction, committed at the end
    ...     _ = sa_conn.exec_driver_sql("select 1")
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from ._connecting import (
    Cancelled,
    Ends,
    QueryResult,
    connection_target,
    failed_statement,
    is_read,
    parse_url,
    ping_when_idle,
    run_init,
    short_error,
    translated_driver_error,
)
from .backends import backend_class_for_url, backend_for, url_from_settings
from .config import config
from .errors import (
    AccessError,
    ConfigError,
    DataJointError,
    LostConnectionError,
    TableNotDeclaredError,
    TransactionConflictError,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import ExceptionContext

    from .backends import Backend


_T = TypeVar("_T", bound=type)
#: A driver's words for a failed TLS handshake or certificate check (PyMySQL, libpq).
_TLS_FAILURE = re.compile(r"\bSSL\b|certificate|\bTLS\b", re.IGNORECASE)
_R = TypeVar("_R")

#: A pooled connection idle longer than this many seconds is pinged before use: the server
#: Attempts, and the longest pause in seconds, of work the database rolled back for a conflict.
CONFLICT_ATTEMPTS = 8
_CONFLICT_PAUSE = 1.0
_REOPEN_PAUSE = 1.0  # seconds before a read tries again when the server did not answer

#: Builds a connection's ``dependencies`` graph; :mod:`dj_sqla.dependencies` (a layer above)
#: supplies it through :func:`supply_dependencies` when it is imported.
_dependency_graph: Callable[[Connection], Any] | None = None


def supply_dependencies(factory: Callable[[Connection], Any]) -> None:
    """Set what ``Connection.dependencies`` is built with (DataJoint's dependency graph)."""
    global _dependency_graph
    _dependency_graph = factory


class Schema(Protocol):
    """What the layers below the schema layer use of an activated ``dj.Schema``.

    :class:`dj_sqla.schemas.Schema` satisfies it; the connection keeps its activated schemas
    under this interface, so that the code that runs statements (insert, delete, describe)
    needs nothing from the layer above it.
    """

    @property
    def database(self) -> str | None: ...

    @property
    def connection(self) -> Connection: ...

    @property
    def tables(self) -> Mapping[str, sa.Table]: ...

    @property
    def _classes(self) -> Mapping[sa.Table, type]: ...

    def class_for(self, schema_name: str | None, table_name: str) -> type | None: ...

    def get_table(self, name: str) -> Any: ...

    def forget_tables(
        self, tables: Iterable[sa.Table], *, reason: BaseException | None = None
    ) -> None: ...

    def missing_table_message(self, table_name: str) -> str: ...

    def __call__(self, cls: _T, *, context: Mapping[str, Any] | None = None) -> _T: ...


class Connection:
    """A database connection for dj_sqla: an Engine, its backend, and transactions.

    Args:
        host: a SQLAlchemy URL (string or ``sqlalchemy.URL``) or an existing
            ``sqlalchemy.Engine``. An Engine is used as it is, so an application can share its
            own engine (and pool) with dj_sqla. DataJoint's way, a server host
            (``"db.example.org"`` or ``"db.example.org:3306"``) instead.
        user, password, port: credentials and port for a host (default: ``dj.config``).
        init_fun: SQL run on every new database connection.
        use_tls: None (the driver's default: TLS when the server offers it), True (TLS
            required), False (no TLS), or a dict of certificate files in PyMySQL's spelling
            (``{"ca": "ca.pem", "cert": ..., "key": ...}``: TLS required, the server checked
            against the CA); the same on MySQL and PostgreSQL.
        host: the server host as a keyword, as DataJoint's ``Connection(host=..., user=...,
            password=...)`` is called; give either it or ``url_or_engine``.
        backend: ``"mysql"`` or ``"postgresql"`` for a host (default:
            ``dj.config["database.backend"]``).
        database_name: the database a PostgreSQL host connects to (default:
            ``dj.config["database.name"]``).
        **engine_options: passed to ``sqlalchemy.create_engine`` when a URL is given.

    Raises:
        ConfigError: neither or both of ``url_or_engine`` and ``host`` are given.

    Example:
        >>> import dj_sqla as dj
        >>> dj.Connection("sqlite://").backend.name
        'sqlite'
    """

    def __init__(
        self,
        url_or_engine: str | sa.URL | sa.Engine | None = None,
        user: str | None = None,
        password: str | None = None,
        port: int | str | None = None,
        init_fun: str | None = None,
        use_tls: bool | dict[str, Any] | None = None,
        *,
        host: str | None = None,
        backend: str | None = None,
        database_name: str | None = None,
        **engine_options: Any,
    ) -> None:
        self._read_engine: sa.Engine | None = None
        if (url_or_engine is None) == (host is None):
            raise ConfigError(
                "dj.Connection needs one target: a SQLAlchemy URL or Engine (first argument), "
                "or a server host (host='db.example.org[:port]', DataJoint's way)."
            )
        target = url_or_engine if url_or_engine is not None else host
        assert target is not None  # (checked above)
        url_or_engine = connection_target(
            target, user, password, port, use_tls, backend=backend, name=database_name
        )
        init_fun = init_fun if init_fun is not None else config.get("connection.init_function")
        self._init_fun: str | None = init_fun
        self._use_tls = use_tls
        if isinstance(url_or_engine, sa.Engine):
            engine = url_or_engine
        else:
            url = url_or_engine
            backend_class = backend_class_for_url(url)
            options = {**backend_class.engine_options(url), **engine_options}
            if use_tls is not None:
                tls = backend_class.tls_connect_args(use_tls)
                options["connect_args"] = {**options.get("connect_args", {}), **tls}
            engine = sa.create_engine(url, **options)
            event.listen(engine, "connect", backend_class.prepare_write_connection)
        if init_fun:
            event.listen(engine, "connect", partial(run_init, init_fun))
        #: The settings this connection's work reads (DataJoint's ``connection._config``):
        #: ``dj.config``, or a ``dj.Instance``'s own.
        self._config: Any = config
        self.engine: sa.Engine = engine
        self.backend: Backend = backend_for(engine)
        self._local = threading.local()
        #: closed by close() and not used since (a new database connection clears it)
        self._closed = False
        event.listen(engine, "connect", self._opened)
        self._schemas: weakref.WeakValueDictionary[str, Schema] = weakref.WeakValueDictionary()
        #: every activated Schema object, also several of one name (two modules, or a module
        #: and a virtual schema, may each make one): all their tables take part in cascades
        self._all_schemas: list[weakref.ref[Schema]] = []
        event.listen(engine, "handle_error", self._translate_error)
        if self.backend.has_server:
            ping_when_idle(engine)
        if self.backend.reads_in_autocommit and not isinstance(url_or_engine, sa.Engine):
            # dj_sqla knows how this engine connects, so it can open a second pool for reads
            self._read_engine = self._autocommit_engine(url, options)

    def _autocommit_engine(self, url: sa.URL, options: dict[str, Any]) -> sa.Engine:
        """A pool of autocommit connections: a read costs one round trip, no BEGIN/ROLLBACK."""
        reader = sa.create_engine(
            url, **options, isolation_level="AUTOCOMMIT", pool_reset_on_return=None
        )
        event.listen(reader, "connect", self.backend.prepare_read_connection)
        event.listen(reader, "connect", self._opened)
        if self._init_fun:
            event.listen(reader, "connect", partial(run_init, self._init_fun))
        event.listen(reader, "handle_error", self._translate_error)
        ping_when_idle(reader)
        creator = os.getpid()

        def dispose_too(engine: sa.Engine) -> None:
            # a forked child must not close (and so end) its parent's connections
            reader.dispose(close=os.getpid() == creator)

        event.listen(self.engine, "engine_disposed", dispose_too)
        return reader

    @property
    def read_engine(self) -> sa.Engine:
        """The engine queries use outside a transaction.

        On MySQL and PostgreSQL, when dj_sqla built the engine from a URL, it is a second
        pool of autocommit connections, so a read costs one round trip; it is disposed of
        with :attr:`engine`. Otherwise it is :attr:`engine` itself.
        """
        return self._read_engine or self.engine

    def __repr__(self) -> str:
        state = "closed" if self._closed else "connected"
        return f"dj.Connection({self.backend.describe_server()!r}) ({state})"

    @property
    def conn_info(self) -> dict[str, Any]:
        """Where this connection goes, as DataJoint's ``conn.conn_info`` says it: ``host``,
        ``port``, ``user``, ``backend`` and ``database``, and DataJoint's ``ssl_input`` (the
        ``use_tls`` given) and ``ssl`` (present when TLS was required). The password is left
        out on purpose: it would end up in logs and error reports."""
        url = self.engine.url
        info: dict[str, Any] = {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "backend": self.backend.name,
            "database": url.database,
            "ssl_input": (
                {k: v for k, v in self._use_tls.items() if k != "password"}  # the key's
                if isinstance(self._use_tls, dict)
                else self._use_tls
            ),
        }
        if self._use_tls not in (None, False):
            info["ssl"] = True
        return info

    @property
    def dialect_name(self) -> str:
        """The SQLAlchemy dialect name (``sqlite``, ``mysql``, ``mariadb``, ``postgresql``)."""
        return self.engine.dialect.name

    # -- transactions --------------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        """Whether this thread is inside ``with connection.transaction``."""
        return getattr(self._local, "conn", None) is not None

    @property
    def transaction(self) -> AbstractContextManager[sa.Connection]:
        """A context manager: one transaction, committed on success, rolled back on error.

        dj_sqla operations run inside it on the same database connection. Nesting is refused,
        as in DataJoint, because an inner "commit" could not be honoured.

        Example:
            >>> import dj_sqla as dj
            >>> c = dj.Connection("sqlite://")
            >>> with c.transaction:
            ...     c.in_transaction
            True
        """
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        if self.in_transaction:
            raise DataJointError(
                "A transaction is already open on this connection; nested transactions are "
                "not supported. Do the work inside the outer `with connection.transaction`."
            )
        held: sa.Connection | None = getattr(self._local, "held", None)
        begin = self.engine.begin if held is None else partial(self.backend.transaction_on, held)
        ends = Ends()
        try:
            with begin() as conn:
                self._local.conn = conn
                self._local.ends = ends
                try:
                    yield conn
                finally:
                    self._local.conn = None
                    self._local.ends = None
        except BaseException:
            ends.run(ends.rolled_back)
            raise
        ends.run(ends.committed)

    def after_transaction(
        self,
        *,
        committed: Callable[[], None] | None = None,
        rolled_back: Callable[[], None] | None = None,
    ) -> bool:
        """Run ``committed`` after this thread's open transaction commits, or ``rolled_back``
        after it rolls back (object stores: remove objects of deleted rows only once the
        deletion is committed). Returns False, doing nothing, outside a transaction.

        Example:
            >>> import dj_sqla as dj
            >>> c = dj.Connection("sqlite://")
            >>> with c.transaction:
            ...     c.after_transaction(committed=lambda: print("committed"))
            True
            committed
        """
        ends: Ends | None = getattr(self._local, "ends", None)
        if ends is None:
            return False
        if committed is not None:
            ends.committed.append(committed)
        if rolled_back is not None:
            ends.rolled_back.append(rolled_back)
        return True

    @contextmanager
    def hold_connection(self) -> Iterator[None]:
        """Run this thread's transactions on one database connection until the block ends.

        ``populate`` runs every key in its own transaction; holding one connection for the
        whole loop saves a pool checkout and return per key, and on PostgreSQL each key's
        ``BEGIN`` travels with its first statement (see
        :meth:`~dj_sqla.backends.base.Backend.transaction_on`). Outside a transaction, reads
        still use :attr:`read_engine`.
        """
        if self.in_transaction or getattr(self._local, "held", None) is not None:
            yield  # already inside a transaction or a held connection: nothing to add
            return
        with self.backend.held_connection() as conn:
            self._local.held = conn
            try:
                yield
            finally:
                self._local.held = None

    def write(self) -> AbstractContextManager[sa.Connection]:
        """The open transaction's connection, or a new one whose work commits at the end."""
        return self._current_or(self.engine.begin)

    def read(self) -> AbstractContextManager[sa.Connection]:
        """The open transaction's connection, or one of :attr:`read_engine` for reading."""
        return self._current_or(self.read_engine.connect)

    def run_read(self, work: Callable[[sa.Connection], _R]) -> _R:
        """``work(conn)`` on a reading connection; outside a transaction, once more on a new
        connection if the first was lost (a read changes nothing, so running it again is
        safe). Inside a transaction a lost connection raises :class:`LostConnectionError`.

        Example:
            >>> import dj_sqla as dj
            >>> c = dj.Connection("sqlite://")
            >>> c.run_read(lambda conn: conn.exec_driver_sql("select 2").scalar())
            2
        """
        if self.in_transaction:
            with self.read() as conn:
                return work(conn)
        try:
            with self.read() as conn:
                return work(conn)
        except LostConnectionError as lost:
            if isinstance(lost, ServerNotAnswering):
                time.sleep(_REOPEN_PAUSE)  # the server may be restarting: give it a moment
            with self.read() as conn:  # the pool replaced the lost connection
                return work(conn)

    def retrying(self, work: Callable[[], _R], *, attempts: int = CONFLICT_ATTEMPTS) -> _R:
        """Run ``work`` (a whole transaction of its own); run it again after a growing random
        pause (at most about a second each) when the database rolled it back to resolve a
        conflict with another transaction (a deadlock, a serialization failure). Inside an
        open transaction it runs once: only the whole transaction could be run again.

        Raises:
            TransactionConflictError: the conflict persisted through every attempt.

        Example:
            >>> import dj_sqla as dj
            >>> dj.Connection("sqlite://").retrying(lambda: 42)
            42
        """
        if self.in_transaction:
            return work()
        for attempt in range(attempts - 1):
            try:
                return work()
            except TransactionConflictError:
                pause = min(_CONFLICT_PAUSE, 0.02 * 2**attempt)
                time.sleep(random.uniform(pause / 2, pause))
        return work()

    @contextmanager
    def _current_or(
        self, new: Callable[[], AbstractContextManager[sa.Connection]]
    ) -> Iterator[sa.Connection]:
        current: sa.Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with new() as conn:
            yield conn

    # -- DataJoint's connection API ------------------------------------------------------------

    def query(
        self,
        sql: str,
        args: Sequence[Any] | Mapping[str, Any] = (),
        *,
        as_dict: bool = False,
        reconnect: bool | None = None,
        suppress_warnings: bool = True,
    ) -> QueryResult:
        """Run one SQL statement written for this backend, with DataJoint's ``%s`` placeholders
        for ``args`` (bound by the driver, never pasted into the text; ``%%`` is a literal
        ``%``). Inside :meth:`start_transaction` (or ``with connection.transaction``) it runs
        in that transaction; otherwise it commits on its own.

        ``reconnect`` and ``suppress_warnings`` (DataJoint's) are accepted and need nothing:
        a lost connection is replaced on its own outside a transaction (and is an error inside
        one), and the driver's warnings are not shown.

        Returns:
            A cursor-like :class:`QueryResult` (``fetchall()``, ``fetchone()``, iteration,
            ``rowcount``); rows are tuples, or dicts with ``as_dict=True``.

        Example:
            >>> import dj_sqla as dj
            >>> c = dj.Connection("sqlite://")
            >>> c.query("SELECT %s + 1 AS n, '100%%' AS p", (41,), as_dict=True).fetchall()
            [{'n': 42, 'p': '100%'}]
        """
        statement = self.backend.driver_sql(sql)
        parameters: Any = dict(args) if isinstance(args, Mapping) else tuple(args)
        current: sa.Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            return QueryResult(current.exec_driver_sql(statement, parameters), as_dict)
        with self.engine.begin() as conn:
            return QueryResult(conn.exec_driver_sql(statement, parameters), as_dict)

    def start_transaction(self) -> None:
        """Open a transaction on this thread (DataJoint's API; ``with connection.transaction``
        is the same thing as a block). End it with :meth:`commit_transaction` or
        :meth:`cancel_transaction`."""
        manager = self._transaction()
        manager.__enter__()
        self._local.manual = manager

    def commit_transaction(self) -> None:
        """Commit the transaction opened by :meth:`start_transaction`."""
        self._manual_transaction("commit_transaction").__exit__(None, None, None)

    def cancel_transaction(self) -> None:
        """Roll back the transaction opened by :meth:`start_transaction`."""
        cancelled = Cancelled()
        self._manual_transaction("cancel_transaction").__exit__(Cancelled, cancelled, None)

    def _manual_transaction(self, operation: str) -> AbstractContextManager[Any]:
        manager: AbstractContextManager[Any] | None = getattr(self._local, "manual", None)
        if manager is None:
            raise DataJointError(
                f"{operation}(): no transaction was started with start_transaction() on this "
                "thread."
            )
        self._local.manual = None
        return manager

    def ping(self) -> None:
        """Check that the server answers (one round trip).

        Raises:
            LostConnectionError: the server cannot be reached.
        """
        try:
            with self.read_engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except (sa.exc.DBAPIError, LostConnectionError) as err:
            raise LostConnectionError(
                f"{self.backend.describe_server()} does not answer: {getattr(err, 'orig', err)}"
            ) from err

    @property
    def is_connected(self) -> bool:
        """Whether the server answers now (see :meth:`ping`); False after :meth:`close` until
        the connection is used again (as in DataJoint, where a closed connection reconnects
        on its next query)."""
        if self._closed:
            return False
        try:
            self.ping()
        except (LostConnectionError, AccessError):  # AccessError: the login was refused
            return False
        return True

    def close(self) -> None:
        """Close every pooled database connection; the next use opens new ones."""
        self.engine.dispose()
        self._closed = True

    def _opened(self, dbapi_conn: Any, record: Any) -> None:
        self._closed = False

    def __enter__(self) -> Connection:
        """``with dj.Connection(...) as conn:`` closes the pooled connections at the end."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def connect(self) -> None:
        """(Re)connect: pooled connections are replaced and the server is pinged."""
        self.engine.dispose()
        self.ping()

    def get_user(self) -> str:
        """The database user this connection runs as (SQLite: the operating-system user)."""
        with self.read_engine.connect() as conn:
            return self.backend.current_user(conn)

    # -- schemas and errors --------------------------------------------------------------------

    def register_schema(self, schema: Schema) -> None:
        """Remember an activated schema so errors about its tables can name it, and so
        cascades and the dependency graph reach its tables."""
        self._schemas[str(schema.database)] = schema
        live = [ref for ref in self._all_schemas if ref() is not None and ref() is not schema]
        self._all_schemas = [*live, weakref.ref(schema)]

    def schemas(self) -> list[Schema]:
        """The schemas activated on this connection (still in use), in activation order;
        several Schema objects of one name are all listed."""
        found = [ref() for ref in self._all_schemas]
        return [schema for schema in found if schema is not None]

    @property
    def dependencies(self) -> Any:
        """DataJoint's ``connection.dependencies``: the foreign-key graph of the activated
        schemas by full table name (:class:`dj_sqla.dependencies.Dependencies`), one object
        per connection; ``.load()`` builds it again after more tables were declared.

        Example::

            deps = dj.conn().dependencies
            deps.load()
            deps.descendants(Subject.full_table_name)
        """
        graph = self.__dict__.get("_dependencies")
        if graph is None:
            if _dependency_graph is None:  # the package imports dj_sqla.dependencies
                raise DataJointError("dj_sqla.dependencies is not imported.")
            graph = self.__dict__["_dependencies"] = _dependency_graph(self)
        return graph

    def schema_named(self, name: str) -> Schema | None:
        """The activated :class:`Schema` of that name on this connection, if any."""
        return self._schemas.get(name)

    def _translate_error(self, context: ExceptionContext) -> BaseException | None:
        """Name what a driver error means for the user: refused credentials or a missing
        privilege (:class:`AccessError`, naming the user, table and privilege), a lost connection
        (:class:`LostConnectionError`, saying what was rolled back), a conflict with another
        transaction (:class:`TransactionConflictError`), "no such table" for a dj_sqla table
        (:class:`TableNotDeclaredError`); any other, shortened
        (:func:`~dj_sqla._connecting.translated_driver_error`)."""
        original = context.original_exception
        refused = self.backend.login_error(original) or self.backend.access_error(
            original, context.statement
        )
        if refused is not None:
            return refused
        if context.is_disconnect:
            return LostConnectionError(self._lost_message(context))
        connecting = context.connection is None and self.backend.has_server
        if connecting and _TLS_FAILURE.search(str(original)):
            return LostConnectionError(
                f"{self.backend.describe_server()} and this client could not agree on TLS "
                f"({short_error(original)}); check use_tls (or database.use_tls) and its "
                "certificate files, and whether the server offers TLS."
            )
        if connecting or self.backend.is_unreachable(original):
            return ServerNotAnswering(
                f"{self.backend.describe_server()} does not answer ({short_error(original)}); "
                "check that the server runs and can be reached, then run it again."
            )
        if self.backend.is_conflict(original):
            return TransactionConflictError(
                f"{self.backend.describe_server()} rolled the transaction back to resolve a "
                f"conflict with another one ({short_error(original)}); none of its changes were "
                "stored. dj_sqla runs its own job and delete statements again by itself; run "
                f"your transaction again.{failed_statement(context)}"
            )
        name = self.backend.missing_table(original)
        if name is not None and "." in name:
            schema_name, _, table_name = name.partition(".")
            schema = self._schemas.get(schema_name)
            if schema is not None and name in schema.tables:
                return TableNotDeclaredError(schema.missing_table_message(table_name))
        # any other driver error: short, named, and still SQLAlchemy's class
        return translated_driver_error(context, self.backend)

    def _lost_message(self, context: ExceptionContext) -> str:
        where = self.backend.describe_server()
        if self.in_transaction:
            done = (
                " inside a transaction: the transaction was rolled back and none of its changes "
                "were stored. Run the whole transaction again (a new connection is opened)"
            )
        elif context.statement is not None and is_read(context.statement):
            done = "; a read is tried once more on a new connection, and that failed too"
        else:
            done = (
                ": the statement's work was rolled back unless the server had committed it "
                "just before; writes are never run again automatically, so check and run it "
                "again"
            )
        return (
            f"The connection to {where} was lost{done} ({short_error(context.original_exception)})."
            f"{failed_statement(context)}"
        )


_default: Connection | None = None
_default_lock = threading.Lock()


def conn(
    host: str | sa.URL | None = None,
    user: str | None = None,
    password: str | None = None,
    *,
    reset: bool = False,
    init_fun: str | None = None,
    use_tls: bool | dict[str, Any] | None = None,
) -> Connection:
    """The process-wide default connection (``dj.conn()``).

    Args:
        host: a SQLAlchemy URL, or (DataJoint's way) a server host (``host`` or
            ``host:port``) used with ``dj.config``'s backend, port and credentials. Without
            it, the URL comes from ``dj.config`` (``database.url``, else
            ``database.backend/host/port/user/password/name``), and with nothing configured
            it is the embedded SQLite store in ``dj_sqla_data``.
        user, password: credentials for ``host`` (default: ``dj.config``).
        reset: build a new connection even if one exists (after changing ``dj.config``).
        init_fun: SQL run on every new database connection (default
            ``dj.config["connection.init_function"]``).
        use_tls: see :class:`Connection`.

    Returns:
        The default :class:`Connection`.

    Example:
        >>> import dj_sqla as dj
        >>> dj.conn("sqlite://").dialect_name
        'sqlite'
    """
    global _default
    with _default_lock:
        if host is not None or user is not None or password is not None:
            target = connection_target(host or config["database.host"], user, password, None, None)
        elif _default is not None and not reset:
            return _default
        else:
            target = url_from_config()
        server = isinstance(target, sa.URL) and backend_class_for_url(target).has_server
        if use_tls is None and server:
            use_tls = config["database.use_tls"]  # as DataJoint: the argument, else the setting
        if _default is None or reset or _default.engine.url != target:
            _default = Connection(target, init_fun=init_fun, use_tls=use_tls)
        return _default


def url_from_config() -> sa.URL:
    """The URL described by ``dj.config`` (see :mod:`dj_sqla.config`)."""
    if config["database.url"]:
        return parse_url(config["database.url"])
    return url_from_settings(
        backend=config["database.backend"],
        host=config["database.host"],
        port=config["database.port"],
        user=config["database.user"],
        password=config["database.password"],
        name=config["database.name"],
        sqlite_dir=config["database.sqlite_dir"],
    )


_by_key: weakref.WeakValueDictionary[Any, Connection] = weakref.WeakValueDictionary()


def as_connection(value: Connection | sa.Engine | str | sa.URL | None) -> Connection:
    """A :class:`Connection` for what a user passed as ``connection=``.

    ``None`` is the default connection; an Engine or URL gets one shared Connection (so two
    schemas given the same URL share an engine, which SQLite's attached schemas need).
    """
    if value is None:
        return conn()
    if isinstance(value, Connection):
        return value
    # the password is part of the key (two users, two connections); the key is never shown
    key: Any = (
        value
        if isinstance(value, sa.Engine)
        else parse_url(value).render_as_string(hide_password=False)
    )
    with _default_lock:
        found = _by_key.get(key)
        if found is None:
            found = _by_key[key] = Connection(value)
        return found


class ServerNotAnswering(LostConnectionError):
    """No connection could be opened: the server is down, restarting or unreachable."""
