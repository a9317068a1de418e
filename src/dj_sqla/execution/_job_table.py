"""The job tables: how they are named, described and created, and the small helpers their
statements share (times, the worker's identity, retries). :mod:`dj_sqla.execution.jobs` has the
protocol and the ``Jobs`` query.
"""

from __future__ import annotations

import getpass
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .._naming import NAMING_CONVENTION
from ..connection import Schema
from ..errors import TransactionConflictError

STATUSES = ("pending", "reserved", "success", "error", "ignore")
#: A job table's own columns, after the key's (see :func:`bookkeeping_names`).
BOOKKEEPING = (
    "status",
    "priority",
    "created_time",
    "scheduled_time",
    "reserved_time",
    "completed_time",
    "duration",
    "error_message",
    "error_stack",
    "user",
    "host",
    "pid",
)
#: Where a job table's Table keeps the SQL names of its bookkeeping columns (``info``).
_NAMES = "dj_sqla_job_columns"
#: Longest stored error message (DataJoint's limit too); the traceback is kept whole.
MESSAGE_LENGTH = 2047
#: What ends a message shortened to :data:`MESSAGE_LENGTH` (as DataJoint writes it).
TRUNCATION_APPENDIX = "...truncated"
#: DataJoint's names of the two (``datajoint.jobs``).
ERROR_MESSAGE_LENGTH = MESSAGE_LENGTH
#: Keys per statement when closing many jobs at once (well below every backend's limits).
BATCH = 500


class Executor(Protocol):
    """Something that runs a statement: a ``sqlalchemy.Connection``, or populate's runner
    that commits each statement at once."""

    def execute(self, statement: Any) -> Any: ...


#: The bookkeeping of a reservation given back.
RELEASED = {"status": "pending", "reserved_time": None, "host": None, "pid": None, "user": None}

_metadata: weakref.WeakKeyDictionary[Schema, sa.MetaData] = weakref.WeakKeyDictionary()
_describing = threading.Lock()
created: weakref.WeakSet[sa.Table] = weakref.WeakSet()


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


_last_reservation = datetime.min
_reservation_lock = threading.Lock()


def reservation_time() -> datetime:
    """The ``reserved_time`` of one reserve statement: now, but later than every earlier one
    of this process (by a microsecond at least).

    A reservation is told from other workers' by its ``reserved_time``, ``host`` and
    ``pid``. Threads of one process share host and pid, and two of them may read the clock
    in the same microsecond (or within the clock's coarser tick on some systems); with a
    time of its own, each reserve statement still knows which keys it got.
    """
    global _last_reservation
    with _reservation_lock:
        _last_reservation = max(utc_now(), _last_reservation + timedelta(microseconds=1))
        return _last_reservation


def time_type() -> sa.types.TypeEngine[Any]:
    # MySQL's DATETIME keeps whole seconds unless told otherwise
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def job_table_name(table_name: str) -> str:
    """The job table of a table, named as DataJoint names it.

    Example:
        >>> job_table_name("__session_stats")
        '~~session_stats'
    """
    return "~~" + table_name.lstrip("_")


def job_table(schema: Schema, target: sa.Table) -> sa.Table:
    """The job table of ``target`` (a Table of ``schema``), described but not yet created.

    Job tables live in a MetaData of their own, so Alembic migrations of the schema and
    ``create_all`` never see them.
    """
    with _describing:  # threads that populate at once describe each job table once
        metadata = _metadata.get(schema)
        if metadata is None:
            metadata = _metadata[schema] = sa.MetaData(
                schema=target.schema, naming_convention=NAMING_CONVENTION
            )
        existing = metadata.tables.get(f"{target.schema}.{job_table_name(target.name)}")
        return existing if existing is not None else _describe(metadata, target)


def _describe(metadata: sa.MetaData, target: sa.Table) -> sa.Table:
    """The job table of ``target`` in ``metadata`` (see :func:`job_table`)."""
    name = job_table_name(target.name)
    status = sa.Enum(
        *STATUSES, name="job_status", native_enum=False, create_constraint=True, length=8
    )
    key_columns = job_key(target)
    key = [column.name for column in key_columns]
    names = bookkeeping_names(key)
    bookkeeping = [
        sa.Column(names[name], type_, nullable=nullable)
        for name, type_, nullable in (
            ("status", status, False),
            ("priority", sa.SmallInteger(), False),
            ("created_time", time_type(), False),
            ("scheduled_time", time_type(), False),
            ("reserved_time", time_type(), True),
            ("completed_time", time_type(), True),
            ("duration", sa.Float(), True),
            ("error_message", sa.String(MESSAGE_LENGTH), True),
            ("error_stack", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"), True),
            ("user", sa.String(255), True),
            ("host", sa.String(255), True),
            ("pid", sa.Integer(), True),
        )
    ]
    by_name = {column.name: column for column in bookkeeping}
    table = sa.Table(
        name,
        metadata,
        *(
            sa.Column(
                column.name,
                column.type,
                primary_key=True,
                autoincrement=False,
                info=dict(column.info),  # the heading shows the declared type
            )
            for column in key_columns
        ),
        *bookkeeping,
        sa.Index(None, *(by_name[names[n]] for n in ("status", "priority", "scheduled_time"))),
        comment=f"jobs of {target.name}",
    )
    table.info[_NAMES] = names
    return table


def job_key(target: sa.Table) -> list[sa.Column[Any]]:
    """The key of the jobs of ``target``: its primary-key attributes that come from the
    parents named in its primary key (DataJoint's rule), or its whole primary key when none
    does.

    ``populate`` calls ``make`` once per key of ``key_source``, the join of those parents; a
    table that adds key attributes of its own (DataJoint 2's
    ``jobs.allow_new_pk_fields_in_computed_tables``, always allowed in 0.14 and here) has its
    ``make`` insert several rows per job, so those attributes are not part of the job.

    Example:
        >>> md = sa.MetaData(schema="lab")
        >>> mouse = sa.Table("mouse", md, sa.Column("mouse_id", sa.Integer, primary_key=True))
        >>> scan = sa.Table("_scan", md,
        ...     sa.Column("mouse_id", sa.ForeignKey(mouse.c.mouse_id), primary_key=True),
        ...     sa.Column("scan_id", sa.Integer, primary_key=True))
        >>> [c.name for c in job_key(scan)]
        ['mouse_id']
    """
    from_parents = {
        element.parent.name
        for fk in target.foreign_key_constraints
        if all(element.parent.primary_key for element in fk.elements)
        for element in fk.elements
    }
    key = [column for column in target.primary_key if column.name in from_parents]
    return key or list(target.primary_key)


def truncated(message: str) -> str:
    """An error message cut to :data:`MESSAGE_LENGTH`, ending in :data:`TRUNCATION_APPENDIX`
    when it was longer (as DataJoint stores it).

    Example:
        >>> len(truncated("x" * 5000)), truncated("x" * 5000)[-12:]
        (2047, '...truncated')
    """
    if len(message) <= MESSAGE_LENGTH:
        return message
    return message[: MESSAGE_LENGTH - len(TRUNCATION_APPENDIX)] + TRUNCATION_APPENDIX


def bookkeeping_names(key: Iterable[str]) -> dict[str, str]:
    """The SQL name of each bookkeeping column of a job table whose key is ``key``: its own
    name, or ``_`` before it when the key has an attribute of that name (DataJoint attribute
    names start with a letter, so the two never collide again). Job tables of other keys are
    named as they always were.

    Example:
        >>> bookkeeping_names(["mouse_id", "status"])["status"]
        '_status'
        >>> bookkeeping_names(["mouse_id", "status"])["host"]
        'host'
    """
    taken = set(key)
    names: dict[str, str] = {}
    for name in BOOKKEEPING:
        sql_name = name
        while sql_name in taken:
            sql_name = "_" + sql_name
        names[name] = sql_name
    return names


def bk(table: sa.Table, name: str) -> sa.Column[Any]:
    """The bookkeeping column ``name`` (``status``, ``host``, ...) of a job table."""
    names: dict[str, str] = table.info[_NAMES]
    return table.c[names[name]]


def named(table: sa.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """Bookkeeping ``values`` by name, keyed by the job table's SQL names."""
    names: dict[str, str] = table.info[_NAMES]
    return {names[name]: value for name, value in values.items()}


def create(connection: Any, table: sa.Table) -> None:
    """Create a job table unless it exists; workers that start together may race to it."""
    try:
        with connection.write() as conn:
            table.create(conn, checkfirst=True)
    except sa.exc.DBAPIError:
        with connection.read() as conn:  # another worker may have just created it
            if not sa.inspect(conn).has_table(table.name, schema=table.schema):
                raise  # retried: on SQLite, a concurrent creation fails as "locked"


def in_transaction(connection: Any, work: Callable[[sa.Connection], None]) -> None:
    with connection.write() as conn:
        work(conn)


def retrying(work: Callable[[], Any], attempts: int = 8) -> Any:
    """Run ``work``, again after a short random pause if the database gave up on it because
    of concurrent workers (a deadlock between two refreshes on MySQL, or two of them adding
    the same new job); the statements are idempotent, so a retry is safe."""
    for attempt in range(attempts):
        try:
            return work()
        except (sa.exc.OperationalError, sa.exc.IntegrityError, TransactionConflictError):
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    return None


def worker_user() -> str:
    try:
        return getpass.getuser()[:255]
    except (KeyError, OSError):  # no user name in a bare container
        return str(os.getuid())


def forget(table: sa.Table) -> None:
    """A job table was dropped: the next ``Table.jobs`` creates it again."""
    created.discard(table)
