"""Restriction and fetching of table classes on every backend (the first layer of the algebra)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

import dj_sqla as dj


@pytest.fixture
def lab(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("lab")

    @schema
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        sex : enum('M', 'F', 'U')
        dob = null : date
        weight : float64
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Mouse
        session : int16
        """

    Mouse.insert(
        [
            {"mouse_id": 1, "sex": "F", "dob": dt.date(2025, 1, 1), "weight": 20.0},
            {"mouse_id": 2, "sex": "M", "dob": dt.date(2026, 1, 1), "weight": 25.0},
            {"mouse_id": 3, "sex": "F", "weight": 25.0},
            {"mouse_id": 4, "sex": "U", "dob": dt.date(2024, 6, 1), "weight": 18.5},
        ]
    )
    Session.insert([{"mouse_id": 1, "session": 1}, {"mouse_id": 1, "session": 2}, (3, 1)])

    class Lab:
        pass

    Lab.Mouse, Lab.Session = Mouse, Session  # type: ignore[attr-defined]
    return Lab


def ids(expr: Any) -> list[int]:
    return [row["mouse_id"] for row in expr.to_dicts(order_by="KEY")]


def test_restrictions(lab: Any) -> None:
    Mouse, Session = lab.Mouse, lab.Session
    assert ids(Mouse & {"sex": "F"}) == [1, 3]
    assert ids(Mouse() & {"sex": "F", "not_an_attribute": 1}) == [1, 3]
    assert ids(Mouse & {"not_an_attribute": 1}) == [1, 2, 3, 4]
    assert ids(Mouse & [{"mouse_id": 1}, {"mouse_id": 4}]) == [1, 4]
    assert ids(Mouse & []) == []
    assert ids(Mouse & dj.AndList([{"sex": "F"}, {"weight": 25.0}])) == [3]
    assert ids(Mouse & dj.Not({"sex": "F"})) == [2, 4]
    assert ids(Mouse - {"sex": "F"}) == [2, 4]
    assert ids(Mouse & True) == [1, 2, 3, 4]
    assert ids(Mouse & False) == []
    assert ids(Mouse & (Mouse.weight > 20)) == [2, 3]
    assert ids(Mouse & Mouse.dob.is_(None)) == [3]
    assert ids(Mouse & Session) == [1, 3]
    assert ids(Mouse - Session) == [2, 4]
    assert ids((Mouse & {"sex": "F"}) & (Session & {"session": 2})) == [1]
    assert ids(Mouse.restrict({"sex": "M"})) == [2]


def test_expressions_are_immutable(lab: Any) -> None:
    table = lab.Mouse()
    females = table & {"sex": "F"}
    heavy = females & (lab.Mouse.weight > 20)
    assert (len(table), len(females), len(heavy)) == (4, 2, 1)


def test_fetching(lab: Any) -> None:
    Mouse = lab.Mouse
    rows = Mouse.to_dicts(order_by="weight DESC")
    # ties (mice 2 and 3 weigh 25) broken by the primary key on every backend
    assert [r["mouse_id"] for r in rows] == [2, 3, 1, 4]
    assert ids(Mouse()) == [1, 2, 3, 4]
    assert [r["mouse_id"] for r in Mouse.to_dicts(order_by="KEY DESC", limit=2)] == [4, 3]
    assert [r["mouse_id"] for r in Mouse.to_dicts(order_by="KEY", limit=2, offset=1)] == [2, 3]
    assert (Mouse & {"mouse_id": 3}).to_dicts() == [
        {"mouse_id": 3, "sex": "F", "dob": None, "weight": 25.0}
    ]
    assert lab.Session.keys(order_by="KEY") == [
        {"mouse_id": 1, "session": 1},
        {"mouse_id": 1, "session": 2},
        {"mouse_id": 3, "session": 1},
    ]
    one = Mouse & {"mouse_id": 2}
    assert one.fetch1() == {"mouse_id": 2, "sex": "M", "dob": dt.date(2026, 1, 1), "weight": 25.0}
    assert one.fetch1("sex") == "M"
    assert one.fetch1("sex", "weight") == ("M", 25.0)
    assert one.fetch1("KEY") == {"mouse_id": 2}
    with pytest.raises(dj.QueryError, match="no rows"):
        (Mouse & {"mouse_id": 99}).fetch1()
    with pytest.raises(dj.QueryError, match="more than one row"):
        (Mouse & {"sex": "F"}).fetch1()
    assert len(Mouse()) == 4
    assert bool(Mouse & {"sex": "U"})
    assert not (Mouse & {"sex": "U", "weight": 1.0})
    assert {"mouse_id": 4} in Mouse()
    assert {"mouse_id": 5} not in Mouse()
    assert [r["mouse_id"] for r in Mouse & {"sex": "F"}] == [1, 3]


def test_select_is_plain_sqlalchemy(lab: Any, connection: dj.Connection) -> None:
    Mouse = lab.Mouse
    query = (Mouse & {"sex": "F"}).select()
    assert isinstance(query, sa.Select)
    with connection.engine.connect() as conn:
        assert sorted(
            conn.execute(query.with_only_columns(query.selected_columns.mouse_id)).scalars()
        ) == [1, 3]
    text = (Mouse & {"sex": "F"}).sql()
    assert "mouse" in text
    assert "WHERE" in text
    assert "'F'" not in text  # values are bound parameters


def test_table_call_and_methods(lab: Any) -> None:
    Mouse = lab.Mouse
    table = Mouse()
    assert table.table_class is Mouse
    table.insert1({"mouse_id": 5, "sex": "M", "weight": 30.0})
    assert table.primary_key == ["mouse_id"]
    assert len(Mouse()) == 5
    row = Mouse(mouse_id=6, sex="F", weight=1.0)  # keyword arguments: an ORM row
    assert isinstance(row, Mouse)


@pytest.mark.parametrize("bad", [None, 3.5, object()])
def test_unsupported_restrictions(lab: Any, bad: Any) -> None:
    with pytest.raises(dj.QueryError):
        lab.Mouse & bad


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('sex="F"', [1, 3]),
        ("sex='F' and weight > 20", [3]),
        ('dob < "2025-06-01"', [1, 4]),
        ("dob is null", [3]),
        ("not dob is null and weight between 19 and 25", [1, 2]),
        ("mouse_id in (1, 4) or sex = 'M'", [1, 2, 4]),
        ("year(dob) = 2026", [2]),
        ("weight * 2 >= 50", [2, 3]),
        ("sex <> 'F' and sex != 'U'", [2]),
        ("lower(sex) like 'f%'", [1, 3]),
        ("dob < now()", [1, 2, 4]),
    ],
)
def test_mysql_flavoured_strings_work_everywhere(lab: Any, text: str, expected: list[int]) -> None:
    assert ids(lab.Mouse & text) == expected
    assert ids(lab.Mouse - 'sex="F"') == [2, 4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weight >", "Cannot parse"),
        ("colour = 'red'", "`colour` is not an attribute"),
        ("m.sex = 'F'", "without a table prefix"),
        ("mouse_id in (select 1)", "subqueries"),
        ("dob < 'yesterday'", "cannot be read as date"),
        ("sleep(10) = 0", "not supported"),
    ],
)
def test_bad_strings_are_clear_errors(lab: Any, text: str, message: str) -> None:
    with pytest.raises(dj.QueryError, match=message):
        lab.Mouse & text  # the operator raises


# -- projection and join -----------------------------------------------------------------------


def test_projection(lab: Any) -> None:
    Mouse = lab.Mouse
    assert Mouse.proj().heading_names == ["mouse_id"]
    assert Mouse.proj("sex").heading_names == ["mouse_id", "sex"]
    assert Mouse.proj(...).heading_names == ["mouse_id", "sex", "dob", "weight"]
    assert Mouse.proj("-weight", "-dob").heading_names == ["mouse_id", "sex"]
    with pytest.raises(dj.QueryError, match="primary key"):
        Mouse.proj("-mouse_id")
    with pytest.raises(dj.QueryError, match="`colour` is not an attribute"):
        Mouse.proj("colour")
    born = Mouse.proj(born="dob") & {"mouse_id": 1}
    assert born.to_dicts() == [{"mouse_id": 1, "born": dt.date(2025, 1, 1)}]
    renamed = Mouse.proj(animal="mouse_id")
    assert renamed.primary_key == ["animal"]
    assert [r["animal"] for r in renamed.to_dicts(order_by="KEY")] == [1, 2, 3, 4]
    grams = Mouse.proj(grams="weight * 1000") & "grams > 20000"
    assert grams.to_dicts(order_by="KEY") == [
        {"mouse_id": 2, "grams": 25000.0},
        {"mouse_id": 3, "grams": 25000.0},
    ]
    copied = Mouse.proj(w="(weight)") & {"mouse_id": 4}
    assert copied.fetch1("w") == 18.5


def test_join_and_primary_key_rules(lab: Any) -> None:
    Mouse, Session = lab.Mouse, lab.Session
    joined = Mouse * Session
    assert joined.primary_key == ["mouse_id", "session"]
    assert joined.heading_names == ["mouse_id", "sex", "dob", "weight", "session"]
    assert [(r["mouse_id"], r["session"], r["sex"]) for r in joined.to_dicts(order_by="KEY")] == [
        (1, 1, "F"),
        (1, 2, "F"),
        (3, 1, "F"),
    ]
    assert (Session * Mouse).primary_key == ["mouse_id", "session"]
    assert len((Mouse & {"mouse_id": 1}) * Session) == 2
    assert len(Mouse * (Session & "session = 2")) == 1
    left = Session.join(Mouse, left=True)
    assert len(left) == 3
    with pytest.raises(dj.QueryError, match="left join"):
        Mouse.join(Session, left=True)
    # the same table twice: renamed, joined as a subquery
    pairs = Mouse * Mouse.proj(other="mouse_id")
    assert pairs.primary_key == ["mouse_id", "other"]
    assert len(pairs) == 16
    assert len(pairs & "mouse_id < other") == 6


def test_semantic_matching(lab: Any, new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("other")

    @schema
    class Rat(dj.Manual):
        definition = """
        mouse_id : int32   # same name, unrelated to Mouse
        ---
        weight : float64
        """

    Rat.insert1({"mouse_id": 1, "weight": 300.0})
    with pytest.raises(dj.QueryError, match=r"lineages differ.*\.proj\(mouse_id_2='mouse_id'\)"):
        lab.Mouse * Rat
    with pytest.raises(dj.QueryError, match="`weight`"):
        lab.Mouse.proj("weight") * Rat.proj("weight", rat="mouse_id")
    with pytest.raises(dj.QueryError, match="lineages differ"):
        lab.Mouse & Rat
    ok = lab.Mouse.proj() * Rat.proj(rat="mouse_id")
    assert len(ok) == 4


# -- fetch formats -------------------------------------------------------------------------------


def test_arrays_frames_and_classic_fetch(lab: Any) -> None:
    import numpy as np

    Mouse = lab.Mouse
    records = Mouse.to_arrays(order_by="KEY")
    assert records.dtype.names == ("mouse_id", "sex", "dob", "weight")
    assert records["mouse_id"].tolist() == [1, 2, 3, 4]
    assert records["weight"].dtype == np.float64
    assert records["dob"][2] is None
    weights = (Mouse & 'sex="F"').to_arrays("weight", order_by="KEY")
    assert weights.tolist() == [20.0, 25.0]
    keys, sexes = Mouse.to_arrays("KEY", "sex", order_by="KEY")
    assert keys[0] == {"mouse_id": 1}
    assert sexes.tolist() == ["F", "M", "F", "U"]
    empty = (Mouse & False).to_arrays()
    assert len(empty) == 0
    frame = Mouse.to_pandas()
    assert list(frame.index.names) == ["mouse_id"]
    assert frame.loc[4, "weight"] == 18.5
    assert Mouse.fetch("sex", order_by="KEY").tolist() == ["F", "M", "F", "U"]
    assert Mouse.fetch(as_dict=True, order_by="KEY")[0]["mouse_id"] == 1
    assert Mouse.fetch("KEY", as_dict=True, order_by="KEY")[1] == {"mouse_id": 2}
    assert list(Mouse.fetch(format="frame").columns) == ["sex", "dob", "weight"]
    assert [r["mouse_id"] for r in Mouse.head(2)] == [1, 2]
    assert [r["mouse_id"] for r in Mouse.tail(2)] == [3, 4]
    preview = repr(Mouse & 'sex="F"')
    assert "*mouse_id" in preview
    assert "(Total: 2)" in preview
    page = Mouse()._repr_html_()
    assert page.startswith("<style")
    assert "<table>" in page
    assert "<th>*mouse_id</th>" in page
    assert "4 rows" in page


def test_fetch_format_frame_gives_frames_where_no_attribute_is_named(lab: Any) -> None:
    Mouse = lab.Mouse
    with dj.config.override(fetch_format="frame"):
        frame = Mouse.fetch(order_by="KEY")
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.index.names) == ["mouse_id"]
        assert Mouse.fetch("KEY", order_by="KEY")[0] == {"mouse_id": 1}
        assert Mouse.proj().fetch(as_dict=True, order_by="KEY")[0] == {"mouse_id": 1}
        assert list(Mouse.fetch("sex", order_by="KEY")) == ["F", "M", "F", "U"]
    assert not isinstance(Mouse.fetch(), pd.DataFrame)


def test_preview_follows_the_display_settings(lab: Any) -> None:
    Mouse = lab.Mouse
    # header, rule, rows, count (DataJoint's layout)
    assert len(Mouse.proj().preview().splitlines()) == len(Mouse()) + 3
    with dj.config.override(display__limit=2):
        lines = Mouse().preview().splitlines()
        assert lines[0].split() == ["*mouse_id", "sex", "dob", "weight"]
        assert lines[1].startswith("+-------+")
        assert lines[-2:] == ["   ...", " (Total: 4)"]
        assert len(lines) == 2 + 2 + 2
        assert repr(Mouse()).endswith(Mouse().preview())
        assert len((Mouse & dj.Top(None, "mouse_id desc")).preview(limit=1).splitlines()) == 5
    with dj.config.override(display__show_tuple_count=False):
        assert "Total" not in Mouse().preview()
    top = (Mouse & dj.Top(None, "mouse_id desc")).proj().preview(limit=1)
    assert top.splitlines()[2].strip() == "4"  # the Top's order, not the key's
    cut = Mouse.proj(long_text="concat(sex, sex, sex, sex, sex, sex)").preview(width=4)
    assert "F..." in cut


# -- aggregation, dj.U, union ----------------------------------------------------------------------


def test_aggregation_keeps_every_left_row(lab: Any) -> None:
    Mouse, Session = lab.Mouse, lab.Session
    counts = Mouse.aggr(Session, n="count(*)", last="max(session)")
    assert counts.primary_key == ["mouse_id"]
    rows = counts.to_dicts(order_by="KEY")
    assert [(r["mouse_id"], r["n"], r["last"]) for r in rows] == [
        (1, 2, 2),
        (2, 0, None),
        (3, 1, 1),
        (4, 0, None),
    ]
    assert [r["mouse_id"] for r in (counts & "n > 0").to_dicts(order_by="KEY")] == [1, 3]
    matched = Mouse.aggr(Session, "sex", exclude_nonmatching=True, n="count(*)")
    assert matched.heading_names == ["mouse_id", "sex", "n"]
    assert len(matched) == 2
    per_sex = Mouse.aggr(Session & "session = 1", n="count(*)") * Mouse.proj("sex")
    assert sorted((r["sex"], r["n"]) for r in per_sex.to_dicts()) == [
        ("F", 1),
        ("F", 1),
        ("M", 0),
        ("U", 0),
    ]
    with pytest.raises(dj.QueryError, match="primary key of the left operand"):
        Session.aggr(Mouse, n="count(*)")


def test_universal_sets(lab: Any) -> None:
    Mouse, Session = lab.Mouse, lab.Session
    sexes = dj.U("sex") & Mouse
    assert sexes.primary_key == ["sex"]
    assert sorted(r["sex"] for r in sexes.to_dicts()) == ["F", "M", "U"]
    by_sex = dj.U("sex").aggr(Mouse, n="count(*)", heaviest="max(weight)")
    assert {r["sex"]: (r["n"], r["heaviest"]) for r in by_sex.to_dicts()} == {
        "F": (2, 25.0),
        "M": (1, 25.0),
        "U": (1, 18.5),
    }
    total = dj.U().aggr(Session, n="count(*)")
    assert total.fetch1("n") == 3
    with pytest.raises(dj.QueryError, match="cannot be joined"):
        dj.U("sex") * Mouse


def test_union(lab: Any) -> None:
    Mouse = lab.Mouse
    either = (Mouse & {"mouse_id": 1}) + (Mouse & 'sex="M"')
    assert [r["mouse_id"] for r in either.to_dicts(order_by="KEY")] == [1, 2]
    keys = Mouse.proj() & {"mouse_id": 4}
    assert len((Mouse.proj() & {"mouse_id": 1}) + keys) == 2
    with pytest.raises(dj.QueryError, match="same primary key and attributes"):
        Mouse + Mouse.proj()


def test_top(lab: Any) -> None:
    Mouse = lab.Mouse
    heaviest = Mouse & dj.Top(2, "weight DESC")
    assert ids(heaviest) == [2, 3]
    assert ids(Mouse & dj.Top(2, "KEY", offset=1)) == [2, 3]
    assert ids((Mouse & dj.Top(3, "KEY")) & 'sex="F"') == [1, 3]
    assert ids(Mouse & dj.Top()) == [1]


def test_key_restrictions_reuse_one_statement(lab: Any) -> None:
    """``Table & key`` runs a statement made once per table and set of names; the answers
    are those of the general path, including the cases it hands over to it."""
    Mouse, Session = lab.Mouse, lab.Session
    first, second = Mouse & {"mouse_id": 1}, Mouse & {"mouse_id": 2}
    assert first.fetch1("sex") == "F"
    assert second.fetch1("sex") == "M"
    assert first._executable()[0] is second._executable()[0]
    assert first._executable()[1] != second._executable()[1]
    # values of each type, and a value of another type than the attribute's
    assert ids(Mouse & {"dob": dt.date(2025, 1, 1)}) == [1]
    assert ids(Mouse & {"weight": 25.0}) == [2, 3]
    assert ids(Mouse & {"weight": 25}) == [2, 3]
    assert ids(Mouse & {"sex": "F"}) == [1, 3]
    # None means IS NULL (the general path); unknown names are ignored
    assert ids(Mouse & {"dob": None}) == [3]
    assert Mouse & {"no_such_attribute": 1} is Mouse()
    # two keys on one attribute must both hold
    neither = (Mouse & {"mouse_id": 1}) & {"mouse_id": 2}
    assert len(neither) == 0
    assert not neither
    assert neither.to_dicts() == []
    both = (Mouse & {"sex": "F"}) & {"weight": 25.0}
    assert both.fetch1("mouse_id") == 3
    assert len(both) == 1
    assert {"mouse_id": 3} in Mouse & {"sex": "F"}
    assert {"mouse_id": 2} not in Mouse & {"sex": "F"}
    # everything else sees the same restriction as SQL conditions
    assert ids((Mouse & {"sex": "F"}) & "weight > 21") == [3]
    heavy_first = (Mouse & {"sex": "F"}).to_dicts(order_by="weight DESC")
    assert [r["mouse_id"] for r in heavy_first] == [3, 1]
    assert len((Mouse & {"mouse_id": 1}) * Session) == 2
    assert len(Session & (Mouse & {"sex": "F"})) == 3
    assert len((Mouse & {"sex": "F"}).proj()) == 2
    query = (Mouse & {"mouse_id": 4}).select()
    assert isinstance(query, sa.Select)
    assert query.compile().params == {"mouse_id_1": 4}
    (Session & {"mouse_id": 1, "session": 2}).delete_quick()
    assert len(Session & {"mouse_id": 1}) == 1
