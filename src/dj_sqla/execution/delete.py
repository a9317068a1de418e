"""Cascading delete and drop across every schema activated on a connection.

``(Mouse & key).delete()`` deletes the matching rows and every row that depends on them
through foreign keys, in all schemas of the connection, leaves first, in one transaction: one
DELETE per table. Master-part integrity follows DataJoint 2 (``part_integrity``):

* ``"enforce"`` (default): deleting part rows whose master rows stay is an error;
* ``"ignore"``: part rows may be deleted alone;
* ``"cascade"``: the masters of deleted part rows are deleted too (with all their parts).

``delete(dry_run=True)`` returns the :class:`DeletePreview` (each table the cascade reaches and
how many of its rows would go, in deletion order) without deleting; the safemode prompt
shows the same list.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, True_

from .. import dependencies as deps
from .._mapping import own_attributes
from ..config import config
from ..errors import ArgumentError, DataJointError, IntegrityError, TransactionConflictError
from ..utils import confirm as _confirm
from .stored import StoredValue, release_after, stored_values

if TYPE_CHECKING:
    from ..connection import Connection

PART_INTEGRITY = ("enforce", "ignore", "cascade")


def known_tables(connection: Connection) -> dict[sa.Table, type | None]:
    """Every table of the schemas activated on ``connection``, with its class (if any)."""
    found: dict[sa.Table, type | None] = {}
    for schema in connection.schemas():
        for table in schema.tables.values():
            found[table] = schema._classes.get(table)
    return found


def children(table: sa.Table, tables: Iterable[sa.Table]) -> list[tuple[sa.Table, Any]]:
    """Tables with a foreign key into ``table``, with that constraint."""
    return [
        (child, fk)
        for child in tables
        for fk in child.foreign_key_constraints
        if fk.referred_table is table
    ]


def _references(child: sa.Table, fk: Any, parent_rows: sa.Select[Any]) -> ColumnElement[bool]:
    """Rows of ``child`` whose foreign key points at one of ``parent_rows``.

    Written as ``(fk columns) IN (SELECT referenced columns ...)``: MariaDB runs a DELETE
    with a correlated EXISTS over a derived table two to three times slower.
    """
    parent = fk.referred_table
    local: list[sa.Column[Any]] = [child.c[el.parent.name] for el in fk.elements]
    referenced = parent_rows.with_only_columns(*(parent.c[el.column.name] for el in fk.elements))
    if len(local) == 1:
        return local[0].in_(referenced)
    return sa.tuple_(*local).in_(referenced)


def _any(conditions: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """WHERE clauses for rows meeting any of ``conditions``: none when one is always true
    (a whole table), so that the server sees a plain ``DELETE FROM t``."""
    if any(isinstance(c, True_) for c in conditions):
        return []
    return [sa.or_(*conditions)]


def _rows(table: sa.Table, conditions: list[ColumnElement[bool]]) -> sa.Select[Any]:
    return sa.select(*table.c).where(*_any(conditions))


def plan(
    conn: sa.Connection,
    start: sa.Table,
    condition: ColumnElement[bool],
    tables: dict[sa.Table, type | None],
    part_integrity: str,
) -> dict[sa.Table, list[ColumnElement[bool]]]:
    """Per table, the conditions (OR-ed) of the rows the cascade deletes.

    Conditions refer to parent rows, which still exist when the children are deleted (leaves
    go first). Masters pulled in by ``part_integrity="cascade"`` are the exception: their parts
    are deleted before them, so their keys are read first (one query per such master table).
    """
    if part_integrity not in PART_INTEGRITY:
        raise ArgumentError(
            f"part_integrity must be one of {', '.join(PART_INTEGRITY)}, not {part_integrity!r}."
        )
    selected: dict[sa.Table, list[ColumnElement[bool]]] = {start: [condition]}
    changed = True
    while changed:
        changed = False
        for table in _topological(tables):
            if table not in selected:
                continue
            rows = _rows(table, selected[table])
            for child, fk in children(table, tables):
                clause = _references(child, fk, rows)
                if not any(clause.compare(c) for c in selected.setdefault(child, [])):
                    selected[child].append(clause)
                    changed = True
        changed |= _masters(conn, selected, tables, part_integrity, start)
    return selected


def _masters(
    conn: sa.Connection,
    selected: dict[sa.Table, list[ColumnElement[bool]]],
    tables: dict[sa.Table, type | None],
    part_integrity: str,
    start: sa.Table,
) -> bool:
    """Apply master-part integrity; True when masters were added (cascade again)."""
    added = False
    for table in list(selected):
        cls = tables.get(table)
        master_class = own_attributes(cls).get("master") if cls is not None else None
        if not isinstance(master_class, type) or part_integrity == "ignore":
            continue  # not a Part (a Part's own namespace holds its master class)
        master = own_attributes(master_class)["__table__"]
        if master in selected and part_integrity == "enforce":
            continue
        if part_integrity == "enforce":
            exists = sa.select(sa.literal(1)).select_from(table).where(*_any(selected[table]))
            if conn.execute(exists.limit(1)).first() is None:
                continue  # no part row goes, so nothing breaks master-part integrity
            where = "directly" if table is start else "through a cascade"
            raise DataJointError(
                f"Cannot delete from part table `{table.name}` {where} without its master "
                f"`{master.name}`: delete the master rows instead, or pass "
                "part_integrity='cascade' (delete the masters too) or 'ignore'."
            )
        local, referred = _master_key(table, master)
        keys = conn.execute(sa.select(*local).where(sa.or_(*selected[table])).distinct()).all()
        clause = sa.or_(
            sa.false(),
            *(sa.and_(*(c == v for c, v in zip(referred, key, strict=True))) for key in keys),
        )
        # every part of the master adds its own masters (two parts may reach two masters)
        if not any(clause.compare(c) for c in selected.setdefault(master, [])):
            selected[master].append(clause)
            added = True
    return added


def _master_key(part: sa.Table, master: sa.Table) -> tuple[list[Any], list[Any]]:
    """The part's columns holding its master's key, and the master's key columns.

    A part that references another part of its master (``-> master.Other``, renamed or not)
    has no foreign key to the master itself: the key is followed through that part's
    foreign key; failing that, it is found under the master's names.
    """
    found = _master_key_via(part, master, set())
    if found is not None:
        return found
    referred = list(master.primary_key.columns)
    missing = [c.name for c in referred if c.name not in part.c]
    if missing:
        raise DataJointError(
            f"Part table `{part.name}` does not hold the key of its master `{master.name}` "
            f"(missing {', '.join(missing)}); delete with part_integrity='ignore' or delete "
            "the master rows."
        )
    return [part.c[c.name] for c in referred], referred


def _master_key_via(
    table: sa.Table, master: sa.Table, seen: set[sa.Table]
) -> tuple[list[Any], list[Any]] | None:
    """:func:`_master_key` through foreign keys: directly to the master, or to another part
    of it (whose columns holding the master's key are mapped back through the foreign key)."""
    seen.add(table)
    for fk in table.foreign_key_constraints:
        if fk.referred_table is master:
            return [table.c[el.parent.name] for el in fk.elements], [
                el.column for el in fk.elements
            ]
    for fk in table.foreign_key_constraints:
        other = fk.referred_table
        if other in seen or not str(other.name).startswith(f"{master.name}__"):
            continue
        found = _master_key_via(other, master, seen)
        if found is None:
            continue
        ours = {el.column.name: table.c[el.parent.name] for el in fk.elements}
        if all(column.name in ours for column in found[0]):
            return [ours[column.name] for column in found[0]], found[1]
    return None


def _topological(tables: Iterable[sa.Table]) -> list[sa.Table]:
    """Parents before children."""
    pool = list(tables)
    sorter: graphlib.TopologicalSorter[sa.Table] = graphlib.TopologicalSorter()
    for table in pool:
        parents = (fk.referred_table for fk in table.foreign_key_constraints)
        sorter.add(table, *(p for p in parents if p is not table))  # a self-reference is no order
    return [t for t in sorter.static_order() if t in pool]


def cascade_delete(
    connection: Connection,
    start: sa.Table,
    condition: ColumnElement[bool],
    *,
    prompt: bool | None,
    part_integrity: str,
) -> int:
    """Delete the rows of ``start`` matching ``condition`` and everything depending on them.

    Returns:
        The number of rows deleted from ``start``.
    """
    tables = known_tables(connection)
    tables.setdefault(start, None)
    ask = config["safemode"] if prompt is None else prompt
    if ask and connection.in_transaction:
        raise DataJointError(
            "delete() cannot ask for confirmation inside a transaction; pass prompt=False."
        )

    released: list[StoredValue] = []

    def run(conn: sa.Connection) -> tuple[list[sa.Table], dict[sa.Table, int]]:
        selected = plan(conn, start, condition, tables, part_integrity)
        order = _deletion_order(selected)
        released.clear()
        return order, _delete(connection, conn, order, selected, released)

    if connection.in_transaction:
        with connection.write() as conn:
            count = run(conn)[1][start]
        release_after(connection, released)  # once the open transaction commits
        return count

    def attempt() -> int:
        with connection.engine.connect() as conn, conn.begin() as transaction:
            order, deleted = run(conn)
            if ask:
                print(DeletePreview.of(connection, [(t, deleted[t]) for t in order]))
                if not _confirm("Commit deletes?"):
                    transaction.rollback()
                    return 0
        release_after(connection, released)  # committed: their objects may go now
        return deleted[start]

    # concurrent deletes and inserts deadlock on MySQL; the rolled-back cascade runs again
    return connection.retrying(attempt)


def _deletion_order(selected: Iterable[sa.Table]) -> list[sa.Table]:
    """Leaves first."""
    chosen = set(selected)
    return [t for t in reversed(_topological(chosen)) if t in chosen]


@dataclass(frozen=True)
class DeletePreview:
    """What a cascading delete removes: each table it reaches, with its row count, in the
    order the rows go (leaves first). ``str()`` is the list the safemode prompt shows.

    Example:
        >>> preview = DeletePreview((("lab.session", 2), ("lab.mouse", 1)))
        >>> preview["lab.mouse"], preview.total
        (1, 3)
        >>> print(preview)
        Deleting 3 rows from 2 tables, in this order:
          lab.session: 2 rows
          lab.mouse: 1 row
    """

    #: (full table name, rows) in deletion order
    counts: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, connection: Connection, counts: Iterable[tuple[sa.Table, int]]) -> DeletePreview:
        """The preview of ``counts`` with the tables' full names on ``connection``."""
        return cls(tuple((deps.full_name(connection, t), n) for t, n in counts))

    @property
    def total(self) -> int:
        """All rows that go."""
        return sum(n for _, n in self.counts)

    def as_dict(self) -> dict[str, int]:
        """Full table name → rows, in deletion order."""
        return dict(self.counts)

    def __getitem__(self, table: Any) -> int:
        """Rows of ``table``: a full table name (quoted or not) or a table class/query."""
        wanted = _plain(getattr(table, "full_table_name", table))
        for name, n in self.counts:
            if _plain(name) == wanted:
                return n
        raise KeyError(f"{table!r} is not reached by this delete")

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)

    def __str__(self) -> str:
        lines = [
            f"Deleting {self.total} {_row_word(self.total)} from {len(self.counts)} "
            f"table{'' if len(self.counts) == 1 else 's'}, in this order:"
        ]
        lines += [f"  {name}: {n} {_row_word(n)}" for name, n in self.counts]
        return "\n".join(lines)


def _plain(name: str) -> str:
    return str(name).replace("`", "").replace('"', "")


def _row_word(n: int) -> str:
    return "row" if n == 1 else "rows"


def preview_delete(
    connection: Connection,
    start: sa.Table,
    condition: ColumnElement[bool],
    *,
    part_integrity: str,
) -> DeletePreview:
    """The :class:`DeletePreview` of ``cascade_delete`` with the same arguments; nothing is
    deleted. The counts are what the delete removes: it deletes leaves first, so the parent
    rows each table's condition refers to are all still there when it runs, as here. Costs
    the queries of the plan and one query for all the counts."""
    tables = known_tables(connection)
    tables.setdefault(start, None)
    with connection.read() as conn:
        selected = plan(conn, start, condition, tables, part_integrity)
        order = _deletion_order(selected)
        counts = [
            sa.select(sa.func.count())
            .select_from(table)
            .where(*_any(selected[table]))
            .scalar_subquery()
            .label(f"n{i}")
            for i, table in enumerate(order)
        ]
        row = conn.execute(sa.select(*counts)).one()
    return DeletePreview.of(connection, zip(order, (int(n) for n in row), strict=True))


def _delete(
    connection: Connection,
    conn: sa.Connection,
    order: list[sa.Table],
    selected: dict[sa.Table, list[ColumnElement[bool]]],
    released: list[StoredValue],
) -> dict[sa.Table, int]:
    """One DELETE per table, leaves first; a table of an unknown schema blocking it is named.
    The stored values of store attributes of the deleted rows are added to ``released``."""
    deleted: dict[sa.Table, int] = {}
    for table in order:
        released.extend(stored_values(connection, conn, table, _any(selected[table])))
        try:
            result = conn.execute(sa.delete(table).where(*_any(selected[table])))
        except sa.exc.IntegrityError as err:
            blocking = connection.backend.referencing_table(err)
            if blocking is not None and blocking in {t.name for t in order}:
                # the cascade deleted that table's rows already: another transaction has
                # inserted a new one since (READ COMMITTED); the whole cascade runs again
                raise TransactionConflictError(
                    f"Deleting from `{table.schema}`.`{table.name}`: a row of `{blocking}` "
                    "referencing it was inserted meanwhile; the delete was rolled back. Run "
                    f"it again. ({err.orig})"
                ) from err
            raise DataJointError(
                f"Deleting from `{table.schema}`.`{table.name}` is blocked by rows of a table "
                "whose schema is not activated in this process, so the cascade cannot reach "
                f"it; activate that schema (or delete its rows) first. ({err.orig})"
            ) from err
        deleted[table] = result.rowcount
    return deleted


#: Reads the blocking table (``child``, as `` `schema`.`table` ``) out of the error that
#: ``delete_quick()`` raises when other rows depend on the rows it deletes; DataJoint 0.14
#: offers a pattern of this name for its own message, and REST servers use it.
FOREIGN_KEY_ERROR = re.compile(
    r"Cannot delete from (?P<parent>`[^`]+`\.`[^`]+`): "
    r"rows of (?P<child>`[^`]+`\.`[^`]+`) depend on them"
)


def delete_rows(connection: Connection, table: sa.Table, condition: ColumnElement[bool]) -> int:
    """A plain DELETE (``delete_quick``): no cascade, no prompt.

    Raises:
        IntegrityError: rows of another table depend on the rows; the message names that
            table (:data:`FOREIGN_KEY_ERROR` reads it).
    """
    try:
        with connection.write() as conn:
            released = stored_values(connection, conn, table, [condition])
            count = int(conn.execute(sa.delete(table).where(condition)).rowcount)
    except sa.exc.IntegrityError as err:
        child = _blocking_child(connection, table, condition, err)
        raise IntegrityError(
            f"Cannot delete from `{table.schema}`.`{table.name}`: rows of {child} depend on "
            f"them. Use delete() to delete those too. ({err.orig})"
        ) from err
    release_after(connection, released)
    return count


def _blocking_child(
    connection: Connection,
    table: sa.Table,
    condition: ColumnElement[bool],
    err: sa.exc.IntegrityError,
) -> str:
    """`` `schema`.`table` `` of the table whose rows blocked a DELETE from ``table``: as the
    server names it (MySQL, PostgreSQL), else the first child of the activated schemas with
    rows referencing the rows (SQLite's message names no table)."""
    named = connection.backend.referencing_table(err)
    children = [child for child, _ in deps.children(deps.connection_graph(connection), table)]
    for child in children:
        if child.name == named or (
            named is None and _has_referencing_rows(connection, child, table, condition)
        ):
            return f"`{child.schema}`.`{child.name}`"
    return f"`{table.schema}`.`{named}`" if named else "another table"


def _has_referencing_rows(
    connection: Connection, child: sa.Table, table: sa.Table, condition: ColumnElement[bool]
) -> bool:
    """Whether rows of ``child`` reference rows of ``table`` that match ``condition``."""
    rows = sa.select(table).where(condition)
    clauses = [
        _references(child, fk, rows)
        for fk in child.foreign_key_constraints
        if fk.referred_table is table
    ]
    if not clauses:
        return False
    with connection.read() as conn:
        return bool(conn.execute(sa.select(sa.exists().where(sa.or_(*clauses)))).scalar())


def drop_tables(
    connection: Connection,
    table: sa.Table,
    *,
    cascade: bool,
    prompt: bool | None,
    part_integrity: str = "enforce",
) -> None:
    """Drop ``table`` (and with ``cascade`` its dependent tables, leaves first).

    With ``part_integrity="enforce"`` a part is dropped only with its master; ``"ignore"``
    drops it alone (``"cascade"`` is for deleting rows only).
    """
    if part_integrity not in ("enforce", "ignore"):
        raise ArgumentError(
            f"drop(): part_integrity must be 'enforce' or 'ignore', not {part_integrity!r} "
            "('cascade' applies to delete only)."
        )
    tables = known_tables(connection)
    tables.setdefault(table, None)
    doomed = {table}
    if cascade:
        for candidate in _topological(tables):
            if any(fk.referred_table in doomed for fk in candidate.foreign_key_constraints):
                doomed.add(candidate)
    if part_integrity == "enforce":
        for victim in doomed:
            cls = tables.get(victim)
            master_class = own_attributes(cls).get("master") if cls is not None else None
            if isinstance(master_class, type):
                master = own_attributes(master_class)["__table__"]
                if master not in doomed:
                    raise DataJointError(
                        f"Cannot drop part table `{victim.name}` without its master "
                        f"`{master.name}`: drop the master instead, or pass "
                        "part_integrity='ignore'."
                    )
    order = list(reversed(_topological(doomed)))
    ask = config["safemode"] if prompt is None else prompt
    if ask:
        names = ", ".join(f"{t.schema}.{t.name}" for t in order)
        if not _confirm(f"Drop {names}?"):
            return
    with connection.engine.begin() as conn:
        try:
            connection.backend.drop_tables(conn, order)
        except sa.exc.DBAPIError as err:
            names = ", ".join(f"`{t.schema}`.`{t.name}`" for t in order)
            raise DataJointError(
                f"Cannot drop {names}: {err.orig}. Tables that depend on "
                f"{'it' if len(order) == 1 else 'them'} must be dropped first (drop() does that)."
            ) from err
    for schema in connection.schemas():
        schema.forget_tables(t for t in order if t.schema == schema.database)


def classic_delete_arguments(
    prompt: bool | None, part_integrity: str, classic: dict[str, Any]
) -> tuple[bool | None, str]:
    """``delete``'s arguments with DataJoint 0.14's spellings translated."""
    unknown = set(classic) - {"safemode", "force_masters", "force_parts", "force"}
    if unknown:
        raise TypeError(
            f"delete() got unexpected keyword argument(s): {', '.join(sorted(unknown))}"
        )
    if classic.get("safemode") is not None:
        prompt = classic["safemode"]
    if classic.get("force_masters"):
        part_integrity = "cascade"
    elif classic.get("force_parts") or classic.get("force"):
        part_integrity = "ignore"
    return prompt, part_integrity
