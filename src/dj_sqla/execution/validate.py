"""``Table.validate(rows)``: what an insert of these rows would refuse, without inserting.

DataJoint 2.3's ``validate``: every row is checked against the table's heading (unknown and
missing attributes, NULL where not allowed) and every value by the rule an insert applies
(:mod:`dj_sqla.execution.values`: numbers out of range, text too long, values outside an enum,
dates that are not dates; values a blob or codec cannot encode), and all the problems are
returned together, so a user can fix a
whole batch before inserting it. Nothing is sent to the database.

Example:
    >>> import dj_sqla as dj
    >>> schema = dj.Schema("val_demo", connection=dj.Connection("sqlite://"))
    >>> @schema
    ... class Mouse(dj.Manual):
    ...     definition = "mouse_id : int16\\n---\\nsex : enum('M', 'F')"
    >>> result = Mouse.validate([{"mouse_id": 1, "sex": "F"}, {"mouse_id": 99999, "sex": "X"}])
    >>> result.is_valid, result.rows_checked, [(i, name) for i, name, _ in result.errors]
    (False, 2, [(1, 'mouse_id'), (1, 'sex')])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from ..backends import Backend
from ..codecs import CodecError
from ..errors import DataJointError
from ..types import CodecColumn
from .values import Rule, column_checks


@dataclass
class ValidationResult:
    """The outcome of :func:`validate_rows` (DataJoint 2.3's ``dj.ValidationResult``).

    Attributes:
        errors: ``(row_index, attribute, message)`` for every problem found.
        rows_checked: how many rows were checked.
    """

    errors: list[tuple[int, str | None, str]] = field(default_factory=list)
    rows_checked: int = 0

    @property
    def is_valid(self) -> bool:
        """Whether every row would be accepted."""
        return not self.errors

    def __bool__(self) -> bool:
        return self.is_valid

    def summary(self) -> str:
        """One line per problem (the first 20), or that all rows are valid."""
        if self.is_valid:
            return f"All {self.rows_checked} rows are valid."
        lines = [f"{len(self.errors)} problem(s) in {self.rows_checked} rows:"]
        lines += [
            f"  row {i}" + (f", `{name}`" if name and f"`{name}`" not in msg else "") + f": {msg}"
            for i, name, msg in self.errors[:20]
        ]
        if len(self.errors) > 20:
            lines.append(f"  ... and {len(self.errors) - 20} more")
        return "\n".join(lines)

    def raise_if_invalid(self) -> None:
        """Raise a :class:`dj.DataJointError` listing the problems, if there are any."""
        if not self.is_valid:
            raise DataJointError(self.summary())


def validate_rows(
    table: sa.Table, rows: Iterable[Any], backend: Backend, *, ignore_extra_fields: bool = False
) -> ValidationResult:
    """Check ``rows`` (dicts or tuples in attribute order) against ``table`` by the rule an
    insert into it on ``backend`` applies (:mod:`dj_sqla.execution.values`)."""
    result = ValidationResult()
    names = [c.name for c in table.columns]
    checks = column_checks(table, backend)
    for index, row in enumerate(rows):
        result.rows_checked += 1
        if isinstance(row, Mapping):
            values = dict(row)
        else:
            positional = list(row)
            if len(positional) != len(names):
                result.errors.append(
                    (index, None, f"{len(positional)} values for {len(names)} attributes")
                )
                continue
            values = dict(zip(names, positional, strict=True))
        for name in values:
            if name not in table.c and not ignore_extra_fields:
                result.errors.append((index, name, f"`{name}` is not an attribute of the table"))
        for column in table.columns:
            problem = _problem(column, values, checks.get(column.name))
            if problem is not None:
                result.errors.append((index, column.name, problem))
    return result


def _problem(column: sa.Column[Any], values: Mapping[str, Any], checks: Rule | None) -> str | None:
    """What an insert would refuse about this column's value in the row, if anything."""
    if column.name not in values:
        needed = not column.nullable and column.server_default is None
        if needed and column.autoincrement is not True and not column.name.startswith("_"):
            return f"`{column.name}` is missing, and it has no default"
        return None
    value = values[column.name]
    if value is None:
        return None if column.nullable else f"`{column.name}` cannot be NULL"
    if isinstance(column.type, CodecColumn):
        try:
            column.type.process_bind_param(value, None)
        except CodecError as err:
            return str(err)
        return None
    if isinstance(value, np.generic):
        value = value.item()  # as an insert passes it on
    return None if checks is None else checks.check(value)
