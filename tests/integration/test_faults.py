"""Faults on the servers: idle timeouts, connections the server ends, lost transactions, and
workers that deadlock with concurrent deletes.

Idle timeouts are set per session (MariaDB ``wait_timeout``, PostgreSQL
``idle_session_timeout``) through ``init_fun``, so the session's throwaway servers serve;
a server restart is what the server ending every connection of the test looks like to the
client, so the tests end them with ``KILL`` / ``pg_terminate_backend`` — only the sessions
of this test process, found by their client ports, so that tests running in parallel
processes on the same server keep theirs. Each test is bounded to a few seconds (the
concurrency test to about fifteen).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import dj_sqla as dj
import servers

_SHORT_IDLE = {
    "mysql": "SET SESSION wait_timeout = 1",
    "postgresql": "SET idle_session_timeout = 1000",
}


#: Every test here runs on the servers only: SQLite is a library in the process, with no
#: server connection to lose, restart or time out.
pytestmark = pytest.mark.parametrize("backend", ["mysql", "postgresql"])


@pytest.fixture
def server(backend: str) -> str:
    return backend


def _own_ports() -> set[int]:
    """The local TCP ports of this process's sockets (Linux: its descriptors, then the
    kernel's socket tables)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _end_other_sessions(url: str, backend: str) -> None:
    """What a server restart does to this process: every session it has open is ended."""
    killer = dj.Connection(url)
    try:
        ports = _own_ports()
        if backend == "mysql":
            rows = killer.query(
                "SELECT id, host FROM information_schema.processlist WHERE id <> CONNECTION_ID()"
            ).fetchall()
            sessions = [s for s, host in rows if host.rpartition(":")[2] in map(str, ports)]
            for session in sessions:
                with contextlib.suppress(Exception):  # it may have ended meanwhile
                    killer.query(f"KILL {int(session)}")
        else:
            rows = killer.query(
                "SELECT pid, client_port FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            ).fetchall()
            for pid, port in rows:
                if port in ports:
                    killer.query(f"SELECT pg_terminate_backend({int(pid)})")
    finally:
        killer.engine.dispose()


@pytest.fixture
def mouse(new_schema: Callable[..., dj.Schema], server: str) -> Any:
    schema = new_schema("faults")

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        name : varchar(20)
        """

    Mouse.insert([(i, f"m{i}") for i in range(10)])
    return Mouse


def test_reads_and_writes_survive_an_idle_timeout(
    db_url: str, server: str, schema_name: Any
) -> None:
    connection = dj.Connection(db_url, init_fun=_SHORT_IDLE[server])
    try:
        schema = dj.Schema(schema_name("idle"), connection=connection)

        @schema
        class Item(dj.Manual):
            definition = """
            item : int32
            ---
            label : varchar(10)
            """

        Item.insert1((1, "a"))
        assert len(Item()) == 1
        time.sleep(2.5)  # every pooled connection is closed by the server now
        assert Item.to_dicts() == [{"item": 1, "label": "a"}]
        time.sleep(2.5)
        Item.insert1((2, "b"))  # a write on a fresh connection, not "a value does not fit"
        assert len(Item()) == 2
    finally:
        connection.engine.dispose()


def test_reads_survive_a_server_ending_every_connection(
    mouse: Any, db_url: str, server: str
) -> None:
    assert len(mouse()) == 10
    time.sleep(1.2)  # idle long enough to be pinged at the next checkout
    _end_other_sessions(db_url, server)
    assert len(mouse()) == 10
    _end_other_sessions(db_url, server)  # no idle time: the read itself is tried again
    assert len(mouse.to_dicts()) == 10
    mouse.insert1((99, "after"))
    assert len(mouse()) == 11


@pytest.fixture
def own_server(server: str) -> Any:
    """A throwaway server of the test's own, to restart."""
    started = {"mysql": servers.start_mariadb, "postgresql": servers.start_postgresql}[server]()
    yield started
    started.stop()


def test_reads_and_writes_survive_a_server_restart(own_server: Any) -> None:
    connection = dj.Connection(own_server.url)
    try:
        schema = dj.Schema("restart", connection=connection)

        @schema
        class Item(dj.Manual):
            definition = """
            item : int32
            """

        Item.insert([(i,) for i in range(5)])
        assert len(Item()) == 5
        own_server.restart()  # every pooled connection (read and write) is dead now
        assert len(Item()) == 5  # used less than a second ago: the read is run again
        own_server.restart()
        time.sleep(1.2)
        assert len(Item.to_dicts()) == 5  # idle: pinged and replaced before use
        own_server.restart()
        Item.insert1((5,))  # the write pool's dead connection is found by its ping
        assert len(Item()) == 6
        lost = pytest.raises(dj.LostConnectionError, match="rolled back")
        with lost, connection.transaction:
            Item.insert1((6,))
            own_server.restart()
            Item.insert1((7,))
        assert len(Item()) == 6
    finally:
        connection.engine.dispose()


def test_a_connection_lost_in_a_transaction_says_it_was_rolled_back(
    mouse: Any, db_url: str, server: str, connection: dj.Connection
) -> None:
    with pytest.raises(dj.LostConnectionError, match="rolled back"), connection.transaction:  # noqa: PT012
        mouse.insert1((50, "lost"))
        _end_other_sessions(db_url, server)
        mouse.insert1((51, "lost"))
    assert not (mouse & {"mouse_id": 50})
    assert len(mouse()) == 10


def test_error_texts_quote_little_sql(mouse: Any, db_url: str, server: str) -> None:
    with pytest.raises(dj.LostConnectionError) as raised, mouse.connection.transaction:  # noqa: PT012
        _end_other_sessions(db_url, server)
        mouse.insert([(100 + i, "x" * 20) for i in range(500)])
    assert len(str(raised.value)) < 1000


def _declare_busy(schema: dj.Schema, calls: list[int]) -> tuple[Any, Any]:
    @schema
    class Source(dj.Manual):
        definition = """
        source_id : int32
        """

    @schema
    class Result(dj.Computed):
        definition = """
        -> Source
        ---
        value : int64
        """

        def make(self, key: dict[str, Any]) -> None:
            time.sleep(0.002)
            self.insert1({**key, "value": key["source_id"] * 2})
            calls.append(key["source_id"])

    return Source, Result


def _busy_worker(url: str, name: str, seconds: float, out: Any) -> None:
    """A populate worker process: populates until the time is up, reports its keys."""
    calls: list[int] = []
    raw = ""
    try:
        schema = dj.Schema(name, connection=dj.Connection(url), create_schema=False)
        _, result = _declare_busy(schema, calls)
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            result.populate(reserve_jobs=True, suppress_errors=True)
            time.sleep(0.01)
    except BaseException as err:
        raw = f"{type(err).__name__}: {err}"
    out.put((calls, raw))


def test_workers_inserts_and_deletes_together(db_url: str, server: str, schema_name: Any) -> None:
    """4 worker processes, concurrent inserts and concurrent cascading deletes for 12 s:
    nothing escapes, nothing hangs, every remaining key is computed, none was computed twice
    (a make that ran again after a deadlock is counted once: only committed makes count)."""
    name = schema_name("busy")
    connection = dj.Connection(db_url)
    calls: list[int] = []
    source, result = _declare_busy(dj.Schema(name, connection=connection), calls)
    source.insert([(i,) for i in range(200)])
    result.populate(reserve_jobs=True, max_calls=1)  # creates the job table
    seconds = 12.0
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    workers = [
        context.Process(target=_busy_worker, args=(db_url, name, seconds, out)) for _ in range(4)
    ]
    connection.engine.dispose()  # the children must not share the parent's connections
    for worker in workers:
        worker.start()
    stop = time.monotonic() + seconds
    raw: list[BaseException] = []

    def insert_more() -> None:
        n = 1000
        try:
            while time.monotonic() < stop:
                source.insert([(n + i,) for i in range(20)])
                n += 20
                time.sleep(0.05)
        except BaseException as err:
            raw.append(err)

    def delete_some() -> None:
        k = 0
        try:
            while time.monotonic() < stop:
                (source & {"source_id": k}).delete(prompt=False)
                k += 3
                time.sleep(0.02)
        except BaseException as err:
            raw.append(err)

    threads = [threading.Thread(target=insert_more), threading.Thread(target=delete_some)]
    for thread in threads:
        thread.start()
    reports = [out.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join(30)
    for thread in threads:
        thread.join(30)
    assert not any(w.is_alive() for w in workers), "a worker hangs"
    assert not any(t.is_alive() for t in threads), "an insert or delete hangs"
    assert not raw, f"errors escaped: {raw[:3]}"
    assert not [r for _, r in reports if r], [r for _, r in reports if r]
    result.populate(reserve_jobs=True)
    sources = set(source.to_arrays("source_id").tolist())
    assert set(result.to_arrays("source_id").tolist()) == sources  # all computed, no orphans
    assert len(result.jobs.reserved) == 0  # no reservation left behind
    computed = [k for c, _ in reports for k in c]
    assert len(computed) > 100
    twice = len(computed) - len(set(computed))
    assert twice == 0, f"{twice} keys were computed twice"
    connection.engine.dispose()


def test_eighty_concurrent_cascading_deletes(
    new_schema: Callable[..., dj.Schema], server: str
) -> None:
    """Cascading deletes of neighbouring keys deadlock on MySQL (error 1213): each one is
    run again, so all 80 succeed and nothing of their subtrees is left."""
    schema = new_schema("deletes")

    @schema
    class Parent(dj.Manual):
        definition = """
        parent_id : int32
        """

    @schema
    class Child(dj.Manual):
        definition = """
        -> Parent
        child : int16
        """

    @schema
    class Grandchild(dj.Manual):
        definition = """
        -> Child
        grandchild : int16
        """

    Parent.insert([(i,) for i in range(80)])
    Child.insert([(i, c) for i in range(80) for c in range(5)])
    Grandchild.insert([(i, c, g) for i in range(80) for c in range(5) for g in range(3)])
    failures: list[BaseException] = []

    def delete(i: int) -> None:
        try:
            # neighbouring deletes overlap: their row locks meet in both orders
            keys = [{"parent_id": i}, {"parent_id": (i + 1) % 80}, {"parent_id": (i + 7) % 80}]
            (Parent & keys).delete(prompt=False)
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=delete, args=(i,)) for i in range(80)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a delete hangs"
    assert not failures, failures[:3]
    assert len(Parent()) == 0
    assert len(Child()) == 0
    assert len(Grandchild()) == 0


def test_populate_survives_a_server_restart(own_server: Any) -> None:
    """A restart in the middle of populate(suppress_errors=True): the keys it hits fail with
    dj_sqla's errors (never a raw driver error), and the next populate finishes the rest."""
    connection = dj.Connection(own_server.url)
    try:
        schema = dj.Schema("restart_populate", connection=connection)

        @schema
        class Key(dj.Manual):
            definition = """
            k : int32
            """

        @schema
        class Done(dj.Computed):
            definition = """
            -> Key
            """

            def make(self, key: dict[str, Any]) -> None:
                time.sleep(0.01)
                self.insert1(key)

        Key.insert([(i,) for i in range(100)])
        restart = threading.Thread(target=lambda: (time.sleep(0.3), own_server.restart()))
        restart.start()
        result = Done.populate(suppress_errors=True, return_exception_objects=True)
        restart.join(60)
        raw = [e for _, e in result["error_list"] if not isinstance(e, dj.DataJointError)]
        assert not raw, raw[:2]
        Done.populate(reserve_jobs=True)
        assert len(Done()) == 100
    finally:
        connection.engine.dispose()
