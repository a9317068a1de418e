"""What a schema tells about itself: ``schema.size_on_disk`` (bytes its tables take) and
``schema.code`` / ``schema.save()`` (DataJoint 0.14's source of a Python module declaring the
schema's tables, written from the database). A part of :class:`dj_sqla.Schema`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .declare.describe import reflect, render
from .declare.names import tier_and_names

if TYPE_CHECKING:
    from .connection import Connection
    from .connection import Schema as SchemaInterface


class SchemaInfo:
    """The size and source-code methods of :class:`dj_sqla.Schema`."""

    database: str | None

    def _require_active(self) -> Connection:
        raise NotImplementedError  # dj_sqla.Schema provides it

    def _table_names(self) -> list[str]:
        raise NotImplementedError  # dj_sqla.Schema provides it (list_tables)

    @property
    def size_on_disk(self) -> int:
        """Bytes the schema's tables take in the database, indexes included (DataJoint's
        ``schema.size_on_disk``; the server's own estimate on MySQL).

        Example::

            schema.size_on_disk   # 81920
        """
        connection = self._require_active()
        with connection.read() as conn:
            return connection.backend.size_on_disk(conn, str(self.database), None)

    @property
    def code(self) -> str:
        """Python source of a module that declares this schema's tables as they are in the
        database (DataJoint 0.14's ``schema.code``): one class per table, parents first, parts
        nested in their masters. References to tables of other schemas name their classes,
        which the module must import.

        Example::

            print(schema.code)   # import dj_sqla as dj ... class Mouse(dj.Manual): ...
        """
        names = self._table_names()
        schema: SchemaInterface = self  # type: ignore[assignment]  # dj_sqla.Schema is one
        reflected = reflect(schema, names) if names else {}
        lines = [
            '"""This module was generated from the database by dj_sqla (schema.code)."""',
            "",
            "import dj_sqla as dj",
            "",
            f"schema = dj.Schema({str(self.database)!r})",
        ]
        for name in _parents_first(names, reflected, str(self.database)):
            tier, path = tier_and_names(name)
            definition = render(schema, name, reflected[name]).rstrip("\n")
            body = "\n".join(f"        {line}" if line else "" for line in definition.split("\n"))
            if len(path) == 1:
                lines += ["", "", "@schema", f"class {path[0]}(dj.{tier}):"]
                lines += ['    definition = """', body, '    """']
            else:  # a part, nested in its master (which comes before it)
                lines += ["", f"    class {path[-1]}(dj.Part):"]
                lines += ['        definition = """', "    " + body.replace("\n", "\n    ")]
                lines += ['        """']
        return "\n".join(lines) + "\n"

    def save(self, python_filename: str | os.PathLike[str] | None = None) -> str:
        """:attr:`code`, also written to ``python_filename`` if given (DataJoint 0.14).

        Returns:
            The source.
        """
        source = self.code
        if python_filename is not None:
            Path(python_filename).write_text(source, encoding="utf-8")
        return source


def _master_of(name: str) -> str:
    """The table a part table belongs to (the table itself if it is not a part)."""
    prefix = name[: len(name) - len(name.lstrip("_#~"))]
    return prefix + name[len(prefix) :].split("__")[0]


def _parents_first(names: list[str], reflected: dict[str, Any], database: str) -> list[str]:
    """``names`` ordered so that each master comes with its parts right after it, and after
    every table of this schema that it or its parts reference."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(_master_of(name), []).append(name)
    ordered: list[str] = []
    placed: set[str] = set()

    def place(master: str, chain: frozenset[str]) -> None:
        if master in placed or master in chain:
            return
        for member in groups[master]:
            for fk in reflected[member].notes.foreign_keys:
                parent = _master_of(fk.referred_table)
                if fk.referred_schema == database and parent in groups and parent != master:
                    place(parent, chain | {master})
        placed.add(master)
        members = groups[master]
        ordered.extend(sorted(members, key=lambda n: (n != master, members.index(n))))

    for master in groups:
        place(master, frozenset())
    return ordered
