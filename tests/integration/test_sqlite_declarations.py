"""A SQLite file store commits the declarations of a moment together, before any other use."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
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


def test_declarations_share_one_commit_made_before_any_use(
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
        with pytest.raises(dj.DefinitionError, match="`third`"):
            schema(manual("Third"))
        schema(manual("Fourth"))
        assert committed_tables(tmp_path / "lab.db") == ["third"]  # nothing committed yet
        assert schema.list_tables() == ["first", "fourth", "second", "third"]  # a use commits
    assert committed_tables(tmp_path / "lab.db") == ["first", "fourth", "second", "third"]
    assert seen.commits == 1  # the declarations' shared transaction
    assert not [s for s in seen.sql if "SAVEPOINT" in s.upper()]  # the driver's own


def test_declarations_are_committed_soon_without_any_use(
    store: dj.Connection, tmp_path: Path
) -> None:
    schema = dj.Schema("lab", connection=store)
    schema(manual("Mouse"))
    deadline = time.monotonic() + 10
    while committed_tables(tmp_path / "lab.db") != ["mouse"]:
        assert time.monotonic() < deadline, "the declaration was not committed"
        time.sleep(0.02)


def test_declarations_are_committed_at_exit(tmp_path: Path) -> None:
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
    batch = store.backend._declarations._batch  # type: ignore[attr-defined]
    batch.conn.exec_driver_sql("PRAGMA busy_timeout = 50")
    with sqlite3.connect(tmp_path / "lab.db") as other:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM sqlite_master").fetchall()  # a reader's lock
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            schema.list_tables()  # the commit cannot wait that long for the reader
        other.rollback()
    with pytest.raises(dj.TableNotDeclaredError, match="`mouse`"):
        Mouse.insert1({"id": 1})
    assert committed_tables(tmp_path / "lab.db") == []
