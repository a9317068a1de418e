"""Blob columns against raw bytes: insert and fetch 1,000 rows of 1 MB arrays, per backend.

dj_sqla stores each array in a ``longblob`` column (DataJoint's format); the reference inserts
and fetches the same payload, ``array.tobytes()``, into a ``bytes`` column with SQLAlchemy
Core. The ratio dj_sqla / raw is the cost of serializing (DESIGN.md budget: within 1.3x).
The arrays are measured noise (float64), which does not compress: dj_sqla checks a sample and
skips zlib, as it would cost far more than it saves.

Usage::

    python benchmarks/blob_tables.py [--runs 3] [--backends sqlite,mysql,postgresql]
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import numpy as np
import sqlalchemy as sa
from activation import Row, Timings, run, timed

import dj_sqla as dj

ROWS = 1000
FLOATS = 1 << 17  # 1 MiB of float64 per row
#: Rows per INSERT on both sides: a statement must stay under the servers' packet limits
#: (PostgreSQL: 1 GB per message; MariaDB: max_allowed_packet).
CHUNK = 10
for i, arg in enumerate(sys.argv):
    if arg == "--rows":
        ROWS = int(sys.argv[i + 1])
        del sys.argv[i : i + 2]
        break


def bench(url: str, runs: int) -> list[Row]:
    conn = dj.Connection(url)
    engine = conn.engine
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(FLOATS) for _ in range(ROWS)]
    rows = [{"item": i, "value": a} for i, a in enumerate(arrays)]
    raw_rows = [{"item": i, "value": a.tobytes()} for i, a in enumerate(arrays)]
    engines = (engine, conn.read_engine)
    timings = Timings(engines)
    for _ in range(runs):
        schema = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}", connection=conn)

        class Arrays(dj.Manual):
            definition = "item : int32\n---\nvalue : longblob"

        class Raw(dj.Manual):
            definition = "item : int32\n---\nvalue : bytes"

        schema(Arrays, context={})
        schema(Raw, context={})
        raw: Any = Raw.__table__

        def core_insert(table: Any = raw) -> None:
            for start in range(0, ROWS, CHUNK):
                with engine.begin() as c:
                    c.execute(table.insert(), raw_rows[start : start + CHUNK])

        def dj_insert(table: Any = Arrays) -> None:
            for start in range(0, ROWS, CHUNK):
                table.insert(rows[start : start + CHUNK])

        dj_time = timed(dj_insert, engines)
        timings.add(f"insert {ROWS} x 1 MiB", dj_time, timed(core_insert, engines))

        def core_fetch(table: Any = raw) -> None:
            with engine.connect() as c:
                c.execute(sa.select(table)).all()

        timings.record(
            f"fetch {ROWS} x 1 MiB",
            Arrays.to_dicts,
            core_fetch,
            warm_up=True,
        )
        with engine.begin() as c:
            conn.backend.drop_schema(c, str(schema.database))
    return timings.rows()


if __name__ == "__main__":
    run(bench, __doc__.splitlines()[0])
