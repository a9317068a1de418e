"""DataJoint 0.14's ``dj.AttributeAdapter`` on every backend.

An adapter instance in the schema's context turns ``<name>`` into a column stored as the
adapter's ``attribute_type`` (a blob, a 0.14 store type, a plain type), with ``put`` on insert
and ``get`` on fetch; a later session finds it again through ``add_objects``, and without it
reads the stored value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

import dj_sqla as dj


class GraphAdapter(dj.AttributeAdapter):
    """A graph stored as its edge list in a blob (DataJoint's own example)."""

    attribute_type = "longblob"

    def put(self, obj: Any) -> Any:
        assert isinstance(obj, nx.Graph)
        return list(obj.edges)

    def get(self, value: Any) -> Any:
        return nx.Graph(value)


class LayoutToFilepath(dj.AttributeAdapter):
    """A layout written to a file of the ``files`` store's stage, stored as ``filepath@``."""

    attribute_type = "filepath@files"

    def __init__(self, stage: Path) -> None:
        self.stage = stage

    def put(self, obj: Any) -> Any:
        path = self.stage / "layout.json"
        path.write_text(json.dumps(obj))
        return path

    def get(self, value: Any) -> Any:
        return json.loads(Path(value).read_text())


class Tag(dj.AttributeAdapter):
    """A tag object stored as text: restrictions by the object compare the stored text."""

    attribute_type = "varchar(32)"

    def put(self, obj: Any) -> Any:
        return f"tag:{obj}"

    def get(self, value: Any) -> Any:
        return value.removeprefix("tag:")


class BlobInStore(dj.AttributeAdapter):
    """An array kept in an object store through 0.14's ``blob@store``."""

    attribute_type = "blob@main"

    def put(self, obj: Any) -> Any:
        return np.asarray(obj) * 2

    def get(self, value: Any) -> Any:
        return value / 2


#: An adapter of the module that declares the tables: found without any context argument.
module_graph = GraphAdapter()

GRAPHS = [nx.lollipop_graph(4, 2), nx.star_graph(5), nx.barbell_graph(3, 1), nx.cycle_graph(5)]


def _same_graph(a: Any, b: Any) -> bool:
    return isinstance(b, nx.Graph) and len(nx.symmetric_difference(a, b).edges) == 0


@pytest.fixture
def graphs(new_schema: Any) -> dict[str, Any]:
    graph = GraphAdapter()
    schema = new_schema("adapted", context={"graph": graph, "tag": Tag()})

    @schema
    class Connectivity(dj.Manual):
        definition = """
        connid : int
        ---
        conn_graph = null : <graph>
        label = null : <tag>
        """

    return {"schema": schema, "Connectivity": Connectivity, "graph": graph}


def test_adapted_blob_round_trip(graphs: dict[str, Any]) -> None:
    conn = graphs["Connectivity"]
    conn.insert((i, g, None) for i, g in enumerate(GRAPHS))
    conn.insert1({"connid": 100})  # NULL: neither put nor get is called
    fetched = conn.fetch("conn_graph", order_by="connid")
    assert all(_same_graph(a, b) for a, b in zip(GRAPHS, fetched, strict=False))
    assert fetched[-1] is None
    assert "conn_graph = null : <graph>" in conn.describe()
    attribute = conn.heading.attributes["conn_graph"]
    assert attribute.adapter is graphs["graph"]
    assert attribute.type == "<graph>"


def test_adapted_plain_type_restricts_by_object(graphs: dict[str, Any]) -> None:
    conn = graphs["Connectivity"]
    conn.insert([(1, GRAPHS[0], "a"), (2, GRAPHS[1], "b")])
    assert (conn & {"label": "b"}).fetch1("connid") == 2  # compared as put("b")
    assert (conn & "label = 'tag:a'").fetch1("label") == "a"


def test_later_session_with_and_without_the_adapter(graphs: dict[str, Any]) -> None:
    conn, schema = graphs["Connectivity"], graphs["schema"]
    conn.insert1((1, GRAPHS[2], "x"))
    known = dj.VirtualModule(
        "known",
        schema.database,
        connection=schema.connection,
        add_objects={"graph": GraphAdapter()},
    )
    assert _same_graph(GRAPHS[2], known.Connectivity.fetch1("conn_graph"))
    known.Connectivity.insert1({"connid": 2, "conn_graph": GRAPHS[3]})
    assert _same_graph(GRAPHS[3], (conn & {"connid": 2}).fetch1("conn_graph"))
    # without the adapter, the stored value: the blob's bytes; the text attribute as stored
    unknown = dj.virtual_schema(schema.database, connection=schema.connection)
    raw, label = (unknown.Connectivity & {"connid": 1}).fetch1("conn_graph", "label")
    assert isinstance(raw, bytes)
    assert label == "tag:x"
    assert sorted(map(tuple, dj.codecs.unpack(raw))) == sorted(GRAPHS[2].edges)


@pytest.mark.usefixtures("stores")
def test_adapted_filepath_and_store_blob(new_schema: Any, tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    stage.mkdir()
    settings = dict(dj.config["stores"])
    settings["files"] = {**settings["files"], "stage": str(stage)}
    dj.config["stores"] = settings
    context = {"layout_to_filepath": LayoutToFilepath(stage), "doubled": BlobInStore()}
    schema = new_schema("adapted_store", context=context)

    @schema
    class Layout(dj.Manual):
        definition = """
        lid : int
        ---
        layout : <layout_to_filepath>
        data = null : <doubled>
        """

    layout = {
        str(k): [round(float(r), 4) for r in v] for k, v in nx.circular_layout(GRAPHS[0]).items()
    }
    Layout.insert1((0, layout, np.arange(3.0)))
    row = Layout.fetch1()
    assert row["layout"] == layout
    np.testing.assert_array_equal(row["data"], np.arange(3.0))
    assert Layout.heading.attributes["layout"].store == "files"
    external = schema.external["main"]
    assert len(external) == 1  # the blob went to the store, tracked as 0.14 tracks it
    Layout.delete(prompt=False)
    assert len(Layout()) == 0
    assert len(external) == 0  # the deleted row's blob is released, as a plain blob@ is


def test_invalid_attribute_type_is_refused(new_schema: Any) -> None:
    class Broken(dj.AttributeAdapter):
        attribute_type = "lnogblob"

    class Unset(dj.AttributeAdapter):
        pass

    schema = new_schema("bad", context={"broken": Broken(), "unset": Unset(), "cls": Tag})
    for name, words in [
        ("broken", "`lnogblob`, which is not a valid type"),
        ("unset", "does not set attribute_type"),
        ("cls", "put an instance of it there"),
        ("nothing", "no codec `nothing` is registered"),
    ]:
        table = type(
            "T" + name.title(), (dj.Manual,), {"definition": f"k : int\n---\nv : <{name}>"}
        )
        with pytest.raises(dj.DataJointError) as err:
            schema(table)
        assert words in str(err.value)
        assert "attribute `v`" in str(err.value)
    assert schema.list_tables() == []  # nothing declared


def test_failing_put_stores_nothing(graphs: dict[str, Any]) -> None:
    conn = graphs["Connectivity"]
    with pytest.raises(dj.DataJointError) as err:
        conn.insert([(1, GRAPHS[0], "a"), (2, "not a graph", "b")])
    text = str(err.value)
    assert "conn_graph" in text
    assert "GraphAdapter.put()" in text
    assert "AssertionError" in text
    assert len(conn()) == 0


def test_unknown_codec_column_reads_its_stored_value(new_schema: Any) -> None:
    class Shout(dj.Codec):
        name = "test_shout"

        def get_dtype(self, is_store: bool) -> str:
            return "varchar(16)"

        def encode(self, value: Any, **kwargs: Any) -> Any:
            return value.upper()

        def decode(self, stored: Any, **kwargs: Any) -> Any:
            return stored.lower()

    schema = new_schema("unknown_codec")

    @schema
    class Word(dj.Manual):
        definition = """
        wid : int
        ---
        word : <test_shout>
        """

    try:
        Word.insert1((1, "hi"))
    finally:
        dj.codecs.unregister_codec("test_shout")
    later = dj.virtual_schema(schema.database, connection=schema.connection)
    assert later.Word.fetch1("word") == "HI"
    assert later.Word.heading.attributes["word"].codec is None


def test_adapter_of_the_declaring_module_and_parts(new_schema: Any) -> None:
    schema = new_schema("module_adapter")

    @schema
    class Net(dj.Manual):
        definition = """
        nid : int
        ---
        net : <module_graph>
        """

        class Piece(dj.Part):
            definition = """
            -> master
            ---
            piece : <module_graph>
            """

    Net.insert1((1, GRAPHS[0]))
    Net.Piece.insert1((1, GRAPHS[1]))
    assert _same_graph(GRAPHS[0], Net.fetch1("net"))
    assert _same_graph(GRAPHS[1], Net.Piece.fetch1("piece"))
