"""How a diagram is drawn: DataJoint's visual grammar as Mermaid text and as a Graphviz graph.

Pure functions of the tables to show and their foreign keys; :mod:`dj_sqla.diagram` chooses
the tables and renders the Graphviz graph. The colours are shared by both outputs.
"""

from __future__ import annotations

import re
from typing import Any

import networkx as nx
import sqlalchemy as sa

from .._mapping import own_attributes
from ..config import config
from ..declare.names import tier_and_names

#: Tier → (fill, stroke, text) colours, shared by the Graphviz and the Mermaid output.
PALETTE = {
    "Manual": ("#dff0e0", "#2f7d3b", "#1d4f25"),
    "Lookup": ("#eceff1", "#7b8a93", "#3c474d"),
    "Imported": ("#dcebf8", "#2b7bc0", "#164a78"),
    "Computed": ("#fbe2d9", "#d4572a", "#8a3113"),
    "Part": ("#ffffff", "#a9afb5", "#4c5257"),
}
EDGE_COLOUR = "#3a4650"
RENAMED_COLOUR = "#d8891c"
_SHAPES = {"Manual": "box", "Lookup": "box", "Imported": "ellipse", "Computed": "ellipse"}
_MERMAID_SHAPES = {"Imported": ('(["', '"])'), "Computed": ('(["', '"])')}
#: (parent, child, foreign-key information) as :mod:`dj_sqla.dependencies` describes it
Edge = tuple[sa.Table, sa.Table, dict[str, Any]]


class Node:
    """How one table is drawn."""

    def __init__(self, table: sa.Table, cls: type | None, graph: nx.MultiDiGraph) -> None:
        self.table = table
        self.schema = str(table.schema)
        self.tier, names = tier_and_names(str(table.name))
        self.part = len(names) > 1
        self.style = "Part" if self.part else self.tier
        if cls is not None:
            master = own_attributes(cls).get("master")
            names = [master.__name__, cls.__name__] if isinstance(master, type) else [cls.__name__]
        self.label = ".".join(names)
        # a table that adds a primary-key attribute of its own (DataJoint underlines it)
        inherited = {
            column
            for _, _, info in graph.in_edges(table, data=True)
            if info["primary"]
            for column in info["attr_map"]
        }
        self.new_dimension = bool({c.name for c in table.primary_key} - inherited)

    def dot_attributes(self) -> dict[str, str]:
        fill, stroke, text = PALETTE[self.style]
        label = f"<<u>{html(self.label)}</u>>" if self.new_dimension else self.label
        return {
            "id": full(self.table),
            "label": label,
            "tooltip": tooltip(self.table),
            "shape": "box" if self.part else _SHAPES[self.tier],
            "style": "rounded,filled" if self.style in ("Manual", "Part") else "filled",
            "fillcolor": fill,
            "color": stroke,
            "fontcolor": text,
            "fontsize": "9" if self.part else "11",
            "height": "0.2" if self.part else "0.3",
        }


def mermaid(nodes: list[Node], edges: list[Edge]) -> str:
    """A Mermaid flowchart of ``nodes`` (grouped by schema) and ``edges``."""
    ids = mermaid_ids(nodes)
    lines = [f"flowchart {direction()}"]
    for tier, (fill, stroke, text) in PALETTE.items():
        size = ",font-size:11px" if tier == "Part" else ""
        lines.append(f"    classDef {tier.lower()} fill:{fill},stroke:{stroke},color:{text}{size}")
    for schema, members in by_schema(nodes).items():
        lines.append(f'    subgraph {safe("schema_" + schema)}["{schema}"]')
        for node in members:
            left, right = _MERMAID_SHAPES.get(node.style, ('["', '"]'))
            label = f"<u>{node.label}</u>" if node.new_dimension else node.label
            lines.append(f"        {ids[node.table]}{left}{label}{right}:::{node.style.lower()}")
        lines.append("    end")
    styles = []
    for i, (parent, child, info) in enumerate(edges):
        arrow = "==>" if not info["multi"] else "-->" if info["primary"] else "-.->"
        renamed = renames(info)
        label = f'|"{renamed}"|' if renamed else ""
        lines.append(f"    {ids[parent]} {arrow}{label} {ids[child]}")
        if renamed:
            styles.append(f"    linkStyle {i} stroke:{RENAMED_COLOUR},color:{RENAMED_COLOUR}")
    return "\n".join(lines + styles)


def dot(graphviz: Any, nodes: list[Node], edges: list[Edge]) -> Any:
    """A ``graphviz.Digraph`` of ``nodes`` (a cluster per schema) and ``edges``."""
    drawing = graphviz.Digraph(
        "diagram",
        graph_attr={
            "rankdir": direction(),
            "fontname": "Helvetica",
            "fontsize": "11",
            "nodesep": "0.35",
            "ranksep": "0.45",
            "bgcolor": "white",
        },
        node_attr={"fontname": "Helvetica", "margin": "0.10,0.05", "height": "0.3"},
        edge_attr={"arrowhead": "none", "color": EDGE_COLOUR, "fontname": "Helvetica"},
    )
    for schema, members in by_schema(nodes).items():
        with drawing.subgraph(name=f"cluster_{safe(schema)}") as cluster:
            cluster.attr(
                label=schema,
                labeljust="r",
                style="rounded,dashed",
                color="#8a939b",
                fontcolor="#5b646c",
            )
            for node in members:
                cluster.node(dot_name(node.table), **node.dot_attributes())
    for parent, child, info in edges:
        renamed = renames(info)
        drawing.edge(
            dot_name(parent),
            dot_name(child),
            id=f"{full(parent)}->{full(child)}:{','.join(info['attr_map'])}",
            style="solid" if info["primary"] else "dashed",
            penwidth="0.8" if info["multi"] else "2",
            weight="1" if info["multi"] else "3",
            # renamed: amber, the renaming on hover (labels crowd the short edges)
            tooltip=f"renamed: {renamed}" if renamed else f"{full(parent)} → {full(child)}",
            **({"color": RENAMED_COLOUR} if renamed else {}),
        )
    return drawing


def direction() -> str:
    """The layout direction: ``dj.config["display.diagram_direction"]`` (default LR)."""
    chosen = str(config["display.diagram_direction"]).upper()
    return chosen if chosen in ("TB", "LR", "BT", "RL") else "LR"


def by_schema(nodes: list[Node]) -> dict[str, list[Node]]:
    grouped: dict[str, list[Node]] = {}
    for node in nodes:
        grouped.setdefault(node.schema, []).append(node)
    return grouped


def full(table: sa.Table) -> str:
    return f"{table.schema}.{table.name}"


def dot_name(table: sa.Table) -> str:
    return safe(f"{table.schema}__{table.name}")


def safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def mermaid_ids(nodes: list[Node]) -> dict[sa.Table, str]:
    ids: dict[sa.Table, str] = {}
    taken: set[str] = set()
    for node in nodes:
        base = candidate = dot_name(node.table)
        n = 1
        while candidate in taken:  # "#a" and "_a" both become "_a"
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        ids[node.table] = candidate
    return ids


def renames(info: dict[str, Any]) -> str:
    return ", ".join(f"{c} ← {p}" for c, p in info["attr_map"].items() if c != p)


def html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tooltip(table: sa.Table) -> str:
    key = [c.name for c in table.primary_key]
    rest = [c.name for c in table.columns if c.name not in key and not c.name.startswith("_")]
    return "\n".join([full(table), *key, "---", *rest])
