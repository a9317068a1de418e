"""``populate()``: Imported and Computed tables fill themselves from their parents.

The keys to compute are those of ``key_source`` (by default the join of the parents named in
the primary key) that the table does not hold yet. Each key runs in its own transaction: if
``make`` raises, nothing of that key (master or part rows) is stored.

A ``make`` may be split in three (``make_fetch``, ``make_compute``, ``make_insert``): fetching
and computing then happen outside the transaction, and inside it the inputs are fetched again
and must be unchanged before ``make_insert`` runs, so a long computation holds no locks.

Example:
    ``SessionStats.populate(display_progress=True)`` returns
    ``{"success_count": 12, "error_list": []}``.
"""

from __future__ import annotations

import inspect
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext, suppress
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from ._mapping import own_attributes
from ._populate_support import (
    as_tuple,
    check_returned,
    each_key,
    exit_on_terminate,
    picklable,
    progress_bar,
    same,
    stack_of,
    step,
    terminate_as_exit,
)
from .errors import DataJointError, DuplicateError, LostConnectionError
from .execution.jobs import Jobs
from .execution.query import Query, TableQuery
from .expression.core import as_expression
from .table import UserTable, classproperty, inserting_from_make, parts_of, tier_pattern

if TYPE_CHECKING:
    from .connection import Connection


class AutoPopulate:
    """Mixed into ``dj.Imported`` and ``dj.Computed``."""

    _allow_insert: ClassVar[bool]

    @classmethod
    def _default_key_source(cls) -> Query:
        """The join of the parents whose foreign keys are in the primary key, as keys."""
        table = cls._declared()  # type: ignore[attr-defined]
        schema = cls._require_schema()  # type: ignore[attr-defined]
        source: Query | None = None
        for fk in table.foreign_key_constraints:
            local = [el.parent for el in fk.elements]
            if not all(c.primary_key for c in local):
                continue
            parent_class = schema.class_for(fk.referred_table.schema, fk.referred_table.name)
            if parent_class is None:
                raise DataJointError(
                    f"The parent table `{fk.referred_table.schema}`.`{fk.referred_table.name}` "
                    "has no class in this process; activate its schema first."
                )
            parent = TableQuery(parent_class).proj(
                **{
                    el.parent.name: el.column.name
                    for el in fk.elements
                    if el.parent.name != el.column.name
                }
            )
            source = parent if source is None else source * parent
        if source is None:
            raise DataJointError(
                f"{cls.__name__} has no foreign key in its primary key, so it has no default "
                "key_source; define key_source on the class."
            )
        return source.proj()

    @classproperty
    def key_source(cls) -> Query:
        """The keys ``populate`` computes: by default the join of the parents named in the
        primary key (as keys); a class may define its own (attribute, property or
        classmethod), as in DataJoint.

        Example::

            len(SessionStats.key_source - SessionStats)   # keys still to compute
        """
        return cls._key_source()

    @classmethod
    def _key_source(cls) -> Query:
        """``key_source`` as the class defines it (attribute, property or classmethod)."""
        owner = next(klass for klass in cls.__mro__ if "key_source" in vars(klass))
        if owner is AutoPopulate:
            return cls._default_key_source()
        override = vars(owner)["key_source"]
        if isinstance(override, property) and override.fget is not None:
            value: Any = override.fget(cls())
        elif isinstance(override, (classmethod, staticmethod)):
            value = override.__get__(None, cls)()
        else:
            value = override
        return as_expression(value)  # type: ignore[return-value]  # a table's: a Query

    @classmethod
    def _todo(cls, restrictions: tuple[Any, ...]) -> Query:
        source = cls._key_source()
        for restriction in restrictions:
            source = source & restriction
        return source.proj() - cls

    @classmethod
    def progress(cls, *restrictions: Any, display: bool = False) -> tuple[int, int]:
        """``(remaining, total)`` keys of ``key_source`` (restricted) still to compute."""
        source = cls._key_source()
        for restriction in restrictions:
            source = source & restriction
        total = len(source)
        remaining = len(source.proj() - cls)
        if display:
            done = total - remaining
            percent = 100 * done / total if total else 100.0
            print(f"{cls.__name__}: {done}/{total} ({percent:.1f}%) done, {remaining} to go")
        return remaining, total

    jobs: ClassVar[_JobsOf]

    @classmethod
    def populate(
        cls,
        *restrictions: Any,
        suppress_errors: bool = False,
        return_exception_objects: bool = False,
        reserve_jobs: bool = False,
        max_calls: int | None = None,
        display_progress: bool = False,
        processes: int | None = 1,
        make_kwargs: Mapping[str, Any] | None = None,
        priority: int | None = None,
        refresh: bool = True,
        order: str = "original",
        limit: int | None = None,
        keys: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Compute and insert the rows of every key of ``key_source`` not yet in the table.

        Each key runs in its own transaction; a key another worker stored meanwhile is skipped
        (its ``make`` may have run, but nothing is stored twice).

        Args:
            restrictions: limit the keys (as with ``&``).
            suppress_errors: collect errors in ``error_list`` and go on with the next key.
            return_exception_objects: list exceptions instead of their messages.
            reserve_jobs: share the work with other workers through the job table
                (``Table.jobs``): each key is reserved before its ``make`` runs, failures are
                recorded there, and keys set to ``ignore`` are skipped.
            max_calls: call ``make`` for at most this many keys.
            display_progress: show a progress bar.
            processes: run this many worker processes on this machine (each with its own
                database connections); None: one per processor (DataJoint's meaning), or one
                where the database lives in this process only.
            make_kwargs: passed to ``make`` (or ``make_fetch``).
            priority: with ``reserve_jobs``, the priority of the jobs this call adds, and run
                only jobs of this priority or more urgent (lower numbers run first).
            refresh: with ``reserve_jobs``, first add jobs for new keys, retry failed ones and
                reset abandoned reservations (``Table.jobs.refresh``).
            order: DataJoint 0.14's order of the keys: ``"original"`` (by key), ``"reverse"``
                or ``"random"`` (workers started together then rarely reach for one key).
            limit: DataJoint 0.14's cap on the keys considered (``max_calls`` caps the calls).
            keys: DataJoint 0.14's list of keys to compute (those of them in ``key_source``
                and not yet in the table), instead of all of ``key_source``.

        Returns:
            ``{"success_count": n, "error_list": [(key, error), ...]}``.

        Raises:
            DataJointError: inside a transaction, or ``processes`` with an in-memory SQLite
                database (other processes cannot see it).
        """
        schema = cls._require_schema()  # type: ignore[attr-defined]
        connection = schema.connection
        if connection.in_transaction:
            raise DataJointError(
                "populate() cannot run inside a transaction: each key gets its own. Call it "
                "outside `with connection.transaction`."
            )
        if processes is None:
            shared = connection.backend.shared_by_processes
            processes = (os.cpu_count() or 1) if shared else 1
        if processes < 1:
            raise DataJointError(f"processes must be 1 or more (or None), not {processes}.")
        if processes > 1 and not connection.backend.shared_by_processes:
            raise DataJointError(
                f"populate(processes={processes}) needs a database other processes can open; "
                f"{connection.backend.describe_server()} lives in this process only. Use a "
                "SQLite file store or a server, or processes=1."
            )
        if priority is not None and not reserve_jobs:
            raise DataJointError("priority applies to jobs: pass reserve_jobs=True with it.")
        if order not in _ORDERS:
            raise DataJointError(
                f"populate(order={order!r}): use one of {', '.join(map(repr, _ORDERS))}."
            )
        todo = cls._todo(restrictions)
        if keys is not None:
            todo = todo & [dict(key) for key in keys]  # an empty list matches nothing
        jobs = cls.jobs if reserve_jobs else None
        if jobs is None:
            found = todo.keys(order_by="KEY")
        else:
            if refresh:
                jobs.refresh(keys=todo, priority=priority, retry_errors=True)
            found = jobs.candidates(todo, priority=priority)
        worker = _Worker(
            cls, jobs, suppress_errors, return_exception_objects, dict(make_kwargs or {})
        )
        found = _ORDERS[order](found)[:limit]
        if max_calls is not None and jobs is None:
            found = found[:max_calls]
        if processes > 1 and len(found) > 1:
            return worker.run_in_processes(found, processes, display_progress, max_calls)
        return worker.run(found, display_progress, max_calls)

    @classmethod
    def _make_one(
        cls,
        connection: Any,
        key: dict[str, Any],
        make_kwargs: dict[str, Any],
        jobs: Jobs | None = None,
    ) -> bool:
        """Compute one key in its own transaction; False if another worker stored it first.
        With ``jobs``, the transaction runs in this worker's turn (``Jobs.turn``).

        The key is not looked up beforehand (that would cost a round trip per key): if
        another worker committed it meanwhile, ``make``'s insert is refused as a duplicate,
        nothing of this attempt is stored, and the key counts as done.
        """
        table: Any = cls()  # the table as a query: make(self, key) gets it as self
        tripartite, own = _shape(cls)
        if tripartite:
            inside = _three_part(cls, table, key, make_kwargs)
        else:
            make = table._make_tuples if hasattr(cls, "_make_tuples") else table.make
            if inspect.isgeneratorfunction(make):
                inside = _generator(cls, make, key, make_kwargs)
            else:

                def inside() -> None:
                    check_returned(cls, make(key, **make_kwargs))

        try:
            with (
                jobs.turn() if jobs is not None else nullcontext(),
                connection.transaction as conn,
                inserting_from_make(own),
            ):
                connection.backend.lock_for_write(conn, table._table)
                inside()
                return True
        except DuplicateError:
            if key in table:  # another worker stored this key meanwhile
                return False
            raise


def _three_part(
    cls: type, table: Any, key: dict[str, Any], make_kwargs: dict[str, Any]
) -> Callable[[], None]:
    """``make_fetch`` and ``make_compute`` now, outside the transaction; the returned step,
    inside it, fetches again, checks the inputs are unchanged and runs ``make_insert``."""
    fetched = table.make_fetch(key, **make_kwargs)
    computed = table.make_compute(key, *as_tuple(fetched))

    def inside() -> None:
        if not same(as_tuple(table.make_fetch(key, **make_kwargs)), as_tuple(fetched)):
            raise DataJointError(
                f"{cls.__name__}: the data make_fetch read for {key} changed while "
                "make_compute ran; nothing was inserted. Populate again."
            )
        table.make_insert(key, *as_tuple(computed))

    return inside


def _generator(
    cls: type, make: Any, key: dict[str, Any], make_kwargs: dict[str, Any]
) -> Callable[[], None]:
    """DataJoint's generator ``make``: it yields what it fetched, then (sent None) what it
    computed, here, outside the transaction. The returned step, inside it, runs ``make``
    again, which must fetch the same data, and sends it the computed result to insert."""
    first = make(dict(key), **make_kwargs)
    fetched = step(cls, first, "the fetched data")
    computed = step(cls, first, "the computed result")
    first.close()

    def inside() -> None:
        again = make(dict(key), **make_kwargs)
        if not same(step(cls, again, "the fetched data"), fetched):
            raise DataJointError(
                f"{cls.__name__}: the data make read for {key} changed while it "
                "computed; nothing was inserted. Populate again."
            )
        with suppress(StopIteration):  # the insert stage may end without a yield
            again.send(computed)
        again.close()

    return inside


class _JobsOf:
    """``Table.jobs``: the job table of the table (created on first use); see
    :mod:`dj_sqla.execution.jobs`."""

    def __get__(self, instance: object, owner: type) -> Jobs:
        return Jobs(owner)  # type: ignore[arg-type]


AutoPopulate.jobs = _JobsOf()


class Imported(UserTable, AutoPopulate):
    """Rows computed from data outside the database by ``make``, filled by ``populate()``."""

    tier_prefix = "_"
    tier_regexp = tier_pattern("imported", "_")
    _populated_by_make = True


class Computed(UserTable, AutoPopulate):
    """Rows computed from other tables by ``make``, filled by ``populate()``."""

    tier_prefix = "__"
    tier_regexp = tier_pattern("computed", "__")
    _populated_by_make = True


class _Worker:
    """Runs ``make`` for a list of keys, in this process or in several."""

    def __init__(
        self,
        cls: Any,
        jobs: Jobs | None,
        suppress_errors: bool,
        return_exception_objects: bool,
        make_kwargs: dict[str, Any],
    ) -> None:
        self.cls = cls
        self.connection = cls._require_schema().connection
        self.jobs = jobs
        self.suppress_errors = suppress_errors
        self.return_exception_objects = return_exception_objects
        self.make_kwargs = make_kwargs

    def run(
        self, keys: list[dict[str, Any]], display: bool, max_calls: int | None
    ) -> dict[str, Any]:
        """Compute the keys here, one transaction each (with jobs: those this worker gets)."""
        tally = _Tally(self, max_calls)
        bar = progress_bar(display, self.cls.__name__, len(keys))
        with (
            _Statements(self.connection, self.jobs) as statements,
            terminate_as_exit(),
            self.connection.hold_connection(),
        ):
            claims = None if self.jobs is None else _Claims(self.jobs, statements)
            try:
                for key in each_key(keys, bar) if claims is None else claims.take(keys, bar):
                    outcome, error = self.one(statements, key)
                    tally.add(key, outcome, error)
                    if tally.first_error is not None:
                        raise tally.first_error
                    if tally.enough:
                        break
            finally:
                if claims is not None:
                    claims.release()
                self.finish(statements, tally.finished)
                bar.close()
        return tally.result()

    def one(self, statements: _Statements, key: dict[str, Any]) -> tuple[str, Any]:
        """Compute one key (with jobs: reserved already).

        Returns:
            ``(outcome, exception or None)``; the outcome is ``"done"``, ``"skipped"``
            (another worker stored the key first) or ``"error"``. An interruption (Ctrl-C,
            SIGTERM) is recorded as the job's error, as DataJoint records it, and propagates.
        """
        jobs = self.jobs
        started = time.monotonic()
        try:
            # a deadlock rolled the key's transaction back: nothing of it was stored, so its
            # make runs again (a few times, with pauses) before it counts as an error
            made = self.connection.retrying(
                lambda: self.cls._make_one(self.connection, key, self.make_kwargs, jobs)
            )
        except (KeyboardInterrupt, SystemExit) as err:
            if jobs is not None:  # recorded as DataJoint records it; the next populate retries
                self.record(statements, key, err, started)
            raise
        except Exception as err:
            if jobs is not None:
                self.record(statements, key, err, started)
            return "error", err
        return ("done" if made else "skipped"), None

    def record(
        self, statements: _Statements, key: dict[str, Any], error: BaseException, started: float
    ) -> None:
        """Record the failure of ``key``'s ``make`` in its job, with DataJoint's message
        (``KeyboardInterrupt``, ``ValueError: bad value``)."""
        assert self.jobs is not None
        message = type(error).__name__ + (f": {error}" if str(error) else "")
        duration = time.monotonic() - started
        self.jobs.record_error(statements, key, message, stack_of(error), duration=duration)

    def finish(self, statements: _Statements, keys: list[dict[str, Any]]) -> None:
        """Close the jobs of the computed keys, in as few statements as possible."""
        if self.jobs is not None and keys:
            self.jobs.finish(statements, keys)

    def report(self, error: BaseException) -> Any:
        """An ``error_list`` entry: the exception or its message and traceback."""
        if self.return_exception_objects:
            return error
        return f"{type(error).__name__}: {error}\n{stack_of(error)}"

    def run_in_processes(
        self, keys: list[dict[str, Any]], processes: int, display: bool, max_calls: int | None
    ) -> dict[str, Any]:
        """Compute the keys in ``processes`` forked workers; this process shows the progress."""
        global _forked
        context = multiprocessing.get_context("fork")
        self.connection.engine.dispose()  # children must not share the parent's connections
        stop = context.Event()
        tally = _Tally(self, max_calls)
        _forked = (self, stop)
        bar = progress_bar(display, self.cls.__name__, len(keys))
        try:
            with context.Pool(processes, initializer=_start_child) as pool:
                for key, outcome, error in pool.imap_unordered(_run_in_child, keys):
                    bar.update()
                    tally.add(key, outcome, error)
                    if tally.enough or tally.first_error is not None:
                        stop.set()  # the children skip the keys still queued
                pool.close()
                pool.join()
        finally:
            _forked = None
            bar.close()
            with _Statements(self.connection, self.jobs) as statements:
                self.finish(statements, tally.finished)
        if tally.first_error is not None:
            raise tally.first_error
        return tally.result()


class _Claims:
    """Reserves keys for one worker, several at a time when ``make`` is quick.

    A batch is sized to about a second of work (at most 64 keys), measured on the previous
    batch, so trivial keys cost a fraction of a statement each while slow ones are reserved
    one at a time and stay available to other workers.
    """

    SECONDS = 1.0
    MOST = 64

    def __init__(self, jobs: Jobs, statements: _Statements) -> None:
        self.jobs = jobs
        self.statements = statements
        self.held: list[dict[str, Any]] = []  # reserved, not started yet

    def take(self, keys: list[dict[str, Any]], bar: Any) -> Iterator[dict[str, Any]]:
        """The keys this worker reserved, in order; the others were taken by other workers."""
        size, start = 1, 0
        while start < len(keys):
            batch = keys[start : start + size]
            start += len(batch)
            self.held = self.jobs.claim(self.statements, batch)
            bar.update(len(batch) - len(self.held))
            began, got = time.monotonic(), len(self.held)
            while self.held:
                yield self.held.pop(0)
                bar.update()
            if got:
                per_key = (time.monotonic() - began) / got
                size = max(1, min(self.MOST, 2 * size, int(self.SECONDS / max(per_key, 1e-6))))

    def release(self) -> None:
        """Give back the reserved keys not started (the loop stopped early)."""
        if self.held:
            self.jobs.release(self.statements, self.held)
            self.held = []


class _Tally:
    """Counts outcomes into ``populate``'s result."""

    def __init__(self, worker: _Worker, max_calls: int | None) -> None:
        self.worker = worker
        self.max_calls = max_calls
        self.calls = 0
        self.success = 0
        self.errors: list[tuple[dict[str, Any], Any]] = []
        self.finished: list[dict[str, Any]] = []
        self.first_error: BaseException | None = None

    @property
    def enough(self) -> bool:
        return self.max_calls is not None and self.calls >= self.max_calls

    def add(self, key: dict[str, Any], outcome: str, error: Any) -> None:
        if outcome in ("taken", "stopped"):  # another worker's, or not started
            return
        self.calls += 1
        if outcome == "error":
            if not self.worker.suppress_errors:
                self.first_error = self.first_error or error
            self.errors.append((key, self.worker.report(error)))
            return
        self.finished.append(key)
        self.success += outcome == "done"

    def result(self) -> dict[str, Any]:
        return {"success_count": self.success, "error_list": self.errors}


#: While ``run_in_processes`` runs: the worker and the flag that stops the children. Forked
#: children inherit it, so nothing (the table class, ``make``) has to be pickled.
_forked: tuple[_Worker, Any] | None = None
_child_statements: _Statements | None = None


def _start_child() -> None:
    global _child_statements
    assert _forked is not None
    worker = _forked[0]
    worker.connection.engine.dispose(close=False)  # the parent's connections are not ours
    _child_statements = _Statements(worker.connection, worker.jobs)
    signal.signal(signal.SIGTERM, exit_on_terminate)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _run_in_child(key: dict[str, Any]) -> tuple[dict[str, Any], str, Any]:
    assert _forked is not None
    assert _child_statements is not None
    worker, stop = _forked
    if stop.is_set():
        return key, "stopped", None
    if worker.jobs is not None and not worker.jobs.claim(_child_statements, [key]):
        return key, "taken", None
    outcome, error = worker.one(_child_statements, key)
    if error is not None:
        error.__dict__.setdefault("_dj_sqla_stack", stack_of(error))  # travels with the pickle
        error = picklable(error)
    return key, outcome, error


class _Statements:
    """Runs job statements, each committed at once: on one autocommit connection where the
    backend has autocommit (one round trip each), else each in its own short transaction;
    with ``jobs``, each in this worker's turn (see ``Jobs.turn``)."""

    def __init__(self, connection: Connection, jobs: Jobs | None = None) -> None:
        self.connection = connection
        self.jobs = jobs
        self._conn: sa.Connection | None = None

    def __enter__(self) -> _Statements:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def execute(self, statement: Any) -> Any:
        """Run and commit one job statement; again (after a pause) when a deadlock with
        another worker rolled it back, and on a new connection when this one was lost. Each
        statement is one idempotent UPDATE or DELETE, so running it again is safe."""
        with self.jobs.turn() if self.jobs is not None else nullcontext():
            return self.connection.retrying(lambda: self._execute(statement))

    def _execute(self, statement: Any) -> Any:
        if not self.connection.backend.has_autocommit:
            with self.connection.write() as conn:
                return conn.execute(statement)
        if self._conn is None:
            self._conn = self.connection.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        try:
            return self._conn.execute(statement)
        except LostConnectionError:
            self._conn.close()
            self._conn = None
            raise


_ORDERS: dict[str, Any] = {
    "original": lambda keys: keys,
    "reverse": lambda keys: keys[::-1],
    "random": lambda keys: random.sample(keys, len(keys)),
}


def _shape(cls: type) -> tuple[bool, list[type]]:
    """Whether ``cls`` splits its ``make`` in three, and the classes ``make`` inserts into
    (the table and its parts); worked out once per class, not once per key."""
    shape = own_attributes(cls).get("_populate_shape")
    if shape is None:
        tripartite = all(hasattr(cls, n) for n in ("make_fetch", "make_compute", "make_insert"))
        shape = (tripartite, [cls, *parts_of(cls)])
        type.__setattr__(cls, "_populate_shape", shape)
    return shape
