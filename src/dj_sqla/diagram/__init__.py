"""Diagrams of a pipeline: ``dj.Diagram`` (aliases ``dj.ERD``, ``dj.Di``).

A diagram is a set of tables shown from the dependency graph of every schema activated on a
connection (:mod:`dj_sqla.dependencies`: the foreign keys in the MetaData, no query). It
follows DataJoint's algebra (``+ n`` adds n levels of children, ``- n`` n levels of parents;
``+``, ``-``, ``*`` combine diagrams) and its visual grammar: tiers by colour and shape
(Manual green boxes, Lookup grey boxes, Imported blue and Computed red ellipses, part tables
small), solid lines for foreign keys in the primary key and dashed ones for the others, thick
lines for one-to-one dependencies, renamed foreign keys in amber, and tables that add a
primary-key attribute of their own underlined. It renders as Mermaid text with no system
dependency, and through Graphviz (the ``graphviz`` package of the ``dj_sqla[diagram]`` extra
and the system's ``dot``) as DOT, SVG or PNG. In Jupyter it shows as SVG, or as Mermaid when
Graphviz is missing.

Example:
    >>> import dj_sqla as dj
    >>> from dj_sqla import example
    >>> p = example.build(dj.Connection("sqlite://"), prefix="")
    >>> d = dj.Diagram(p.Session) - 1 + 1
    >>> [name.split(".")[1].strip('"') for name in d.tables][:4]
    ['subject', '__subject_summary', 'session', 'session__trial']
    >>> print(dj.Diagram(p.lab).make_mermaid())  # doctest: +ELLIPSIS
    flowchart LR
    ...
            lab___species["<u>Species</u>"]:::lookup
    ...
        lab___species -.-> lab__subject
"""

from __future__ import annotations

import functools
import io
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import sqlalchemy as sa

from .. import dependencies as deps
from .._mapping import own_attributes
from ..connection import Connection, conn
from ..errors import DataJointError
from ..expression.core import TableExpression
from ..schemas import Schema
from ..table import UserTable
from . import _draw
from ._draw import EDGE_COLOUR, PALETTE, RENAMED_COLOUR

__all__ = [
    "EDGE_COLOUR",
    "ERD",
    "FORMATS",
    "PALETTE",
    "RENAMED_COLOUR",
    "SVG",
    "Di",
    "Diagram",
    "GraphvizMissing",
]

#: file extension → output format of :meth:`Diagram.save`
FORMATS = {".svg": "svg", ".png": "png", ".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot"}

NO_GRAPHVIZ = (
    "Drawing a diagram as {what} needs Graphviz{detail}. Install the Python package with "
    "`pip install 'dj_sqla[diagram]'` and the Graphviz programs (`apt-get install graphviz`, "
    "`brew install graphviz` or `conda install graphviz`). Mermaid works now, without them: "
    "`print(diagram.make_mermaid())` or `diagram.save('pipeline.mmd')`."
)


class GraphvizMissing(DataJointError):
    """Graphviz (the Python package or its ``dot`` program) is not installed."""


class Diagram:
    """The tables of a pipeline and their foreign keys, to show or to save.

    Args:
        source: a ``dj.Schema``, a table class (or table query), a module of a pipeline (its
            schemas, or its table classes), a schema name or ``schema.table`` on
            ``connection``, a list of these, or a Diagram (copied).
        context: accepted for DataJoint's signature; the tables' own classes name the nodes.
        connection: for a name given as ``source`` (default ``dj.conn()``).

    Raises:
        DataJointError: the source is no table or schema, or not declared / activated.

    Example:
        >>> import dj_sqla as dj
        >>> from dj_sqla import example
        >>> p = example.build(dj.Connection("sqlite://"), prefix="")
        >>> len(dj.Diagram([p.lab, p.experiment])), len(dj.Diagram(p.Subject) + 1)
        (8, 3)
    """

    def __init__(
        self,
        source: Any,
        context: Any = None,
        *,
        connection: Connection | None = None,
    ) -> None:
        #: rows a delete would remove, per table (diagrams made by :meth:`cascade`)
        self._counts: dict[sa.Table, int] | None = None
        if isinstance(source, Diagram):
            self._connection: Connection = source._connection
            self._graph: nx.MultiDiGraph = source._graph
            self.nodes_to_show: set[sa.Table] = set(source.nodes_to_show)
            self._counts = source._counts
            return
        if isinstance(source, (list, tuple, set, frozenset)):
            if not source:
                raise DataJointError(
                    "Diagram([]): the list is empty; pass schemas or table classes."
                )
            union = functools.reduce(
                lambda a, b: a + b, (Diagram(s, connection=connection) for s in source)
            )
            self._connection, self._graph = union._connection, union._graph
            self.nodes_to_show = union.nodes_to_show
            return
        self._connection, tables = _resolve(source, connection)
        self._graph = deps.connection_graph(self._connection)
        self._graph.add_nodes_from(tables)
        self.nodes_to_show = set(tables)

    @classmethod
    def from_sequence(cls, sequence: Iterable[Any]) -> Diagram:
        """The union of the diagrams of ``sequence``'s items (DataJoint's name)."""
        return cls(list(sequence))

    @classmethod
    def cascade(cls, table_expr: Any, part_integrity: str = "enforce") -> Diagram:
        """The tables a delete of ``table_expr`` reaches, with :meth:`counts` of the rows it
        would remove (DataJoint 2's preview; ``table_expr.delete(dry_run=True)`` is the same
        as a list). Nothing is deleted.

        Example:
            >>> import dj_sqla as dj
            >>> from dj_sqla import example
            >>> p = example.build(dj.Connection("sqlite://"), prefix="")
            >>> p.Subject.insert1({"subject_id": 1, "species": "mouse"})
            >>> counts = dj.Diagram.cascade(p.Subject & {"subject_id": 1}).counts()
            >>> counts[p.Subject.full_table_name]
            1
        """
        query = table_expr() if isinstance(table_expr, type) else table_expr
        if not isinstance(query, TableExpression):
            raise DataJointError(
                f"Diagram.cascade({table_expr!r}): pass a table or a restricted table."
            )
        preview = query.delete(dry_run=True, part_integrity=part_integrity)
        result = cls(query)
        by_name = {deps.full_name(result._connection, t): t for t in result._graph.nodes}
        result._counts = {by_name[name]: n for name, n in preview}
        result.nodes_to_show = set(result._counts)
        return result

    def counts(self) -> dict[str, int]:
        """Full table name → rows a delete would remove, parents first (a :meth:`cascade`
        diagram only)."""
        if self._counts is None:
            raise DataJointError(
                "This diagram has no restriction to count: make it with "
                "dj.Diagram.cascade(Table & restriction)."
            )
        counts = self._counts
        return {
            deps.full_name(self._connection, t): counts[t] for t in self._order() if t in counts
        }

    # -- the algebra -----------------------------------------------------------------------------

    def __add__(self, arg: Any) -> Diagram:
        """Union with another diagram or table; ``+ n``: add n levels of children."""
        result = Diagram(self)
        if isinstance(arg, int) and not isinstance(arg, bool):
            result._expand(arg, result._graph)
        else:
            other = result._other(arg)
            result._graph = nx.compose(result._graph, other._graph)
            result.nodes_to_show |= other.nodes_to_show
        return result

    def __sub__(self, arg: Any) -> Diagram:
        """Difference with another diagram or table; ``- n``: add n levels of parents."""
        result = Diagram(self)
        if isinstance(arg, int) and not isinstance(arg, bool):
            result._expand(arg, result._graph.reverse(copy=False))
        else:
            result.nodes_to_show -= result._other(arg).nodes_to_show
        return result

    def __mul__(self, arg: Any) -> Diagram:
        """The tables in both diagrams."""
        result = Diagram(self)
        result.nodes_to_show &= result._other(arg).nodes_to_show
        return result

    def _other(self, arg: Any) -> Diagram:
        other = arg if isinstance(arg, Diagram) else Diagram(arg, connection=self._connection)
        if other._connection is not self._connection:
            raise DataJointError(
                "Cannot combine diagrams of two connections: build both from schemas "
                "activated on the same connection."
            )
        return other

    def _expand(self, steps: int, graph: nx.MultiDiGraph) -> None:
        if steps < 0:
            raise DataJointError(f"Diagram + {steps}: the number of levels cannot be negative.")
        for _ in range(steps):
            new = nx.node_boundary(graph, self.nodes_to_show)
            if not new:
                break
            self.nodes_to_show |= new

    def add_parts(self) -> Diagram:
        """This diagram with the part tables of the masters it shows."""
        result = Diagram(self)
        result.nodes_to_show |= {
            part for master in self.nodes_to_show for part in deps.parts(self._graph, master)
        }
        return result

    # -- what it shows ---------------------------------------------------------------------------

    @property
    def tables(self) -> list[str]:
        """Full names of the tables shown, parents first (each master followed by its parts)."""
        return [deps.full_name(self._connection, t) for t in self._order()]

    def _order(self) -> list[sa.Table]:
        return deps.topo_sort(self._graph, self.nodes_to_show)

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.nodes_to_show)

    def __contains__(self, table: object) -> bool:
        return any(t in self.nodes_to_show for t in _tables_of(table))

    def __repr__(self) -> str:
        schemas = list(dict.fromkeys(str(t.schema) for t in self._order()))
        return (
            f"dj.Diagram({len(self)} table{'' if len(self) == 1 else 's'} in "
            f"{len(schemas)} schema{'' if len(schemas) == 1 else 's'}: {', '.join(schemas)})"
        )

    def _require_tables(self) -> None:
        if not self.nodes_to_show:
            raise DataJointError(
                "The diagram is empty: it shows no table (a schema without tables yet, or "
                "every table subtracted). Declare tables first, or build it from other "
                "schemas or tables."
            )

    def _nodes(self) -> list[_draw.Node]:
        classes: dict[sa.Table, type] = {}
        for schema in self._connection.schemas():
            classes.update(schema._classes)
        shown = self._order()
        return [_draw.Node(t, classes.get(t), self._graph) for t in shown]

    def _edges(self) -> list[_draw.Edge]:
        shown = self.nodes_to_show
        return [(u, v, d) for u, v, d in self._graph.edges(data=True) if u in shown and v in shown]

    # -- Mermaid ---------------------------------------------------------------------------------

    def make_mermaid(self) -> str:
        """The diagram as a Mermaid flowchart (rendered by GitHub, GitLab and docs sites).

        No system package is needed. Solid arrows (``-->``, thick ``==>`` for one-to-one)
        are foreign keys in the primary key, dotted ones (``-.->``) the others; renamed
        foreign keys are amber and labelled with the renaming.
        """
        self._require_tables()
        return _draw.mermaid(self._nodes(), self._edges())

    # -- Graphviz --------------------------------------------------------------------------------

    def make_dot(self) -> Any:
        """The diagram as a ``graphviz.Digraph`` (its ``.source`` is the DOT text).

        Raises:
            GraphvizMissing: the ``graphviz`` Python package is not installed.
        """
        self._require_tables()
        return _draw.dot(_graphviz("DOT"), self._nodes(), self._edges())

    def _render(self, fmt: str) -> bytes:
        dot = self.make_dot()
        if fmt == "png":
            dot.graph_attr["dpi"] = "144"  # sharp on high-density screens
        graphviz = _graphviz(fmt.upper())
        try:
            return dot.pipe(format=fmt)  # type: ignore[no-any-return]
        except graphviz.ExecutableNotFound:
            raise GraphvizMissing(
                NO_GRAPHVIZ.format(what=fmt.upper(), detail="'s `dot` program (not found)")
            ) from None

    def svg_string(self) -> str:
        """The diagram as SVG text (needs Graphviz)."""
        return self._render("svg").decode()

    def make_svg(self) -> SVG:
        """The diagram as an SVG image (``.data`` is the text; it shows in Jupyter).

        Raises:
            GraphvizMissing: Graphviz is not installed (the message says how to install it).
        """
        return SVG(self.svg_string())

    def make_png(self) -> io.BytesIO:
        """The diagram as PNG bytes (needs Graphviz)."""
        return io.BytesIO(self._render("png"))

    def make_image(self) -> Any:
        """The diagram as an image array (needs Graphviz and matplotlib)."""
        png = self.make_png()
        try:
            from matplotlib import image  # optional: only make_image and draw use matplotlib
        except ImportError:
            raise DataJointError(
                "make_image() needs matplotlib: pip install matplotlib (or use make_png())."
            ) from None
        return image.imread(png, format="png")

    def draw(self) -> None:
        """Show the diagram in a matplotlib window or notebook cell (needs Graphviz and
        matplotlib); in Jupyter, ending a cell with the diagram shows it without them."""
        picture = self.make_image()
        from matplotlib import pyplot  # optional, as in make_image

        pyplot.imshow(picture)
        pyplot.gca().axis("off")
        pyplot.show()

    def save(self, filename: str | Path, format: str | None = None) -> None:
        """Write the diagram to ``filename``, in the format its extension names (``.svg``,
        ``.png``, ``.mmd``/``.mermaid``, ``.dot``) or ``format``.

        Raises:
            DataJointError: the format is unknown; GraphvizMissing: SVG, PNG or DOT asked for
                without Graphviz.
        """
        path = Path(filename)
        chosen = format.lower() if format else FORMATS.get(path.suffix.lower())
        if chosen not in FORMATS.values():
            raise DataJointError(
                f"Cannot save a diagram as `{path.name}`: use one of the extensions "
                f"{', '.join(FORMATS)} or pass format= one of svg, png, mermaid, dot."
            )
        if chosen == "mermaid":
            path.write_text(self.make_mermaid() + "\n")
        elif chosen == "dot":
            path.write_text(self.make_dot().source)
        elif chosen == "svg":
            path.write_text(self.svg_string())
        else:
            path.write_bytes(self._render("png"))

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Jupyter's view: SVG with Graphviz, else Mermaid in Markdown; never an error for a
        missing Graphviz."""
        if not self.nodes_to_show:
            return {"text/plain": repr(self) + " (empty)"}
        try:
            return {"image/svg+xml": self.svg_string(), "text/plain": repr(self)}
        except GraphvizMissing:
            return {
                "text/markdown": f"```mermaid\n{self.make_mermaid()}\n```",
                "text/plain": repr(self),
            }


#: DataJoint's other names for a diagram.
ERD = Diagram
Di = Diagram


class SVG:
    """An SVG image: ``.data`` is its text; Jupyter shows it (as IPython's ``SVG`` does)."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_svg_(self) -> str:
        return self.data

    def __str__(self) -> str:
        return self.data


def _resolve(source: Any, connection: Connection | None) -> tuple[Connection, list[sa.Table]]:
    """The connection and the tables a diagram of ``source`` starts with."""
    if isinstance(source, Schema):
        if source.database is None:
            raise DataJointError(
                "Diagram(schema): the schema is not activated yet; call schema.activate(name)."
            )
        return source.connection, [t for t in source.tables.values() if not deps.is_job_table(t)]
    if isinstance(source, TableExpression):
        source = source.table_class
    if isinstance(source, type) and issubclass(source, UserTable):
        table = source._declared()
        return source._require_schema().connection, [table]
    if isinstance(source, types.ModuleType):
        return _from_module(source)
    if isinstance(source, str):
        return _from_name(source, connection if connection is not None else conn())
    raise DataJointError(
        f"Cannot make a diagram of {source!r}: pass a schema, a table class, a pipeline "
        "module, a schema name, or a list of these."
    )


def _from_module(module: types.ModuleType) -> tuple[Connection, list[sa.Table]]:
    found = [v for v in vars(module).values() if isinstance(v, Schema) and v.database]
    if found:
        schemas = list({id(s): s for s in found}.values())
        return schemas[0].connection, [
            t for s in schemas for t in s.tables.values() if not deps.is_job_table(t)
        ]
    classes = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, UserTable) and "__table__" in own_attributes(v)
    ]
    if not classes:
        raise DataJointError(
            f"Module `{module.__name__}` has no activated schema and no declared table class "
            "to draw; import the module that declares the pipeline."
        )
    return classes[0]._require_schema().connection, [c._declared() for c in classes]


def _from_name(name: str, connection: Connection) -> tuple[Connection, list[sa.Table]]:
    schema_name, _, table_name = name.replace("`", "").replace('"', "").partition(".")
    schema = connection.schema_named(schema_name)
    if schema is not None and not table_name:
        return connection, [t for t in schema.tables.values() if not deps.is_job_table(t)]
    if schema is not None:
        for table in schema.tables.values():
            if table.name == table_name:
                return connection, [table]
    active = ", ".join(str(s.database) for s in connection.schemas()) or "none"
    raise DataJointError(
        f"Diagram({name!r}): no such {'table' if table_name else 'schema'} among the schemas "
        f"activated on this connection ({active}). Activate the schema first "
        "(dj.Schema or dj.virtual_schema), or pass its table classes."
    )


def _tables_of(item: object) -> list[sa.Table]:
    if isinstance(item, sa.Table):
        return [item]
    if isinstance(item, TableExpression):
        item = item.table_class
    if isinstance(item, type) and "__table__" in own_attributes(item):
        return [own_attributes(item)["__table__"]]
    return []


def _graphviz(what: str) -> Any:
    try:
        import graphviz  # optional: the dj_sqla[diagram] extra, needed only to draw
    except ImportError:
        raise GraphvizMissing(
            NO_GRAPHVIZ.format(what=what, detail=" (the `graphviz` Python package is missing)")
        ) from None
    return graphviz
