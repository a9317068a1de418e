"""Autogenerate's view of a renamed DataJoint table, turned into a rename that keeps the rows.

When a class changes tier (``Mouse(dj.Manual)`` -> ``Mouse(dj.Lookup)``: table ``mouse`` ->
``#mouse``) or name, Alembic compares the database with the new MetaData and sees an old table
to drop and a new one to create, with their parts, and the foreign keys of the tables that
reference it to drop and create again: run as rendered, the rows are lost. Here such a drop
and create become one :class:`~._rename.RenameTable`:

* a change of tier is recognised by the name (the same name under another tier prefix);
* a change of class name only when it is the one table dropped and the one created in its
  schema, with the same attributes and key (the script then says what was assumed);

and in both cases only if the parts match too. The foreign keys that follow the rename are
left out, as are the parts' and the indexes' own steps.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops

from ._rename import RenameTable

_TIER = re.compile(r"^(#|__|_)?")


def _plain(name: str) -> str:
    return _TIER.sub("", name, count=1)


def _shape(table: sa.Table) -> tuple[frozenset[str], tuple[str, ...]]:
    """What must match for two tables to be one renamed: attributes and key."""
    return frozenset(table.c.keys()), tuple(c.name for c in table.primary_key)


def pair_renames(upgrade: ops.UpgradeOps) -> bool:
    """Replace the drop and create of a renamed DataJoint table by a rename (see the module
    docstring); True when something was replaced."""
    drops = {
        (op.schema, op.table_name): op for op in upgrade.ops if isinstance(op, ops.DropTableOp)
    }
    creates = {
        (op.schema, op.table_name): op for op in upgrade.ops if isinstance(op, ops.CreateTableOp)
    }
    masters = {key for key in {**drops, **creates} if "__" not in _plain(key[1])}
    pairs: dict[tuple[str | None, str], tuple[str, str]] = {}
    for schema, old in sorted(k for k in masters if k in drops):
        for new in sorted(n for s, n in masters if s == schema and (s, n) in creates):
            if _plain(new) == _plain(old) and _matches(drops, creates, schema, old, new):
                pairs[(schema, old)] = (new, "")
    for schema in {s for s, _ in masters}:
        left = [n for s, n in masters if s == schema and (s, n) in drops and (s, n) not in pairs]
        taken = {n for (s, _), (n, _) in pairs.items() if s == schema}
        right = [n for s, n in masters if s == schema and (s, n) in creates and n not in taken]
        if len(left) == 1 == len(right) and _matches(drops, creates, schema, left[0], right[0]):
            note = (
                f"dj_sqla: `{left[0]}` and `{right[0]}` have the same attributes: renamed, "
                "keeping the rows.\nIf they are different tables, replace this line with "
                "op.drop_table and op.create_table."
            )
            pairs[(schema, left[0])] = (right[0], note)
    if not pairs:
        return False
    renames = {(s, o): n for (s, o), (n, _) in pairs.items()}
    gone = _renamed_tables(drops, creates, renames)
    steps: list[ops.MigrateOperation] = []
    placed: set[tuple[str | None, str]] = set()
    for op in upgrade.ops:
        key = _table_of(op)
        if key in gone:
            master = gone[key]
            if master not in placed:
                placed.add(master)
                new, note = pairs[master]
                steps.append(RenameTable(master[1], new, master[0], note))
            continue
        if isinstance(op, ops.ModifyTableOps):
            op.ops = [each for each in op.ops if not _follows(each, renames, op.schema)]
            if not op.ops:
                continue
        steps.append(op)
    upgrade.ops[:] = steps
    return True


def _table(op: ops.DropTableOp | ops.CreateTableOp) -> sa.Table:
    return op.to_table()


def _matches(
    drops: dict[Any, ops.DropTableOp],
    creates: dict[Any, ops.CreateTableOp],
    schema: str | None,
    old: str,
    new: str,
) -> bool:
    """Whether ``old`` and ``new`` (and their parts) are one table under two names."""
    if _shape(_table(drops[(schema, old)])) != _shape(_table(creates[(schema, new)])):
        return False
    old_parts = {n[len(old) :] for s, n in drops if s == schema and n.startswith(old + "__")}
    new_parts = {n[len(new) :] for s, n in creates if s == schema and n.startswith(new + "__")}
    if old_parts != new_parts:
        return False
    return all(
        _shape(_table(drops[(schema, old + p)])) == _shape(_table(creates[(schema, new + p)]))
        for p in old_parts
    )


def _renamed_tables(
    drops: dict[Any, Any], creates: dict[Any, Any], renames: dict[Any, str]
) -> dict[tuple[str | None, str], tuple[str | None, str]]:
    """Every table name (old and new, parts too) of a paired rename -> the old master."""
    found: dict[tuple[str | None, str], tuple[str | None, str]] = {}
    for (schema, old), new in renames.items():
        for name in [*drops, *creates]:
            if name[0] != schema:
                continue
            for master in (old, new):
                if name[1] == master or name[1].startswith(master + "__"):
                    found[name] = (schema, old)
    return found


def _table_of(op: ops.MigrateOperation) -> tuple[str | None, str] | None:
    if isinstance(op, ops.DropTableOp | ops.CreateTableOp | ops.ModifyTableOps):
        return (op.schema, op.table_name)
    return None


def _follows(op: ops.MigrateOperation, renames: dict[Any, str], schema: str | None) -> bool:
    """A foreign key dropped and made again only because its parent is renamed."""
    if isinstance(op, ops.CreateForeignKeyOp):
        target = (op.kw.get("referent_schema") or schema, op.referent_table)
        new = {n for (s, _), n in renames.items() if s == target[0]}
        return any(target[1] == n or target[1].startswith(n + "__") for n in new)
    if isinstance(op, ops.DropConstraintOp) and op.constraint_type == "foreignkey":
        kind, constraint = op.to_diff_tuple()[:2]
        if kind == "remove_fk" and isinstance(constraint, sa.ForeignKeyConstraint):
            parent = constraint.elements[0].target_fullname.split(".")[-2]
            return any(parent == o or parent.startswith(o + "__") for (_, o) in renames)
    return False
