"""Declarations on a SQLite file store, created together.

A module that decorates 30 classes one by one, each declared at once in a transaction of its
own, took twice as long as one ``create_all`` of the same tables: each commit makes SQLite
sync the disk, and building one class's Table between another's ``CREATE TABLE`` statements
costs more than building them all first (the processor's caches hold one kind of work at a
time). So on a file store a declaration checks and builds its Tables at once (every error
in a definition is raised by the decorator) and queues its DDL; the queued declarations are
created together in one transaction, each in a savepoint of its own:

- before any other use of the store: the backend creates them when any connection is checked
  out of the pool, so nothing (dj_sqla, SQLAlchemy, Alembic) can read or write the store
  without seeing the tables (a thread that checks out while another thread is creating them
  carries on rather than wait, as it may hold a lock the creation needs);
- when no declaration followed for :data:`QUIET` seconds, and at the latest :data:`LONGEST`
  seconds after the first one, from a timer, so that other processes see the tables soon;
- at interpreter exit.

SQLite refuses few definitions that dj_sqla accepts (a table another process created
meanwhile, a store locked for longer than the busy timeout). A refused declaration leaves
nothing of its own and the others are kept; its error is raised by the use that created the
queue (or, from the timer, warned about), and its classes raise
:class:`~dj_sqla.errors.TableNotDeclaredError` saying why.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

#: Seconds without a new declaration after which the queue is created.
QUIET = 0.02
#: Seconds after its first declaration by which the queue is created anyway.
LONGEST = 0.2
#: The savepoint of one declaration.
_SAVEPOINT = "dj_sqla_declaration"

#: Runs one declaration's DDL on the connection it is given.
Create = Callable[["Connection"], None]
#: Told why a queued declaration was not created (its tables must be forgotten).
Lost = Callable[[BaseException], None]

#: Every store with queued declarations, created at exit.
_open: weakref.WeakSet[SharedDeclarations] = weakref.WeakSet()


@atexit.register
def _create_all_queued() -> None:
    for declarations in list(_open):
        declarations.create_quietly()


@dataclass
class _Queue:
    """The declarations waiting to be created together."""

    pid: int
    started: float
    last: float
    declarations: list[tuple[Create, Lost]] = field(default_factory=list)


class SharedDeclarations:
    """The declarations queued on one engine (see the module)."""

    def __init__(self, engine: Engine, created: Callable[[], None]) -> None:
        """
        Args:
            engine: the store's engine.
            created: called after queued declarations were created (the backend brings
                connections up to date: triggers on the new tables).
        """
        self._engine = engine
        self._created = created
        self._lock = threading.RLock()
        self._queue: _Queue | None = None
        #: the thread creating the queue, if any
        self._creating: int | None = None

    def create_before_use(self) -> None:
        """Create the queued declarations before a connection is used (a pool checkout),
        unless they are being created: by this thread, it is that creation's own checkout;
        by another thread, that one may wait for a lock that this thread holds on another
        connection, so this one carries on rather than wait for it."""
        if self._queue is not None and self._creating is None:
            self.create()

    def declare(self, create: Create, on_lost: Lost) -> None:
        """Queue one declaration.

        Args:
            create: runs the declaration's DDL; raises to refuse it.
            on_lost: called with the error if the declaration is not created.
        """
        with self._lock:
            now = time.monotonic()
            queue = self._queue
            if queue is None or queue.pid != os.getpid():
                queue = self._queue = _Queue(os.getpid(), now, now)
                _open.add(self)
                self._create_later(QUIET)
            queue.declarations.append((create, on_lost))
            queue.last = now

    def create(self) -> None:
        """Create the queued declarations now.

        Raises:
            DefinitionError: SQLite refused a declaration (the first one refused; the others
                were created).
            sqlalchemy.exc.DBAPIError: the transaction could not be committed; none of them
                was created.
        """
        with self._lock:
            queue, self._queue = self._queue, None
            _open.discard(self)
            if queue is None or queue.pid != os.getpid():
                return  # (a forked child: the queue is its parent's to create)
            self._creating = threading.get_ident()
            try:
                refused = self._create(queue.declarations)
            finally:
                self._creating = None
            self._created()
        if refused:
            raise refused[0]

    def create_quietly(self) -> None:
        """:meth:`create`, warning instead of raising (from the timer and at exit, where
        no caller would see the error; the classes say why when used)."""
        try:
            self.create()
        except Exception as err:
            warnings.warn(f"dj_sqla could not declare tables: {err}", RuntimeWarning, stacklevel=1)

    def _create(self, declarations: list[tuple[Create, Lost]]) -> list[BaseException]:
        """Run each declaration in a savepoint of one transaction, then commit it."""
        refused: list[BaseException] = []
        pending = list(declarations)  # not refused yet, nor committed
        try:
            with self._engine.connect() as conn:
                dbapi_conn: Any = conn.connection.dbapi_connection
                try:
                    conn.begin()
                    self._run(conn, declarations, pending, refused)
                    conn.commit()
                except BaseException:
                    # SQLite keeps a transaction whose COMMIT failed open, and the pool takes
                    # the connection back without a rollback after SQLAlchemy's commit was
                    # called
                    with suppress(sqlite3.Error):
                        dbapi_conn.rollback()
                    raise
        except BaseException as err:
            for _, on_lost in pending:
                on_lost(err)
            raise
        return refused

    @staticmethod
    def _run(
        conn: Connection,
        declarations: list[tuple[Create, Lost]],
        pending: list[tuple[Create, Lost]],
        refused: list[BaseException],
    ) -> None:
        """Each declaration in a savepoint; a refused one is rolled back, told, and taken
        off ``pending``."""
        dbapi_conn: Any = conn.connection.dbapi_connection
        # the driver's own SAVEPOINT: SQLAlchemy's nested transaction costs 60 times as
        # much, and only the enclosing transaction matters to it
        cursor = dbapi_conn.cursor()
        try:
            for create, on_lost in declarations:
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
                try:
                    create(conn)
                except Exception as err:
                    if not dbapi_conn.in_transaction:
                        raise  # SQLite rolled it all back (full disk, I/O error)
                    cursor.execute(f"ROLLBACK TO {_SAVEPOINT}")
                    cursor.execute(f"RELEASE {_SAVEPOINT}")
                    pending.remove((create, on_lost))
                    on_lost(err)
                    refused.append(err)
                    continue
                cursor.execute(f"RELEASE {_SAVEPOINT}")
        finally:
            cursor.close()

    def _create_later(self, delay: float) -> None:
        timer = threading.Timer(delay, self._create_if_quiet)
        timer.daemon = True  # interpreter exit creates them through atexit instead
        timer.start()

    def _create_if_quiet(self) -> None:
        with self._lock:
            queue = self._queue
            if queue is None:
                return
            due = min(queue.last + QUIET, queue.started + LONGEST) - time.monotonic()
            if due > 0:
                self._create_later(due)
                return
        self.create_quietly()
