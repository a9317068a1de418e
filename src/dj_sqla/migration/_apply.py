"""Running a change of existing tables as Alembic operations: all of it, or none of it.

``Table.alter()`` and :func:`dj_sqla.migration.rename` describe their change as a function of
an Alembic :class:`~alembic.operations.Operations` object. :func:`run` calls it on a
connection in one transaction (``Backend.altering``): where DDL is transactional (PostgreSQL,
SQLite) a failure rolls everything back; MySQL commits each DDL statement, so there the error
lists the statements that had run. :func:`render_sql` calls it in Alembic's offline mode and
returns the SQL, which is what a user is shown before confirming.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event

from ..connection import Connection
from ..errors import MigrationError

#: A change of tables, made through Alembic's operations (online, or offline to render SQL).
Work = Callable[[Operations], None]


def render_sql(connection: Connection, work: Work, metadata: sa.MetaData) -> str:
    """The SQL ``work`` sends on ``connection``'s backend, rendered without a database.

    ``metadata`` names the constraints Alembic makes itself (an enum's CHECK) by its
    naming convention, as a declaration names them.
    """
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect=connection.engine.dialect,
        opts={
            "as_sql": True,
            "output_buffer": buffer,
            "literal_binds": True,
            "target_metadata": metadata,
        },
    )
    work(Operations(context))
    return buffer.getvalue().strip()


def run(
    connection: Connection,
    schemas: Sequence[str],
    work: Work,
    metadata: sa.MetaData,
    what: str,
    finish: str,
) -> None:
    """Run ``work`` on ``connection`` in one transaction (see the module docstring).

    Args:
        connection: the connection of the tables' schemas.
        schemas: the schemas whose tables change (SQLite checks their foreign keys).
        work: the change.
        metadata: the MetaData whose naming convention names constraints (see
            :func:`render_sql`).
        what: the change in words, for the error (``"Altering `lab`.`mouse`"``).
        finish: how to finish a change MySQL left half done.

    Raises:
        MigrationError: the database refused a statement; it says what was rolled back or,
            on MySQL, which statements had run.
    """
    backend = connection.backend
    done: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        done.append(" ".join(statement.split()))

    try:
        with backend.altering(schemas) as conn:
            event.listen(conn, "after_cursor_execute", record)
            context = MigrationContext.configure(conn, opts={"target_metadata": metadata})
            work(Operations(context))
    except Exception as err:  # whatever stopped it: the message says what happened to the rest
        reason = getattr(err, "orig", None) or err
        if backend.has_nontransactional_ddl:
            ddl = [s for s in done if s.split(" ", 1)[0].upper() in ("ALTER", "CREATE", "DROP")]
            ran = "".join(f"\n  {n}. {s}" for n, s in enumerate(ddl, start=1)) or " none"
            raise MigrationError(
                f"{what} failed: {reason}. {backend.name} commits each DDL statement, and these "
                f"had run (they are not undone):{ran}\nThe database now holds part of the "
                f"change: {finish}"
            ) from err
        raise MigrationError(
            f"{what} failed: {reason}. Nothing was changed (the transaction was rolled back)."
        ) from err
