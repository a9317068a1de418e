"""The foreign-key graph of declared tables: lineage of attributes, and the dependency graph.

The graph (a ``networkx.MultiDiGraph`` of ``sqlalchemy.Table`` objects, read from the foreign
keys in the MetaData of the activated schemas, with no query) answers DataJoint's
``parents()``, ``children()``, ``ancestors()``, ``descendants()`` and ``parts()``, and is what
``dj.Diagram`` draws.

An attribute's *lineage* is the table and attribute it originates from: a primary-key
attribute declared in table ``T`` has lineage ``schema.T.attr``, and an attribute copied from a
parent by a foreign key (renamed or not) inherits the parent's lineage. Other attributes have
none. Two namesake attributes may be matched in a join or restriction only when their lineages
are equal (DataJoint 2's semantic matching); dj_sqla reads lineage straight from the foreign
keys in the MetaData, with no lineage table in the database.

Example:
    >>> import sqlalchemy as sa
    >>> md = sa.MetaData(schema="lab")
    >>> mouse = sa.Table("mouse", md, sa.Column("mouse_id", sa.Integer, primary_key=True))
    >>> cage = sa.Table("cage", md, sa.Column("id", sa.ForeignKey(mouse.c.mouse_id)))
    >>> lineage(cage)
    {'id': 'lab.mouse.mouse_id'}
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx
import sqlalchemy as sa

from .errors import DataJointError

if TYPE_CHECKING:
    from .connection import Connection

_cache: weakref.WeakKeyDictionary[sa.Table, dict[str, str | None]] = weakref.WeakKeyDictionary()


def lineage(table: sa.Table) -> dict[str, str | None]:
    """Attribute name → lineage (``schema.table.attribute``) or None, for one table."""
    found = _cache.get(table)
    if found is None:
        found = {}
        for column in table.columns:
            origin: str | None = None
            for fk in column.foreign_keys:
                parent = fk.column
                origin = (
                    lineage(parent.table)[parent.name]
                    if isinstance(parent.table, sa.Table)
                    else None
                )
                break
            if origin is None and column.primary_key and not column.foreign_keys:
                origin = f"{table.schema}.{table.name}.{column.name}"
            found[column.name] = origin
        _cache[table] = found
    return found


def forget_lineage(table: sa.Table) -> None:
    """Drop the remembered lineage of ``table``, whose attributes changed (``alter()``)."""
    _cache.pop(table, None)


# -- the dependency graph ----------------------------------------------------------------------
#
# Nodes are ``sqlalchemy.Table`` objects; an edge runs from the referenced (parent) table to the
# referencing (child) table, one per foreign key, keyed by the child's foreign-key columns (two
# foreign keys into one parent differ in those). Edge data, as DataJoint reports it:
#   primary   every foreign-key column is in the child's primary key
#   attr_map  child column → parent column
#   aliased   some column is renamed (child and parent names differ)
#   multi     the foreign key is not the child's whole primary key (one-to-many)


def is_job_table(table: sa.Table) -> bool:
    """Whether ``table`` is bookkeeping (job tables ``~~name``), not part of the pipeline."""
    return str(table.name).startswith("~")


def foreign_key_info(child: sa.Table, fk: sa.ForeignKeyConstraint) -> dict[str, Any]:
    """DataJoint's description of one foreign key of ``child`` (see the comment above)."""
    attr_map = {el.parent.name: el.column.name for el in fk.elements}
    key = {c.name for c in child.primary_key}
    return {
        "primary": set(attr_map) <= key,
        "attr_map": attr_map,
        "aliased": any(k != v for k, v in attr_map.items()),
        "multi": set(attr_map) != key,
    }


def build_graph(tables: Iterable[sa.Table]) -> nx.MultiDiGraph:
    """The foreign-key graph of ``tables`` and of the tables they reference.

    Example:
        >>> md = sa.MetaData(schema="lab")
        >>> a = sa.Table("a", md, sa.Column("x", sa.Integer, primary_key=True))
        >>> b = sa.Table("b", md, sa.Column("y", sa.ForeignKey(a.c.x), primary_key=True))
        >>> graph = build_graph([a, b])
        >>> [(u.name, v.name, d["aliased"]) for u, v, d in graph.edges(data=True)]
        [('a', 'b', True)]
    """
    graph = nx.MultiDiGraph()
    for table in tables:
        if is_job_table(table):
            continue
        graph.add_node(table)
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table
            if not isinstance(parent, sa.Table) or parent is table or is_job_table(parent):
                continue
            info = foreign_key_info(table, fk)
            graph.add_edge(parent, table, key=tuple(info["attr_map"]), **info)
    return graph


def connection_graph(connection: Connection) -> nx.MultiDiGraph:
    """The foreign-key graph of every schema activated on ``connection`` (no query runs)."""
    return build_graph(t for schema in connection.schemas() for t in schema.tables.values())


def master_of(table: sa.Table, graph: nx.MultiDiGraph) -> sa.Table | None:
    """The master of a part table (``master__part`` in the same schema), if in ``graph``."""
    for parent in graph.predecessors(table):
        if parent.schema == table.schema and str(table.name).startswith(f"{parent.name}__"):
            return parent  # type: ignore[no-any-return]
    return None


def topo_sort(graph: nx.MultiDiGraph, nodes: Iterable[sa.Table] | None = None) -> list[sa.Table]:
    """Tables parents first, each master directly followed by its parts (DataJoint's order).

    A master and its parts are ordered as one group: whatever a part depends on comes before
    the master. Where that is impossible (a part depending on a child of its master) the plain
    topological order is kept.
    """
    wanted = set(graph.nodes if nodes is None else nodes)
    sub = graph.subgraph(wanted)
    order = _ordered(sub)
    group = {t: _group_head(t, sub) for t in order}
    groups = nx.DiGraph()
    groups.add_nodes_from(dict.fromkeys(group[t] for t in order))
    groups.add_edges_from((group[u], group[v]) for u, v in sub.edges() if group[u] is not group[v])
    if not nx.is_directed_acyclic_graph(groups):
        return order
    rank = {t: i for i, t in enumerate(order)}
    members: dict[sa.Table, list[sa.Table]] = {}
    for table in order:  # parts in their own topological order, after the master
        members.setdefault(group[table], []).append(table)
    heads = nx.lexicographical_topological_sort(groups, key=lambda t: rank[t])
    return [t for head in heads for t in members[head]]


def _group_head(table: sa.Table, graph: nx.MultiDiGraph) -> sa.Table:
    master = master_of(table, graph)
    return table if master is None else master


def _ordered(graph: nx.MultiDiGraph) -> list[sa.Table]:
    """A topological order that is stable (ties by schema and table name)."""
    return list(
        nx.lexicographical_topological_sort(graph, key=lambda t: (str(t.schema), str(t.name)))
    )


def parents(
    graph: nx.MultiDiGraph, table: sa.Table, primary: bool | None = None
) -> list[tuple[sa.Table, dict[str, Any]]]:
    """The tables ``table`` references, one entry per foreign key, with its information;
    ``primary=True`` keeps the foreign keys inside the primary key, ``False`` the others."""
    if table not in graph:
        return []
    return [
        (u, _public(d))
        for u, _, d in graph.in_edges(table, data=True)
        if primary is None or d["primary"] == primary
    ]


def children(
    graph: nx.MultiDiGraph, table: sa.Table, primary: bool | None = None
) -> list[tuple[sa.Table, dict[str, Any]]]:
    """The tables that reference ``table``, one entry per foreign key (see :func:`parents`)."""
    if table not in graph:
        return []
    return [
        (v, _public(d))
        for _, v, d in graph.out_edges(table, data=True)
        if primary is None or d["primary"] == primary
    ]


def descendants(graph: nx.MultiDiGraph, table: sa.Table) -> list[sa.Table]:
    """``table`` and every table depending on it, parents first (DataJoint's order)."""
    if table not in graph:
        return [table]
    # the table is the only source among these, so it comes first
    return topo_sort(graph, {table} | nx.descendants(graph, table))


def ancestors(graph: nx.MultiDiGraph, table: sa.Table) -> list[sa.Table]:
    """``table`` and every table it depends on, children first (DataJoint's order)."""
    if table not in graph:
        return [table]
    # the table is the only sink among these, so it comes first
    return list(reversed(topo_sort(graph, {table} | nx.ancestors(graph, table))))


def parts(graph: nx.MultiDiGraph, table: sa.Table) -> list[sa.Table]:
    """The part tables of ``table``, parents first."""
    if table not in graph:
        return []
    found = [t for t in graph.nodes if t is not table and master_of(t, graph) is table]
    return topo_sort(graph, found)


def _public(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("primary", "attr_map", "aliased", "multi")}


# -- the tables related to one table, as DataJoint's table methods give them -----------------


def full_name(connection: Connection, table: sa.Table) -> str:
    """``schema.table`` quoted for the backend, as ``Table.full_table_name`` reports it."""
    return str(connection.engine.dialect.identifier_preparer.format_table(table))


def table_object(connection: Connection, table: sa.Table) -> Any:
    """The table as a query (``Mouse()``): its class's, made from the database if it has none.

    Raises:
        DataJointError: the table's schema is not activated on ``connection``.
    """
    schema = connection.schema_named(str(table.schema))
    if schema is None:
        raise DataJointError(
            f"Table `{table.schema}`.`{table.name}` is in schema `{table.schema}`, which is not "
            "activated in this process: activate it (dj.Schema or dj.virtual_schema), or ask "
            "for names (as_objects=False)."
        )
    cls = schema._classes.get(table)
    return cls() if cls is not None else schema.get_table(str(table.name))


def related(
    connection: Connection,
    tables: Sequence[sa.Table] | Sequence[tuple[sa.Table, dict[str, Any]]],
    *,
    as_objects: bool,
    foreign_key_info: bool = False,
) -> list[Any]:
    """Names (or objects) of ``tables``, paired with their foreign-key information when
    ``foreign_key_info`` (then ``tables`` holds ``(table, info)`` pairs)."""
    found: list[Any] = []
    for entry in tables:
        table, info = entry if isinstance(entry, tuple) else (entry, None)
        item = table_object(connection, table) if as_objects else full_name(connection, table)
        found.append((item, info) if foreign_key_info else item)
    return found
