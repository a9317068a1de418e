"""``insert(skip_duplicates=True)`` against the plain insert of the rows that are new.

100k rows with a composite key, half of them stored already: the skipping insert of all of
them is timed against a plain insert of only the new half (the target ratio is <= 1.3).
Medians per backend; the "Core s" column holds the plain insert.

A second row, "driver floor", does the same through the raw driver with the data prepared
beforehand: the database's own fastest skipping insert (SQLite ``executemany`` of ``INSERT ...
ON CONFLICT DO NOTHING``; PostgreSQL ``COPY`` into a temporary table and ``INSERT ... SELECT
... ON CONFLICT DO NOTHING``; MySQL ``LOAD DATA LOCAL``, which skips every row that fails, so
it is faster than any exact path) against its fastest plain insert (``executemany``, ``COPY``,
``LOAD DATA``). It shows what no library on top of the driver can get below.

Usage::

    python benchmarks/skip_duplicates.py [--runs 3] [--backends sqlite,mysql,postgresql]
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from activation import Row, Timings, run, timed

import dj_sqla as dj

ROWS = 100_000
PARENTS = 100


def declare(schema: dj.Schema) -> tuple[Any, Any]:
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        """

    class Trial(dj.Manual):
        definition = """
        -> Subject
        trial : int32
        ---
        value : float64
        """

    schema(Subject, context={})
    schema(Trial, context={"Subject": Subject})
    return Subject, Trial


def one_run(conn: dj.Connection, rows: list[dict[str, Any]], timings: Timings) -> None:
    """Time the skipping insert of ``rows`` over the even half, then a plain insert of the
    odd half over the even half."""
    engines = (conn.engine, conn.read_engine)
    stored, new = rows[::2], rows[1::2]
    schema = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}", connection=conn)
    Subject, Trial = declare(schema)
    Subject.insert([(i,) for i in range(PARENTS)])
    Trial.insert(stored)
    skipping = timed(lambda: Trial.insert(rows, skip_duplicates=True), engines)
    assert len(Trial()) == len(rows)
    with conn.engine.begin() as c:
        c.execute(Trial.__table__.delete())
    Trial.insert(stored)
    plain = timed(lambda: Trial.insert(new), engines)
    assert len(Trial()) == len(rows)
    timings.add(f"skip_dup {len(rows) // 1000}k (half new)", skipping, plain)
    timings.add("driver floor", *driver_floor(conn, Trial.__table__, rows))
    schema.drop(prompt=False)


def driver_floor(
    conn: dj.Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> tuple[tuple[float, int], tuple[float, int]]:
    """(skipping, plain) seconds through the raw driver, on its own connection."""
    name = f"{table.schema}.{table.name}"
    values = [(r["subject_id"], r["trial"], r["value"]) for r in rows]
    text = {"all": "".join(f"{a}\t{b}\t{c!r}\n" for a, b, c in values)}
    text["new"] = "".join(f"{a}\t{b}\t{c!r}\n" for a, b, c in values[1::2])
    text["stored"] = "".join(f"{a}\t{b}\t{c!r}\n" for a, b, c in values[::2])
    kind = conn.backend.name
    # MySQL: an engine of its own, whose connections send files whenever the server asks
    engine = (
        sa.create_engine(conn.engine.url, connect_args={"local_infile": True})
        if kind == "mysql"
        else conn.engine
    )
    raw: Any = engine.raw_connection()
    cursor = raw.cursor()

    def begin() -> None:  # SQLite's driver connection is in autocommit mode (dj_sqla's recipe)
        if kind == "sqlite":
            cursor.execute("BEGIN")

    def reset() -> None:
        begin()
        cursor.execute(f"DELETE FROM {name}")
        if kind == "postgresql":  # psycopg2's executemany sends one statement per row
            copy(name, "stored")
        else:
            cursor.executemany(
                f"INSERT INTO {name} VALUES ({', '.join([marker] * 3)})", values[::2]
            )
        raw.commit()

    def load(part: str) -> None:  # MySQL
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as file:
            file.write(text[part])
        try:
            cursor.execute(f"LOAD DATA LOCAL INFILE '{file.name}' INTO TABLE {name}")
        finally:
            os.remove(file.name)

    def copy(target: str, part: str) -> None:  # PostgreSQL
        cursor.copy_expert(f"COPY {target} FROM STDIN", io.StringIO(text[part]))

    def pg_skip() -> None:
        cursor.execute(f"CREATE TEMP TABLE scratch (LIKE {name}) ON COMMIT DROP")
        copy("scratch", "all")
        cursor.execute(
            f"INSERT INTO {name} SELECT * FROM scratch ON CONFLICT (subject_id, trial) DO NOTHING"
        )

    marker = "?" if kind == "sqlite" else "%s"
    insert = f"INSERT INTO {name} VALUES ({marker}, {marker}, {marker})"
    sides: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
        "sqlite": (
            lambda: cursor.executemany(
                insert + " ON CONFLICT (subject_id, trial) DO NOTHING", values
            ),
            lambda: cursor.executemany(insert, values[1::2]),
        ),
        "postgresql": (pg_skip, lambda: copy(name, "new")),
        "mysql": (lambda: load("all"), lambda: load("new")),
    }
    result = []
    try:
        for side in sides[kind]:
            reset()
            start = time.perf_counter()
            begin()
            side()
            raw.commit()
            result.append((time.perf_counter() - start, 0))
    finally:
        raw.close()
        if engine is not conn.engine:
            engine.dispose()
    return result[0], result[1]


def bench(url: str, runs: int) -> list[Row]:
    conn = dj.Connection(url)
    rows = [
        {"subject_id": i % PARENTS, "trial": i // PARENTS, "value": i * 0.5} for i in range(ROWS)
    ]
    timings = Timings((conn.engine, conn.read_engine))
    for _ in range(runs):
        one_run(conn, rows, timings)
    conn.engine.dispose()
    return timings.rows()


if __name__ == "__main__":
    run(bench, (__doc__ or "").splitlines()[0])
