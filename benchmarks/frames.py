"""``to_arrow()`` and ``to_polars()`` against ``to_arrays()`` of the same rows.

Rows of an int key, a float, an int and a short text (the target ratio is <= 1.2). Medians
per backend; the "Core s" column holds ``to_arrays()``.

Usage::

    python benchmarks/frames.py [--runs 3] [--backends sqlite,mysql,postgresql] [--rows 1000000]
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from activation import Row, Timings, run

import dj_sqla as dj

ROWS = 1_000_000
for i, arg in enumerate(sys.argv):
    if arg == "--rows":
        ROWS = int(sys.argv[i + 1])
        del sys.argv[i : i + 2]
        break


def declare(schema: dj.Schema) -> Any:
    class Sample(dj.Manual):
        definition = """
        sample : int32
        ---
        value : float64
        quality : int32
        label : varchar(16)
        """

    schema(Sample, context={})
    return Sample


def bench(url: str, runs: int) -> list[Row]:
    conn = dj.Connection(url)
    schema = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}", connection=conn)
    Sample = declare(schema)
    Sample.insert([(i, i * 0.5, i % 7, f"l{i % 100}") for i in range(ROWS)])
    timings = Timings((conn.engine, conn.read_engine))
    for _ in range(runs):
        timings.record(f"to_arrow {ROWS // 1000}k", Sample.to_arrow, Sample.to_arrays, warm_up=True)
        timings.record(
            f"to_polars {ROWS // 1000}k", Sample.to_polars, Sample.to_arrays, warm_up=True
        )
    schema.drop(prompt=False)
    conn.engine.dispose()
    return timings.rows()


if __name__ == "__main__":
    run(bench, (__doc__ or "").splitlines()[0])
