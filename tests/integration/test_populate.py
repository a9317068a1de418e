"""populate() on every backend: keys, one transaction per key, errors, three-part make."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import dj_sqla as dj


def declare(schema: dj.Schema, fail_on: frozenset[int] = frozenset()) -> Any:
    @schema
    class Session(dj.Manual):
        definition = """
        session : int32
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int32
            ---
            outcome : float64
            """

    @schema
    class SessionStats(dj.Computed):
        definition = """
        -> Session
        ---
        n_trials : int32
        mean_outcome = null : float64
        """

        class Best(dj.Part):
            definition = """
            -> master
            ---
            best : float64
            """

        def make(self, key: dict[str, Any]) -> None:
            outcomes = (Session.Trial & key).to_arrays("outcome")
            self.insert1(
                dict(
                    key,
                    n_trials=len(outcomes),
                    mean_outcome=outcomes.mean() if len(outcomes) else None,
                )
            )
            if key["session"] in fail_on:
                raise ValueError(f"session {key['session']} is bad")
            if len(outcomes):
                self.Best.insert1(dict(key, best=float(outcomes.max())))

    Session.insert([(s,) for s in range(1, 6)])
    Session.Trial.insert([(s, t, s * 0.5 + t) for s in range(1, 6) for t in range(s - 1)])
    return Session, SessionStats


def test_populate_fills_each_key_once(new_schema: Callable[..., dj.Schema]) -> None:
    _, Stats = declare(new_schema("pop"))
    assert Stats.progress() == (5, 5)
    result = Stats.populate(display_progress=True)
    assert result == {"success_count": 5, "error_list": []}
    assert Stats.progress() == (0, 5)
    rows = Stats.to_dicts(order_by="KEY")
    assert [(r["session"], r["n_trials"]) for r in rows] == [(s, s - 1) for s in range(1, 6)]
    assert rows[0]["mean_outcome"] is None
    assert len(Stats.Best()) == 4
    assert Stats.populate() == {"success_count": 0, "error_list": []}
    with pytest.raises(dj.DataJointError, match="make"):
        Stats.insert1({"session": 9, "n_trials": 0})


def test_failed_make_stores_nothing_of_its_key(new_schema: Callable[..., dj.Schema]) -> None:
    _, Stats = declare(new_schema("pop"), fail_on=frozenset({3}))
    result = Stats.populate(suppress_errors=True)
    assert result["success_count"] == 4
    [(key, message)] = result["error_list"]
    assert key == {"session": 3}
    assert "ValueError: session 3 is bad" in message
    assert "Traceback" in message
    assert {"session": 3} not in Stats()  # the master row inserted before the error is gone
    assert Stats.progress() == (1, 5)
    with pytest.raises(ValueError, match="session 3 is bad"):
        Stats.populate()
    exceptions = Stats.populate(suppress_errors=True, return_exception_objects=True)
    assert isinstance(exceptions["error_list"][0][1], ValueError)


def test_restrictions_max_calls_and_guards(
    new_schema: Callable[..., dj.Schema], connection: dj.Connection
) -> None:
    _, Stats = declare(new_schema("pop"))
    assert Stats.populate("session > 3")["success_count"] == 2
    assert Stats.populate(max_calls=1)["success_count"] == 1
    assert Stats.progress("session < 3") == (1, 2)
    with connection.transaction, pytest.raises(dj.DataJointError, match="inside a transaction"):
        Stats.populate()


def test_three_part_make_and_key_source(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("pop")
    Session, _ = declare(schema)
    calls: list[str] = []

    @schema
    class Total(dj.Computed):
        definition = """
        -> Session
        ---
        total : float64
        """
        key_source = Session & "session >= 2"

        def make_fetch(self, key: dict[str, Any]) -> tuple[Any, ...]:
            calls.append("fetch")
            return ((Session.Trial & key).to_arrays("outcome", order_by="KEY"),)

        def make_compute(self, key: dict[str, Any], outcomes: Any) -> tuple[Any, ...]:
            calls.append("compute")
            if key["session"] == 5:  # someone changes the inputs while this computes
                (Session.Trial & {"session": 5, "trial": 0}).delete(
                    prompt=False, part_integrity="ignore"
                )
            return (float(outcomes.sum()),)

        def make_insert(self, key: dict[str, Any], total: float) -> None:
            calls.append("insert")
            self.insert1(dict(key, total=total))

    result = Total.populate(suppress_errors=True)
    assert result["success_count"] == 3
    assert "changed while make_compute ran" in result["error_list"][0][1]
    assert sorted(r["session"] for r in Total.to_dicts()) == [2, 3, 4]
    assert calls[:4] == ["fetch", "compute", "fetch", "insert"]
    assert Total.progress() == (1, 4)


def test_round_trips_per_key(
    backend: str, connection: dj.Connection, new_schema: Callable[..., dj.Schema], statements: Any
) -> None:
    """Beyond what ``make`` sends (here one fetch and one insert), a key costs its COMMIT
    on a server; on PostgreSQL the key's BEGIN travels with its first statement. SQLite adds
    its BEGIN and the statement that takes the write lock (in-process calls, not trips)."""
    schema = new_schema()

    @schema
    class Item(dj.Manual):
        definition = """
        item_id : int32
        ---
        value : float64
        """

    @schema
    class Doubled(dj.Computed):
        definition = """
        -> Item
        ---
        doubled : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            self.insert1(dict(key, doubled=2 * (Item & key).fetch1("value")))

    n = 12
    Item.insert([(i, i / 2) for i in range(n)])
    with statements(connection.engine) as seen:
        assert Doubled.populate()["success_count"] == n
    assert Doubled.to_arrays("doubled").tolist() == [i * 1.0 for i in range(n)]
    if backend == "sqlite":  # the list of keys (BEGIN, SELECT), then five per key
        assert seen.round_trips == 2 + 5 * n, seen.sql
        return
    assert seen.round_trips == 3 * n, seen.sql  # the key list is read on the read pool
    if backend == "postgresql":
        assert sum(s.startswith("BEGIN; SELECT") for s in seen.sql) == n
        assert seen.sql.count("COMMIT") == n
