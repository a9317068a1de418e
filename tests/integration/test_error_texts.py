"""Error texts stay short whatever the statement: statements of many KB, thousands of
parameters, long restriction strings. Each error is a dj_sqla error that names the table,
quotes at most a few hundred characters of SQL, and keeps the driver's error (``.orig``,
``__cause__``); a driver error is also still the SQLAlchemy exception it was."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj

#: Longest error text accepted (the statements below are 30 KB to several MB).
LONGEST = 1000
LONG_NOTE = "n" * 3000


@pytest.fixture
def tables(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("errtext")

    @schema
    class Probe(dj.Manual):
        definition = """
        probe : int32
        """

    @schema
    class Reading(dj.Manual):
        definition = """
        -> Probe
        reading : int32
        ---
        label : varchar(20)
        note = null : varchar(4000)
        """

    Probe.insert([(1,), (2,)])
    Reading.insert([(1, i, f"r{i}", LONG_NOTE) for i in range(50)])
    return Probe, Reading


def short_and_named(err: BaseException, table: str) -> str:
    text = str(err)
    assert len(text) < LONGEST, len(text)
    assert table in text, text
    return text


def test_a_long_statement_the_server_refuses(tables: Any, connection: dj.Connection) -> None:
    _, reading = tables
    where = " OR ".join(f"reading = {i}" for i in range(3000))
    sql = f"SELECT no_such_column FROM {reading.full_table_name} WHERE {where}"
    assert len(sql) > 30_000
    with pytest.raises(dj.QueryError) as caught:
        connection.query(sql).fetchall()
    short_and_named(caught.value, "reading")
    assert isinstance(caught.value, sa.exc.DBAPIError)  # what SQLAlchemy code catches
    assert caught.value.orig is caught.value.__cause__  # the driver's error, kept
    assert "no_such_column" in str(caught.value)
    # a worker process sends it to its parent pickled: as the dj_sqla error, same text
    copied = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copied, dj.QueryError)
    assert str(copied) == str(caught.value)


def test_thousands_of_parameters_in_a_failed_insert(tables: Any, connection: dj.Connection) -> None:
    """An application's own Core insert through dj_sqla's engine: a repeated key among
    5,000 rows of long values is a DuplicateError, and still SQLAlchemy's IntegrityError."""
    _, reading = tables
    rows = [{"probe": 2, "reading": i, "label": "x", "note": LONG_NOTE} for i in range(5000)] + [
        {"probe": 1, "reading": 0, "label": "x", "note": LONG_NOTE}
    ]
    with pytest.raises(dj.DuplicateError) as caught, connection.engine.begin() as conn:
        conn.execute(reading.__table__.insert(), rows)
    short_and_named(caught.value, "reading")
    assert isinstance(caught.value, sa.exc.IntegrityError)
    assert len(reading()) == 50


@pytest.mark.parametrize("bulk", [10, 2000], ids=["rows", "bulk"])
def test_a_failed_insert_of_long_rows(tables: Any, bulk: int) -> None:
    _, reading = tables
    rows = [(2, i, "x", LONG_NOTE) for i in range(bulk)]
    with pytest.raises(dj.MissingParentError) as caught:
        reading.insert([*rows, (9, 0, "x", LONG_NOTE)])
    text = short_and_named(caught.value, "reading")
    assert "probe=9" in text
    with pytest.raises(dj.DuplicateError) as caught_again:
        reading.insert([*rows, (1, 3, "x", LONG_NOTE)])
    short_and_named(caught_again.value, "reading")
    with pytest.raises(dj.DataJointError) as too_long:
        reading.insert([*rows, (2, bulk, "y" * 21, LONG_NOTE)])
    short_and_named(too_long.value, "reading")
    assert len(reading()) == 50


def test_a_restriction_string_of_thousands_of_terms(tables: Any) -> None:
    """SQLite's parser stops at a depth of 1000 in one `a OR b OR ...` chain: the chain is
    grouped below it, so a long string restricts on every backend."""
    _, reading = tables
    restriction = " OR ".join(f"reading = {i}" for i in range(3000))
    assert len(reading & restriction) == 50


def test_a_restriction_string_nested_too_deeply(tables: Any) -> None:
    _, reading = tables
    nested = "(" * 5000 + "reading = 1" + ")" * 5000
    with pytest.raises(dj.QueryError, match="nests too deeply") as caught:
        len(reading & nested)
    assert len(str(caught.value)) < LONGEST


def test_an_unsupported_function_in_a_long_string(tables: Any) -> None:
    _, reading = tables
    restriction = " OR ".join(f"reading = {i}" for i in range(2000)) + " OR no_such_fn(label)"
    with pytest.raises(dj.QueryError) as caught:
        len(reading & restriction)
    assert len(str(caught.value)) < LONGEST
