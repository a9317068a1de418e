"""The `dj-sqla demo` main job and `dj-sqla console` on every backend."""

from __future__ import annotations

import code
from collections.abc import Iterator
from typing import Any

import pytest

import dj_sqla as dj
from dj_sqla import cli, example


@pytest.fixture
def demo_url(db_url: str) -> Iterator[str]:
    """The test database; the demo's fixed-name schemas are dropped afterwards."""
    yield db_url
    cli.drop(db_url)
    dj.conn(reset=True).engine.dispose()


def test_demo_declares_fills_and_queries(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--url", demo_url]) == 0
    first = capsys.readouterr().out
    assert f"Schema `{example.DEMO_PREFIX}lab`" in first
    assert "tables #species, subject" in first
    assert "__session_trace" in first
    assert "populated SessionTrace (numpy arrays in blobs): 3 new rows" in first
    assert "subject 1 session 2: outcomes float64[4] [0.4, 0.5, 0.6, 0.7]" in first
    assert "cumulative [0.4, 0.9, 1.5, 2.2]" in first
    assert "populated SessionStats: 3 new rows" in first
    assert "populated SubjectSummary with 2 processes: 2 new rows" in first
    assert "subject 1: 2 sessions, 8 trials" in first
    assert "subject 1 session 2: 4 trials, mean outcome 0.550" in first
    assert "    -> Subject\n    session : int16\n" in first
    assert "inserted 2 subjects, 3 sessions, 12 trials" in first
    assert "mouse    8 trials, mean outcome 0.450" in first
    assert "rat      4 trials, mean outcome 0.250" in first
    assert cli.main(["demo", "--url", demo_url]) == 0
    second = capsys.readouterr().out
    assert "exist already" in second
    assert "populated SessionStats: 0 new rows" in second
    assert "populated SubjectSummary with 2 processes: 0 new rows" in second
    assert cli.main(["demo", "--drop", "--url", demo_url]) == 0
    again = capsys.readouterr().out
    assert f"dropped {example.DEMO_PREFIX}experiment" in again
    assert "inserted 2 subjects" in again


def test_console_loads_schemas_as_virtual_modules(
    db_url: str,
    new_schema: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`dj-sqla console -s SCHEMA:ALIAS` (DataJoint's `dj` command, `datajoint.cli.cli`)."""
    schema = new_schema("console")

    @schema
    class Animal(dj.Manual):
        definition = "animal : int32"

    Animal.insert1({"animal": 5})
    seen: dict[str, Any] = {}
    monkeypatch.setattr(code, "interact", lambda banner, local, exitmsg: seen.update(local))
    with dj.config.override(database__url=db_url, database__user=None):
        dj.conn(reset=True)
        try:
            assert cli.main(["console", "-s", f"{schema.database}:lab", "-u", "someone"]) == 0
            assert dj.config["database.user"] == "someone"
        finally:
            dj.conn(reset=True).engine.dispose()
    assert seen["dj"] is dj
    assert seen["lab"].Animal.to_dicts() == [{"animal": 5}]
    with pytest.raises(SystemExit):
        cli.main(["console", "--version"])
    assert "dj_sqla" in capsys.readouterr().out
