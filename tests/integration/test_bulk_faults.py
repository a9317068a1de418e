"""A process killed in the middle of a bulk load (``LOAD DATA LOCAL INFILE`` on MySQL,
``COPY`` on PostgreSQL, the driver's executemany on SQLite) stores none of its rows, leaves
no file of them behind, and the table takes the same rows afterwards."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pymysql.connections
import pytest
import sqlalchemy as sa

import dj_sqla as dj
import dj_sqla.backends.mysql as mysql_backend
import dj_sqla.backends.postgresql as postgresql_backend
from dj_sqla.backends.mysql import LOAD_THRESHOLD
from dj_sqla.backends.postgresql import COPY_THRESHOLD

WRITER = Path(__file__).parents[1] / "bulk_writer.py"
#: The writer's table (tests/bulk_writer.py declares the same).
READING = """
reading : int32
---
label : varchar(40)
"""
ROWS = max(COPY_THRESHOLD, LOAD_THRESHOLD) * 50  # several packets of LOAD DATA's file


def test_a_writer_killed_mid_bulk_load_stores_nothing(
    new_schema: Any, db_url: str, tmp_path: Path
) -> None:
    schema = new_schema("killed")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = dict(os.environ, TMPDIR=str(temporary))  # where LOAD DATA's file would be written
    with subprocess.Popen(
        [sys.executable, str(WRITER), db_url, schema.database, str(ROWS)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    ) as writer:
        lines: list[str] = []
        try:
            assert writer.stdout is not None
            while not lines or lines[-1] not in ("loading\n", ""):  # until it stalls or ends
                lines.append(writer.stdout.readline())
        finally:
            writer.send_signal(signal.SIGKILL)
            rest = writer.communicate(timeout=30)[0]
    assert lines[-1] == "loading\n", "".join(lines) + rest  # killed while it loaded
    reading = dj.virtual_schema(schema.database, connection=schema.connection).Reading
    assert len(reading()) == 0  # the load's transaction died with its connection
    assert list(temporary.iterdir()) == []  # no file of the rows is left behind
    rows = [{"reading": i, "label": f"row\t{i}\\N"} for i in range(ROWS)]
    reading.insert(rows)  # the table and the server take the same rows afterwards
    assert reading.to_dicts(order_by="KEY") == rows


@pytest.mark.parametrize("backend", ["mysql"])  # the only backend that loads a client file
def test_load_data_without_open_file_names(
    new_schema: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where the system does not name open files (not Linux), the rows go through a named
    temporary file, removed after the load."""
    monkeypatch.setattr(mysql_backend, "_OPEN_FILES", str(tmp_path / "no such folder"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    schema = new_schema("named")
    reading = schema(type("Reading", (dj.Manual,), {"definition": READING}))

    rows = [{"reading": i, "label": f"row\t{i}\\N"} for i in range(ROWS // 10)]
    reading.insert(rows)
    assert reading.to_dicts(order_by="KEY") == rows
    assert list(tmp_path.iterdir()) == []


class _Stall:
    """Holds a bulk load after its first part, until the test has ended its connection."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.go_on = threading.Event()

    def wait(self) -> None:
        self.reached.set()
        self.go_on.wait(30)


def _stall_bulk_loads(monkeypatch: pytest.MonkeyPatch, stall: _Stall) -> None:
    def send_then_stall(filename: str, conn: Any) -> None:
        with open(filename, "rb") as file:
            conn.write_packet(file.read(16 * 1024))
            stall.wait()
            while chunk := file.read(16 * 1024):
                conn.write_packet(chunk)

    class StallingText(io.StringIO):
        def read(self, size: int = -1) -> str:
            if self.tell():
                stall.wait()
            return super().read(size)

    monkeypatch.setattr(pymysql.connections, "_send_local_file", send_then_stall)
    monkeypatch.setattr(postgresql_backend, "io", SimpleNamespace(StringIO=StallingText))


#: The server session loading rows into the test's own schema (the servers are shared: no
#: other session is touched), and how to end it.
_SESSIONS = {
    "mysql": (
        "SELECT id FROM information_schema.processlist "
        "WHERE info LIKE 'LOAD DATA%%' AND info LIKE %s",
        "KILL {}",
    ),
    # a skipping COPY loads a temporary table first: its session is found by the lock it
    # holds on a table of the test's schema
    "postgresql": (
        "SELECT DISTINCT a.pid FROM pg_stat_activity a "
        "JOIN pg_locks l ON l.pid = a.pid JOIN pg_class c ON c.oid = l.relation "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.query LIKE 'COPY%%' AND n.nspname LIKE %s AND a.pid <> pg_backend_pid()",
        "SELECT pg_terminate_backend({})",
    ),
}


@pytest.mark.parametrize("backend", ["mysql", "postgresql"])  # SQLite has no connection to lose
@pytest.mark.parametrize("skip", [False, True], ids=["plain", "skip_duplicates"])
def test_a_connection_lost_mid_bulk_load(
    new_schema: Any, db_url: str, backend: str, skip: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server ends the connection while it reads the rows: a LostConnectionError that
    says the write was rolled back (not a read retried), nothing stored, and the next
    insert works."""
    schema = new_schema("lost")
    reading = schema(type("Reading", (dj.Manual,), {"definition": READING}))
    stall = _Stall()
    _stall_bulk_loads(monkeypatch, stall)
    rows = [{"reading": i, "label": f"row {i}"} for i in range(ROWS)]
    failure: list[BaseException] = []

    def insert() -> None:
        try:
            reading.insert(rows, skip_duplicates=skip)
        except BaseException as err:
            failure.append(err)

    worker = threading.Thread(target=insert)
    worker.start()
    assert stall.reached.wait(30)
    killer = sa.create_engine(db_url)
    try:
        with killer.connect() as conn:
            find, end = _SESSIONS[backend]
            mine = f"%{schema.database}%"
            sessions = conn.exec_driver_sql(find, (mine,)).fetchall()
            assert len(sessions) == 1, sessions
            conn.exec_driver_sql(end.format(sessions[0][0]))
    finally:
        killer.dispose()
        stall.go_on.set()
        worker.join(60)
    [error] = failure
    assert isinstance(error, dj.LostConnectionError), error
    assert "writes are never run again" in str(error)
    assert len(reading()) == 0
    reading.insert(rows[:5], skip_duplicates=skip)
    assert len(reading()) == 5
