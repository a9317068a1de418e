"""Jobs: how many workers share ``populate(reserve_jobs=True)`` through the database.

Each Imported or Computed table gets a job table next to it, named like DataJoint's
(``__session_stats`` → ``~~session_stats``) and created the first time it is needed. It has
one row per key: the table's primary key, a ``status`` (``pending``, ``reserved``,
``success``, ``error``, ``ignore``), a ``priority`` (lower runs first), times, the error
message, traceback and duration of a failed ``make``, and the user, host and process that
reserved it.
``Table.jobs`` is that table as a query with the methods below.

The protocol, chosen so that a key costs one statement beyond its own transaction:

* **refresh** adds a ``pending`` job for every key still to compute, resets reservations
  older than ``jobs.orphan_timeout`` seconds (their worker died), and closes jobs whose key
  is already in the table.
* **reserve** is one conditional ``UPDATE … SET status='reserved' WHERE <keys> AND
  status='pending'`` on an autocommit connection. The database serialises concurrent updates
  of one row, so exactly one worker sees it change (no ``SELECT … FOR UPDATE`` round trip and
  no lock held while ``make`` runs); the others move on to other keys. A worker whose
  ``make`` is quick reserves several keys per statement (about a second of work).
* **success** needs no statement of its own: a reserved job whose key is in the table is done
  by definition. Finished jobs are deleted (or marked ``success`` with
  ``jobs.keep_completed``) in one statement when ``populate`` returns, and ``refresh`` closes
  those of a worker that died after committing.
* **error** records the message and traceback; a later ``populate(reserve_jobs=True)``
  retries the key, unless it was set to ``ignore``.

Times are the workers' clocks in UTC, so keep the machines' clocks in sync.

Example:
    >>> import dj_sqla as dj
    >>> schema = dj.Schema("jobs_demo", connection=dj.Connection("sqlite://"))
    >>> @schema
    ... class Number(dj.Manual):
    ...     definition = "n : int32"
    >>> @schema
    ... class Inverse(dj.Computed):
    ...     definition = "-> Number\\n---\\ninverse : float64"
    ...     def make(self, key):
    ...         self.insert1(dict(key, inverse=1 / key["n"]))
    >>> Number.insert([(0,), (1,), (2,)])
    >>> Inverse.populate(reserve_jobs=True, suppress_errors=True)["success_count"]
    2
    >>> Inverse.jobs.progress()
    {'pending': 0, 'reserved': 0, 'success': 0, 'error': 1, 'ignore': 0}
    >>> Inverse.jobs.errors.to_dicts()[0]["error_message"]
    'ZeroDivisionError: division by zero'
"""

from __future__ import annotations

import getpass
import os
import random
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.sql.elements import ColumnElement

from .._naming import NAMING_CONVENTION
from ..config import config
from ..connection import Schema
from ..dependencies import lineage
from ..errors import AccessError, DataJointError, TransactionConflictError
from ..expression.core import QueryExpression, TableClass
from .query import Query

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
#: Keys per statement when closing many jobs at once (well below every backend's limits).
_BATCH = 500


class Executor(Protocol):
    """Something that runs a statement: a ``sqlalchemy.Connection``, or populate's runner
    that commits each statement at once."""

    def execute(self, statement: Any) -> Any: ...


#: The bookkeeping of a reservation given back.
_RELEASED = {"status": "pending", "reserved_time": None, "host": None, "pid": None, "user": None}

_metadata: weakref.WeakKeyDictionary[Schema, sa.MetaData] = weakref.WeakKeyDictionary()
_describing = threading.Lock()
_created: weakref.WeakSet[sa.Table] = weakref.WeakSet()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


_last_reservation = datetime.min
_reservation_lock = threading.Lock()


def _reservation_time() -> datetime:
    """The ``reserved_time`` of one reserve statement: now, but later than every earlier one
    of this process (by a microsecond at least).

    A reservation is told from other workers' by its ``reserved_time``, ``host`` and
    ``pid``. Threads of one process share host and pid, and two of them may read the clock
    in the same microsecond (or within the clock's coarser tick on some systems); with a
    time of its own, each reserve statement still knows which keys it got.
    """
    global _last_reservation
    with _reservation_lock:
        _last_reservation = max(_now(), _last_reservation + timedelta(microseconds=1))
        return _last_reservation


def _time() -> sa.types.TypeEngine[Any]:
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
    key = [column.name for column in target.primary_key]
    names = bookkeeping_names(key)
    bookkeeping = [
        sa.Column(names[name], type_, nullable=nullable)
        for name, type_, nullable in (
            ("status", status, False),
            ("priority", sa.SmallInteger(), False),
            ("created_time", _time(), False),
            ("scheduled_time", _time(), False),
            ("reserved_time", _time(), True),
            ("completed_time", _time(), True),
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
            sa.Column(column.name, column.type, primary_key=True, autoincrement=False)
            for column in target.primary_key
        ),
        *bookkeeping,
        sa.Index(None, *(by_name[names[n]] for n in ("status", "priority", "scheduled_time"))),
        comment=f"jobs of {target.name}",
    )
    table.info[_NAMES] = names
    return table


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


def _bk(table: sa.Table, name: str) -> sa.Column[Any]:
    """The bookkeeping column ``name`` (``status``, ``host``, ...) of a job table."""
    names: dict[str, str] = table.info[_NAMES]
    return table.c[names[name]]


def _named(table: sa.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """Bookkeeping ``values`` by name, keyed by the job table's SQL names."""
    names: dict[str, str] = table.info[_NAMES]
    return {names[name]: value for name, value in values.items()}


class Jobs(Query):
    """The job table of an Imported or Computed table, as a query (``Table.jobs``).

    Restricting it (``&``, ``-``) or taking a view (``pending``, ``reserved``, ``errors``,
    ``ignored``, ``completed``) gives another ``Jobs``, which can ``delete()`` its rows.

    Example::

        SessionStats.jobs.errors.to_dicts()   # the failed keys, with message and traceback
        (SessionStats.jobs & {"mouse_id": 3}).delete()
    """

    __slots__ = ("_target",)

    def __init__(self, target: TableClass, where: Sequence[ColumnElement[bool]] = ()) -> None:
        schema = target._require_schema()
        table = job_table(schema, target._declared())
        connection = schema.connection
        if table not in _created:
            try:
                with connection.backend.worker_turn(str(table.schema)):
                    _retrying(partial(_create, connection, table))
            except AccessError as err:
                raise AccessError(
                    f"The job table `{table.schema}`.`{table.name}` of {target.__name__} cannot "
                    f"be used. {err} A job table is created on first use by a user who may "
                    f"declare tables: an administrator reads {target.__name__}.jobs once (or "
                    "runs populate(reserve_jobs=True)); populate() without reserve_jobs needs "
                    "no job table."
                ) from err
            _created.add(table)
        key_lineage = lineage(target._declared())
        key = [column.name for column in table.primary_key]
        super().__init__(
            connection,
            table,
            {column.name: column for column in table.columns},
            key,
            where,
            lineage={name: key_lineage.get(name) for name in key},
        )
        self._target = target

    def _derive(self, where: Sequence[ColumnElement[bool]]) -> QueryExpression:
        return Jobs(self._target, where)

    def __repr__(self) -> str:
        return f"Jobs of {self._target.__name__}\n{super().__repr__()}"

    @property
    def table(self) -> sa.Table:
        """The job table."""
        return self._from_clause  # type: ignore[return-value]

    def _status(self, *statuses: str) -> Jobs:
        return self._derive([*self._where, _bk(self.table, "status").in_(statuses)])  # type: ignore[return-value]

    @property
    def pending(self) -> Jobs:
        """Jobs waiting for a worker."""
        return self._status("pending")

    @property
    def reserved(self) -> Jobs:
        """Jobs a worker has taken (finished ones until ``populate`` closes them)."""
        return self._status("reserved")

    @property
    def errors(self) -> Jobs:
        """Jobs whose ``make`` failed, with ``error_message`` and ``error_stack``."""
        return self._status("error")

    @property
    def ignored(self) -> Jobs:
        """Jobs that ``populate`` skips (see :meth:`ignore`)."""
        return self._status("ignore")

    @property
    def completed(self) -> Jobs:
        """Finished jobs kept with ``dj.config['jobs.keep_completed']``."""
        return self._status("success")

    def turn(self) -> AbstractContextManager[None]:
        """This worker process's turn to write jobs and results: ``populate`` reserves, and
        computes each key, in one (SQLite's own lock is not fair between processes; see the
        backend's ``worker_turn``)."""
        return self._connection.backend.worker_turn(str(self.table.schema))

    def _condition(self) -> ColumnElement[bool]:
        return sa.and_(sa.true(), *self._where)

    def delete(self) -> int:
        """Delete these job rows (no cascade: nothing depends on jobs); returns how many.

        Example::

            SessionStats.jobs.errors.delete()   # the next populate retries them
        """
        with self._connection.write() as conn:
            return int(conn.execute(sa.delete(self.table).where(self._condition())).rowcount)

    def progress(self) -> dict[str, int]:
        """The number of jobs in each status."""
        table = self.table
        query = (
            sa.select(_bk(table, "status"), sa.func.count())
            .where(self._condition())
            .group_by(_bk(table, "status"))
        )
        counts: dict[str, int] = dict(self._connection.run_read(lambda c: c.execute(query).all()))
        return {status: int(counts.get(status, 0)) for status in STATUSES}

    # -- changing jobs ---------------------------------------------------------------------------

    def _key_condition(self, key: Mapping[str, Any]) -> ColumnElement[bool]:
        return sa.and_(*(column == key[column.name] for column in self.table.primary_key))

    def _keys_condition(self, keys: Iterable[Mapping[str, Any]]) -> ColumnElement[bool]:
        """Jobs whose key is one of ``keys``: an IN with one expanding parameter, so the
        statement compiles once whatever the number of keys."""
        columns = list(self.table.primary_key)
        if len(columns) == 1:
            return columns[0].in_([key[columns[0].name] for key in keys])
        values = [tuple(key[c.name] for c in columns) for key in keys]
        return sa.tuple_(*columns).in_(values)

    def _worker(self) -> dict[str, Any]:
        return {"user": _user(), "host": socket.gethostname()[:255], "pid": os.getpid()}

    def ignore(self, key: Mapping[str, Any]) -> None:
        """Mark a key so that ``populate`` skips it (until the job is deleted)."""
        self._set(key, "ignore")

    def schedule(self, key: Mapping[str, Any], *, priority: int | None = None) -> None:
        """Make a key pending again, whatever its job's status."""
        self._set(key, "pending", priority=priority)

    def _set(self, key: Mapping[str, Any], status: str, priority: int | None = None) -> None:
        table = self.table
        missing = [c.name for c in table.primary_key if c.name not in key]
        if missing:
            raise DataJointError(
                f"A job of {self._target.__name__} is one whole key; {dict(key)} lacks "
                f"{', '.join(missing)}. Give the full primary key (e.g. from .keys())."
            )
        key = {column.name: key[column.name] for column in table.primary_key}
        now = _now()
        values: dict[str, Any] = {"status": status, "scheduled_time": now}
        if priority is not None:
            values["priority"] = priority
        with self._connection.write() as conn:
            changed = conn.execute(
                sa.update(table).where(self._key_condition(key)).values(_named(table, values))
            ).rowcount
            if not changed:
                values.setdefault("priority", config["jobs.default_priority"])
                values["created_time"] = now
                conn.execute(sa.insert(table).values({**key, **_named(table, values)}))

    def refresh(
        self,
        keys: QueryExpression | None = None,
        *,
        priority: int | None = None,
        delay: float = 0,
        orphan_timeout: float | None = None,
        retry_errors: bool = False,
    ) -> dict[str, int]:
        """Bring the jobs up to date with the table, in one transaction.

        Args:
            keys: the keys still to compute (default: the table's whole ``key_source`` minus
                what is computed); a pending job is added for each that has no job.
            priority: priority of the new jobs (default ``dj.config['jobs.default_priority']``).
            delay: seconds before the new jobs may start.
            orphan_timeout: seconds after which a reservation is considered abandoned and is
                made pending again (default ``dj.config['jobs.orphan_timeout']``).
            retry_errors: make failed jobs of ``keys`` pending again.

        Returns:
            Counts: ``added``, ``reset`` (abandoned reservations), ``retried`` (errors) and
            ``closed`` (jobs of keys already computed).
        """
        target = self._target
        if keys is None:
            keys = target._todo(())  # type: ignore[attr-defined]
        table = self.table
        now = _now()
        if orphan_timeout is None:
            orphan_timeout = float(config["jobs.orphan_timeout"])
        key_names = [column.name for column in table.primary_key]
        todo = keys.select().subquery()
        among = self._among(keys)
        new = sa.select(
            *(todo.c[name] for name in key_names),
            sa.literal("pending", type_=_bk(table, "status").type),
            sa.literal(
                config["jobs.default_priority"] if priority is None else priority,
                type_=sa.SmallInteger,
            ),
            sa.literal(now, type_=_bk(table, "created_time").type),
            sa.literal(now + timedelta(seconds=delay), type_=_bk(table, "scheduled_time").type),
        ).where(~sa.exists().where(*(c == todo.c[c.name] for c in table.primary_key)))
        counts: dict[str, int] = {}

        def run(conn: sa.Connection) -> None:
            counts["closed"] = self._close(conn, self._done(), keep=config["jobs.keep_completed"])
            counts["added"] = conn.execute(
                sa.insert(table).from_select(
                    [
                        *table.primary_key.columns,
                        *(
                            _bk(table, n)
                            for n in ("status", "priority", "created_time", "scheduled_time")
                        ),
                    ],
                    new,
                )
            ).rowcount
            counts["reset"] = conn.execute(
                sa.update(table)
                .where(
                    _bk(table, "status") == "reserved",
                    _bk(table, "reserved_time") < now - timedelta(seconds=orphan_timeout),
                )
                .values(_named(table, _RELEASED))
            ).rowcount
            counts["retried"] = (
                conn.execute(
                    sa.update(table)
                    .where(_bk(table, "status") == "error", among)
                    .values(_named(table, {"status": "pending"}))
                ).rowcount
                if retry_errors
                else 0
            )

        with self.turn():
            _retrying(lambda: _in_transaction(self._connection, run))
        return counts

    def _done(self) -> ColumnElement[bool]:
        """Open jobs (pending, reserved, error) whose key is already in the table."""
        table = self.table
        target = self._target._declared()
        return sa.and_(
            _bk(table, "status").in_(("pending", "reserved", "error")),
            sa.exists().where(*(target.c[c.name] == c for c in table.primary_key)),
        )

    def _close(self, conn: Executor, condition: ColumnElement[bool], *, keep: bool) -> int:
        if keep:
            statement: Any = (
                sa.update(self.table)
                .where(condition)
                .values(
                    _named(
                        self.table,
                        {"status": "success", "completed_time": _now(), "error_message": None},
                    )
                )
            )
        else:
            statement = sa.delete(self.table).where(condition)
        return int(conn.execute(statement).rowcount)

    # -- used by populate --------------------------------------------------------------------------

    def candidates(
        self, keys: QueryExpression, *, priority: int | None = None
    ) -> list[dict[str, Any]]:
        """Keys of pending jobs that are due, among ``keys``, most urgent first.

        Keys of equal priority come in a random order, so workers that start together do
        not all compete for the same key.
        """
        table = self.table
        names = [column.name for column in table.primary_key]
        conditions = [
            _bk(table, "status") == "pending",
            _bk(table, "scheduled_time") <= _now(),
            self._among(keys),
        ]
        if priority is not None:
            conditions.append(_bk(table, "priority") <= priority)
        query = sa.select(_bk(table, "priority"), *table.primary_key.columns).where(*conditions)
        rows = list(self._connection.run_read(lambda conn: conn.execute(query).all()))
        random.shuffle(rows)
        rows.sort(key=lambda row: row[0])  # stable: random within one priority
        return [dict(zip(names, row[1:], strict=True)) for row in rows]

    def _among(self, keys: QueryExpression) -> ColumnElement[bool]:
        """Jobs whose key is one of ``keys``."""
        todo = keys.select().subquery()
        return sa.exists().where(*(c == todo.c[c.name] for c in self.table.primary_key))

    def reserve(self, conn: Executor, keys: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Take pending jobs for this worker; returns the keys it got, in the given order.

        One conditional UPDATE for all the keys; only when another worker took some of them
        does a second statement find out which: those reserved at this statement's own time
        (:func:`_reservation_time`) by this host and process, so threads of one process that
        reserve at once never take each other's keys. ``conn`` must commit each statement at
        once, so that the reservations are visible to other workers.
        """
        table = self.table
        names = [column.name for column in table.primary_key]
        wanted = [{name: key[name] for name in names} for key in keys]
        if not wanted:
            return []
        now, worker = _reservation_time(), self._worker()
        which = self._keys_condition(wanted)
        changed = conn.execute(
            sa.update(table)
            .where(which, _bk(table, "status") == "pending")
            .values(_named(table, {"status": "reserved", "reserved_time": now, **worker}))
        ).rowcount
        if changed == len(wanted) or changed == 0:
            return wanted if changed else []
        mine = conn.execute(
            sa.select(*table.primary_key.columns).where(
                which,
                _bk(table, "status") == "reserved",
                _bk(table, "reserved_time") == now,
                _bk(table, "host") == worker["host"],
                _bk(table, "pid") == worker["pid"],
            )
        ).all()
        got = {tuple(row) for row in mine}
        return [key for key in wanted if tuple(key.values()) in got]

    def release(self, conn: Executor, keys: Sequence[Mapping[str, Any]]) -> None:
        """Give back reserved jobs that were not finished (the worker was interrupted)."""
        table = self.table
        conn.execute(
            sa.update(table)
            .where(self._keys_condition(keys), _bk(table, "status") == "reserved")
            .values(_named(table, _RELEASED))
        )

    def error(
        self,
        conn: Executor,
        key: Mapping[str, Any],
        message: str,
        stack: str,
        *,
        duration: float | None = None,
    ) -> None:
        """Record the failure of a reserved job (and how many seconds ``make`` ran)."""
        conn.execute(
            sa.update(self.table)
            .where(self._key_condition(key))
            .values(
                _named(
                    self.table,
                    {
                        "status": "error",
                        "completed_time": _now(),
                        "duration": duration,
                        "error_message": message[:MESSAGE_LENGTH],
                        "error_stack": stack,
                    },
                )
            )
        )

    def finish(self, conn: Executor, keys: Iterable[Mapping[str, Any]]) -> None:
        """Close the jobs of keys this worker computed, a batch per statement."""
        keys = list(keys)
        keep = bool(config["jobs.keep_completed"])
        for start in range(0, len(keys), _BATCH):
            batch = self._keys_condition(keys[start : start + _BATCH])
            condition = sa.and_(_bk(self.table, "status") == "reserved", batch)
            _retrying(partial(self._close, conn, condition, keep=keep))


class SchemaJobs(list[Jobs]):
    """``schema.jobs``: DataJoint 2's list of the schema's job tables, one per Imported or
    Computed table that has one. Classic (0.14) code treats it as the schema's one job table:
    ``(schema.jobs & 'status="error"').delete()``; ``&`` and :meth:`delete` work on every
    table of the list.

    Example::

        for jobs in schema.jobs:
            print(jobs.progress())
        (schema.jobs & {"status": "error"}).delete()   # 0.14 style: every table's errors
    """

    def __and__(self, condition: Any) -> SchemaJobs:
        return SchemaJobs(jobs & condition for jobs in self)

    def delete(self) -> int:
        """Delete the job rows of every table in the list; returns how many."""
        return sum(jobs.delete() for jobs in self)


def _create(connection: Any, table: sa.Table) -> None:
    """Create a job table unless it exists; workers that start together may race to it."""
    try:
        with connection.write() as conn:
            table.create(conn, checkfirst=True)
    except sa.exc.DBAPIError:
        with connection.read() as conn:  # another worker may have just created it
            if not sa.inspect(conn).has_table(table.name, schema=table.schema):
                raise  # retried: on SQLite, a concurrent creation fails as "locked"


def _in_transaction(connection: Any, work: Callable[[sa.Connection], None]) -> None:
    with connection.write() as conn:
        work(conn)


def _retrying(work: Callable[[], Any], attempts: int = 8) -> Any:
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


def _user() -> str:
    try:
        return getpass.getuser()[:255]
    except (KeyError, OSError):  # no user name in a bare container
        return str(os.getuid())
