"""A writer killed in the middle of a bulk load.

Usage: python bulk_writer.py URL SCHEMA ROWS. It declares ``Reading`` and inserts ROWS rows in
one call, which takes the backend's bulk path (``LOAD DATA LOCAL INFILE`` on MySQL, ``COPY``
on PostgreSQL, the driver's ``executemany`` on SQLite). Once the driver has sent part of the
rows (on SQLite: all of them, before the commit) it prints ``loading`` and sleeps, so that
the test kills it while the server is still reading them. Used by test_bulk_faults.py.
"""

import io
import sys
import time
from types import SimpleNamespace
from typing import Any

import pymysql.connections
import sqlalchemy as sa

import dj_sqla as dj
import dj_sqla.backends.postgresql as postgresql_backend

url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])


def stall() -> None:
    print("loading", flush=True)
    time.sleep(120)  # killed here


class StallingText(io.StringIO):
    """COPY's rows: the second chunk the driver reads never comes."""

    def read(self, size: int = -1) -> str:
        if self.tell():
            stall()
        return super().read(size)


def send_then_stall(filename: str, conn: Any) -> None:
    """LOAD DATA's file: its first 16 KB sent, then the client stalls."""
    with open(filename, "rb") as file:
        conn.write_packet(file.read(16 * 1024))
    stall()


pymysql.connections._send_local_file = send_then_stall  # type: ignore[attr-defined]
postgresql_backend.io = SimpleNamespace(StringIO=StallingText)  # type: ignore[assignment]

connection = dj.Connection(url)
schema = dj.Schema(name, connection=connection)


@schema
class Reading(dj.Manual):
    definition = """
    reading : int32
    ---
    label : varchar(40)
    """


if connection.backend.name == "sqlite":
    # the driver's executemany runs in C: killed after it, before the commit
    sa.event.listen(connection.engine, "commit", lambda conn: stall())

print("declared", flush=True)
Reading.insert([{"reading": i, "label": f"row\t{i}\\N"} for i in range(count)])
print("inserted", flush=True)
