"""CHECK constraints that make SQLite and PostgreSQL refuse what MySQL refuses.

SQLite stores text of any length in a ``varchar(n)`` and has a single 64-bit integer type;
PostgreSQL has no 1-byte or unsigned integers, so it keeps ``int8`` in a ``smallint`` and
``int unsigned`` in a ``bigint``. A declared table gets CHECKs for those cases, rendered only
in the DDL of the backends that need them (``ddl_if``): MySQL enforces the types itself.

The checks are SQL text rather than SQLAlchemy expressions: an expression costs three times as
much to build here, which was a third of declaring a table. The text holds no values from
users: a quoted column name (both rendering backends quote identifiers with ``"``) and integer
bounds from the type map. Each names its column in ``info["dj_columns"]``, from which the
constraint's name is derived, as SQLAlchemy derives it for an expression.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

#: Integer types that PostgreSQL stores in a wider column.
#: Backends whose types do not refuse what MySQL's unsigned types refuse.
_NOT_MYSQL = ("sqlite", "postgresql")
_WIDER_ON_POSTGRESQL = frozenset(
    {
        "int8",
        "tinyint",
        "tinyint unsigned",
        "smallint unsigned",
        "mediumint",
        "mediumint unsigned",
        "int unsigned",
    }
)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def length_check(
    column: sa.Column[Any], length: int, *, name: str | None = None
) -> sa.CheckConstraint:
    """``column`` holds at most ``length`` characters (rendered on SQLite only).

    Example:
        >>> length_check(sa.Column("tag", sa.String(10)), 10).sqltext.text
        'length("tag") <= 10'
    """
    text = f"length({_quoted(column.name)}) <= {int(length)}"
    check = sa.CheckConstraint(text, name=name, info={"dj_columns": [column.name]})
    return check.ddl_if("sqlite")


def nonnegative_check(column: sa.Column[Any], *, name: str | None = None) -> sa.CheckConstraint:
    """``column`` is not negative (an ``unsigned`` decimal), rendered where the type does not
    say so itself: MySQL's DECIMAL UNSIGNED does.

    Example:
        >>> nonnegative_check(sa.Column("share", sa.Numeric(2, 2))).sqltext.text
        '"share" >= 0'
    """
    text = f"{_quoted(column.name)} >= 0"
    check = sa.CheckConstraint(text, name=name, info={"dj_columns": [column.name]})
    return check.ddl_if(_NOT_MYSQL)  # type: ignore[arg-type]


def range_check(
    column: sa.Column[Any], type_name: str, low: int, high: int, *, name: str | None = None
) -> sa.CheckConstraint:
    """``column`` lies within ``low..high``, the range of the declared ``type_name``.

    Rendered on SQLite, and on PostgreSQL for the types it stores in a wider column.

    Example:
        >>> range_check(sa.Column("n", sa.SmallInteger), "int8", -128, 127).sqltext.text
        '"n" BETWEEN -128 AND 127'
    """
    where = ("sqlite", "postgresql") if type_name in _WIDER_ON_POSTGRESQL else "sqlite"
    text = f"{_quoted(column.name)} BETWEEN {int(low)} AND {int(high)}"
    check = sa.CheckConstraint(text, name=name, info={"dj_columns": [column.name]})
    return check.ddl_if(where)  # type: ignore[arg-type]
