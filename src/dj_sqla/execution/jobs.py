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
  retries the key, unless it was set to ``ignore``. An interrupted ``make`` (Ctrl-C, SIGTERM)
  is recorded as an error too (``KeyboardInterrupt``, ``SystemExit: SIGTERM received``), as
  DataJoint records it.

A job's key is the part of the table's primary key that comes from the parents named in it
(:func:`~dj_sqla.execution._job_table.job_key`, DataJoint's rule): a table that adds key
attributes of its own fills several rows per job.

DataJoint 2's methods for one job work too: ``reserve(key)`` (True if this call got it),
``complete(key)``, ``error(key, message, stack)``, ``ignore(key)``, ``update1(row)``, and
``refresh(*restrictions, delay=, priority=, stale_timeout=, orphan_timeout=)``, which also
removes jobs whose key left ``key_source``.

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
    {'pending': 0, 'reserved': 0, 'success': 0, 'error': 1, 'ignore': 0, 'total': 1}
    >>> Inverse.jobs.errors.to_dicts()[0]["error_message"]
    'ZeroDivisionError: division by zero'
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..config import config
from ..dependencies import full_name, lineage
from ..errors import AccessError, DataJointError, DuplicateError
from ..expression.core import QueryExpression, TableClass
from ._job_table import (
    BATCH,
    BOOKKEEPING,
    ERROR_MESSAGE_LENGTH,
    MESSAGE_LENGTH,
    RELEASED,
    STATUSES,
    TRUNCATION_APPENDIX,
    Executor,
    bk,
    bookkeeping_names,
    create,
    created,
    forget,
    in_transaction,
    job_key,
    job_table,
    job_table_name,
    named,
    reservation_time,
    retrying,
    truncated,
    utc_now,
    worker_user,
)
from .query import Query

__all__ = [
    "BOOKKEEPING",
    "ERROR_MESSAGE_LENGTH",
    "MESSAGE_LENGTH",
    "STATUSES",
    "TRUNCATION_APPENDIX",
    "Jobs",
    "bookkeeping_names",
    "job_key",
    "job_table",
    "job_table_name",
    "truncated",
]


class Jobs(Query):
    """The job table of an Imported or Computed table, as a query (``Table.jobs``).

    Restricting it (``&``, ``-``) or taking a view (``pending``, ``reserved``, ``errors``,
    ``ignored``, ``completed``) gives another ``Jobs``, which can ``delete()`` its rows.

    Example::

        SessionStats.jobs.errors.to_dicts()   # the failed keys, with message and traceback
        (SessionStats.jobs & {"mouse_id": 3}).delete()
        SessionStats.jobs.reserve({"mouse_id": 3})   # DataJoint 2's one-job methods
    """

    __slots__ = ("_target",)

    def __init__(self, target: TableClass, where: Sequence[ColumnElement[bool]] = ()) -> None:
        schema = target._require_schema()
        table = job_table(schema, target._declared())
        connection = schema.connection
        if table not in created:
            try:
                with connection.backend.worker_turn(str(table.schema)):
                    retrying(partial(create, connection, table))
            except AccessError as err:
                raise AccessError(
                    f"The job table `{table.schema}`.`{table.name}` of {target.__name__} cannot "
                    f"be used. {err} A job table is created on first use by a user who may "
                    f"declare tables: an administrator reads {target.__name__}.jobs once (or "
                    "runs populate(reserve_jobs=True)); populate() without reserve_jobs needs "
                    "no job table."
                ) from err
            created.add(table)
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

    # -- DataJoint's table attributes ------------------------------------------------------------

    @property
    def target(self) -> Any:
        """The table whose jobs these are, as a query (``SessionStats()``)."""
        target: Any = self._target
        return target()

    @property
    def connection(self) -> Any:
        """The :class:`dj.Connection` of the job table."""
        return self._connection

    @property
    def database(self) -> str:
        """The schema of the job table."""
        return str(self.table.schema)

    @property
    def table_name(self) -> str:
        """The job table's name (``~~session_stats``)."""
        return str(self.table.name)

    @property
    def full_table_name(self) -> str:
        """The job table's ``schema.table``, quoted as ``Table.full_table_name`` is."""
        return full_name(self._connection, self.table)

    @property
    def is_declared(self) -> bool:
        """Whether the job table exists (it is created when ``Table.jobs`` is first read)."""
        table = self.table
        return bool(
            self._connection.run_read(
                lambda conn: sa.inspect(conn).has_table(table.name, schema=table.schema)
            )
        )

    @property
    def definition(self) -> str:
        """The job table as a DataJoint definition (what DataJoint would declare).

        Example::

            print(SessionStats.jobs.definition)
        """
        heading = self._target.heading  # type: ignore[attr-defined]
        lines = [f"# jobs of {self._target.__name__}"]
        for column in self.table.primary_key:
            lines.append(f"{column.name} : {heading.attributes[column.name].type}")
        lines += [
            "---",
            "status : enum('pending','reserved','success','error','ignore')",
            "priority : int16",
            "created_time : datetime(6)",
            "scheduled_time : datetime(6)",
            "reserved_time = null : datetime(6)",
            "completed_time = null : datetime(6)",
            "duration = null : float64",
            f"error_message = null : varchar({MESSAGE_LENGTH})",
            "error_stack = null : varchar(16777215)",
            "user = null : varchar(255)",
            "host = null : varchar(255)",
            "pid = null : int32",
            "index (status, priority, scheduled_time)",
        ]
        return "\n".join(lines) + "\n"

    # -- views -----------------------------------------------------------------------------------

    def _status(self, *statuses: str) -> Jobs:
        return self._derive([*self._where, bk(self.table, "status").in_(statuses)])  # type: ignore[return-value]

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

    def delete_quick(self, get_count: bool = False) -> int | None:
        """Delete these job rows, as :meth:`delete` (DataJoint's name); the count only with
        ``get_count``."""
        count = self.delete()
        return count if get_count else None

    def drop_quick(self) -> None:
        """Drop the job table (the next ``Table.jobs`` creates it again, empty)."""
        if self._where:
            raise DataJointError(
                f"drop_quick() drops the whole job table of {self._target.__name__}; call it "
                "on the unrestricted Table.jobs (to remove some jobs, delete() them)."
            )
        table = self.table
        with (
            self._connection.backend.worker_turn(str(table.schema)),
            self._connection.write() as conn,
        ):
            table.drop(conn, checkfirst=True)
        forget(table)

    def drop(self) -> None:
        """Drop the job table, as :meth:`drop_quick` (nothing depends on it)."""
        self.drop_quick()

    def progress(self) -> dict[str, int]:
        """The number of jobs in each status, and their ``total``."""
        table = self.table
        query = (
            sa.select(bk(table, "status"), sa.func.count())
            .where(self._condition())
            .group_by(bk(table, "status"))
        )
        counts: dict[str, int] = dict(self._connection.run_read(lambda c: c.execute(query).all()))
        found = {status: int(counts.get(status, 0)) for status in STATUSES}
        return {**found, "total": sum(found.values())}

    # -- changing one job (DataJoint's methods) --------------------------------------------------

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

    def _job_of(self, key: Mapping[str, Any]) -> dict[str, Any]:
        """The job's key out of ``key`` (a key of ``key_source`` or a longer row)."""
        missing = [c.name for c in self.table.primary_key if c.name not in key]
        if missing:
            raise DataJointError(
                f"A job of {self._target.__name__} is one whole key; {dict(key)} lacks "
                f"{', '.join(missing)}. Give the full key (e.g. from .keys())."
            )
        return {column.name: key[column.name] for column in self.table.primary_key}

    def _worker(self) -> dict[str, Any]:
        return {"user": worker_user(), "host": socket.gethostname()[:255], "pid": os.getpid()}

    def reserve(self, key: Mapping[str, Any]) -> bool:
        """Take the job of ``key`` for this process: True if it was pending (or, as in
        DataJoint 0.14, had no job yet); False if another worker has it, it failed or it is
        ignored. DataJoint's one-job form; ``populate(reserve_jobs=True)`` reserves for you.

        Example::

            if SessionStats.jobs.reserve(key):
                ...   # compute, then SessionStats.jobs.complete(key)
        """
        job = self._job_of(key)
        try:
            with self._connection.write() as conn:
                if self.claim(conn, [job]):
                    return True
                if conn.execute(sa.select(sa.true()).where(self._key_condition(job))).first():
                    return False
                now = utc_now()  # no job yet: DataJoint 0.14 adds it as reserved
                values = {
                    "status": "reserved",
                    "priority": config["jobs.default_priority"],
                    "created_time": now,
                    "scheduled_time": now,
                    "reserved_time": now,
                    **self._worker(),
                }
                conn.execute(sa.insert(self.table).values({**job, **named(self.table, values)}))
        except (DuplicateError, sa.exc.IntegrityError):
            return False  # another worker added it first
        return True

    def complete(self, key: Mapping[str, Any], duration: float | None = None) -> None:
        """Close the job of ``key`` as done: deleted, or kept as ``success`` (with its
        ``duration`` in seconds) with ``dj.config['jobs.keep_completed']``."""
        job = self._job_of(key)
        values = {"status": "success", "completed_time": utc_now(), "error_message": None}
        if duration is not None:
            values["duration"] = duration
        with self._connection.write() as conn:
            condition = self._key_condition(job)
            if config["jobs.keep_completed"]:
                conn.execute(
                    sa.update(self.table).where(condition).values(named(self.table, values))
                )
            else:
                conn.execute(sa.delete(self.table).where(condition))

    def error(
        self,
        key: Mapping[str, Any],
        error_message: str,
        error_stack: str | None = None,
        *,
        duration: float | None = None,
    ) -> None:
        """Record that computing ``key`` failed: the message (cut to 2047 characters, ending
        in ``...truncated``) and the traceback; the job is added if it has none."""
        self._upsert(
            key,
            {
                "status": "error",
                "completed_time": utc_now(),
                "duration": duration,
                "error_message": truncated(error_message),
                "error_stack": error_stack,
            },
        )

    def ignore(self, key: Mapping[str, Any]) -> None:
        """Mark a key so that ``populate`` skips it (until the job is deleted)."""
        self._upsert(key, {"status": "ignore"})

    def schedule(self, key: Mapping[str, Any], *, priority: int | None = None) -> None:
        """Make a key pending again, whatever its job's status."""
        values: dict[str, Any] = {"status": "pending"}
        if priority is not None:
            values["priority"] = priority
        self._upsert(key, values)

    def update1(self, row: Mapping[str, Any]) -> None:
        """Change the bookkeeping of one existing job (``status``, ``priority``, times, ...),
        found by its key.

        Raises:
            DataJointError: an attribute that is not bookkeeping, or no job for the key.
        """
        job = self._job_of(row)
        values = {name: value for name, value in row.items() if name not in job}
        unknown = sorted(set(values) - set(BOOKKEEPING))
        if unknown:
            raise DataJointError(
                f"Jobs of {self._target.__name__} have no attribute {', '.join(unknown)} to "
                f"update; their attributes are {', '.join(BOOKKEEPING)}."
            )
        with self._connection.write() as conn:
            changed = conn.execute(
                sa.update(self.table)
                .where(self._key_condition(job))
                .values(named(self.table, values))
            ).rowcount
        if not changed:
            raise DataJointError(
                f"update1: {self._target.__name__} has no job for {job}; add it first "
                "(jobs.refresh())."
            )

    def _upsert(self, key: Mapping[str, Any], values: dict[str, Any]) -> None:
        """Set the bookkeeping ``values`` of the job of ``key``, adding the job if needed."""
        table = self.table
        key = self._job_of(key)
        now = utc_now()
        values = {**values, "scheduled_time": values.get("scheduled_time", now)}
        with self._connection.write() as conn:
            changed = conn.execute(
                sa.update(table).where(self._key_condition(key)).values(named(table, values))
            ).rowcount
            if not changed:
                values.setdefault("priority", config["jobs.default_priority"])
                values["created_time"] = now
                conn.execute(sa.insert(table).values({**key, **named(table, values)}))

    # -- refreshing ------------------------------------------------------------------------------

    def refresh(
        self,
        *restrictions: Any,
        delay: float = 0,
        priority: int | None = None,
        stale_timeout: float | None = None,
        orphan_timeout: float | None = None,
        retry_errors: bool = False,
        keys: QueryExpression | None = None,
    ) -> dict[str, int]:
        """Bring the jobs up to date with the table, in one transaction.

        Args:
            restrictions: add jobs only for these keys of ``key_source`` (as with ``&``);
                the removal of vanished keys always looks at the whole ``key_source``.
            delay: seconds before the new jobs may start.
            priority: priority of the new jobs (default ``dj.config['jobs.default_priority']``).
            stale_timeout: seconds after which a job (not ``ignore``) whose key left
                ``key_source`` is removed (default ``dj.config['jobs.stale_timeout']``; 0: never
                by age). Finished and failed jobs of keys gone from both ``key_source`` and the
                table are removed at any age.
            orphan_timeout: seconds after which a reservation is considered abandoned and is
                made pending again (default ``dj.config['jobs.orphan_timeout']``).
            retry_errors: make failed jobs of these keys pending again.
            keys: the keys still to compute, instead of ``restrictions`` (``populate`` gives
                them).

        Returns:
            Counts: ``added``, ``removed`` (keys gone), ``orphaned`` (abandoned reservations
            made pending), ``re_pended`` (kept ``success`` jobs whose row is gone),
            ``retried`` (errors) and ``closed`` (open jobs of keys already computed).

        Example::

            SessionStats.jobs.refresh({"mouse_id": 3}, priority=1)["added"]
        """
        if keys is None:
            keys = self._target._todo(restrictions)  # type: ignore[attr-defined]
        table = self.table
        now = utc_now()
        if orphan_timeout is None:
            orphan_timeout = float(config["jobs.orphan_timeout"])
        if stale_timeout is None:
            stale_timeout = float(config["jobs.stale_timeout"])
        key_names = [column.name for column in table.primary_key]
        todo = keys.select().subquery()
        missing = [name for name in key_names if name not in todo.c]
        if missing:
            raise DataJointError(
                f"The key_source of {self._target.__name__} lacks {', '.join(missing)}, which "
                "its jobs are keyed by (the primary-key attributes from its parents); give it "
                "a key_source that has them."
            )
        among = self._among(keys)
        new = sa.select(
            *(todo.c[name] for name in key_names),
            sa.literal("pending", type_=bk(table, "status").type),
            sa.literal(
                config["jobs.default_priority"] if priority is None else priority,
                type_=sa.SmallInteger,
            ),
            sa.literal(now, type_=bk(table, "created_time").type),
            sa.literal(now + timedelta(seconds=delay), type_=bk(table, "scheduled_time").type),
        ).where(~sa.exists().where(*(c == todo.c[c.name] for c in table.primary_key)))
        vanished = ~self._among(self._target._key_source())  # type: ignore[attr-defined]
        status = bk(table, "status")
        counts: dict[str, int] = {}

        def run(conn: sa.Connection) -> None:
            counts["closed"] = self._close(conn, self._done(), keep=config["jobs.keep_completed"])
            counts["re_pended"] = conn.execute(
                sa.update(table)
                .where(status == "success", among)
                .values(named(table, {"status": "pending", "scheduled_time": now}))
            ).rowcount
            gone = conn.execute(
                sa.delete(table).where(
                    status.in_(("success", "error")), vanished, ~self._in_target()
                )
            ).rowcount
            if stale_timeout > 0:
                gone += conn.execute(
                    sa.delete(table).where(
                        vanished,
                        status != "ignore",
                        bk(table, "created_time") < now - timedelta(seconds=stale_timeout),
                    )
                ).rowcount
            counts["removed"] = gone
            counts["added"] = conn.execute(
                sa.insert(table).from_select(
                    [
                        *table.primary_key.columns,
                        *(
                            bk(table, n)
                            for n in ("status", "priority", "created_time", "scheduled_time")
                        ),
                    ],
                    new,
                )
            ).rowcount
            counts["orphaned"] = conn.execute(
                sa.update(table)
                .where(
                    status == "reserved",
                    bk(table, "reserved_time") < now - timedelta(seconds=orphan_timeout),
                )
                .values(named(table, RELEASED))
            ).rowcount
            counts["retried"] = (
                conn.execute(
                    sa.update(table)
                    .where(status == "error", among)
                    .values(named(table, {"status": "pending"}))
                ).rowcount
                if retry_errors
                else 0
            )

        with self.turn():
            retrying(lambda: in_transaction(self._connection, run))
        return counts

    def _in_target(self) -> ColumnElement[bool]:
        """Jobs whose key is in the table."""
        target = self._target._declared()
        return sa.exists().where(*(target.c[c.name] == c for c in self.table.primary_key))

    def _done(self) -> ColumnElement[bool]:
        """Open jobs (pending, reserved, error) whose key is already in the table."""
        return sa.and_(
            bk(self.table, "status").in_(("pending", "reserved", "error")), self._in_target()
        )

    def _close(self, conn: Executor, condition: ColumnElement[bool], *, keep: bool) -> int:
        if keep:
            statement: Any = (
                sa.update(self.table)
                .where(condition)
                .values(
                    named(
                        self.table,
                        {"status": "success", "completed_time": utc_now(), "error_message": None},
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
        """The keys among ``keys`` (whole keys of ``key_source``) whose job is pending and
        due, most urgent first.

        Keys of equal priority come in a random order, so workers that start together do
        not all compete for the same key.
        """
        table = self.table
        todo = keys.select().subquery()
        names = list(todo.c.keys())
        conditions = [
            bk(table, "status") == "pending",
            bk(table, "scheduled_time") <= utc_now(),
        ]
        if priority is not None:
            conditions.append(bk(table, "priority") <= priority)
        query = (
            sa.select(bk(table, "priority"), *todo.c)
            .select_from(
                todo.join(table, sa.and_(*(c == todo.c[c.name] for c in table.primary_key)))
            )
            .where(*conditions)
        )
        rows = list(self._connection.run_read(lambda conn: conn.execute(query).all()))
        random.shuffle(rows)
        rows.sort(key=lambda row: row[0])  # stable: random within one priority
        return [dict(zip(names, row[1:], strict=True)) for row in rows]

    def _among(self, keys: QueryExpression) -> ColumnElement[bool]:
        """Jobs whose key is one of ``keys``."""
        todo = keys.select().subquery()
        return sa.exists().where(*(c == todo.c[c.name] for c in self.table.primary_key))

    def claim(self, conn: Executor, keys: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Take pending jobs for this worker; returns the keys it got, in the given order.

        One conditional UPDATE for all the keys; only when another worker took some of them
        does a second statement find out which: those reserved at this statement's own time
        (:func:`reservation_time`) by this host and process, so threads of one process that
        reserve at once never take each other's keys. ``conn`` must commit each statement at
        once, so that the reservations are visible to other workers.
        """
        table = self.table
        names = [column.name for column in table.primary_key]
        wanted = [{name: key[name] for name in names} for key in keys]
        if not wanted:
            return []
        given = [dict(key) for key in keys]
        now, worker = reservation_time(), self._worker()
        which = self._keys_condition(wanted)
        changed = conn.execute(
            sa.update(table)
            .where(which, bk(table, "status") == "pending")
            .values(named(table, {"status": "reserved", "reserved_time": now, **worker}))
        ).rowcount
        if changed == len(wanted) or changed == 0:
            return given if changed else []
        mine = conn.execute(
            sa.select(*table.primary_key.columns).where(
                which,
                bk(table, "status") == "reserved",
                bk(table, "reserved_time") == now,
                bk(table, "host") == worker["host"],
                bk(table, "pid") == worker["pid"],
            )
        ).all()
        got = {tuple(row) for row in mine}
        return [key for key, job in zip(given, wanted, strict=True) if tuple(job.values()) in got]

    def release(self, conn: Executor, keys: Sequence[Mapping[str, Any]]) -> None:
        """Give back reserved jobs that were not finished (the worker was interrupted)."""
        table = self.table
        conn.execute(
            sa.update(table)
            .where(self._keys_condition(keys), bk(table, "status") == "reserved")
            .values(named(table, RELEASED))
        )

    def record_error(
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
                named(
                    self.table,
                    {
                        "status": "error",
                        "completed_time": utc_now(),
                        "duration": duration,
                        "error_message": truncated(message),
                        "error_stack": stack,
                    },
                )
            )
        )

    def finish(self, conn: Executor, keys: Iterable[Mapping[str, Any]]) -> None:
        """Close the jobs of keys this worker computed, a batch per statement."""
        keys = list(keys)
        keep = bool(config["jobs.keep_completed"])
        for start in range(0, len(keys), BATCH):
            batch = self._keys_condition(keys[start : start + BATCH])
            condition = sa.and_(bk(self.table, "status") == "reserved", batch)
            retrying(partial(self._close, conn, condition, keep=keep))
