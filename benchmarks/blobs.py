"""Blob serialization: dj_sqla's ``pack``/``unpack`` against DataJoint 2.3's, in one run.

Prints, per workload, the median seconds of both sides over several runs, the ratio
dj_sqla / DataJoint (below 1 is faster) and dj_sqla's throughput. DESIGN.md §5 budgets:
numeric arrays >= 1 GB/s, many small objects >= 2x faster than DataJoint, never slower.
Both sides get the same values and produce the same bytes (checked once per workload).
The compressed rows show what zlib (DataJoint's default, level 6) costs on a large array:
on the ramp both sides run the same zlib call, which dominates; the random array does not
compress, which dj_sqla finds from a sample and so skips zlib (DataJoint compresses it
anyway, for a few percent).

Usage::

    python benchmarks/blobs.py [--runs 5] [--mb 100]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dj_sqla.codecs import blob

with warnings.catch_warnings():
    # Importing datajoint warns about its configuration file and deprecated modules.
    warnings.simplefilter("ignore")
    from datajoint import blob as dj_blob


def small_objects(n: int) -> list[Any]:
    """Rows like a pipeline's: a dict of a few scalars and short arrays each."""
    return [
        {
            "unit": i,
            "label": f"unit{i}",
            "rate": i * 0.5,
            "good": i % 2 == 0,
            "waveform": np.arange(32, dtype=np.float32),
            "channels": [1, 2, 3],
            "when": datetime.datetime(2024, 1, 1, 12, 0, i % 60),
            "id": uuid.UUID(int=i),
        }
        for i in range(n)
    ]


def medians(
    ours: Callable[[], object], theirs: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Median seconds of both, run alternately so that load on the machine hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, into in ((ours, times[0]), (theirs, times[1])):
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mb", type=int, default=100, help="size of the large arrays")
    args = parser.parse_args()
    n = args.mb * 2**20 // 8
    rng = np.random.default_rng(0)
    large = rng.standard_normal(n)
    workloads: list[tuple[str, Any, bool, int]] = [
        # name, value, compress, bytes for the throughput column (0: none)
        (f"{args.mb} MB float64 1-D", large, False, large.nbytes),
        (f"{args.mb} MB float64 2-D C", large.reshape(-1, 1024), False, large.nbytes),
        (
            f"{args.mb} MB float64 2-D F",
            np.asfortranarray(large.reshape(-1, 1024)),
            False,
            large.nbytes,
        ),
        (f"{args.mb} MB ramp, zlib", np.arange(n, dtype=np.float64), True, large.nbytes),
        (f"{args.mb // 10} MB random, zlib", large[: n // 10], True, large.nbytes // 10),
        ("10,000 small dicts", small_objects(10_000), True, 0),
        ("list of 1,000 arrays", [rng.standard_normal(100) for _ in range(1000)], True, 0),
        ("dict of 1,000 strings", {f"k{i}": "v" * 20 for i in range(1000)}, True, 0),
    ]
    print(
        f"{'workload':<26} {'op':<7} {'dj_sqla s':>10} {'DataJoint s':>12} {'ratio':>6} {'GB/s':>7}"
    )
    for name, value, compress, nbytes in workloads:
        if isinstance(value, list) and isinstance(value[0], dict):
            # Many small objects: one pack/unpack per object, as a table column sees them.
            def ours_pack(v: Any = value, c: bool = compress) -> list[bytes]:
                return [blob.pack(x, c) for x in v]

            def theirs_pack(v: Any = value, c: bool = compress) -> list[bytes]:
                return [dj_blob.pack(x, c) for x in v]

            packed = ours_pack()
            assert packed == theirs_pack(), name

            def ours_unpack(p: list[bytes] = packed) -> object:
                return [blob.unpack(x) for x in p]

            def theirs_unpack(p: list[bytes] = packed) -> object:
                return [dj_blob.unpack(x) for x in p]
        else:

            def ours_pack(v: Any = value, c: bool = compress) -> bytes:  # type: ignore[misc]
                return blob.pack(v, c)

            def theirs_pack(v: Any = value, c: bool = compress) -> bytes:  # type: ignore[misc]
                return dj_blob.pack(v, c)

            one = ours_pack()
            # The same bytes as DataJoint, except a large blob that does not compress: dj_sqla
            # stores it uncompressed (a sample tells), and each library reads the other's.
            if one != theirs_pack():
                assert np.array_equal(dj_blob.unpack(one), blob.unpack(theirs_pack())), name

            def ours_unpack(p: bytes = one) -> object:  # type: ignore[misc]
                return blob.unpack(p)

            def theirs_unpack(p: bytes = one) -> object:  # type: ignore[misc]
                return dj_blob.unpack(p)

        for op, ours, theirs in (
            ("pack", ours_pack, theirs_pack),
            ("unpack", ours_unpack, theirs_unpack),
        ):
            a, b = medians(ours, theirs, args.runs)
            gbs = nbytes / a / 1e9 if nbytes else 0.0
            # Uncompressed arrays unpack as views on the blob: no copy, no meaningful rate.
            rate = f"{gbs:>7.2f}" if 0 < gbs < 1000 else f"{'view' if gbs else '':>7}"
            print(f"{name:<26} {op:<7} {a:>10.4f} {b:>12.4f} {a / b:>6.2f} {rate}")


if __name__ == "__main__":
    main()
