"""A worker process for the job tests: declares the test pipeline and populates it.

Usage (the tests start it with ``subprocess``)::

    python tests/jobs_worker.py URL SCHEMA MODE [READY_FILE]

MODE is ``work`` (populate with reserve_jobs and print a JSON line with the result and the
keys whose ``make`` ran), ``together`` (``work`` once every worker is ready: it creates
``ready-<pid>`` in the folder READY_FILE and waits for ``go`` there; each ``make`` takes 5 ms,
so that a worker that starts late still finds keys to compute), ``threads`` (``together``,
with three threads populating at once in the process) or ``hang`` (the ``make`` of the first
key inserts its row, creates READY_FILE and sleeps, so the test can kill the process in the
middle of ``make``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import dj_sqla as dj


def declare(
    schema: dj.Schema,
    calls: list[int] | None = None,
    hang: Path | None = None,
    pause: float = 0,
) -> Any:
    """The pipeline: ``Number`` (manual) and ``Square`` (computed from it; each ``make``
    takes ``pause`` seconds at least)."""

    @schema
    class Number(dj.Manual):
        definition = """
        n : int32
        """

    @schema
    class Square(dj.Computed):
        definition = """
        -> Number
        ---
        square : int64
        pid : int32
        """

        def make(self, key: dict[str, Any]) -> None:
            if calls is not None:
                calls.append(key["n"])
            time.sleep(pause)
            self.insert1(dict(key, square=key["n"] ** 2, pid=os.getpid()))
            if hang is not None:
                hang.write_text(str(key["n"]))
                time.sleep(600)

    return Number, Square


def main(url: str, schema_name: str, mode: str, ready: str | None = None) -> None:
    schema = dj.Schema(schema_name, connection=dj.Connection(url), create_schema=False)
    calls: list[int] = []
    hang = Path(ready) if mode == "hang" and ready else None
    _, square = declare(schema, calls, hang, pause=0.005 if mode in TOGETHER else 0)
    if mode in TOGETHER and ready:
        (Path(ready) / f"ready-{os.getpid()}").touch()
        while not (Path(ready) / "go").exists():
            time.sleep(0.005)
    if mode == "threads":
        results = populate_in_threads(square, 3)
    else:  # in the main thread, which gets the signals of the interruption tests
        results = [square.populate(reserve_jobs=True)]
    print(json.dumps({"results": results, "calls": calls}))


TOGETHER = ("together", "threads")


def populate_in_threads(table: Any, threads: int) -> list[Any]:
    """``table.populate(reserve_jobs=True)`` in ``threads`` threads at once: their results (a
    thread that failed gives its error's text)."""
    results: list[Any] = [None] * threads

    def work(i: int) -> None:
        try:
            results[i] = table.populate(reserve_jobs=True)
        except Exception as err:  # reported to the test, which fails on it
            results[i] = repr(err)

    running = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
