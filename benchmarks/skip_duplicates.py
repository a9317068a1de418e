"""``insert(skip_duplicates=True)`` against the plain insert of the rows that are new.

100k rows with a composite key, half of them stored already: the skipping insert of all of
them is timed against a plain insert of only the new half (the target ratio is <= 1.3).
Medians per backend; the "Core s" column holds the plain insert.

Usage::

    python benchmarks/skip_duplicates.py [--runs 3] [--backends sqlite,mysql,postgresql]
"""

from __future__ import annotations

import uuid
from typing import Any

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
    schema.drop(prompt=False)


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
