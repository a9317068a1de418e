"""Who may read and write a schema: ``schema.grant``, ``schema.revoke`` and
``schema.privileges`` (a part of :class:`dj_sqla.Schema`; each backend renders its own
statements, see ``dj_sqla.backends._access``).

The levels, weakest first, each including the ones before it:

=========  =====================================================================================
level      what the user may do in the schema
=========  =====================================================================================
read       activate it, list, describe, query and fetch its tables (and reference them from
           tables declared in other schemas)
write      also insert, update and delete rows, populate (with job tables an administrator
           declared)
declare    also declare tables (and alter and drop them: on PostgreSQL the tables one declared)
all        every privilege the server grants on the schema
=========  =====================================================================================

Example::

    schema.grant("alice", "read")     # MySQL: "alice@10.0.%" for one host pattern
    schema.grant("bob", "write")
    schema.privileges()               # {'alice': 'read', 'bob': 'write'}
    schema.revoke("bob", "write")     # bob keeps read
    schema.revoke("alice")            # alice keeps nothing
"""

from __future__ import annotations

from ._log import logger
from .connection import Connection
from .errors import DataJointError


class SchemaAccess:
    """The access-control methods of :class:`dj_sqla.Schema`."""

    database: str | None

    def _require_active(self) -> Connection:
        raise NotImplementedError  # dj_sqla.Schema provides it

    def grant(self, user: str, level: str) -> None:
        """Give ``user`` the privileges of ``level`` (``"read"``, ``"write"``, ``"declare"``
        or ``"all"``) on this schema, including tables declared in it later.

        MySQL grants on ``schema``.* (``user`` may be ``name@host``; the host defaults to
        ``%``); PostgreSQL on the schema, all its tables and sequences, and as default
        privileges of every role that may create tables there. The user must exist; granting
        needs the privileges being granted (with GRANT OPTION) or an administrator.

        Raises:
            DataJointError: SQLite (it has no users), an unknown level or a malformed name.
            AccessError: the connection's user may not grant these privileges.

        Example::

            schema.grant("alice", "read")
        """
        self._change("grant", user, level)

    def revoke(self, user: str, level: str = "read") -> None:
        """Take ``level`` and the levels above it from ``user``: ``revoke(user, "write")``
        leaves read access, ``revoke(user)`` leaves nothing.

        Raises:
            DataJointError: SQLite (it has no users), an unknown level or a malformed name.
            AccessError: the connection's user may not revoke these privileges.

        Example::

            schema.revoke("bob", "write")
        """
        self._change("revoke", user, level)

    def privileges(self) -> dict[str, str]:
        """Who holds privileges on this schema: each user (MySQL ``name`` for any host, else
        ``name@host``) with the highest level those privileges amount to, or ``"partial"``
        for some privileges short of ``read``. Users with server-wide privileges (superusers,
        global grants) are not listed; a user who is not an administrator sees their own.

        Example::

            schema.privileges()    # {'alice': 'read', 'bob': 'write'}
        """
        conn = self._require_active()
        name = str(self.database)
        return conn.run_read(lambda sa_conn: conn.backend.privileges(sa_conn, name))

    def _change(self, operation: str, user: str, level: str) -> None:
        conn = self._require_active()
        if conn.in_transaction:
            raise DataJointError(
                f"schema.{operation}() cannot run inside a transaction (MySQL commits grants "
                "at once); call it outside `with connection.transaction`."
            )
        change = conn.backend.grant if operation == "grant" else conn.backend.revoke
        with conn.engine.connect() as sa_conn:
            change(sa_conn, str(self.database), user, level)
            sa_conn.commit()
        logger.debug("%s %s on schema %s for %s", operation, level, self.database, user)
