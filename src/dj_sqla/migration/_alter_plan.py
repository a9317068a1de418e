"""What ``Table.alter()`` would change: a table in the database against its class's definition.

As DataJoint does, the table is read back from the database (``describe()``'s reflection) and
compared, attribute by attribute, with the Table the current ``definition`` builds: the
declared types (kept in the column comments on every backend), nullability, defaults,
comments, the key, the foreign keys, the indexes and the table comment. Alembic's own
comparison cannot serve here: it sees no comments on SQLite (where dj_sqla keeps the declared
types), no primary keys and no renames.

The comparison refuses what ``alter()`` must not do (a :class:`Refusal`: the key, the foreign
keys) and otherwise gives an :class:`AlterPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..declare.build import parse_marker
from ..declare.describe import Reflected
from ..declare.parser import Attribute, Definition
from ..errors import MigrationError


class Refusal(MigrationError):
    """A change ``alter()`` does not make; ``kind`` is ``"primary key"`` or ``"foreign key"``."""

    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(problem)
        self.kind = kind
        self.problem = problem


@dataclass
class AlterPlan:
    """The changes of one table, by attribute name (see the module docstring).

    ``changes`` says each in words, in the order they are made; ``losses`` the ones that drop
    stored values.
    """

    changes: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    #: old names of dropped attributes
    dropped: list[str] = field(default_factory=list)
    #: old name -> new name
    renamed: dict[str, str] = field(default_factory=dict)
    #: new name -> old name, for every kept attribute whose declaration changed
    modified: dict[str, str] = field(default_factory=dict)
    #: new names of the modified attributes whose declared type changed
    retyped: set[str] = field(default_factory=set)
    #: new names of the modified attributes that were nullable and are not now
    required: set[str] = field(default_factory=set)
    #: new names of added attributes
    added: list[str] = field(default_factory=list)
    #: reflected indexes to drop: (name, columns, unique)
    drop_indexes: list[tuple[str, tuple[str, ...], bool]] = field(default_factory=list)
    #: indexes of the new Table to create
    add_indexes: list[sa.Index] = field(default_factory=list)
    #: (old, new) table comment, when it changes
    comment: tuple[str, str] | None = None

    def __bool__(self) -> bool:
        return bool(self.changes)


def declared(column: sa.Column[Any]) -> tuple[str, str]:
    """A column's declared type and comment, from its ``:type:comment`` marker."""
    return parse_marker(column.comment) or ("", str(column.comment or ""))


def default_text(column: sa.Column[Any]) -> str | None:
    """A column's server default as comparable text: ``'3'`` (as MySQL reports a number) and
    ``3`` are the same default, as are ``0`` and ``false`` for a bool."""
    arg = getattr(column.server_default, "arg", None)
    if arg is None:
        return None
    if isinstance(arg, str):
        return arg
    if isinstance(arg, sa.sql.elements.True_ | sa.sql.elements.False_):
        return str(isinstance(arg, sa.sql.elements.True_))
    return str(getattr(arg, "text", getattr(arg, "name", arg))).upper()


def _state(column: sa.Column[Any]) -> tuple[str, bool, str | None, str]:
    type_name, comment = declared(column)
    return type_name, bool(column.nullable), default_text(column), comment


def _index_line(columns: tuple[str, ...], unique: bool) -> str:
    return ("unique " if unique else "") + f"index({', '.join(columns)})"


def compare(
    name: str,
    reflected: Reflected,
    old: sa.Table,
    old_definition: Definition,
    new: sa.Table,
    new_definition: Definition,
) -> AlterPlan:
    """Compare table ``name`` (quoted, for messages) as stored (``reflected``; ``old``: its
    declared attributes built from ``old_definition``, which ``describe()`` read back) with
    ``new``, the Table of ``new_definition``.

    Raises:
        Refusal: the key or a foreign key would change.
        MigrationError: a ``{old_name}`` rename names no attribute of the table.
    """
    _compare_key(name, reflected, old, new)
    _compare_foreign_keys(name, reflected, new)
    plan = AlterPlan()
    old_attrs = {a.name: a for a in old_definition.attributes if not a.in_key}
    new_attrs = {a.name: a for a in new_definition.attributes if not a.in_key}
    sources = _renames(name, old_attrs, new_attrs)
    for attr in new_definition.attributes:
        if attr.in_key:
            _compare_key_comment(plan, old.c[attr.name], new.c[attr.name])
            continue
        source = sources.get(attr.name, attr.name)
        if source not in old_attrs:
            plan.added.append(attr.name)
            plan.changes.append(f"adds attribute `{attr.name}` ({_spelled(new.c[attr.name])})")
            continue
        if source != attr.name:
            plan.renamed[source] = attr.name
            plan.changes.append(f"renames `{source}` to `{attr.name}`, keeping its values")
        _compare_attribute(plan, old.c[source], new.c[attr.name])
    kept = set(sources.values()) | set(new_attrs)
    for attr_name in old_attrs:
        if attr_name not in kept:
            plan.dropped.append(attr_name)
            loss = f"drops attribute `{attr_name}` and its values"
            plan.changes.append(loss)
            plan.losses.append(loss)
    _compare_indexes(plan, reflected, new)
    old_comment, new_comment = reflected.notes.table_comment, new.comment or ""
    if old_comment != new_comment:
        plan.comment = (old_comment, new_comment)
        plan.changes.append(f"changes the table comment to {new_comment!r}")
    return plan


def _renames(name: str, old: dict[str, Attribute], new: dict[str, Attribute]) -> dict[str, str]:
    """New name -> old name of the attributes whose comment opens with ``{old_name}``."""
    sources: dict[str, str] = {}
    for attr in new.values():
        source = attr.renamed_from
        if source is None or attr.name in old:
            continue  # no rename, or done already (the `{old}` left in the definition)
        if source not in old:
            raise MigrationError(
                f"Table {name}, line {attr.line}: `{attr.text}` renames attribute "
                f"`{source}`, which is not a secondary attribute of the table; correct the "
                "name in `{...}` or remove it."
            )
        if source in new:
            raise MigrationError(
                f"Table {name}, line {attr.line}: `{attr.text}` renames `{source}`, which "
                "the definition still declares; remove its line, or the `{...}`."
            )
        if source in sources.values():
            raise MigrationError(
                f"Table {name}: attribute `{source}` is renamed twice; rename it once."
            )
        sources[attr.name] = source
    return sources


def _spelled(column: sa.Column[Any]) -> str:
    type_name = declared(column)[0]
    default = "null" if column.nullable else default_text(column)
    return type_name + ("" if default is None else f", default {default}")


def _compare_attribute(plan: AlterPlan, old: sa.Column[Any], new: sa.Column[Any]) -> None:
    old_type, old_null, old_default, old_comment = _state(old)
    new_type, new_null, new_default, new_comment = _state(new)
    said: list[str] = []
    if old_type != new_type:
        plan.retyped.add(new.name)
        said.append(f"changes the type of `{new.name}` from {old_type} to {new_type}")
    if old_null != new_null:
        if not new_null:
            plan.required.add(new.name)
        said.append(f"makes `{new.name}` " + ("nullable" if new_null else "required (not null)"))
    if old_default != new_default and not (new_null and new_default is None):
        said.append(
            f"sets the default of `{new.name}` to {new_default}"
            if new_default is not None
            else f"removes the default of `{new.name}`"
        )
    if old_comment != new_comment:
        said.append(f"changes the comment of `{new.name}` to {new_comment!r}")
    if said or old.name != new.name:
        plan.modified[new.name] = old.name
    plan.changes.extend(said)


def _compare_key_comment(plan: AlterPlan, old: sa.Column[Any], new: sa.Column[Any]) -> None:
    """A key attribute may change its comment only (the rest is refused by _compare_key)."""
    if declared(old)[1] != declared(new)[1]:
        plan.modified[new.name] = old.name
        plan.changes.append(f"changes the comment of `{new.name}` to {declared(new)[1]!r}")


def _compare_key(name: str, reflected: Reflected, old: sa.Table, new: sa.Table) -> None:
    new_key = [c.name for c in new.primary_key]
    if reflected.key != new_key:
        raise Refusal(
            "primary key",
            f"Table {name}: alter() cannot change the primary key ({', '.join(reflected.key)}"
            f" to {', '.join(new_key)}).",
        )
    for column in new.primary_key:
        if column.name not in old.c:
            continue  # a foreign key's attribute: compared with the foreign keys
        before, after = old.c[column.name], new.c[column.name]
        if declared(before)[0] != declared(after)[0] or default_text(before) != default_text(after):
            raise Refusal(
                "primary key",
                f"Table {name}: alter() cannot change the key attribute `{column.name}` "
                f"({declared(before)[0]} to {declared(after)[0]}).",
            )


def foreign_key_signature(
    fk: sa.ForeignKeyConstraint,
) -> tuple[tuple[str, ...], str, str, tuple[str, ...]]:
    """A built foreign key as reflection gives it: (columns, referred schema, table, columns)."""
    return (
        tuple(fk.column_keys),
        str(fk.referred_table.schema),
        str(fk.referred_table.name),
        tuple(element.column.name for element in fk.elements),
    )


def _compare_foreign_keys(name: str, reflected: Reflected, new: sa.Table) -> None:
    stored = {
        (fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns)
        for fk in reflected.notes.foreign_keys
    }
    wanted = {foreign_key_signature(fk) for fk in new.foreign_key_constraints}
    nullable = {c["name"]: c["nullable"] for c in reflected.columns}
    unique = {tuple(u["column_names"]) for u in reflected.uniques}
    unique |= {tuple(ix["column_names"]) for ix in reflected.indexes if ix.get("unique")}
    new_unique = {
        tuple(c.name for c in u.columns)
        for u in new.constraints
        if isinstance(u, sa.UniqueConstraint)
    }
    problem = ""
    if stored != wanted:
        gone = ", ".join(f"{t[2]}({', '.join(t[0])})" for t in sorted(stored - wanted))
        come = ", ".join(f"{t[2]}({', '.join(t[0])})" for t in sorted(wanted - stored))
        problem = "; ".join(
            part
            for part in (gone and f"drops the reference to {gone}", come and f"adds {come}")
            if part
        )
    else:
        for columns, *_ in sorted(wanted):
            if any(not new.c[c].primary_key and nullable[c] != new.c[c].nullable for c in columns):
                problem = f"changes whether `{', '.join(columns)}` may be null"
            elif (columns in unique) != (columns in new_unique):
                problem = f"changes whether `{', '.join(columns)}` is unique"
    if problem:
        raise Refusal(
            "foreign key", f"Table {name}: alter() cannot change foreign keys ({problem})."
        )


def _compare_indexes(plan: AlterPlan, reflected: Reflected, new: sa.Table) -> None:
    foreign = {tuple(fk.columns) for fk in reflected.notes.foreign_keys}
    stored = {
        (tuple(ix["column_names"]), bool(ix.get("unique"))): str(ix["name"])
        for ix in reflected.indexes
        if tuple(ix["column_names"]) not in foreign and not ix.get("duplicates_constraint")
    }
    wanted = {(tuple(c.name for c in ix.columns), bool(ix.unique)): ix for ix in new.indexes}
    for (columns, unique), index_name in stored.items():
        if (columns, unique) not in wanted:
            plan.drop_indexes.append((index_name, columns, unique))
            plan.changes.append(f"drops {_index_line(columns, unique)}")
    for (columns, unique), index in wanted.items():
        if (columns, unique) not in stored:
            plan.add_indexes.append(index)
            plan.changes.append(f"adds {_index_line(columns, unique)}")
