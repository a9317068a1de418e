"""Large inserts on every backend, by each backend's bulk path.

Each test inserts more rows than the bulk thresholds, so the rows go through ``COPY`` on
PostgreSQL, ``LOAD DATA LOCAL INFILE`` on MySQL and the driver's ``executemany`` of tuples on
SQLite; with ``skip_duplicates`` through a temporary table on the servers. The same tests on
every backend check that they behave alike, and as the row-by-row path does.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla.backends.mysql import LOAD_THRESHOLD
from dj_sqla.backends.postgresql import COPY_THRESHOLD

N = max(COPY_THRESHOLD, LOAD_THRESHOLD) + 200
AWKWARD = ["tab\there", "new\nline", "back\\slash", "\\N", "carriage\rreturn", "ünï ✓", ""]


def declare(schema: dj.Schema) -> Any:
    @schema
    class Parent(dj.Manual):
        definition = """
        parent_id : int32
        """

    @schema
    class Wide(dj.Manual):
        definition = """
        id : int32
        ---
        -> [nullable] Parent
        i8 : int8
        i64 : int64
        f32 = null : float32
        f64 = null : float64
        flag : bool
        token : uuid
        doc = null : json
        payload = null : bytes
        day : date
        precise : datetime(6)
        code : char(3)
        label : varchar(40)
        color = 'red' : enum('red', 'green', 'it''s blue')
        amount : decimal(12, 4)
        note = null : text
        clock = null : time
        """

    return Parent, Wide


def row(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "parent_id": 1 if i % 3 else None,
        "i8": i % 256 - 128,
        "i64": -(2**63) + i,
        "f32": None if i % 7 == 0 else 0.5,
        "f64": [1 / 3, 2.0**-1074, -(2.0**1023), 123.456, 1e-300][i % 5],
        "flag": bool(i % 2),
        "token": uuid.UUID(int=i),
        "doc": None if i % 5 == 0 else {"i": i, "s": AWKWARD[i % len(AWKWARD)], "n": None},
        "payload": None if i % 11 == 0 else bytes([i % 256, 0, 92, 9, 10]),
        "day": dt.date(2000, 1, 1) + dt.timedelta(days=i),
        "precise": dt.datetime(2026, 11, 28, 12, 0, 0, i % 1_000_000),
        "code": "abc",
        "label": AWKWARD[i % len(AWKWARD)],
        "color": ["red", "green", "it's blue"][i % 3],
        "amount": decimal.Decimal(i) / 10_000 - decimal.Decimal("5000"),
        "note": None if i % 2 else "\t\n\\" * 50,
        "clock": dt.time(i % 24, 59, 59),
    }


@pytest.fixture
def tables(new_schema: Callable[..., dj.Schema]) -> Any:
    parent, wide = declare(new_schema("bulk"))
    parent.insert([(1,), (2,)])
    return parent, wide


def test_every_value_survives_a_bulk_insert(tables: Any) -> None:
    _, wide = tables
    rows = [row(i) for i in range(N)]
    wide.insert(rows)
    stored = wide.to_dicts(order_by="KEY")
    assert len(stored) == N
    for got, sent in zip(stored, rows, strict=True):
        for name, value in sent.items():
            assert got[name] == value, (name, got[name], value)


@pytest.mark.parametrize("special", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_nan_and_infinity_are_stored_or_refused(tables: Any, backend: str, special: float) -> None:
    _, wide = tables
    rows = [dict(row(i), f64=special) for i in range(N)]
    # MySQL has neither NaN nor infinity, and SQLite would turn NaN into NULL: refused
    if backend == "mysql" or (backend == "sqlite" and math.isnan(special)):
        with pytest.raises(dj.DataJointError, match="nothing was inserted"):
            wide.insert(rows)
        assert len(wide()) == 0
        return
    wide.insert(rows)
    stored = wide.to_arrays("f64")
    assert len(stored) == N
    assert all(math.isnan(v) if math.isnan(special) else v == special for v in stored)


def test_a_failed_bulk_insert_stores_nothing_and_names_the_row(tables: Any) -> None:
    _, wide = tables
    wide.insert1(row(N + 5))
    duplicate = [row(i) for i in range(N)] + [row(N + 5)]
    with pytest.raises(dj.DuplicateError, match=rf"primary key \{{'id': {N + 5}\}}"):
        wide.insert(duplicate)
    orphan = [row(i) for i in range(N)]
    orphan[700]["parent_id"] = 9
    with pytest.raises(dj.MissingParentError, match=r"parent_id=9, which is not in"):
        wide.insert(orphan)
    too_long = [row(i) for i in range(N)]
    too_long[900]["label"] = "x" * 41
    with pytest.raises(
        dj.DataJointError,
        match=r"`label` = 'x+' \(row with key \{'id': 900\}\) is refused: it has 41 characters",
    ):
        wide.insert(too_long)
    out_of_range = [row(i) for i in range(N)]
    out_of_range[10]["i8"] = 300
    with pytest.raises(dj.DataJointError, match="nothing was inserted"):
        wide.insert(out_of_range)
    bad_type = [row(i) for i in range(N)]
    bad_type[20]["day"] = "not a date"
    with pytest.raises(dj.DataJointError):
        wide.insert(bad_type)
    assert wide.to_dicts() == [row(N + 5)]  # each failed insert left the table as it was


def test_bulk_insert_inside_a_transaction_rolls_back_with_it(
    tables: Any, connection: dj.Connection
) -> None:
    parent, wide = tables

    def insert_then_fail() -> None:
        with connection.transaction:
            wide.insert([row(i) for i in range(N)])
            assert len(wide()) == N  # visible inside the transaction
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    assert len(wide()) == 0
    assert len(parent()) == 2


def test_every_value_survives_a_skipping_bulk_insert(tables: Any) -> None:
    _, wide = tables
    rows = [row(i) for i in range(N)]
    wide.insert(rows[::2])
    changed = [dict(r, label="changed") if r["id"] % 2 == 0 else r for r in rows]
    wide.insert(changed, skip_duplicates=True)
    stored = wide.to_dicts(order_by="KEY")
    assert len(stored) == N
    for got, sent in zip(stored, rows, strict=True):  # stored rows kept as they were
        for name, value in sent.items():
            assert got[name] == value, (name, got[name], value)


def test_a_skipping_bulk_insert_keeps_the_first_of_repeated_keys(tables: Any) -> None:
    _, wide = tables
    rows = [row(i) for i in range(N)]
    repeats = [dict(r, label="second") for r in rows[:300]]
    wide.insert(rows + repeats, skip_duplicates=True)
    assert len(wide()) == N
    assert not wide & {"label": "second"}


def test_a_skipping_bulk_insert_refuses_every_other_error(tables: Any) -> None:
    _, wide = tables
    rows = [row(i) for i in range(N)]
    wide.insert(rows[:10])
    orphan = [dict(r) for r in rows]
    orphan[700]["parent_id"] = 9
    with pytest.raises(dj.MissingParentError, match=r"parent_id=9, which is not in"):
        wide.insert(orphan, skip_duplicates=True)
    too_long = [dict(r) for r in rows]
    too_long[900]["label"] = "x" * 41
    with pytest.raises(dj.DataJointError, match=r"\{'id': 900\}\) is refused: it has 41 char"):
        wide.insert(too_long, skip_duplicates=True)
    out_of_range = [dict(r) for r in rows]
    out_of_range[10]["i8"] = 300
    with pytest.raises(dj.DataJointError, match="nothing was inserted"):
        wide.insert(out_of_range, skip_duplicates=True)
    assert wide.to_dicts(order_by="KEY") == rows[:10]


def test_skipping_bulk_insert_inside_a_transaction_sees_its_own_rows(
    tables: Any, connection: dj.Connection
) -> None:
    _, wide = tables
    rows = [row(i) for i in range(N)]
    with connection.transaction:
        wide.insert(rows[:N:3])
        wide.insert(rows, skip_duplicates=True)
        wide.insert(rows[:N:2], skip_duplicates=True)  # all stored: nothing to do
    assert len(wide()) == N


def test_an_engine_of_the_application_inserts_the_same_rows(db_url: str, schema_name: Any) -> None:
    """An Engine the application built may not allow MySQL's LOAD DATA LOCAL: the rows then
    go as multi-row INSERT statements, with the same result."""
    engine = sa.create_engine(db_url)
    connection = dj.Connection(engine)
    try:
        parent, wide = declare(dj.Schema(schema_name("own"), connection=connection))
        parent.insert([(1,), (2,)])
        rows = [row(i) for i in range(N)]
        wide.insert(rows[::2])
        wide.insert(rows, skip_duplicates=True)
        assert wide.to_dicts(order_by="KEY") == rows
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["mysql"])  # the only backend that loads client files
def test_the_server_reads_no_client_file_outside_a_bulk_insert(
    tables: Any, connection: dj.Connection, tmp_path: Any
) -> None:
    _, wide = tables
    secret = tmp_path / "secret.tsv"
    secret.write_text("1\n")
    with pytest.raises(dj.LostConnectionError, match="asked for a local file"):
        connection.query(f"LOAD DATA LOCAL INFILE '{secret}' INTO TABLE {wide.full_table_name}")
    assert len(wide()) == 0  # the connection was replaced, and nothing was loaded
    wide.insert([row(i) for i in range(N)])  # the bulk path still loads its own files
    assert len(wide()) == N


def test_a_failed_skipping_bulk_insert_leaves_nothing_behind(tables: Any) -> None:
    """MySQL's temporary table outlives the rolled-back transaction: it is dropped anyway,
    or the next skipping insert on the same pooled connection would fail to create it."""
    _, wide = tables
    rows = [row(i) for i in range(N)]
    orphan = [dict(r) for r in rows]
    orphan[N // 2]["parent_id"] = 9
    for _ in range(3):  # each attempt fails for the row's own reason, not a leftover
        with pytest.raises(dj.MissingParentError, match=r"parent_id=9, which is not in"):
            wide.insert(orphan, skip_duplicates=True)
    assert len(wide()) == 0
    wide.insert(rows, skip_duplicates=True)  # the connection is usable and the path works
    assert len(wide()) == N
