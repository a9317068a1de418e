"""A SQLite file store creates the declarations of a moment together, before any other use."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla.backends import _sqlite_declarations


def committed_tables(path: Path) -> list[str]:
    """The tables another process sees in a schema file."""
    with sqlite3.connect(path) as other:
        rows = other.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return sorted(name for (name,) in rows)


def manual(name: str, definition: str = "id : int32\n") -> type:
    return type(name, (dj.Manual,), {"definition": definition})


@pytest.fixture
def store(tmp_path: Path) -> Any:
    connection = dj.Connection(f"sqlite:///{tmp_path}/main.db")
    yield connection
    connection.backend.commit_declarations()
    connection.engine.dispose()


def test_declarations_are_created_together_before_any_use(
    store: dj.Connection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    statements: Callable[[sa.Engine], Any],
) -> None:
    monkeypatch.setattr(_sqlite_declarations, "QUIET", 60.0)  # no timer in this test
    schema = dj.Schema("lab", connection=store)
    with sqlite3.connect(tmp_path / "lab.db") as other:  # created meanwhile by someone else
        other.execute("CREATE TABLE third (id INTEGER)")
    with statements(store.engine) as seen:
        schema(manual("First"))
        schema(manual("Second"))
        Third = schema(manual("Third"))
        schema(manual("Fourth"))
        assert seen.sql == []  # queued
        # a use creates them first; SQLite refuses one, which leaves nothing of its own
        with pytest.raises(dj.DefinitionError, match="refused to create `third`"):
            schema.list_tables()
        assert schema.list_tables() == ["first", "fourth", "second", "third"]
    assert committed_tables(tmp_path / "lab.db") == ["first", "fourth", "second", "third"]
    assert seen.commits == 1  # the four declarations' transaction
    assert not [s for s in seen.sql if "SAVEPOINT" in s.upper()]  # the driver's own
    with pytest.raises(dj.TableNotDeclaredError, match=r"was not created.*already exists"):
        Third.insert1({"id": 1})
    with sqlite3.connect(tmp_path / "lab.db") as other:
        other.execute("DROP TABLE third")
    Third = schema(manual("Third"))  # declared again, once that is mended
    Third.insert1({"id": 1})
    assert len(Third()) == 1


def test_declarations_are_created_soon_without_any_use(
    store: dj.Connection, tmp_path: Path
) -> None:
    schema = dj.Schema("lab", connection=store)
    schema(manual("Mouse"))
    deadline = time.monotonic() + 10
    while committed_tables(tmp_path / "lab.db") != ["mouse"]:
        assert time.monotonic() < deadline, "the declaration was not created"
        time.sleep(0.02)


def test_a_declaration_the_timer_cannot_create_is_warned_about(
    store: dj.Connection, tmp_path: Path
) -> None:
    schema = dj.Schema("lab", connection=store)
    with sqlite3.connect(tmp_path / "lab.db") as other:
        other.execute("CREATE TABLE mouse (id INTEGER)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Mouse = schema(manual("Mouse"))
        deadline = time.monotonic() + 10
        while not caught:  # nothing uses the store: the timer creates the queue
            assert time.monotonic() < deadline, "the declaration was not attempted"
            time.sleep(0.02)
    assert "refused to create `mouse`" in str(caught[0].message)
    with pytest.raises(dj.TableNotDeclaredError, match=r"`mouse`.*already exists"):
        Mouse.insert1({"id": 1})


def test_declarations_are_created_at_exit(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import dj_sqla as dj
        schema = dj.Schema("lab", connection=dj.Connection("sqlite:///{tmp_path}/main.db"))

        @schema
        class Mouse(dj.Manual):
            definition = "mouse_id : int32"
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert committed_tables(tmp_path / "lab.db") == ["mouse"]


def test_a_lost_commit_forgets_the_declared_tables(
    store: dj.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqlite_declarations, "QUIET", 60.0)
    schema = dj.Schema("lab", connection=store)
    Mouse = schema(manual("Mouse"))

    @sa.event.listens_for(store.engine, "checkout")
    def impatient(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout = 50")

    with sqlite3.connect(tmp_path / "lab.db") as other:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM sqlite_master").fetchall()  # a reader's lock
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            schema.list_tables()  # the commit cannot wait that long for the reader
        other.rollback()
    with pytest.raises(dj.TableNotDeclaredError, match=r"`mouse`.*locked"):
        Mouse.insert1({"id": 1})
    assert committed_tables(tmp_path / "lab.db") == []
