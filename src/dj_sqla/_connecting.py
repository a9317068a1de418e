"""The parts of :mod:`dj_sqla.connection` that stand alone: DataJoint's host/user/password
arguments made into a URL, ``init_fun``, the idle-connection ping, the cursor-like result of
``conn.query``, and the helpers that name a failed statement in an error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event

from .backends import url_from_settings
from .config import config
from .errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import ExceptionContext

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
) -> str | sa.URL | sa.Engine:
    """A URL or Engine as it is; DataJoint's host (with credentials) as a URL built from it
    and ``settings`` (default ``dj.config``; a ``dj.Instance`` passes its own). ``backend``
    and ``name`` override ``database.backend`` and ``database.name``."""
    if use_tls:
        raise ConfigError(
            "use_tls: TLS connections are not supported by dj_sqla yet; put the driver's TLS "
            "options in a SQLAlchemy URL (e.g. ?ssl_ca=... for MySQL, ?sslmode=require for "
            "PostgreSQL) and pass the URL instead."
        )
    if isinstance(value, (sa.Engine, sa.URL)) or "://" in value:
        return value
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


def run_init(sql: str, dbapi_conn: Any, record: Any) -> None:
    """DataJoint's ``init_fun``: SQL run on every new database connection."""
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()
    dbapi_conn.commit()  # a session setting made in a transaction would end with it
