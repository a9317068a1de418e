"""Iterating a query reads its rows in batches, with server-side cursors where there are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

import dj_sqla as dj

ROWS = 3000


@pytest.fixture
def samples(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("stream")

    @schema
    class Sample(dj.Manual):
        definition = """
        sample_id : int32
        ---
        label : varchar(20)
        data = null : <blob>
        """

    Sample.insert(
        {"sample_id": n, "label": f"s{n}", "data": np.arange(n % 4) if n % 10 == 0 else None}
        for n in range(ROWS)
    )
    return Sample


def _same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    def plain(row: dict[str, Any]) -> tuple[Any, ...]:
        data = row["data"]
        return (row["sample_id"], row["label"], None if data is None else data.tolist())

    return sorted(map(plain, a)) == sorted(map(plain, b))


def test_iteration_yields_the_rows_of_to_dicts(samples: Any) -> None:
    everything = samples.to_dicts()
    assert len(everything) == ROWS
    assert _same(list(samples()), everything)  # blobs decoded as usual
    assert _same(list(samples().stream(batch_size=7)), everything)
    restricted = samples & "sample_id < 100"
    assert _same(list(restricted), restricted.to_dicts())
    ordered = list(samples().stream(order_by="sample_id DESC", limit=5, offset=2))
    assert [row["sample_id"] for row in ordered] == [2997, 2996, 2995, 2994, 2993]
    assert list(samples & "sample_id < 0") == []
    with pytest.raises(dj.DataJointError, match="batch_size"):
        samples().stream(batch_size=0)


def test_iteration_is_lazy_and_stops_when_the_loop_does(
    samples: Any,
    backend: str,
    connection: dj.Connection,
    statements: Callable[[sa.Engine], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetched: list[int] = []
    fetchmany = sa.engine.CursorResult.fetchmany

    def counting(self: Any, size: int | None = None) -> Any:
        rows = fetchmany(self, size)
        fetched.append(len(rows))
        return rows

    monkeypatch.setattr(sa.engine.CursorResult, "fetchmany", counting)
    cursors: list[Any] = []

    def on_execute(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            cursors.append(cursor)

    engines = {connection.engine, connection.read_engine}
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        with statements(connection.engine) as seen, statements(connection.read_engine) as read:
            rows = iter(samples())
            assert seen.sql == read.sql == []  # nothing runs before the first row is asked for
            first = [next(rows) for _ in range(3)]
            rows.close()  # (what `break` does once the loop's iterator is dropped)
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", on_execute)
    assert len(first) == 3
    assert fetched == [1000]  # one batch was read of the 3000 rows
    [cursor] = cursors
    if backend == "postgresql":
        assert cursor.name  # a named (server-side) cursor
    elif backend == "mysql":
        import pymysql.cursors  # the driver, only for this backend

        assert isinstance(cursor, pymysql.cursors.SSCursor)


def test_iteration_inside_a_transaction(samples: Any, connection: dj.Connection) -> None:
    with connection.transaction:
        samples.insert1({"sample_id": ROWS, "label": "new"})
        seen = 0
        for row in samples & "sample_id >= 2990":
            seen += 1
            if row["sample_id"] == ROWS:  # the transaction's own row
                samples.insert1({"sample_id": ROWS + 1, "label": "newer"})  # beside the loop
        assert seen >= 11
        assert len(samples & f"sample_id > {ROWS - 1}") == 2
    assert len(samples()) == ROWS + 2


def test_writing_while_iterating(samples: Any, new_schema: Callable[..., dj.Schema]) -> None:
    """DataJoint's ``for key in A: B.insert1(...)`` outside a transaction: on a SQLite file
    store the open read would keep the insert from committing, so the rest is read first."""
    schema = new_schema("notes")

    @schema
    class Note(dj.Manual):
        definition = "note_id : int32\n---\nlabel : varchar(20)"

    seen = 0
    for row in samples().stream(batch_size=100):
        seen += 1
        if row["sample_id"] % 500 == 0:
            Note.insert1({"note_id": row["sample_id"], "label": row["label"]})
    assert seen == ROWS
    assert len(Note()) == ROWS // 500
