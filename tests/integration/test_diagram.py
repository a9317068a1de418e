"""dj.Diagram, the table graph methods and `dj-sqla diagram` on every backend.

Every table must be a node and every foreign key an edge, both in the SVG that Graphviz draws
(parsed as XML) and in the Mermaid text; without Graphviz the notebook view falls back to
Mermaid and an SVG request says how to install it.
"""

from __future__ import annotations

import re
import sys
import types
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla import cli, example
from dj_sqla.diagram import GraphvizMissing

SVG = "{http://www.w3.org/2000/svg}"
MERMAID_NODE = re.compile(r'^\s+(\w+)(?:\["|\(\[")(.*?)(?:"\]|"\]\)):::(\w+)$')
MERMAID_EDGE = re.compile(r'^\s+(\w+) (-->|==>|-\.->)(?:\|"([^"]*)"\|)? (\w+)$')


def name(table: sa.Table) -> str:
    return f"{table.schema}.{table.name}"


def expected(schemas: list[dj.Schema]) -> tuple[set[str], Counter[tuple[str, str]]]:
    """Every table of the schemas, and every foreign key as (parent, child)."""
    tables = [t for s in schemas for t in s.tables.values() if not t.name.startswith("~")]
    edges: Counter[tuple[str, str]] = Counter(
        (name(fk.referred_table), name(t)) for t in tables for fk in t.foreign_key_constraints
    )
    return {name(t) for t in tables}, edges


def svg_graph(svg: str) -> tuple[set[str], Counter[tuple[str, str]], dict[str, Any]]:
    """Node ids, edges (parent, child) and the edge elements, from Graphviz's SVG."""
    root = ET.fromstring(svg)
    groups = list(root.iter(f"{SVG}g"))
    nodes = {g.get("id", "") for g in groups if g.get("class") == "node"}
    edges: Counter[tuple[str, str]] = Counter()
    elements = {}
    for g in groups:
        if g.get("class") == "edge":
            parent, _, rest = g.get("id", "").partition("->")
            edges[(parent, rest.rpartition(":")[0])] += 1
            elements[g.get("id", "")] = g
    return nodes, edges, elements


def mermaid_graph(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]]]:
    """Node id → (label, class), and edges (parent id, arrow, label, child id)."""
    nodes, edges = {}, []
    for line in text.splitlines():
        if m := MERMAID_NODE.match(line):
            nodes[m[1]] = (re.sub(r"</?u>", "", m[2]), m[3])
        elif m := MERMAID_EDGE.match(line):
            edges.append((m[1], m[2], m[3] or "", m[4]))
    return nodes, edges


def labels(schemas: list[dj.Schema]) -> dict[str, str]:
    """Full table name → the label the diagram gives its class."""
    found = {}
    for schema in schemas:
        for table, cls in schema._classes.items():
            master = vars(cls).get("master")
            found[name(table)] = f"{master.__name__}.{cls.__name__}" if master else cls.__name__
    return found


@pytest.fixture
def demo(connection: dj.Connection, schema_name: Any, example_store: Path) -> example.Pipeline:
    schema_name("lab"), schema_name("experiment")  # dropped after the test
    return example.build(connection, prefix=f"{schema_name.prefix}_", store_location=example_store)


@pytest.fixture
def colony(new_schema: Callable[..., dj.Schema]) -> types.SimpleNamespace:
    """Two schemas with every tier, renamed foreign keys (two into one parent), a secondary
    and a nullable one, and a part."""
    animals, work = new_schema("animals"), new_schema("work")

    @animals
    class Line(dj.Lookup):
        definition = """
        line : varchar(20)
        """
        contents = [("wt",), ("ko",)]

    @animals
    class Mouse(dj.Manual):
        definition = """
        mouse_id : int32
        ---
        -> Line
        """

    @animals
    class Breeding(dj.Manual):
        definition = """
        -> Mouse.proj(mother='mouse_id')
        -> Mouse.proj(father='mouse_id')
        ---
        -> [nullable] Mouse.proj(witness='mouse_id')
        """

    @work
    class Scan(dj.Imported):
        definition = """
        -> Mouse
        scan : int16
        """

        class Frame(dj.Part):
            definition = """
            -> master
            frame : int32
            """

    @work
    class Summary(dj.Computed):
        definition = """
        -> Scan
        ---
        n_frames : int32
        """

    return types.SimpleNamespace(
        schemas=[animals, work], Line=Line, Mouse=Mouse, Breeding=Breeding, Scan=Scan,
        Summary=Summary,
    )  # fmt: skip


def check_drawn(diagram: dj.Diagram, schemas: list[dj.Schema]) -> None:
    tables, fks = expected(schemas)
    nodes, edges, _ = svg_graph(diagram.make_svg().data)
    assert nodes == tables
    assert edges == fks
    mermaid_nodes, mermaid_edges = mermaid_graph(diagram.make_mermaid())
    by_label = {label: full for full, label in labels(schemas).items()}
    assert sorted(label for label, _ in mermaid_nodes.values()) == sorted(by_label)
    full = {node_id: by_label[label] for node_id, (label, _) in mermaid_nodes.items()}
    assert Counter((full[p], full[c]) for p, _, _, c in mermaid_edges) == fks


def test_the_example_pipeline_is_drawn_whole(demo: example.Pipeline) -> None:
    check_drawn(dj.Diagram(demo.lab) + dj.Diagram(demo.experiment), demo.schemas)
    check_drawn(dj.Diagram(demo.schemas), demo.schemas)
    assert len(dj.Diagram(demo.lab)) == 2
    assert len(dj.Diagram(demo.experiment)) == 6


def test_a_two_schema_pipeline_with_renamed_keys(colony: types.SimpleNamespace) -> None:
    diagram = dj.Diagram(colony.schemas)
    check_drawn(diagram, colony.schemas)
    nodes, edges = mermaid_graph(diagram.make_mermaid())
    classes = dict(nodes.values())
    assert classes == {
        "Line": "lookup",
        "Mouse": "manual",
        "Breeding": "manual",
        "Scan": "imported",
        "Scan.Frame": "part",
        "Summary": "computed",
    }
    by_label = {node_id: label for node_id, (label, _) in nodes.items()}
    drawn = sorted((by_label[p], arrow, text, by_label[c]) for p, arrow, text, c in edges)
    assert drawn == [
        ("Line", "-.->", "", "Mouse"),  # a secondary foreign key: dotted
        ("Mouse", "-->", "", "Scan"),
        ("Mouse", "-->", "father ← mouse_id", "Breeding"),  # renamed: labelled
        ("Mouse", "-->", "mother ← mouse_id", "Breeding"),
        ("Mouse", "-.->", "witness ← mouse_id", "Breeding"),
        ("Scan", "-->", "", "Scan.Frame"),
        ("Scan", "==>", "", "Summary"),  # the whole primary key: one-to-one, thick
    ]
    _, _, elements = svg_graph(diagram.make_svg().data)
    animals = colony.schemas[0].database
    renamed = elements[f"{animals}.mouse->{animals}.breeding:witness"]
    path = next(renamed.iter(f"{SVG}path"))  # (inside the tooltip's link)
    assert path.get("stroke") == dj.diagram.RENAMED_COLOUR
    assert path.get("stroke-dasharray")  # secondary: dashed
    node_shapes = {
        g.get("id"): [child.tag.removeprefix(SVG) for child in g.iter()]
        for g in ET.fromstring(diagram.svg_string()).iter(f"{SVG}g")
        if g.get("class") == "node"
    }
    work = colony.schemas[1].database
    assert "ellipse" in node_shapes[f"{work}._scan"]  # Imported and Computed: ellipses
    assert "ellipse" not in node_shapes[f"{animals}.mouse"]


def test_algebra(demo: example.Pipeline) -> None:
    def shown(d: dj.Diagram) -> list[str]:
        return sorted(t.split(".")[1].strip('"`') for t in d.tables)

    session = dj.Diagram(demo.Session)
    assert shown(session) == ["session"]
    assert shown(session - 1) == ["session", "subject"]
    assert shown(session - 1 + 2) == [
        "__session_stats", "__session_trace", "__subject_summary", "_recording", "session",
        "session__trial", "subject",
    ]  # fmt: skip
    assert shown(session + 1 - 1) == [
        "__session_stats", "__session_trace", "_recording", "session", "session__trial", "subject"
    ]  # fmt: skip
    assert shown(session - 2) == ["#species", "session", "subject"]
    assert shown(session - 9) == shown(session - 2)
    everything = dj.Diagram(demo.lab) + dj.Diagram(demo.experiment)
    assert len(everything - dj.Diagram(demo.lab)) == 6
    assert shown(everything * (session + 1)) == [
        "__session_stats", "__session_trace", "_recording", "session", "session__trial"
    ]  # fmt: skip
    assert shown(session + demo.Subject) == ["session", "subject"]
    assert shown(everything - demo.Subject - demo.Species) == shown(dj.Diagram(demo.experiment))
    assert shown(session.add_parts()) == ["session", "session__trial"]
    assert demo.Session in session
    assert demo.Subject not in session
    assert dj.ERD is dj.Diagram
    assert dj.Di is dj.Diagram
    assert shown(dj.Diagram(demo.Session & {"session": 1})) == ["session"]
    module = types.ModuleType("pipeline_module")
    module.schema = demo.experiment  # type: ignore[attr-defined]
    assert len(dj.Diagram(module)) == 6
    by_name = dj.Diagram(demo.lab.database, connection=demo.lab.connection)
    assert shown(by_name) == ["#species", "subject"]
    table = dj.Diagram(f"{demo.lab.database}.subject", connection=demo.lab.connection)
    assert shown(table) == ["subject"]
    assert "2 tables in 1 schema" in repr(dj.Diagram(demo.lab))


def test_parents_children_and_the_rest(demo: example.Pipeline) -> None:
    lab, exp = demo.lab.database, demo.experiment.database
    Session, Subject = demo.Session, demo.Subject

    def short(names: list[str]) -> list[str]:
        return [n.replace("`", "").replace('"', "") for n in names]

    assert short(Session.parents()) == [f"{lab}.subject"]
    assert Session.parents() == [Subject.full_table_name]
    assert short(Subject.children()) == [f"{exp}.session", f"{exp}.__subject_summary"]
    assert short(Subject.children(primary=False)) == []
    assert short(Subject.parents(primary=False)) == [f"{lab}.#species"]
    assert Subject.parents(primary=True) == []
    objects = Subject.children(as_objects=True)
    assert {o.table_class for o in objects} == {Session, demo.SubjectSummary}
    info = Session.parents(foreign_key_info=True)
    assert info == [
        (
            Subject.full_table_name,
            {"primary": True, "attr_map": {"subject_id": "subject_id"}, "aliased": False,
             "multi": True},
        )
    ]  # fmt: skip
    assert short(Session.descendants()) == [
        f"{exp}.session", f"{exp}.session__trial", f"{exp}.__session_stats",
        f"{exp}.__session_trace", f"{exp}._recording",
    ]  # fmt: skip
    assert short(Session.ancestors()) == [f"{exp}.session", f"{lab}.subject", f"{lab}.#species"]
    assert short(Session.parts()) == [f"{exp}.session__trial"]
    assert [p.table_class for p in Session.parts(as_objects=True)] == [demo.Trial]
    assert Subject.parts() == []
    restricted = Session & {"session": 1}
    assert restricted.parents() == Session.parents()  # a restriction changes no table
    assert next(d.table_class for d in Subject().descendants(as_objects=True)) is Subject


def test_the_notebook_view_with_and_without_graphviz(
    demo: example.Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    diagram = dj.Diagram(demo.schemas)
    bundle = diagram._repr_mimebundle_()
    assert ET.fromstring(bundle["image/svg+xml"]).tag == f"{SVG}svg"

    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program
    bundle = diagram._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert bundle["text/markdown"].startswith("```mermaid\nflowchart")
    with pytest.raises(GraphvizMissing, match=r"`dot` program.*Mermaid works now"):
        diagram.make_svg()
    with pytest.raises(dj.DataJointError, match=r"apt-get install graphviz"):
        diagram.save(tmp_path / "pipeline.png")
    diagram.save(tmp_path / "pipeline.mmd")  # Mermaid needs nothing
    assert (tmp_path / "pipeline.mmd").read_text().startswith("flowchart")

    monkeypatch.setitem(sys.modules, "graphviz", None)  # no Python package
    assert "text/markdown" in diagram._repr_mimebundle_()
    with pytest.raises(GraphvizMissing, match=r"pip install 'dj_sqla\[diagram\]'"):
        diagram.make_dot()


def test_save_chooses_the_format_by_extension(demo: example.Pipeline, tmp_path: Path) -> None:
    diagram = dj.Diagram(demo.schemas)
    for suffix in ("svg", "png", "mmd", "dot"):
        diagram.save(tmp_path / f"pipeline.{suffix}")
    assert ET.parse(tmp_path / "pipeline.svg").getroot().tag == f"{SVG}svg"
    assert (tmp_path / "pipeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "pipeline.dot").read_text().startswith("digraph")
    assert diagram.make_png().getvalue()[:4] == b"\x89PNG"
    with pytest.raises(dj.DataJointError, match=r"\.svg, \.png"):
        diagram.save(tmp_path / "pipeline.gif")
    diagram.save(tmp_path / "as_text", format="mermaid")
    assert (tmp_path / "as_text").read_text().startswith("flowchart")


def test_make_image_and_draw(demo: example.Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")  # an optional dependency of make_image and draw
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from matplotlib import pyplot

    diagram = dj.Diagram(demo.schemas)
    image = diagram.make_image()
    assert image.ndim == 3
    assert image.shape[2] in (3, 4)
    shown = []
    monkeypatch.setattr(pyplot, "show", lambda: shown.append(True))
    diagram.draw()
    pyplot.close("all")
    assert shown == [True]


def test_bad_input_says_what_to_do(
    demo: example.Pipeline, new_schema: Callable[..., dj.Schema]
) -> None:
    empty = dj.Diagram(new_schema("empty"))
    with pytest.raises(dj.DataJointError, match="The diagram is empty"):
        empty.make_mermaid()
    with pytest.raises(dj.DataJointError, match="The diagram is empty"):
        empty.make_svg()
    assert "(empty)" in empty._repr_mimebundle_()["text/plain"]
    with pytest.raises(dj.DataJointError, match="list is empty"):
        dj.Diagram([])
    connection = demo.lab.connection
    with pytest.raises(dj.DataJointError, match=r"no such table.*Activate the schema"):
        dj.Diagram(f"{demo.lab.database}.nope", connection=connection)
    with pytest.raises(dj.DataJointError, match="no such schema"):
        dj.Diagram("no_such_schema", connection=connection)

    class Undeclared(dj.Manual):
        definition = "x : int32"

    with pytest.raises(dj.DataJointError, match="not declared yet"):
        dj.Diagram(Undeclared)
    with pytest.raises(dj.DataJointError, match="Cannot make a diagram of 42"):
        dj.Diagram(42)


def test_the_diagram_command(db_url: str, demo: example.Pipeline, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    lab = str(demo.lab.database)
    assert len(demo.Subject()) == 0
    assert cli.main(["diagram", lab, "--url", db_url]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("flowchart")
    assert {label for label, _ in mermaid_graph(printed)[0].values()} == {"Species", "Subject"}
    out = tmp_path / "lab.svg"
    assert cli.main(["diagram", lab, "--url", db_url, "-o", str(out)]) == 0
    assert svg_graph(out.read_text())[0] == {f"{lab}.#species", f"{lab}.subject"}
    assert cli.main(["diagram", lab, "--url", db_url, "-o", str(tmp_path / "x.gif")]) == 1
    assert "Cannot save a diagram" in capsys.readouterr().err
    dj.conn(db_url).engine.dispose()  # the command's connection: let the schemas be dropped


def test_the_diagram_command_draws_a_module(
    db_url: str,
    demo: example.Pipeline,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = str(demo.lab.database).removesuffix("lab")
    (tmp_path / "my_pipeline_module.py").write_text(
        "import dj_sqla as dj\n"
        "from dj_sqla import example\n"
        f"pipeline = example.build(dj.Connection({db_url!r}), prefix={prefix!r})\n"
        "lab, experiment = pipeline.lab, pipeline.experiment\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "pipeline.mmd"
    assert cli.main(["diagram", "my_pipeline_module", "-o", str(out)]) == 0
    assert "8 tables in 2 schemas" in capsys.readouterr().out
    nodes, edges = mermaid_graph(out.read_text())
    assert len(nodes) == 8
    assert len(edges) == 7
    module = sys.modules.pop("my_pipeline_module")
    module.lab.connection.engine.dispose()
