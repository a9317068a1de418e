"""On a SQLite file store a declaration is committed, durably, when its decorator returns."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj


def committed_tables(path: Path) -> list[str]:
    """The tables another connection (the sqlite3 module, another process) sees in a file."""
    with sqlite3.connect(path) as other:
        rows = other.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return sorted(name for (name,) in rows)


def manual(name: str, definition: str = "id : int32\n") -> type:
    return type(name, (dj.Manual,), {"definition": definition})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[dj.Connection]:
    connection = dj.Connection(f"sqlite:///{tmp_path}/main.db")
    yield connection
    connection.engine.dispose()


def test_each_decorator_commits_its_table_before_it_returns(
    store: dj.Connection, tmp_path: Path, statements: Callable[[sa.Engine], Any]
) -> None:
    schema = dj.Schema("lab", connection=store)
    with statements(store.engine) as seen:
        schema(manual("First"))
        assert committed_tables(tmp_path / "lab.db") == ["first"]
        schema(manual("Second"))
        assert committed_tables(tmp_path / "lab.db") == ["first", "second"]
    assert seen.commits == 2  # one committed transaction per decorator


def test_a_killed_process_keeps_the_tables_its_decorators_returned(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os
        import dj_sqla as dj
        schema = dj.Schema("lab", connection=dj.Connection("sqlite:///{tmp_path}/main.db"))

        @schema
        class Mouse(dj.Manual):
            definition = "mouse_id : int32"

        os._exit(0)  # no atexit, no garbage collection, no pool clean-up
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert committed_tables(tmp_path / "lab.db") == ["mouse"]


def test_a_refused_definition_raises_at_the_decorator_and_leaves_nothing(
    store: dj.Connection, tmp_path: Path
) -> None:
    schema = dj.Schema("lab", connection=store)
    with sqlite3.connect(tmp_path / "lab.db") as other:  # created meanwhile by someone else
        other.execute("CREATE TABLE rig__probe (id INTEGER)")

    class Rig(dj.Manual):
        definition = "rig : int32"

        class Probe(dj.Part):
            definition = "-> master\nprobe : int32"

    with pytest.raises(dj.DefinitionError, match=r"refused to create .*`rig__probe`"):
        schema(Rig)
    assert committed_tables(tmp_path / "lab.db") == ["rig__probe"]  # no `rig` of its own
    assert "rig" not in schema
    Mouse = schema(manual("Mouse"))  # the store carries on
    Mouse.insert1({"id": 1})
    assert committed_tables(tmp_path / "lab.db") == ["mouse", "rig__probe"]


def test_activation_declares_the_decorated_classes_in_one_transaction(
    store: dj.Connection, tmp_path: Path, statements: Callable[[sa.Engine], Any]
) -> None:
    schema = dj.Schema()
    for name in ("First", "Second", "Third"):
        schema(manual(name))
    with statements(store.engine) as seen:
        schema.activate("lab", connection=store)
    assert committed_tables(tmp_path / "lab.db") == ["first", "second", "third"]
    assert len([s for s in seen.sql if s.lstrip().upper().startswith("CREATE TABLE")]) == 3
    assert seen.commits == 1  # the three tables together
