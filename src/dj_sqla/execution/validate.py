"""``Table.validate(rows)``: what an insert of these rows would refuse, without inserting.

DataJoint 2.3's ``validate``: every row is checked against the table's heading (unknown and
missing attributes, NULL where not allowed, values that do not fit their declared type:
numbers out of range, text too long, values outside an enum, dates that are not dates, values a
blob or codec cannot encode), and all the problems are returned together, so a user can fix a
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

import datetime as dt
import decimal
import numbers
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from ..codecs import CodecError
from ..errors import DataJointError
from ..types import INTEGER_RANGES, CodecColumn, enum_values

_ISO = {dt.date: dt.date.fromisoformat, dt.datetime: dt.datetime.fromisoformat}


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
            f"  row {i}" + (f", `{name}`" if name else "") + f": {message}"
            for i, name, message in self.errors[:20]
        ]
        if len(self.errors) > 20:
            lines.append(f"  ... and {len(self.errors) - 20} more")
        return "\n".join(lines)

    def raise_if_invalid(self) -> None:
        """Raise a :class:`dj.DataJointError` listing the problems, if there are any."""
        if not self.is_valid:
            raise DataJointError(self.summary())


def validate_rows(
    table: sa.Table, rows: Iterable[Any], *, ignore_extra_fields: bool = False
) -> ValidationResult:
    """Check ``rows`` (dicts or tuples in attribute order) against ``table``."""
    result = ValidationResult()
    names = [c.name for c in table.columns]
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
                result.errors.append((index, name, "not an attribute of the table"))
        for column in table.columns:
            problem = _problem(column, values)
            if problem is not None:
                result.errors.append((index, column.name, problem))
    return result


def _problem(column: sa.Column[Any], values: Mapping[str, Any]) -> str | None:
    """What an insert would refuse about this column's value in the row, if anything."""
    if column.name not in values:
        needed = not column.nullable and column.server_default is None
        if needed and column.autoincrement is not True and not column.name.startswith("_"):
            return "missing, and it has no default"
        return None
    value = values[column.name]
    if value is None:
        return None if column.nullable else "NULL is not allowed"
    if isinstance(column.type, CodecColumn):
        try:
            column.type.process_bind_param(value, None)
        except CodecError as err:
            return str(err)
        return None
    info = column.info.get("dj")
    return _type_problem(info.spec if info is not None else None, column, value)


def _type_problem(spec: Any, column: sa.Column[Any], value: Any) -> str | None:
    if spec is None:
        return None
    expected: type = spec.python_type
    if isinstance(value, np.generic):
        value = value.item()
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            return f"{value!r} is not an integer"
        low, high = INTEGER_RANGES.get(spec.name, (None, None))
        if low is not None and high is not None and not low <= int(value) <= high:
            return f"{value} is outside the range of {spec.name} ({low}..{high})"
    elif expected is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return f"{value!r} is not a number"
    elif expected is decimal.Decimal:
        if not isinstance(value, (decimal.Decimal, numbers.Real)) or isinstance(value, bool):
            return f"{value!r} is not a number"
    elif expected is str:
        if not isinstance(value, str):
            return f"{value!r} is not text"
        allowed = enum_values(spec)
        if allowed is not None and value not in allowed:
            return f"{value!r} is not one of {', '.join(map(repr, allowed))}"
        length = getattr(spec.sa_type, "length", None)
        if isinstance(length, int) and len(value) > length:
            return f"{len(value)} characters, more than the {length} of {spec.name}"
    elif expected in _ISO:
        if isinstance(value, str):
            try:
                _ISO[expected](value)
            except ValueError:
                return f"{value!r} is not an ISO 8601 {expected.__name__}"
        elif not isinstance(value, expected):
            return f"{value!r} is not a {expected.__name__}"
    elif expected is uuid.UUID and not isinstance(value, uuid.UUID):
        try:
            uuid.UUID(str(value))
        except ValueError:
            return f"{value!r} is not a UUID"
    elif expected is bytes and not isinstance(value, (bytes, bytearray, memoryview)):
        return f"{type(value).__name__} is not bytes"
    return None
