"""The `dj-sqla demo` main job and `dj-sqla console` on every backend: what the demo prints is
what a newcomer sees.

The demo's data are simulated with a fixed seed, so its results are the same numbers on every
backend and every run; the SQL it shows, and the files it writes, are checked on SQLite.
"""

from __future__ import annotations

import code
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import dj_sqla as dj
from dj_sqla import cli, example

#: The results of the simulated data (seed 2026), as the demo prints them.
RESULTS = """\
    species  sex  animals  trials  correct
    mouse    F          3     393     64 %
    mouse    M          3     416     60 %
    rat      F          3     332     74 %
    rat      M          3     354     78 %
  learning, dj.U("session").aggr(Trial, correct="avg(outcome)"):
    session 1:  59 % correct (12 animals)
    session 2:  64 % correct (12 animals)
    session 3:  72 % correct (12 animals)
    session 4:  77 % correct (10 animals)
    session 5:  76 % correct (5 animals)
"""
COHORTS = """\
    older     76 % correct (564 trials)
    younger   63 % correct (931 trials)
"""
RHYTHMS = """\
    mouse  8.1 Hz (27 sessions)
    rat    6.5 Hz (24 sessions)
"""
NPY_FILE = re.compile(r"its file in the store: (\S+\.npy)\n")


@pytest.fixture
def demo_url(db_url: str, example_store: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test database, the demo's data folder (used with a server) in the test's folder,
    and no demo store configured; the demo's fixed-name schemas are dropped afterwards."""
    monkeypatch.setitem(dj.config, "database.sqlite_dir", str(example_store.parent / "data"))
    yield db_url
    cli.drop(db_url)
    dj.conn(reset=True).engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["demo", *args]) == 0
    return capsys.readouterr().out


def stored_objects(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.npy"))


def test_demo_fills_computes_and_queries(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(capsys, "--url", demo_url)
    connection = dj.conn()
    folder = example.data_folder(connection)
    assert folder == (tmp_path / "store" if demo_url.startswith("sqlite") else tmp_path / "data")
    store = folder / example.STORE_FOLDER
    assert f"  schema {example.DEMO_PREFIX}lab: tables #species, subject\n" in first
    assert "__session_trace, _recording, session__trial\n" in first
    assert f"  object store dj_sqla_demo (file): {store}\n" in first
    assert "inserted 12 subjects (6 mouse, 6 rat; 6 F, 6 M), 51 sessions, 1,495 trials\n" in first
    assert "  SessionStats (keys reserved in its job table): 51 new rows\n" in first
    assert "  SessionTrace (numpy arrays in blobs): 51 new rows\n" in first
    assert "subject 1 session 1: outcomes float64[33] [1, 1, 1, 0, 0, 1, ...]" in first
    assert "  Recording (raw traces in the object store): 51 new rows\n" in first
    assert "  SubjectSummary (2 worker processes): 12 new rows\n" in first
    # the query algebra on the simulated data: the same numbers on every backend
    assert RESULTS in first
    assert "    -> 20 of 51 sessions\n" in first
    assert COHORTS in first
    assert "  (Subject * SessionStats).to_pandas(), indexed by the key:\n" in first
    assert re.search(r"subject_id session +\n +1 +1 +mouse +33 +0\.606061\n", first)
    # the object store: a lazy reference, then the array
    assert "  NpyRef(shape=(4000,), dtype=float32, not loaded): a reference; nothing" in first
    assert ".load(): ndarray float32[4000]; NpyRef(shape=(4000,), dtype=float32, loaded)" in first
    written = NPY_FILE.search(first)
    assert written
    assert (store / written[1]).is_file()
    assert len(stored_objects(store)) == 51
    assert RHYTHMS in first
    assert "    trace : <npy@dj_sqla_demo>  # one value per sample" in first
    assert '___recording(["Recording"]):::imported\n' in first  # the Mermaid diagram
    svg = folder / "dj_sqla_demo_pipeline.svg"
    assert f"  and as SVG (Graphviz): {svg}\n" in first
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    if demo_url.startswith("sqlite"):  # the MySQL-flavoured string, rendered for SQLite
        assert (
            "    CAST(julianday(date(dj_sqla_demo_experiment.session.session_date)) -\n"
            "    julianday(date(dj_sqla_demo_lab.subject.date_of_birth)) AS INTEGER) > ?\n"
        ) in first

    # a second run finds the rows and computes nothing again; same results, and without the
    # optional extras (pandas, Graphviz) it says what they would add
    with pytest.MonkeyPatch.context() as without:
        without.setitem(sys.modules, "pandas", None)
        without.setenv("PATH", str(tmp_path))  # no `dot` program
        second = run(capsys, "--url", demo_url)
    assert "exist already (run `dj-sqla demo --drop` to start over)" in second
    assert "inserted" not in second
    assert second.count(" 0 new rows\n") == 4
    assert RESULTS in second
    assert RHYTHMS in second
    assert "to_pandas() gives DataFrames after pip install 'dj_sqla[pandas]'" in second
    assert "indexed by the key" not in second
    assert "(also as SVG with pip install 'dj_sqla[diagram]' and apt-get install graphviz)\n" in (
        second
    )
    assert len(stored_objects(store)) == 51

    # --drop starts over: the schemas go, and the objects of their rows
    again = run(capsys, "--drop", "--url", demo_url)
    assert f"dropped {example.DEMO_PREFIX}experiment" in again
    assert "inserted 12 subjects" in again
    assert RESULTS in again
    refreshed = NPY_FILE.search(again)
    assert refreshed
    assert refreshed[1] != written[1]  # a new object (paths carry a random token)
    assert not (store / written[1]).exists()
    assert len(stored_objects(store)) == 51


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
