"""Iterating a million rows: the peak memory of ``for row in table``, per backend.

A table of 1,000,000 rows (an int32 key, a float64 and a short varchar) is iterated in a
fresh subprocess, which reports the time, the rows seen, and its resident memory before the
loop and at its peak during the loop (Linux's ``VmRSS`` and ``VmHWM``, the peak reset before
the loop; elsewhere ``resource.getrusage``). Both are the whole process, interpreter and
libraries included; the growth is what the loop cost. The budget is under 100 MB. With
``--compare`` another subprocess reads the same rows with ``to_dicts()`` (all at once: what
iteration cost before it read in batches).

Usage::

    python benchmarks/streaming.py [--rows 1000000] [--backends sqlite,mysql,postgresql] [--compare]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import uuid

from activation import servers_for

import dj_sqla as dj

CHUNK = 50_000


def declare(schema: dj.Schema) -> type:
    @schema
    class Reading(dj.Manual):
        definition = """
        reading_id : int32
        ---
        value : float64
        label : varchar(16)
        """

    return Reading


def fill(url: str, name: str, rows: int) -> None:
    conn = dj.Connection(url)
    table = declare(dj.Schema(name, connection=conn))
    for start in range(0, rows, CHUNK):
        stop = min(rows, start + CHUNK)
        table.insert((n, n / 7, f"r{n}") for n in range(start, stop))
    conn.engine.dispose()


def _status_kib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> float:
    """The resident memory now, in KiB, after making it the peak (Linux: ``clear_refs``);
    elsewhere the peak so far."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM, the peak resident memory, to the current size
    except OSError:
        pass
    now = _status_kib("VmRSS")
    return now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_kib() -> float:
    """The peak resident memory since :func:`reset_peak`, in KiB."""
    peak = _status_kib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(url: str, name: str, how: str) -> dict[str, float]:
    """In this (fresh) process: read the rows ``how`` and report memory and time."""
    table = declare(dj.Schema(name, connection=dj.Connection(url), create_schema=False))
    len(table())  # connect, and warm up the dialect
    before = reset_peak()
    start = time.perf_counter()
    seen = 0
    if how == "iterate":
        for _ in table():
            seen += 1
    else:
        seen = len(table.to_dicts())
    seconds = time.perf_counter() - start
    peak = peak_kib()
    return {"rows": seen, "seconds": seconds, "start": before / 1024, "peak": peak / 1024}


def child(url: str, name: str, how: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, name, how],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,mysql,postgresql")
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    print(
        f"{'backend':<11} {'read':<9} {'rows':>9} {'seconds':>8} {'RSS before MB':>14} "
        f"{'peak RSS MB':>12} {'growth MB':>10}"
    )
    with servers_for(args.backends.split(",")) as urls:
        for backend, url in urls.items():
            name = f"bench_{uuid.uuid4().hex[:8]}_stream"
            fill(url, name, args.rows)
            try:
                for how in ("iterate", "to_dicts") if args.compare else ("iterate",):
                    r = child(url, name, how)
                    print(
                        f"{backend:<11} {how:<9} {int(r['rows']):>9} {r['seconds']:>8.2f} "
                        f"{r['start']:>14.1f} {r['peak']:>12.1f} {r['peak'] - r['start']:>10.1f}"
                    )
            finally:
                conn = dj.Connection(url)
                with conn.engine.begin() as c:
                    conn.backend.drop_schema(c, name)
                conn.engine.dispose()


if __name__ == "__main__":
    main()
