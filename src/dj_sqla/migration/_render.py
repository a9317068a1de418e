"""Alembic's ``render_item`` hook: dj_sqla columns and types from their declared type, CHECKs
with the backends they apply to, foreign keys into the default schema, complete imports."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.sql import elements
from sqlalchemy.sql.naming import conv

from ..declare.build import parse_marker
from ..errors import DataJointError
from ._columns import column_type

_COLUMN_IMPORT = "from dj_sqla.migration import column as dj_column"
_TYPE_IMPORT = "from dj_sqla.migration import column_type as dj_type"
_DEFAULT_IMPORT = "from dj_sqla.migration import in_default_schema as dj_in_default_schema"


class Renderer:
    """Alembic's ``render_item`` hook: dj_sqla columns, types and CHECKs, and imports."""

    def __init__(self, metadatas: list[sa.MetaData]) -> None:
        self._metadatas = metadatas
        self._declared: dict[int, str] = {}
        self._check_dialects: dict[str, tuple[str, ...]] = {}

    def __call__(self, type_: str, obj: Any, context: AutogenContext) -> str | bool:
        if type_ == "column":
            return self._column(obj, context)
        if type_ == "type":
            return self._type(obj, context)
        if type_ == "check":
            return self._check(obj, context)
        if type_ == "foreign_key":
            return _foreign_key(obj, context)
        return False

    def _column(self, col: sa.Column[Any], context: AutogenContext) -> str | bool:
        marker = parse_marker(col.comment)
        default = _default(col.server_default, _sa_prefix(context))
        if marker is None or default is False:
            self._imports(col.type, context)
            return False
        declared, comment = marker
        try:
            column_type(declared)
        except DataJointError:  # not a type dj_sqla knows: Alembic renders the column
            self._imports(col.type, context)
            return False
        context.imports.add(_COLUMN_IMPORT)
        args = [repr(col.name), repr(declared)] + ([repr(comment)] if comment else [])
        if col.nullable:
            args.append("nullable=True")
        if default is not None:
            args.append(f"server_default={default}")
        return f"dj_column({', '.join(args)})"

    def _type(self, type_: sa.types.TypeEngine[Any], context: AutogenContext) -> str | bool:
        declared = self._declared_types().get(id(type_))
        if declared is None:
            self._imports(type_, context)
            return False
        context.imports.add(_TYPE_IMPORT)
        return f"dj_type({declared!r})"

    def _declared_types(self) -> dict[int, str]:
        """Declared type names by the identity of the target columns' types (an altered
        column's new type is the target column's type object)."""
        count = sum(len(md.tables) for md in self._metadatas)
        if len(self._declared) < count:  # tables may be added after options() was called
            for md in self._metadatas:
                for table in md.tables.values():
                    for col in table.columns:
                        marker = parse_marker(col.comment)
                        if marker is not None:
                            self._declared[id(col.type)] = marker[0]
        return self._declared

    def _check(self, constraint: sa.CheckConstraint, context: AutogenContext) -> str | bool:
        """A CHECK that a declaration renders only on some backends (``ddl_if``) keeps that
        condition in the script: its text quotes names with ``"``, which MySQL and MariaDB
        read as a string, and their column types enforce the rule themselves."""
        name = constraint.name if isinstance(constraint.name, str) else None
        dialects = self._conditional_checks(name).get(name) if name else None
        if not dialects or not isinstance(constraint.sqltext, sa.TextClause):
            return False
        text = constraint.sqltext.text
        return (
            f"{_sa_prefix(context)}CheckConstraint({text!r}, name=op.f({str(name)!r}))"
            f".ddl_if(dialect={dialects!r})"
        )

    def _conditional_checks(self, name: str) -> dict[str, tuple[str, ...]]:
        """The dialects of each target CHECK rendered with ``ddl_if``, by constraint name
        (Alembic renders a copy of the table, and a copy loses the condition)."""
        if name not in self._check_dialects:  # tables may be added after options() was called
            for md in self._metadatas:
                for table in md.tables.values():
                    for constraint in table.constraints:
                        dialects = getattr(getattr(constraint, "_ddl_if", None), "dialect", None)
                        if isinstance(constraint.name, str) and dialects:
                            self._check_dialects[str(constraint.name)] = (
                                tuple(dialects)
                                if isinstance(dialects, list | tuple)
                                else (str(dialects),)
                            )
        return self._check_dialects

    @staticmethod
    def _imports(type_: sa.types.TypeEngine[Any], context: AutogenContext) -> None:
        """Import the modules that Alembic's rendering of ``type_`` names without importing
        them: an application's own type classes (rendered as ``module.Class()``), and
        ``Text`` inside a PostgreSQL ``JSONB`` variant rendered for another dialect."""
        variants = getattr(type_, "_variant_mapping", {})
        for each in (type_, *variants.values()):
            module = type(each).__module__
            if not module.startswith("sqlalchemy."):
                context.imports.add(f"import {module.split('.<')[0]}")
            if "astext_type=Text()" in repr(each):
                context.imports.add("from sqlalchemy import Text")


def _foreign_key(constraint: sa.ForeignKeyConstraint, context: AutogenContext) -> str | bool:
    """A foreign key from a table in a named schema into the default schema (a dj table
    referencing an application's table). Alembic would render its target as a table of the
    local schema (``lab.owner.id``): a two-part target reads as the MetaData's own schema.
    The target is qualified when the script runs (:func:`in_default_schema`): MySQL reads
    an unqualified target as a table of the referencing table's database."""
    targets = [element._get_colspec() for element in constraint.elements]
    if constraint.table.schema is None or all(t.count(".") >= 2 for t in targets):
        return False
    context.imports.add(_DEFAULT_IMPORT)
    args = [
        f"[{', '.join(repr(e.parent.name) for e in constraint.elements)}]",
        f"[{', '.join(f'dj_in_default_schema({t!r})' for t in targets)}]",
    ]
    if isinstance(constraint.name, conv):
        args.append(f"name=op.f({str(constraint.name)!r})")
    elif constraint.name:
        args.append(f"name={constraint.name!r}")
    for option in ("onupdate", "ondelete", "initially", "deferrable", "match"):
        value = getattr(constraint, option)
        if value:
            args.append(f"{option}={value!r}")
    return f"{_sa_prefix(context)}ForeignKeyConstraint({', '.join(args)})"


def _sa_prefix(context: AutogenContext) -> str:
    return str(context.opts.get("sqlalchemy_module_prefix") or "")


def _default(default: Any, sa_prefix: str) -> str | bool | None:
    """A server default rendered the same for every backend; False when it is not one of
    the kinds dj_sqla declares (Alembic then renders the column itself)."""
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if not isinstance(default, sa.DefaultClause) or arg is None:
        return False
    if isinstance(arg, str):
        return repr(arg)
    if isinstance(arg, elements.True_ | elements.False_):
        return f"{sa_prefix}{'true' if isinstance(arg, elements.True_) else 'false'}()"
    if isinstance(arg, sa.TextClause):
        return f"{sa_prefix}text({arg.text!r})"
    if isinstance(arg, sa.ColumnClause) and arg.is_literal:
        return f"{sa_prefix}literal_column({arg.name!r})"
    return False
