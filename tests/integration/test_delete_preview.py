"""What a cascading delete removes, shown before it runs: `delete(dry_run=True)` and the
safemode prompt, on every backend. The preview's counts are what `delete()` then removes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla.execution.delete import DeletePreview


@pytest.fixture
def lab(new_schema: Callable[..., dj.Schema]) -> Any:
    animals, work = new_schema("animals"), new_schema("work")

    @animals
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        """

    @animals
    class Litter(dj.Manual):
        definition = """
        litter : int32
        ---
        -> Mouse.proj(mother='mouse_id')
        """

    @work
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int16
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int32
            """

    @work
    class Stats(dj.Computed):
        definition = """
        -> Session
        ---
        n : int32
        """

    Mouse.insert([(1,), (2,), (3,), (4,)])
    Litter.insert([(10, 1), (11, 1), (12, 2)])
    Session.insert([(1, 1), (1, 2), (2, 1), (3, 1)])
    Session.Trial.insert([(1, 1, t) for t in range(5)] + [(1, 2, 1), (2, 1, 1), (3, 1, 7)])
    Stats.insert([(1, 1, 5), (1, 2, 1), (3, 1, 1)], allow_direct_insert=True)

    class Pipeline:
        tables = (Mouse, Litter, Session, Session.Trial, Stats)

    Pipeline.Mouse, Pipeline.Session, Pipeline.Stats = Mouse, Session, Stats  # type: ignore[attr-defined]
    return Pipeline


def sizes(p: Any) -> dict[str, int]:
    return {t.full_table_name: len(t()) for t in p.tables}


@pytest.mark.parametrize(
    ("table", "restriction"),
    [
        ("Mouse", "mouse_id < 3"),
        ("Mouse", {"mouse_id": 4}),  # no dependent rows
        ("Session", {"session": 1}),
        ("Mouse", None),  # the whole table
    ],
)
def test_the_preview_counts_are_what_delete_removes(lab: Any, table: str, restriction: Any) -> None:
    query = getattr(lab, table)()
    if restriction is not None:
        query = query & restriction
    before = sizes(lab)
    preview = query.delete(dry_run=True)
    assert isinstance(preview, DeletePreview)
    assert sizes(lab) == before  # a dry run deletes nothing
    deleted = query.delete(prompt=False)
    after = sizes(lab)
    gone = {name: before[name] - after[name] for name in before}
    assert preview.as_dict() == {name: n for name, n in gone.items() if name in preview.as_dict()}
    assert all(n == 0 for name, n in gone.items() if name not in preview.as_dict())
    assert preview[getattr(lab, table)] == deleted
    assert preview.total == sum(gone.values())


def test_the_preview_lists_every_table_reached_leaves_first(lab: Any) -> None:
    preview = (lab.Mouse & {"mouse_id": 4}).delete(dry_run=True)
    names = [name.replace("`", "").replace('"', "").split(".")[1] for name, _ in preview]
    assert sorted(names) == ["__stats", "litter", "mouse", "session", "session__trial"]
    for child, parent in [
        ("session__trial", "session"),
        ("__stats", "session"),
        ("session", "mouse"),
        ("litter", "mouse"),
    ]:
        assert names.index(child) < names.index(parent)  # leaves first
    assert preview.total == 1
    text = str(preview)
    assert text.splitlines()[0] == "Deleting 1 row from 5 tables, in this order:"
    assert f"  {lab.Stats.full_table_name}: 0 rows" in text
    assert f"  {lab.Mouse.full_table_name}: 1 row" in text
    assert lab.Mouse.delete(dry_run=True)[lab.Session.Trial] == 8  # class-level too


def test_the_prompt_shows_the_preview(
    lab: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    query = lab.Mouse & "mouse_id = 1"
    expected = str(query.delete(dry_run=True))
    answers = iter(["no", "yes"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert query.delete(prompt=True) == 0
    assert expected in capsys.readouterr().out
    assert len(lab.Session.Trial()) == 8  # rolled back
    assert query.delete(prompt=True) == 1
    assert expected in capsys.readouterr().out
    assert len(lab.Session.Trial()) == 2


def test_a_dry_run_costs_one_query_and_works_in_a_transaction(
    lab: Any, statements: Callable[[sa.Engine], Any]
) -> None:
    connection = lab.Mouse.connection
    with statements(connection.read_engine) as seen:  # (reads use it, outside transactions)
        preview = (lab.Mouse & "mouse_id < 3").delete(dry_run=True)
    assert [s.split()[0].upper() for s in seen.sql if s.strip().upper() != "BEGIN"] == ["SELECT"]
    assert preview.total == 2 + 3 + 3 + 7 + 2  # mice, litters, sessions, trials, stats
    with connection.transaction:
        assert (lab.Mouse & "mouse_id < 3").delete(dry_run=True) == preview
        lab.Session.Trial.delete_quick()
        assert (lab.Mouse & "mouse_id < 3").delete(dry_run=True)[lab.Session.Trial] == 0


def test_part_integrity_applies_to_the_preview(lab: Any) -> None:
    part = lab.Session.Trial & {"trial": 7}
    with pytest.raises(dj.DataJointError, match="without its master"):
        part.delete(dry_run=True)
    preview = part.delete(dry_run=True, part_integrity="cascade")
    assert preview[lab.Session] == 1
    assert preview[lab.Session.Trial] == 1  # the master's other parts go with it
    assert preview[lab.Stats] == 1
    assert part.delete(dry_run=True, part_integrity="ignore").as_dict() == {
        lab.Session.Trial.full_table_name: 1
    }


def test_datajoint_s_cascade_diagram_counts_the_same(lab: Any) -> None:
    query = lab.Mouse & "mouse_id < 3"
    cascade = dj.Diagram.cascade(query)
    preview = query.delete(dry_run=True)
    assert cascade.counts() == dict(reversed(preview.counts))  # parents first
    assert sorted(cascade.tables) == sorted(preview.as_dict())
    assert "image/svg+xml" in cascade._repr_mimebundle_()
    with pytest.raises(dj.DataJointError, match=r"Diagram\.cascade"):
        dj.Diagram(lab.Mouse).counts()
