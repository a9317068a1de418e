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
from typing import Any

import networkx as nx
import sqlalchemy as sa

from .connection import Connection, supply_dependencies
from .errors import DataJointError

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


def _schema_and_name(node: Any) -> tuple[str, str]:
    """A node's schema and table name: of a ``sqlalchemy.Table``, or of a full table name
    (```lab`.`mouse```, ``"lab"."mouse"`` or ``lab.mouse``) in a graph of names."""
    if isinstance(node, sa.Table):
        return str(node.schema), str(node.name)
    schema, _, name = str(node).rpartition(".")
    return schema.strip('`"'), name.strip('`"')


def master_of(table: Any, graph: nx.MultiDiGraph) -> Any:
    """The master of a part table (``master__part`` in the same schema), if in ``graph``
    (whose nodes are Tables or full table names)."""
    schema, name = _schema_and_name(table)
    for parent in graph.predecessors(table):
        parent_schema, parent_name = _schema_and_name(parent)
        if parent_schema == schema and name.startswith(f"{parent_name}__"):
            return parent
    return None


def topo_sort(graph: nx.DiGraph, nodes: Iterable[Any] | None = None) -> list[Any]:
    """Tables parents first, each master directly followed by its parts (DataJoint's order).

    A master and its parts are ordered as one group: whatever a part depends on comes before
    the master. Where that is impossible (a part depending on a child of its master) the plain
    topological order is kept. The nodes are ``sqlalchemy.Table`` objects or, as in
    DataJoint's ``dependencies.topo_sort``, full table names.

    Example:
        >>> g = nx.DiGraph([("`a`.`a`", "`a`.`m`"), ("`a`.`m`", "`a`.`m__p`"),
        ...                 ("`a`.`z`", "`a`.`m__p`")])
        >>> topo_sort(g)
        ['`a`.`a`', '`a`.`z`', '`a`.`m`', '`a`.`m__p`']
    """
    wanted = set(graph.nodes if nodes is None else nodes)
    sub = graph.subgraph(wanted)
    order = _ordered(sub)
    group = {t: _group_head(t, sub) for t in order}
    groups = nx.DiGraph()
    groups.add_nodes_from(dict.fromkeys(group[t] for t in order))
    groups.add_edges_from((group[u], group[v]) for u, v in sub.edges() if group[u] != group[v])
    if not nx.is_directed_acyclic_graph(groups):
        return order
    rank = {t: i for i, t in enumerate(order)}
    members: dict[Any, list[Any]] = {}
    for table in order:  # parts in their own topological order, after the master
        members.setdefault(group[table], []).append(table)
    heads = nx.lexicographical_topological_sort(groups, key=lambda t: rank[t])
    return [t for head in heads for t in members[head]]


def _group_head(table: Any, graph: nx.DiGraph) -> Any:
    master = master_of(table, graph)
    return table if master is None else master


def _ordered(graph: nx.DiGraph) -> list[Any]:
    """A topological order that is stable (ties by schema and table name)."""
    return list(nx.lexicographical_topological_sort(graph, key=_schema_and_name))


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
    """``schema.table``, both names always quoted for the backend (```lab`.`mouse``` on MySQL,
    ``"lab"."mouse"`` elsewhere), as DataJoint's ``Table.full_table_name`` reports it."""
    quote = connection.engine.dialect.identifier_preparer.quote_identifier
    name = quote(str(table.name))
    return name if table.schema is None else f"{quote(str(table.schema))}.{name}"


def table_object(connection: Connection, table: sa.Table) -> Any:
    """The table as a query (``Mouse()``): its class's, made from the database if it has none.

    Raises:
        DataJointError: the table's schema is not activated on ``connection``.
    """
    for owner in reversed(connection.schemas()):  # the Schema object that declared it
        cls = owner._classes.get(table)
        if cls is not None:
            return cls()
    schema = connection.schema_named(str(table.schema))
    if schema is None:
        raise DataJointError(
            f"Table `{table.schema}`.`{table.name}` is in schema `{table.schema}`, which is not "
            "activated in this process: activate it (dj.Schema or dj.virtual_schema), or ask "
            "for names (as_objects=False)."
        )
    return schema.get_table(str(table.name))


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


# -- DataJoint's ``connection.dependencies`` ---------------------------------------------------


class Dependencies(nx.MultiDiGraph):  # type: ignore[misc]  # networkx is untyped
    """DataJoint's ``connection.dependencies``: the foreign-key graph of the schemas activated
    on a connection, its nodes named by full table names (``Table.full_table_name``).

    Built from the MetaData of the activated schemas (no query runs); :meth:`load` builds it
    again after more schemas or tables were declared. Edges carry ``primary``, ``attr_map``,
    ``aliased`` and ``multi`` (see :func:`foreign_key_info`), one edge per foreign key.

    Example::

        deps = Session.connection.dependencies
        deps.load()
        deps.descendants(Subject.full_table_name)   # Subject first, then its dependents
        deps.parents(Session.full_table_name, primary=True)
    """

    def __init__(self, connection: Connection | None = None, **attributes: Any) -> None:
        # networkx makes new graphs of this class with no argument (copies, subgraphs)
        super().__init__(**attributes)
        self._conn = connection
        self._loaded = False
        self._loaded_schemas: set[str] = set()
        self._tables: frozenset[int] = frozenset()  # what the graph was built from

    def clear(self) -> None:
        """Forget every table (the next query of the graph loads it again)."""
        super().clear()
        self._loaded = False
        self._loaded_schemas = set()

    def load(self, force: bool = True, schema_names: Iterable[str] | None = None) -> None:
        """Build the graph from the activated schemas (or those of ``schema_names``).

        Args:
            force: build it again even if it was built before and no table was declared,
                dropped or activated since.
            schema_names: only these of the activated schemas (and the tables they reference).
        """
        if self._conn is None:
            raise DataJointError(
                "This dependency graph belongs to no connection; use connection.dependencies."
            )
        wanted = None if schema_names is None else set(schema_names)
        schemas = [s for s in self._conn.schemas() if wanted is None or str(s.database) in wanted]
        tables = [t for s in schemas for t in s.tables.values()]
        signature = frozenset(map(id, tables))
        if self._loaded and not force and signature == self._tables:
            return
        graph = build_graph(tables)
        self.clear()
        self._tables = signature
        names = {table: full_name(self._conn, table) for table in graph.nodes}
        for table, name in names.items():
            self.add_node(name, primary_key={c.name for c in table.primary_key})
        for parent, child, key, data in graph.edges(keys=True, data=True):
            self.add_edge(names[parent], names[child], key=key, **_public(data))
        self._loaded_schemas = {str(s.database) for s in schemas}
        self._loaded = True

    def load_all_downstream(self) -> None:
        """Load the graph unless it holds every activated schema already (dj_sqla reads the
        graph from the activated schemas, so there is nothing further to discover)."""
        self._load_unless_complete()

    def load_all_upstream(self) -> None:
        """As :meth:`load_all_downstream` (the graph has every activated schema's parents)."""
        self._load_unless_complete()

    def _load_unless_complete(self) -> None:
        if self._conn is None:
            return
        tables = frozenset(id(t) for s in self._conn.schemas() for t in s.tables.values())
        if not (self._loaded and tables == self._tables):
            self.load(force=True)

    def topo_sort(self) -> list[str]:
        """Every table, parents first, each master directly followed by its parts."""
        return topo_sort(self)

    def parents(
        self, table_name: str, primary: bool | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """``(parent, foreign-key information)`` for each foreign key of ``table_name``;
        ``primary=True`` keeps those within the primary key, ``False`` the others."""
        self.load(force=False)
        if table_name not in self:
            return []
        return [
            (parent, data)
            for parent, _, data in self.in_edges(table_name, data=True)
            if primary is None or data["primary"] == primary
        ]

    def children(
        self, table_name: str, primary: bool | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """``(child, foreign-key information)`` for each foreign key into ``table_name``."""
        self.load(force=False)
        if table_name not in self:
            return []
        return [
            (child, data)
            for _, child, data in self.out_edges(table_name, data=True)
            if primary is None or data["primary"] == primary
        ]

    def descendants(self, full_table_name: str) -> list[str]:
        """The table and every table that depends on it, the table first, parents first."""
        self.load(force=False)
        self._require(full_table_name)
        return [full_table_name, *topo_sort(self, nx.descendants(self, full_table_name))]

    def ancestors(self, full_table_name: str) -> list[str]:
        """The table and every table it depends on, children first, the table first."""
        self.load(force=False)
        self._require(full_table_name)
        found = topo_sort(self, nx.ancestors(self, full_table_name))
        return [full_table_name, *reversed(found)]

    def _require(self, full_table_name: str) -> None:
        if full_table_name not in self:
            raise DataJointError(
                f"Table {full_table_name} is not in the dependency graph: write its full name as "
                "Table.full_table_name gives it, and activate its schema first."
            )


supply_dependencies(Dependencies)
