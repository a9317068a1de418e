"""What renaming a DataJoint table touches, read from the database: :func:`inspect_rename`.

A table's name is in more places than its own: its parts are named after it
(``mouse__trial``); its job table (``~~mouse``); the names dj_sqla's naming convention gives
its constraints and indexes, and the foreign keys of every table that references it (each
name hashes the table's name, see ``dj_sqla._naming``); DataJoint 2's ``~lineage`` rows and
DataJoint 0.14's ``~jobs`` rows. A constraint whose stored name is not the convention's (named
by hand) keeps it.

SQLite keeps constraint names (and dj_sqla's annotations) inside each table's ``CREATE TABLE``
text: there the renamed tables and the tables that reference them are rebuilt, from a
reflected copy carrying the new names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .._naming import NAMING_CONVENTION, constraint_name
from ..backends import Backend
from ..backends.base import ForeignKeyInfo
from ..errors import MigrationError
from ..execution.jobs import job_table_name
from ..reflect import DATAJOINT_TABLE_NAME

#: DataJoint 2's lineage table and DataJoint 0.14's job table, both keyed by table name.
LINEAGE, JOBS_014 = "~lineage", "~jobs"
_KINDS = {
    "pk": "PrimaryKeyConstraint",
    "fk": "ForeignKeyConstraint",
    "uq": "UniqueConstraint",
    "ck": "CheckConstraint",
    "ix": "Index",
}


@dataclass
class Renamed:
    """One stored constraint or index whose name follows a table's name."""

    kind: str  # pk, fk, uq, ck, ix
    schema: str
    table: str  # the table's name before the rename
    name: str
    new_name: str
    columns: list[str]
    #: for a foreign key: the referred (schema, table) before the rename, its columns, options
    referred: tuple[str, str] = ("", "")
    referred_columns: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    #: for a CHECK: its text; for an index: whether it is unique
    sqltext: str = ""
    unique: bool = False
    #: MySQL: the index it made for a foreign key, named as the foreign key
    implied_index: bool = False


@dataclass
class Rebuild:
    """SQLite: a table made again, from ``copy`` (reflected, with the new names)."""

    schema: str
    name: str  # after the rename
    copy: sa.Table
    checks: list[tuple[str, str]]  # (name, text): given to batch mode as they are
    foreign: list[ForeignKeyInfo]  # into other schemas (dj_sqla's annotations)
    comment: str | None


@dataclass
class RenamePlan:
    """Everything :func:`inspect_rename` found (see the module docstring)."""

    schema: str
    names: dict[str, str]  # old -> new, tables of ``schema``
    constraints: list[Renamed] = field(default_factory=list)
    rebuilds: list[Rebuild] = field(default_factory=list)
    bookkeeping: list[sa.Update] = field(default_factory=list)
    #: (schema, table) of the tables outside ``names`` whose foreign keys change
    children: list[tuple[str, str]] = field(default_factory=list)

    def new_name(self, schema: str, table: str) -> str:
        """A table's name after the rename."""
        return self.names.get(table, table) if schema == self.schema else table

    def describe(self) -> list[str]:
        """The rename in words, one line each."""
        lines = [f"renames `{self.schema}`.`{o}` to `{n}`" for o, n in self.names.items()]
        if self.children:
            tables = ", ".join(f"`{s}`.`{t}`" for s, t in self.children)
            lines.append(f"re-creates the foreign keys of {tables} under their new names")
        named = [c for c in self.constraints if c.kind != "fk"]
        if named:
            lines.append(f"renames {len(named)} constraints and indexes by the naming convention")
        if self.bookkeeping:
            lines.append(f"updates {len(self.bookkeeping)} bookkeeping tables (~lineage, ~jobs)")
        return lines


def inspect_rename(
    conn: sa.Connection, backend: Backend, schema: str, old: str, new: str
) -> RenamePlan:
    """The plan of renaming table ``old`` of ``schema`` to ``new``.

    Raises:
        MigrationError: ``old`` does not exist, ``new`` (or a part's new name) exists or is not
            a DataJoint table name.
    """
    insp = sa.inspect(conn)
    present = set(insp.get_table_names(schema=schema))
    where = f"schema `{schema}`"
    if old not in present:
        raise MigrationError(f"Cannot rename `{old}`: {where} has no such table.")
    if new == old:
        raise MigrationError(f"Cannot rename `{old}`: it has that name already.")
    if not DATAJOINT_TABLE_NAME.fullmatch(new) or len(new) > backend.max_table_name_length:
        raise MigrationError(
            f"Cannot rename `{old}` to `{new}`: not a DataJoint table name (`#name` Lookup, "
            f"`_name` Imported, `__name` Computed, `name` Manual, `master__part`, at most "
            f"{backend.max_table_name_length} characters)."
        )
    names = {old: new} | {
        t: new + t[len(old) :] for t in sorted(present) if t.startswith(old + "__")
    }
    for table in list(names):
        jobs, new_jobs = job_table_name(table), job_table_name(names[table])
        if jobs in present and jobs != new_jobs:
            names[jobs] = new_jobs
    taken = sorted(n for n in names.values() if n in present and n not in names)
    if taken:
        raise MigrationError(
            f"Cannot rename `{old}` to `{new}`: {where} has a table `{taken[0]}` already. If it "
            "is the empty table a changed class created, drop it first (`drop_quick()`)."
        )
    plan = RenamePlan(schema, names)
    referencing = _referencing(conn, insp, backend, schema, set(names))
    for table in names:
        plan.constraints += _own(insp, plan, table)
    for (child_schema, child), fks in referencing.items():
        plan.children.append((child_schema, child))
        keys = [_foreign_key(child_schema, child, fk, plan) for fk in fks]
        _mark_implied(insp, child_schema, child, keys)
        plan.constraints += keys
    if not backend.has_server_schemas:
        plan.rebuilds = _rebuilds(conn, backend, plan, referencing)
    plan.bookkeeping = _bookkeeping(insp, plan, {schema, *(s for s, _ in referencing)})
    return plan


def _referencing(
    conn: sa.Connection, insp: Any, backend: Backend, schema: str, names: set[str]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The foreign keys into ``names`` of ``schema`` from tables not being renamed, in any
    schema (on SQLite, with those its annotations record)."""
    children: dict[str, list[str]] = {}
    for other, child in sorted(backend.referencing_tables(conn, schema, sorted(names))):
        if other != schema or child not in names:
            children.setdefault(other, []).append(child)
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for other, tables in children.items():
        keys = insp.get_multi_foreign_keys(schema=other, filter_names=tables)
        stored: set[tuple[str, tuple[str, ...]]] = set()
        for (_, child), fks in keys.items():
            if child not in tables:
                continue  # (some dialects list every table)
            for fk in fks:
                stored.add((child, tuple(fk["constrained_columns"])))
                if (fk["referred_schema"] or other) == schema and fk["referred_table"] in names:
                    found.setdefault((other, child), []).append(fk)
        if not backend.enforces_cross_schema_foreign_keys:
            for child, note in backend.read_annotations(conn, other, tables, {}).items():
                for info in note.foreign_keys:
                    if (child, info.columns) in stored or info.referred_schema != schema:
                        continue
                    if info.referred_table in names:
                        found.setdefault((other, child), []).append(_as_reflected(info))
    return found


def _as_reflected(info: ForeignKeyInfo) -> dict[str, Any]:
    """An annotated foreign key (SQLite, across schemas) as reflection gives one."""
    return {
        "name": None,
        "constrained_columns": list(info.columns),
        "referred_schema": info.referred_schema,
        "referred_table": info.referred_table,
        "referred_columns": list(info.referred_columns),
        "options": {"onupdate": "CASCADE", "ondelete": "RESTRICT"},
    }


def _follows(kind: str, table: str, columns: list[str], name: str | None) -> bool:
    """Whether ``name`` is the one the naming convention gives such a constraint."""
    return name is not None and name == str(constraint_name(_KINDS[kind], table, columns))


def _fk_columns(fk: dict[str, Any], referred_table: str) -> list[str]:
    """A foreign key's columns as the naming convention hashes them."""
    pairs = zip(fk["constrained_columns"], fk["referred_columns"], strict=True)
    return [f"{c}->{referred_table}.{r}" for c, r in pairs]


def _foreign_key(schema: str, table: str, fk: dict[str, Any], plan: RenamePlan) -> Renamed:
    referred = (str(fk["referred_schema"] or schema), str(fk["referred_table"]))
    new_table, new_parent = plan.new_name(schema, table), plan.new_name(*referred)
    name = fk.get("name") or str(constraint_name(_KINDS["fk"], table, _fk_columns(fk, referred[1])))
    new_name = (
        str(constraint_name(_KINDS["fk"], new_table, _fk_columns(fk, new_parent)))
        if _follows("fk", table, _fk_columns(fk, referred[1]), name)
        else name
    )
    options = {k: v for k, v in (fk.get("options") or {}).items() if k in ("onupdate", "ondelete")}
    return Renamed(
        "fk",
        schema,
        table,
        name,
        new_name,
        list(fk["constrained_columns"]),
        referred=referred,
        referred_columns=list(fk["referred_columns"]),
        options=options,
    )


def _mark_implied(insp: Any, schema: str, table: str, keys: list[Renamed]) -> set[str]:
    """Mark the foreign keys that have an index of their own name (MySQL makes one for a
    foreign key no index serves); returns the names of those indexes."""
    by_name = {k.name: k for k in keys if k.kind == "fk"}
    implied = set()
    for index in insp.get_indexes(table, schema=schema):
        if index["name"] in by_name:
            by_name[index["name"]].implied_index = True
            implied.add(str(index["name"]))
    return implied


def _own(insp: Any, plan: RenamePlan, table: str) -> list[Renamed]:
    """The constraints and indexes of a renamed table whose names follow it."""
    schema, new = plan.schema, plan.names[table]
    found: list[Renamed] = []

    def add(kind: str, name: str | None, columns: list[str], **more: Any) -> None:
        if name is not None and _follows(kind, table, columns, name):
            new_name = str(constraint_name(_KINDS[kind], new, columns))
            found.append(Renamed(kind, schema, table, name, new_name, columns, **more))

    key = insp.get_pk_constraint(table, schema=schema)
    add("pk", key.get("name"), list(key.get("constrained_columns") or []))
    found += [
        _foreign_key(schema, table, fk, plan) for fk in insp.get_foreign_keys(table, schema=schema)
    ]
    implied = _mark_implied(insp, schema, table, found)
    for unique in insp.get_unique_constraints(table, schema=schema):
        add("uq", unique.get("name"), list(unique["column_names"]))
    columns = [c["name"] for c in insp.get_columns(table, schema=schema)]
    for check in insp.get_check_constraints(table, schema=schema):
        owner = [c for c in columns if _follows("ck", table, [c], check.get("name"))]
        if owner:
            add("ck", check.get("name"), owner[:1], sqltext=str(check["sqltext"]))
    for index in insp.get_indexes(table, schema=schema):
        if not index.get("duplicates_constraint") and index["name"] not in implied:
            add("ix", index["name"], list(index["column_names"]), unique=bool(index.get("unique")))
    return found


def _rebuilds(
    conn: sa.Connection,
    backend: Backend,
    plan: RenamePlan,
    referencing: Mapping[tuple[str, str], list[dict[str, Any]]],
) -> list[Rebuild]:
    """SQLite: reflected copies, under their new names, of the renamed tables and of the
    tables that reference them (see the module docstring)."""
    targets = [(plan.schema, t) for t in plan.names] + list(referencing)
    renamed = {(c.schema, c.table, c.name): c.new_name for c in plan.constraints}
    rebuilds: list[Rebuild] = []
    for schema, table in targets:
        metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
        copy = sa.Table(table, metadata, schema=schema, autoload_with=conn)
        notes = backend.read_annotations(conn, schema, [table], {})[table]
        for column in copy.columns:
            column.comment = notes.column_comments.get(column.name) or None
        checks: list[tuple[str, str]] = []
        for constraint in list(copy.constraints):
            name = str(constraint.name) if constraint.name else None
            new_name = renamed.get((schema, table, name), name) if name else None
            if isinstance(constraint, sa.CheckConstraint):
                copy.constraints.discard(constraint)  # given as they are: names may repeat
                checks.append((str(new_name), str(constraint.sqltext)))
            elif isinstance(constraint, sa.ForeignKeyConstraint):
                copy.constraints.discard(constraint)
                target = constraint.elements[0].column.table
                parent = plan.new_name(str(target.schema or schema), str(target.name))
                copy.append_constraint(
                    sa.ForeignKeyConstraint(
                        list(constraint.column_keys),
                        [
                            f"{target.schema or schema}.{parent}.{e.column.name}"
                            for e in constraint.elements
                        ],
                        name=sa.sql.naming.conv(new_name) if new_name else None,
                        onupdate=constraint.onupdate,
                        ondelete=constraint.ondelete,
                    )
                )
            elif new_name is not None:
                constraint.name = sa.sql.naming.conv(new_name)
        for index in copy.indexes:
            index.name = sa.sql.naming.conv(
                renamed.get((schema, table, str(index.name)), str(index.name))
            )
        foreign = [
            ForeignKeyInfo(
                info.columns,
                info.referred_schema,
                plan.new_name(info.referred_schema, info.referred_table),
                info.referred_columns,
            )
            for info in notes.foreign_keys
            if info.referred_schema != schema
        ]
        new_table = plan.new_name(schema, table)
        copy = copy.to_metadata(sa.MetaData(naming_convention=NAMING_CONVENTION), name=new_table)
        rebuilds.append(
            Rebuild(schema, new_table, copy, checks, foreign, notes.table_comment or None)
        )
    return rebuilds


def _bookkeeping(insp: Any, plan: RenamePlan, schemas: set[str]) -> list[sa.Update]:
    """Rows of DataJoint's own tables that name a renamed table."""
    updates: list[sa.Update] = []
    jobs = sa.table(JOBS_014, sa.column("table_name"), schema=plan.schema)
    lineage_here = sa.table(LINEAGE, sa.column("table_name"), schema=plan.schema)
    for schema in sorted(schemas):
        present = set(insp.get_table_names(schema=schema))
        if schema == plan.schema and JOBS_014 in present:
            updates += [
                sa.update(jobs).where(jobs.c.table_name == old).values(table_name=new)
                for old, new in plan.names.items()
            ]
        if LINEAGE not in present:
            continue
        lineage = sa.table(LINEAGE, sa.column("lineage"), schema=schema)
        for old, new in plan.names.items():
            before, after = f"{plan.schema}.{old}.", f"{plan.schema}.{new}."
            start = sa.func.substr(lineage.c.lineage, 1, len(before))
            rest = sa.func.substr(lineage.c.lineage, len(before) + 1)
            updates.append(
                sa.update(lineage).where(start == before).values(lineage=sa.literal(after) + rest)
            )
            if schema == plan.schema:
                updates.append(
                    sa.update(lineage_here)
                    .where(lineage_here.c.table_name == old)
                    .values(table_name=new)
                )
    return updates
