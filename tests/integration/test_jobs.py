"""Distributed populate on every backend: the job table, reservations, worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_populate import declare

import dj_sqla as dj
from dj_sqla.execution import _job_table as job_table_module
from dj_sqla.execution.jobs import BOOKKEEPING, STATUSES
from jobs_worker import declare as declare_numbers
from jobs_worker import populate_in_threads

WORKER = Path(__file__).parents[1] / "jobs_worker.py"


def test_jobs_record_errors_and_skip_ignored(new_schema: Callable[..., dj.Schema]) -> None:
    _, Stats = declare(new_schema("jobs"), fail_on=frozenset({3}))
    assert Stats.jobs.progress() == {
        **dict.fromkeys(STATUSES, 0),
        "total": 0,
    }  # created on first use
    result = Stats.populate(reserve_jobs=True, suppress_errors=True)
    assert result["success_count"] == 4
    assert [key for key, _ in result["error_list"]] == [{"session": 3}]
    assert Stats.jobs.progress() == {**dict.fromkeys(STATUSES, 0), "error": 1, "total": 1}
    [job] = Stats.jobs.errors.to_dicts()
    assert job["session"] == 3
    assert job["error_message"] == "ValueError: session 3 is bad"
    assert "Traceback" in job["error_stack"]
    assert job["pid"] == os.getpid()
    assert job["duration"] >= 0
    assert {"session": 3} not in Stats()  # its master row was rolled back

    Stats.jobs.ignore({"session": 3})
    assert Stats.populate(reserve_jobs=True) == {"success_count": 0, "error_list": []}
    assert len(Stats.jobs.ignored) == 1

    Stats.jobs.ignored.delete()  # no longer ignored: the next populate tries it again
    with pytest.raises(ValueError, match="session 3 is bad"):
        Stats.populate(reserve_jobs=True)
    assert len(Stats.jobs.errors & {"session": 3}) == 1


def test_failed_jobs_are_retried(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("jobs")
    failing = {2}
    Number, _ = declare_numbers(schema)

    @schema
    class Half(dj.Computed):
        definition = """
        -> Number
        ---
        half : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            if key["n"] in failing:
                raise RuntimeError("not yet")
            self.insert1(dict(key, half=key["n"] / 2))

    Number.insert([(n,) for n in range(4)])
    assert Half.populate(reserve_jobs=True, suppress_errors=True)["success_count"] == 3
    failing.clear()
    assert Half.populate(reserve_jobs=True)["success_count"] == 1
    assert Half.jobs.progress()["error"] == 0
    assert len(Half.jobs) == 0  # finished jobs are removed
    assert Half.progress() == (0, 4)


def test_keep_completed_priority_and_max_calls(new_schema: Callable[..., dj.Schema]) -> None:
    Number, Square = declare_numbers(new_schema("jobs"))
    Number.insert([(n,) for n in range(6)])
    Square.jobs.refresh(priority=9)
    Square.jobs.schedule({"n": 4}, priority=1)
    with dj.config.override(**{"jobs.keep_completed": True}):
        assert Square.populate(reserve_jobs=True, priority=1)["success_count"] == 1
        assert Square.to_dicts() == [{"n": 4, "square": 16, "pid": os.getpid()}]
        assert Square.populate(reserve_jobs=True, max_calls=2)["success_count"] == 2
        assert len(Square.jobs.completed) == 3
        assert Square.populate(reserve_jobs=True)["success_count"] == 3
    assert Square.jobs.progress()["success"] == 6
    with pytest.raises(dj.DataJointError, match="reserve_jobs=True"):
        Square.populate(priority=3)


def test_abandoned_reservation_is_reset_after_the_timeout(
    new_schema: Callable[..., dj.Schema],
) -> None:
    Number, Square = declare_numbers(new_schema("jobs"))
    Number.insert([(1,), (2,), (3,)])
    jobs = Square.jobs
    jobs.refresh()
    with Square._require_schema().connection.write() as conn:
        assert jobs.claim(conn, [{"n": 1}]) == [{"n": 1}]  # a worker that then vanished
        assert jobs.claim(conn, [{"n": 1}, {"n": 2}]) == [{"n": 2}]  # n=1 is taken
        jobs.release(conn, [{"n": 2}])
    assert Square.populate(reserve_jobs=True)["success_count"] == 2
    assert len(jobs.reserved) == 1
    long_ago = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=2)
    with Square._require_schema().connection.write() as conn:
        conn.execute(sa.update(jobs.table).values(reserved_time=long_ago))
    assert Square.populate(reserve_jobs=True)["success_count"] == 1
    assert Square.progress() == (0, 3)
    assert len(jobs) == 0


def test_populate_in_worker_processes(new_schema: Callable[..., dj.Schema], backend: str) -> None:
    Number, Square = declare_numbers(new_schema("jobs"))
    Number.insert([(n,) for n in range(40)])
    result = Square.populate(processes=3, reserve_jobs=True, display_progress=True)
    assert result == {"success_count": 40, "error_list": []}
    assert Square.progress() == (0, 40)
    pids = {row["pid"] for row in Square.to_dicts()}
    assert os.getpid() not in pids
    assert len(Square.jobs) == 0
    Number.insert([(n,) for n in range(40, 50)])
    assert Square.populate(processes=2)["success_count"] == 10


def test_errors_in_worker_processes(new_schema: Callable[..., dj.Schema]) -> None:
    _, Stats = declare(new_schema("jobs"), fail_on=frozenset({2, 4}))
    result = Stats.populate(processes=2, suppress_errors=True, reserve_jobs=True)
    assert result["success_count"] == 3
    assert sorted(key["session"] for key, _ in result["error_list"]) == [2, 4]
    assert all("is bad" in message for _, message in result["error_list"])
    assert all("Traceback" in message for _, message in result["error_list"])
    assert len(Stats.jobs.errors) == 2
    with pytest.raises(ValueError, match="is bad"):
        Stats.populate(processes=2)


def test_processes_need_a_shared_database() -> None:
    schema = dj.Schema("mem_jobs", connection=dj.Connection("sqlite://"))
    Number, Square = declare_numbers(schema)
    Number.insert([(1,), (2,)])
    with pytest.raises(dj.DataJointError, match="processes=1"):
        Square.populate(processes=2)
    with pytest.raises(dj.DataJointError, match="1 or more"):
        Square.populate(processes=0)


def _url(connection: dj.Connection) -> str:
    return connection.engine.url.render_as_string(hide_password=False)


def _worker(connection: dj.Connection, schema: dj.Schema, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), _url(connection), str(schema.database), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_together(
    connection: dj.Connection, schema: dj.Schema, tmp_path: Path, workers: int, mode: str
) -> list[dict[str, Any]]:
    """Start ``workers`` processes in ``mode``, let them populate at once, and return what
    each printed."""
    processes = [_worker(connection, schema, mode, str(tmp_path)) for _ in range(workers)]
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("ready-*"))) < len(processes):
            assert all(w.poll() is None for w in processes), "a worker ended early"
            assert time.monotonic() < deadline, "the workers never got ready"
            time.sleep(0.01)
        (tmp_path / "go").touch()
        finished = [worker.communicate(timeout=300) for worker in processes]
    finally:
        for worker in processes:
            worker.kill()
            worker.communicate()
    outputs = []
    for worker, (out, err) in zip(processes, finished, strict=True):
        assert worker.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    return outputs


def _assert_each_key_once(outputs: list[dict[str, Any]], results: list[Any], keys: int) -> None:
    calls = Counter(n for output in outputs for n in output["calls"])
    assert sorted(calls) == list(range(keys))
    assert set(calls.values()) == {1}  # no key computed twice
    failed = [r for r in results if not isinstance(r, dict)]
    assert not failed, "\n".join(map(str, failed))  # no thread failed (in full)
    assert sum(r["success_count"] for r in results) == keys
    assert all(r["error_list"] == [] for r in results)


def test_four_processes_compute_every_key_exactly_once(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection, tmp_path: Path
) -> None:
    """Four workers that start populating together each compute a share of the keys."""
    schema = new_schema("jobs")
    Number, Square = declare_numbers(schema)
    Number.insert([(n,) for n in range(400)])
    outputs = _run_together(connection, schema, tmp_path, 4, "together")
    assert all(output["calls"] for output in outputs), [len(o["calls"]) for o in outputs]
    _assert_each_key_once(outputs, [r for o in outputs for r in o["results"]], 400)
    assert Square.progress() == (0, 400)
    assert len(Square.jobs) == 0


def test_threads_of_one_process_compute_every_key_exactly_once(
    new_schema: Callable[..., dj.Schema],
) -> None:
    """Threads share their process's host and pid: each still reserves keys of its own,
    and one thread's make ending does not stop another's from inserting."""
    schema = new_schema("jobs")
    calls: list[int] = []
    Number, Square = declare_numbers(schema, calls, pause=0.002)
    Number.insert([(n,) for n in range(300)])
    results = populate_in_threads(Square, 4)
    _assert_each_key_once([{"calls": calls}], results, 300)
    assert Square.progress() == (0, 300)
    assert len(Square.jobs) == 0


def test_threads_in_several_processes_compute_every_key_exactly_once(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection, tmp_path: Path
) -> None:
    schema = new_schema("jobs")
    Number, Square = declare_numbers(schema)
    Number.insert([(n,) for n in range(400)])
    outputs = _run_together(connection, schema, tmp_path, 3, "threads")  # 3 threads each
    _assert_each_key_once(outputs, [r for o in outputs for r in o["results"]], 400)
    assert Square.progress() == (0, 400)
    assert len(Square.jobs) == 0


def test_two_reservations_in_one_clock_tick_keep_their_own_keys(
    new_schema: Callable[..., dj.Schema], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads of a process reserving overlapping keys while the clock stands still
    (a coarse clock, or the same microsecond): the second gets only the key it changed."""
    schema = new_schema("jobs")
    Number, Square = declare_numbers(schema)
    Number.insert([(n,) for n in range(3)])
    jobs = Square.jobs
    jobs.refresh()
    frozen = datetime(2030, 1, 1)
    monkeypatch.setattr(job_table_module, "utc_now", lambda: frozen)
    with schema.connection.write() as conn:
        assert jobs.claim(conn, [{"n": 0}, {"n": 1}]) == [{"n": 0}, {"n": 1}]
        assert jobs.claim(conn, [{"n": 1}, {"n": 2}]) == [{"n": 2}]


@pytest.mark.parametrize("how", ["kill", "terminate"])
def test_interrupted_worker_stores_nothing(
    new_schema: Callable[..., dj.Schema],
    connection: dj.Connection,
    tmp_path: Path,
    how: str,
) -> None:
    schema = new_schema("jobs")
    Number, Square = declare_numbers(schema)
    Number.insert([(7,)])
    ready = tmp_path / "ready"
    worker = _worker(connection, schema, "hang", str(ready))
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert worker.poll() is None, worker.communicate()[1]
            assert time.monotonic() < deadline, "the worker never reached make"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL if how == "kill" else signal.SIGTERM)
        worker.communicate(timeout=60)
    finally:
        worker.kill()
        worker.communicate()
    assert len(Square()) == 0  # the row make inserted was never committed
    if how == "terminate":  # SIGTERM: recorded as the job's error; the next populate retries
        assert Square.jobs.errors.fetch1("error_message") == "SystemExit: SIGTERM received"
        assert Square.populate(reserve_jobs=True)["success_count"] == 1
    else:  # killed: the reservation stays until the timeout
        assert len(Square.jobs.reserved) == 1
        assert Square.populate(reserve_jobs=True)["success_count"] == 0
        with dj.config.override(**{"jobs.orphan_timeout": 0}):
            time.sleep(0.01)
            assert Square.populate(reserve_jobs=True)["success_count"] == 1
            assert Square.to_dicts() == [{"n": 7, "square": 49, "pid": os.getpid()}]


def test_jobs_of_a_composite_key(new_schema: Callable[..., dj.Schema]) -> None:
    """Reserving, releasing and closing jobs whose key has two attributes (one IN over
    value tuples per batch)."""
    schema = new_schema("jobs")

    @schema
    class Pair(dj.Manual):
        definition = """
        a : int32
        b : int32
        """

    @schema
    class Sum(dj.Computed):
        definition = """
        -> Pair
        ---
        total : int32
        """

        def make(self, key: dict[str, Any]) -> None:
            self.insert1(dict(key, total=key["a"] + key["b"]))

    Pair.insert([(a, b) for a in range(3) for b in range(2)])
    jobs = Sum.jobs
    jobs.refresh()
    with Sum._require_schema().connection.write() as conn:
        assert jobs.claim(conn, [{"a": 1, "b": 0}]) == [{"a": 1, "b": 0}]
        taken = jobs.claim(conn, [{"a": 1, "b": 0}, {"a": 2, "b": 1}, {"a": 0, "b": 1}])
        assert taken == [{"a": 2, "b": 1}, {"a": 0, "b": 1}]
        jobs.release(conn, [{"a": 1, "b": 0}, {"a": 2, "b": 1}, {"a": 0, "b": 1}])
    assert jobs.progress()["pending"] == 6
    assert Sum.populate(reserve_jobs=True)["success_count"] == 6
    assert sorted((r["a"], r["b"], r["total"]) for r in Sum.to_dicts()) == [
        (a, b, a + b) for a in range(3) for b in range(2)
    ]
    assert len(jobs) == 0  # every job was closed


def test_keys_named_like_the_job_tables_own_columns(new_schema: Callable[..., dj.Schema]) -> None:
    """A key attribute may have the name of any bookkeeping column of the job table: the
    job table names that bookkeeping column ``_name`` instead."""
    schema = new_schema("jobs")
    names = [
        "status", "priority", "created_time", "scheduled_time", "reserved_time",
        "completed_time", "duration", "error_message", "error_stack", "user", "host", "pid",
    ]  # fmt: skip
    assert names == list(BOOKKEEPING)
    key = "\n".join(f"{name} : int32" for name in names)

    @schema
    class Source(dj.Manual):
        definition = key

    @schema
    class Result(dj.Computed):
        definition = """
        -> Source
        ---
        total : int64
        """

        def make(self, key: dict[str, Any]) -> None:
            if key["status"] == 2:
                raise ValueError("status 2 is bad")
            self.insert1(dict(key, total=sum(key.values())))

    Source.insert([dict.fromkeys(names, n) for n in range(4)])
    result = Result.populate(reserve_jobs=True, suppress_errors=True)
    assert result["success_count"] == 3
    assert Result.progress() == (1, 4)
    assert Result.jobs.progress() == {**dict.fromkeys(STATUSES, 0), "error": 1, "total": 1}
    [job] = Result.jobs.errors.to_dicts()
    assert {name: job[name] for name in names} == dict.fromkeys(names, 2)  # the key
    assert job["_status"] == "error"
    assert job["_error_message"] == "ValueError: status 2 is bad"
    assert job["_pid"] == os.getpid()
    Result.jobs.ignore(dict.fromkeys(names, 2))
    assert len(Result.jobs.ignored & {"status": 2}) == 1
    with dj.config.override(**{"jobs.keep_completed": True}):
        Source.insert1(dict.fromkeys(names, 9))
        assert Result.populate(reserve_jobs=True)["success_count"] == 1
    assert len(Result.jobs.completed) == 1
    assert Result.jobs.refresh()["added"] == 0
