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

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event

from .backends import backend_class_for_url, backend_for, url_from_settings
from .config import config
from .errors import DataJointError, TableNotDeclaredError

if TYPE_CHECKING:
    from sqlalchemy.engine import ExceptionContext

    from .backends import Backend
    from .schemas import Schema


class Connection:
    """A database connection for dj_sqla: an Engine, its backend, and transactions.

    Args:
        url_or_engine: a SQLAlchemy URL (string or ``sqlalchemy.URL``) or an existing
            ``sqlalchemy.Engine``. An Engine is used as it is, so an application can share its
            own engine (and pool) with dj_sqla.
        **engine_options: passed to ``sqlalchemy.create_engine`` when a URL is given.

    Example:
        >>> import dj_sqla as dj
        >>> dj.Connection("sqlite://").backend.name
        'sqlite'
    """

    def __init__(self, url_or_engine: str | sa.URL | sa.Engine, **engine_options: Any) -> None:
        if isinstance(url_or_engine, sa.Engine):
            engine = url_or_engine
        else:
            url = sa.make_url(url_or_engine)
            options = {**backend_class_for_url(url).engine_options(url), **engine_options}
            engine = sa.create_engine(url, **options)
        self.engine: sa.Engine = engine
        self.backend: Backend = backend_for(engine)
        self._local = threading.local()
        self._schemas: weakref.WeakValueDictionary[str, Schema] = weakref.WeakValueDictionary()
        event.listen(engine, "handle_error", self._translate_error)

    def __repr__(self) -> str:
        return f"dj.Connection({self.backend.describe_server()!r})"

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
        with self.engine.begin() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def connect(self) -> AbstractContextManager[sa.Connection]:
        """The open transaction's connection, or a new one whose work commits at the end."""
        return self._current_or(self.engine.begin)

    def read(self) -> AbstractContextManager[sa.Connection]:
        """The open transaction's connection, or a new one for reading (nothing committed)."""
        return self._current_or(self.engine.connect)

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

    # -- schemas and errors --------------------------------------------------------------------

    def register_schema(self, schema: Schema) -> None:
        """Remember an activated schema so errors about its tables can name it."""
        self._schemas[str(schema.database)] = schema

    def schemas(self) -> list[Schema]:
        """The schemas activated on this connection (still in use), in activation order."""
        return list(self._schemas.values())

    def schema_named(self, name: str) -> Schema | None:
        """The activated :class:`Schema` of that name on this connection, if any."""
        return self._schemas.get(name)

    def _translate_error(self, context: ExceptionContext) -> BaseException | None:
        """Turn "no such table" for a dj_sqla table into :class:`TableNotDeclaredError`."""
        name = self.backend.missing_table(context.original_exception)
        if name is None or "." not in name:
            return None
        schema_name, _, table_name = name.partition(".")
        schema = self._schemas.get(schema_name)
        if schema is None or name not in schema.tables:
            return None  # not a table of a dj_sqla class (e.g. SQLAlchemy's own probing)
        return TableNotDeclaredError(schema.missing_table_message(table_name))


_default: Connection | None = None
_default_lock = threading.Lock()


def conn(url: str | sa.URL | None = None, *, reset: bool = False) -> Connection:
    """The process-wide default connection (``dj.conn()``).

    Args:
        url: a SQLAlchemy URL to connect to. Without it, the URL comes from ``dj.config``
            (``database.url``, else ``database.backend/host/port/user/password/name``), and
            with nothing configured it is the embedded SQLite store in ``dj_sqla_data``.
        reset: build a new connection even if one exists (after changing ``dj.config``).

    Returns:
        The default :class:`Connection`.

    Example:
        >>> import dj_sqla as dj
        >>> dj.conn("sqlite://").dialect_name
        'sqlite'
    """
    global _default
    with _default_lock:
        if url is not None:
            target = sa.make_url(url)
        elif _default is not None and not reset:
            return _default
        else:
            target = url_from_config()
        if _default is None or reset or _default.engine.url != target:
            _default = Connection(target)
        return _default


def url_from_config() -> sa.URL:
    """The URL described by ``dj.config`` (see :mod:`dj_sqla.config`)."""
    if config["database.url"]:
        return sa.make_url(config["database.url"])
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
    key: Any = value if isinstance(value, sa.Engine) else str(sa.make_url(value))
    with _default_lock:
        found = _by_key.get(key)
        if found is None:
            found = _by_key[key] = Connection(value)
        return found
