"""``dj.Instance``: DataJoint 2.3's pairing of a configuration and a connection of their own.

An application that serves several databases (or several users) makes one Instance per
database instead of changing the process-wide ``dj.config`` and ``dj.conn()``; its schemas and
free tables use its connection only.

Example:
    >>> import dj_sqla as dj
    >>> lab = dj.Instance("sqlite://")
    >>> schema = lab.Schema("inst_demo")
    >>> schema.connection is lab.connection
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ._connecting import connection_target
from .config import Config
from .connection import Connection
from .schemas import Schema
from .virtual import FreeTable


class Instance:
    """A configuration and a connection of their own (``dj.Instance``).

    Args:
        host: the server (``host`` or ``host:port``), or a SQLAlchemy URL.
        user, password: the credentials for ``host``.
        port: the server's port (default: the backend's).
        use_tls: as for :class:`dj.Connection` (default: the instance's
            ``database.use_tls``).
        backend: ``"mysql"`` or ``"postgresql"`` (default ``database.backend`` of the
            instance's configuration, else MySQL, as DataJoint assumes).
        **settings: configuration values for this instance, dots written ``__``
            (``database__name="lab"``).

    The instance's settings build its connection; settings that other operations read
    (``safemode``, ``jobs.*``) still come from ``dj.config``.
    """

    def __init__(
        self,
        host: str,
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        use_tls: bool | dict[str, Any] | None = None,
        backend: str | None = None,
        **settings: Any,
    ) -> None:
        self.config = Config()
        for key, value in settings.items():
            self.config[key.replace("__", ".")] = value
        if backend is not None:
            self.config["database.backend"] = backend
        url = connection_target(host, user, password, port, None, settings=self.config)
        if use_tls is None and isinstance(url, sa.URL) and url.get_backend_name() != "sqlite":
            use_tls = self.config["database.use_tls"]
        self.connection = Connection(url, use_tls=use_tls)
        self.connection._config = self.config

    def Schema(  # DataJoint's name: it reads as a class
        self,
        schema_name: str,
        *,
        context: Mapping[str, Any] | None = None,
        create_schema: bool = True,
        create_tables: bool | None = None,
        add_objects: Mapping[str, Any] | None = None,
    ) -> Schema:
        """A :class:`dj.Schema` on this instance's connection."""
        return Schema(
            schema_name,
            context,
            connection=self.connection,
            create_schema=create_schema,
            create_tables=True if create_tables is None else create_tables,
            add_objects=add_objects,
        )

    def FreeTable(self, full_table_name: str) -> Any:  # DataJoint's name
        """A table of this instance's database by its full name (see :func:`dj.FreeTable`)."""
        return FreeTable(self.connection, full_table_name)

    def __repr__(self) -> str:
        return f"dj.Instance({self.connection.backend.describe_server()!r})"
