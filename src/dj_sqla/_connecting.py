"""The parts of :mod:`dj_sqla.connection` that stand alone: DataJoint's host/user/password
arguments made into a URL, ``init_fun``, the idle-connection ping, the cursor-like result of
``conn.query``, and the helpers that name a failed statement in an error (and make a driver
error short: :func:`translated_driver_error`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event

from ._config_keys import url_without_password
from ._log import logger
from .backends import url_from_settings
from .config import config
from .errors import (
    ConfigError,
    DataJointError,
    DuplicateError,
    IntegrityError,
    MissingTableError,
    QueryError,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import ExceptionContext

    from .backends import Backend

#: Seconds a pooled connection may sit idle before its next checkout pings the server.
IDLE_PING_SECONDS = 1.0
_SQL_SHOWN = 300  # characters of a statement quoted in an error


def short_error(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= _SQL_SHOWN else text[: _SQL_SHOWN - 3] + "..."


def failed_statement(context: ExceptionContext) -> str:
    """The failed statement for an error message, cut to a few hundred characters."""
    if not context.statement:
        return ""
    text = " ".join(context.statement.split())
    return f" [SQL: {text if len(text) <= _SQL_SHOWN else text[: _SQL_SHOWN - 3] + '...'}]"


#: The tables a statement names (after INTO, UPDATE, FROM, JOIN or TABLE), quoted or not.
_TABLE_NAMES = re.compile(
    r"\b(?:INTO|UPDATE|FROM|JOIN|TABLE)\s+((?:[`\"]?[\w~$]+[`\"]?\.)?[`\"]?[\w~$]+[`\"]?)",
    re.IGNORECASE,
)


def statement_tables(statement: str | None) -> list[str]:
    """The tables named in the first few thousand characters of ``statement``, each once,
    as ``schema.table`` (at most three).

    Example:
        >>> statement_tables('SELECT a.x FROM "lab"."mouse" JOIN lab.cage ON 1 = 1')
        ['lab.mouse', 'lab.cage']
    """
    found: list[str] = []
    for match in _TABLE_NAMES.finditer((statement or "")[:5000]):
        name = match.group(1).replace("`", "").replace('"', "")
        if name.upper() not in ("SELECT", "LATERAL") and name not in found:
            found.append(name)
    return found[:3]


def translated_driver_error(context: ExceptionContext, backend: Backend) -> BaseException | None:
    """A driver error SQLAlchemy raised, as a dj_sqla error with a short message.

    SQLAlchemy's own message quotes the whole statement and its parameters: megabytes for a
    restriction by a long list or a large insert. The error returned is both a dj_sqla error
    (``DuplicateError`` for a repeated key, ``IntegrityError`` for a foreign key,
    ``MissingTableError``, else ``QueryError``) and the SQLAlchemy exception it replaces,
    with its ``orig``, ``statement`` and ``params``, so both ``except dj.DataJointError``
    and ``except sqlalchemy.exc.IntegrityError`` catch it; its text names the tables of the
    statement and quotes at most a few hundred characters of it.
    """
    error = context.sqlalchemy_exception
    if error is None or isinstance(error, DataJointError):
        return None
    kind: type[DataJointError] = QueryError
    if isinstance(error, sa.exc.IntegrityError):
        kind = DuplicateError if backend.integrity_kind(error) == "duplicate" else IntegrityError
    elif backend.missing_table(context.original_exception) is not None:
        kind = MissingTableError
    tables = ["`" + name.replace(".", "`.`") + "`" for name in statement_tables(context.statement)]
    where = f" on {', '.join(tables)}" if tables else ""
    params = context.parameters
    many = (
        f" ({len(params)} rows of parameters)"
        if isinstance(params, (list, tuple)) and len(params) > 1
        else ""
    )
    orig = getattr(error, "orig", None)
    # a StatementError that is no DBAPIError failed before the database saw the statement
    what = (
        "The database refused a statement"
        if isinstance(error, sa.exc.DBAPIError)
        else ("A statement could not be sent")
    )
    message = (
        f"{what}{where}: {short_error(orig or error).rstrip('.')}.{failed_statement(context)}{many}"
    )
    return _both(kind, type(error)).wrapping(error, message)


class _Translated(Exception):
    """The part of :func:`translated_driver_error`'s errors that is their own: the message."""

    message: str

    @classmethod
    def wrapping(cls, error: BaseException, message: str) -> BaseException:
        """An instance with ``error``'s attributes (``orig``, ``statement``, ...) and
        ``message`` as its text."""
        translated = cls.__new__(cls)
        translated.__dict__.update(vars(error))
        translated.args = (message,)
        translated.message = message
        return translated

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (to a populate worker's parent) as the dj_sqla error alone."""
        dj_kind = next(
            k
            for k in type(self).__mro__
            if issubclass(k, DataJointError) and not issubclass(k, _Translated)
        )
        return dj_kind, (self.message,)


_made: dict[tuple[type, type], type[_Translated]] = {}


def _both(kind: type[DataJointError], driver: type[BaseException]) -> type[_Translated]:
    """The class of an error that is both ``kind`` and SQLAlchemy's ``driver`` class (made
    once per pair)."""
    made = _made.get((kind, driver))
    if made is None:
        made = type(kind.__name__, (_Translated, kind, driver), {"__module__": kind.__module__})
        _made[(kind, driver)] = made
    return made


def is_read(statement: str) -> bool:
    return statement.lstrip().split(None, 1)[:1] in (["SELECT"], ["select"], ["WITH"], ["SHOW"])


def ping_when_idle(engine: sa.Engine) -> None:
    """Ping a pooled connection that sat idle before handing it out: a dead one (closed by
    the server's idle timeout or a restart) is replaced by the pool instead of failing the
    next statement. Connections in steady use skip the round trip."""

    def checked_in(dbapi_conn: Any, record: Any) -> None:
        record.info["dj_sqla_idle_since"] = time.monotonic()

    def checked_out(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("dj_sqla_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        record.info["dj_sqla_idle_since"] = None
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
                cursor.fetchall()
            finally:
                cursor.close()
            dbapi_conn.rollback()  # leave no transaction open (psycopg2 opens one)
        except Exception as err:
            # the pool discards this connection and hands out (or opens) another
            raise sa.exc.DisconnectionError(str(err)) from err

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


class QueryResult:
    """The rows of :meth:`Connection.query`, read from the server before it returns (so the
    database connection is free again), with the cursor methods DataJoint code calls."""

    def __init__(self, result: sa.CursorResult[Any], as_dict: bool) -> None:
        self.rowcount: int = result.rowcount
        self.description: Any = result.cursor.description if result.returns_rows else None
        if not result.returns_rows:
            self._rows: list[Any] = []
        elif as_dict:
            self._rows = [dict(row) for row in result.mappings()]
        else:
            self._rows = [tuple(row) for row in result]
        self._next = 0

    def fetchone(self) -> Any:
        """The next row, or None after the last."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size: int = 1) -> list[Any]:
        """The next ``size`` rows."""
        rows = self._rows[self._next : self._next + size]
        self._next += len(rows)
        return rows

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    def close(self) -> None:
        """Nothing to release (the rows are read already); here for cursor-style code."""


class Cancelled(Exception):
    """Thrown into a transaction to roll it back (``cancel_transaction``); never escapes."""


def connection_target(
    value: str | sa.URL | sa.Engine,
    user: str | None,
    password: str | None,
    port: int | str | None,
    use_tls: bool | dict[str, Any] | None,
    *,
    settings: Mapping[str, Any] = config,
    backend: str | None = None,
    name: str | None = None,
) -> sa.URL | sa.Engine:
    """An Engine as it is, a URL parsed; DataJoint's host (with credentials) as a URL built
    from it and ``settings`` (default ``dj.config``; a ``dj.Instance`` passes its own).
    ``backend`` and ``name`` override ``database.backend`` and ``database.name``. ``use_tls``
    is refused with an Engine, which connects with its own arguments."""
    if isinstance(value, sa.Engine):
        if use_tls is not None:
            raise ConfigError(
                "use_tls applies when dj_sqla connects; an Engine connects with its own "
                "connect_args (give the driver's TLS options to create_engine instead)."
            )
        return value
    if isinstance(value, sa.URL) or "://" in value:
        return parse_url(value)
    backend = backend or settings["database.backend"] or "mysql"
    if backend == "sqlite":
        raise ConfigError(
            f"{value!r}: a host needs a server backend, and database.backend is sqlite. Set "
            "database.backend to 'mysql' or 'postgresql' (in dj.config, or backend= of "
            "dj.Instance), or pass a SQLAlchemy URL (sqlite:///path/to/store/main.db)."
        )
    return url_from_settings(
        backend=backend,
        host=value,
        port=port if port is not None else settings["database.port"],
        user=user if user is not None else settings["database.user"],
        password=password if password is not None else settings["database.password"],
        name=name if name is not None else settings["database.name"],
        sqlite_dir=settings["database.sqlite_dir"],
    )


def parse_url(value: str | sa.URL) -> sa.URL:
    """``value`` as a URL; one SQLAlchemy cannot read is refused without showing its
    password (SQLAlchemy's own error quotes the whole text)."""
    if isinstance(value, sa.URL):
        return value
    try:
        return sa.make_url(value)
    except (sa.exc.ArgumentError, ValueError):
        raise ConfigError(
            f"{url_without_password(value)!r} is not a SQLAlchemy URL; write it as "
            "dialect+driver://user:password@host:port/database."
        ) from None


def run_init(sql: str, dbapi_conn: Any, record: Any) -> None:
    """DataJoint's ``init_fun``: SQL run on every new database connection."""
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()
    dbapi_conn.commit()  # a session setting made in a transaction would end with it


class Ends:
    """What to run once a transaction has committed, or rolled back
    (:meth:`dj_sqla.Connection.after_transaction`)."""

    def __init__(self) -> None:
        self.committed: list[Callable[[], None]] = []
        self.rolled_back: list[Callable[[], None]] = []

    @staticmethod
    def run(work: list[Callable[[], None]]) -> None:
        for step in work:
            try:
                step()
            except Exception as err:  # the transaction's outcome stands; say what failed
                logger.warning("after the transaction: %s", err)
