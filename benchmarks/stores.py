"""``<npy@store>`` on a local file store against fsspec writing and reading the same files.

Writes 1 GiB of float64 arrays (16 arrays of 64 MiB by default) through a table with an
``<npy@local>`` attribute (the rows go to an SQLite store), and reads them back with
``NpyRef.load()``; the reference writes the same ``.npy`` files with fsspec
(``fs.open(path, "wb")`` + ``numpy.save``) and reads them with ``fs.open`` + ``numpy.load``.
Prints the medians over ``--runs`` and the throughput of each side; the budget is dj_sqla at
80 % or more of fsspec's throughput. Then it fetches every row's reference with the store's
folder moved away: the references (shape, dtype) come from the rows alone, without any store
access.

Usage::

    python benchmarks/stores.py [--runs 5] [--gib 1] [--arrays 16]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import fsspec
import numpy as np

import dj_sqla as dj


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--arrays", type=int, default=16)
    args = parser.parse_args()
    total = int(args.gib * (1 << 30))
    per = total // args.arrays // 8
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(per) for _ in range(args.arrays)]
    size = sum(a.nbytes for a in arrays)
    work = Path(tempfile.mkdtemp(prefix="djbench-"))
    store, plain = work / "store", work / "fsspec"
    store.mkdir()
    plain.mkdir()
    dj.config["stores"] = {"local": {"protocol": "file", "location": str(store)}}
    connection = dj.Connection(f"sqlite:///{work / 'db' / 'main.db'}")
    fs = fsspec.filesystem("file")
    timings: dict[str, list[float]] = {
        k: [] for k in ("dj write", "fs write", "dj read", "fs read")
    }
    try:
        for run in range(args.runs):
            schema = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}", connection=connection)

            class Arrays(dj.Manual):
                definition = "item : int32\n---\nvalue : <npy@local>"

            schema(Arrays, context={})
            rows = [{"item": i, "value": a} for i, a in enumerate(arrays)]
            paths = [str(plain / f"{uuid.uuid4().hex}.npy") for _ in arrays]

            def fs_write(paths: list[str] = paths) -> None:
                for path, array in zip(paths, arrays, strict=True):
                    with fs.open(path, "wb") as out:
                        np.save(out, array, allow_pickle=False)

            # each side reads an array and lets it go, as a loop over rows does
            def fs_read(paths: list[str] = paths) -> None:
                for path in paths:
                    with fs.open(path, "rb") as source:
                        np.load(source, allow_pickle=False)

            def dj_read() -> None:
                refs = Arrays.to_arrays("value")
                for i in range(len(refs)):
                    refs[i].load()
                    refs[i] = None  # the reference keeps what it loaded: let it go

            steps = [
                ("fs write", fs_write),
                ("dj write", lambda: Arrays.insert(rows)),  # noqa: B023
                ("fs read", fs_read),
                ("dj read", dj_read),
            ]
            if run % 2:  # every other run dj_sqla goes first: neither side always follows
                steps = [steps[1], steps[0], steps[3], steps[2]]
            for name, task in steps:
                os.sync()  # neither side pays for flushing the other's writes
                timings[name].append(timed(task))
            shutil.rmtree(plain)
            plain.mkdir()

        # the references alone: the store's folder is away while they are fetched
        hidden = work / "hidden"
        os.rename(store, hidden)
        started = time.perf_counter()
        refs = Arrays.to_arrays("value")
        shapes = {ref.shape for ref in refs}
        fetched_in = time.perf_counter() - started
        os.rename(hidden, store)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    gib = size / (1 << 30)
    print(f"{len(arrays)} arrays, {gib:.2f} GiB, medians of {args.runs} runs")
    print(f"{'':<8} {'dj_sqla s':>10} {'fsspec s':>9} {'dj GiB/s':>9} {'fs GiB/s':>9} {'share':>6}")
    for what in ("write", "read"):
        d = statistics.median(timings[f"dj {what}"])
        f = statistics.median(timings[f"fs {what}"])
        print(f"{what:<8} {d:>10.3f} {f:>9.3f} {gib / d:>9.2f} {gib / f:>9.2f} {f / d:>6.0%}")
    print(
        f"references of {len(refs)} rows fetched in {fetched_in * 1000:.1f} ms with the store "
        f"folder moved away (shapes {sorted(shapes)}): no store access until load()"
    )


if __name__ == "__main__":
    main()
