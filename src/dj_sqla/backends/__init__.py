"""Everything that differs between SQLite, MySQL/MariaDB and PostgreSQL.

This package is the only place that names a dialect. The rest of dj_sqla asks a
:class:`Backend` what it can do (``backend.has_server_schemas``) and lets it run the few
statements that SQLAlchemy does not make portable (creating a schema, attaching SQLite files).

Example:
    >>> from sqlalchemy import create_engine
    >>> from dj_sqla.backends import backend_for
    >>> backend_for(create_engine("sqlite://")).name
    'sqlite'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._memo import memo
from ..errors import ConfigError
from .base import Backend
from .mysql import MySQLBackend
from .postgresql import PostgreSQLBackend
from .sqlite import SQLiteBackend

if TYPE_CHECKING:
    from sqlalchemy import URL, Engine

__all__ = ["Backend", "backend_class_for_url", "backend_for", "url_from_settings"]

_BACKENDS: tuple[type[Backend], ...] = (SQLiteBackend, MySQLBackend, PostgreSQLBackend)


def _class_for_dialect(dialect_name: str) -> type[Backend]:
    for cls in _BACKENDS:
        if dialect_name in cls.dialect_names:
            return cls
    supported = ", ".join(name for cls in _BACKENDS for name in cls.dialect_names)
    raise ConfigError(
        f"dj_sqla does not support the {dialect_name!r} dialect; use one of: {supported}."
    )


def backend_class_for_url(url: URL) -> type[Backend]:
    """The backend class for a SQLAlchemy URL (by its dialect name)."""
    return _class_for_dialect(url.get_backend_name())


def backend_for(engine: Engine) -> Backend:
    """The :class:`Backend` bound to ``engine``, made (with its event listeners) on first use.

    One backend per engine, so two ``dj.Connection`` objects over one engine share its state
    (SQLite attachments) and never install listeners twice.
    """
    return memo(engine, "_dj_sqla_backend", lambda: _class_for_dialect(engine.dialect.name)(engine))


def url_from_settings(
    *,
    backend: str | None,
    host: str | None,
    port: str | int | None,
    user: str | None,
    password: str | None,
    name: str | None,
    sqlite_dir: str,
) -> URL:
    """Build a URL from DataJoint-style settings (``database.host``, ``database.user``, ...).

    With neither a backend nor a host, the result is the embedded SQLite store in
    ``sqlite_dir``. With a host and no backend, MySQL is assumed, as DataJoint does.
    """
    if backend in (None, "", "sqlite") and not host:
        return SQLiteBackend.store_url(sqlite_dir)
    chosen = backend or "mysql"
    for cls in (MySQLBackend, PostgreSQLBackend):
        if chosen == cls.name:
            return cls.server_url(host=host, port=port, user=user, password=password, name=name)
    raise ConfigError(
        f"database.backend={chosen!r} is not supported; use sqlite, mysql or postgresql."
    )
