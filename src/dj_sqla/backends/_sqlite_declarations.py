"""Declarations on a SQLite file store, committed together.

A commit makes SQLite sync its rollback journal and the schema file to disk, which costs more
than creating a table: a module that declares 30 classes one by one, each in a transaction of
its own, took twice as long as one ``create_all`` of the same tables. So declarations made in
a quick succession share one transaction, each in a savepoint of its own: a failing
definition still leaves the tables declared before it, and nothing of its own.

The shared transaction is committed

- before any other use of the store: the backend commits it when any connection is checked
  out of the pool, so nothing (dj_sqla, SQLAlchemy, Alembic) can read or write the store
  without seeing the tables (a thread that checks out while another thread is in the middle
  of a declaration leaves the commit to the timer rather than wait for that declaration);
- when no declaration followed for :data:`QUIET` seconds, and at the latest :data:`LONGEST`
  seconds after the first one, from a timer: other processes see the tables, and the schema
  file's write lock is not held, after a fraction of a second;
- at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

#: Seconds without a new declaration after which the shared transaction is committed.
QUIET = 0.02
#: Seconds after its first declaration by which the shared transaction is committed anyway.
LONGEST = 0.2
#: The savepoint of one declaration.
_SAVEPOINT = "dj_sqla_declaration"

#: Every open batch, committed at exit.
_open: weakref.WeakSet[SharedDeclarations] = weakref.WeakSet()


@atexit.register
def _commit_all() -> None:
    for declarations in list(_open):
        declarations.commit()


@dataclass
class _Batch:
    """The declarations of one shared transaction."""

    conn: Connection
    pid: int
    started: float
    last: float
    #: what each declaration undoes in the schema's bookkeeping if the transaction is lost
    on_lost: list[Callable[[], None]] = field(default_factory=list)


class SharedDeclarations:
    """The transaction that the declarations on one engine share (see the module)."""

    def __init__(self, engine: Engine, stale: Callable[[dict[str, Any]], bool]) -> None:
        """
        Args:
            engine: the store's engine.
            stale: whether the connection with this pool ``info`` lacks schemas attached
                since it was checked out (SQLite cannot attach them inside the shared
                transaction).
        """
        self._engine = engine
        self._stale = stale
        self._lock = threading.RLock()
        self._batch: _Batch | None = None
        #: the thread running a declaration, if any
        self._declaring: int | None = None

    def commit_before_use(self) -> None:
        """Commit the declarations that wait for it before a connection is used (a pool
        checkout), unless a declaration is running: in this thread it is that declaration's
        own checkout; in another thread, it may be waiting for a write lock that this one
        holds on another connection, so the timer commits instead of waiting for it."""
        if self._batch is not None and self._declaring is None:
            self.commit()

    @contextmanager
    def declaring(self, on_lost: Callable[[], None]) -> Iterator[Connection]:
        """One declaration, in a savepoint of the shared transaction.

        Args:
            on_lost: called if the shared transaction is lost after this declaration
                succeeded (its commit failed, or a later statement made SQLite roll it all
                back): it should forget the tables this declaration created.
        """
        with self._lock:
            self._declaring = threading.get_ident()
            try:
                if self._batch is not None and self._stale(self._batch.conn.connection.info):
                    self._end(self._batch, lost=False)  # then a connection with every schema
                batch = self._batch or self._open_batch()
                dbapi_conn: Any = batch.conn.connection.dbapi_connection
                # the driver's own SAVEPOINT: SQLAlchemy's nested transaction costs 60
                # times as much, and only the shared transaction matters to it
                cursor = dbapi_conn.cursor()
                try:
                    cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
                    try:
                        yield batch.conn
                    except BaseException:
                        if dbapi_conn.in_transaction:
                            cursor.execute(f"ROLLBACK TO {_SAVEPOINT}")
                            cursor.execute(f"RELEASE {_SAVEPOINT}")
                        else:  # SQLite rolled the whole transaction back (full disk, I/O)
                            self._end(batch, lost=True)
                        raise
                    cursor.execute(f"RELEASE {_SAVEPOINT}")
                finally:
                    cursor.close()
                batch.last = time.monotonic()
                batch.on_lost.append(on_lost)
            finally:
                self._declaring = None

    def commit(self) -> None:
        """Commit the declarations that wait for it, now."""
        with self._lock:
            if self._batch is not None:
                self._end(self._batch, lost=False)

    def _open_batch(self) -> _Batch:
        conn = self._engine.connect()
        conn.begin()
        now = time.monotonic()
        self._batch = _Batch(conn, os.getpid(), now, now)
        _open.add(self)
        self._commit_later(QUIET)
        return self._batch

    def _commit_later(self, delay: float) -> None:
        timer = threading.Timer(delay, self._commit_if_quiet)
        timer.daemon = True  # interpreter exit commits through atexit instead of waiting
        timer.start()

    def _commit_if_quiet(self) -> None:
        with self._lock:
            batch = self._batch
            if batch is None:
                return
            due = min(batch.last + QUIET, batch.started + LONGEST) - time.monotonic()
            if due > 0:
                self._commit_later(due)
            else:
                self._end(batch, lost=False)

    def _end(self, batch: _Batch, *, lost: bool) -> None:
        self._batch = None
        _open.discard(self)
        if batch.pid != os.getpid():
            return  # a forked child: the connection and its transaction are the parent's
        try:
            if not lost:
                batch.conn.commit()
        except BaseException:
            lost = True
            raise
        finally:
            if lost:
                # SQLite keeps a transaction whose COMMIT failed open, and the pool takes the
                # connection back without a rollback after SQLAlchemy's commit was called
                with suppress(sqlite3.Error):
                    batch.conn.connection.dbapi_connection.rollback()  # type: ignore[union-attr]
            batch.conn.close()
            if lost:
                for forget in batch.on_lost:
                    forget()
