"""``AND`` and ``OR`` of many conditions, grouped so that no database nests them deeply.

SQLite's parser turns ``a OR b OR c ...`` into a tree one level deeper per term and refuses
one deeper than 1,000 ("Expression tree is too large"). A restriction string or a list of
restrictions can have thousands of terms; here they are grouped in parentheses, at most
:data:`FAN_OUT` terms to a group, so the depth grows with the logarithm of their number.
(SQLAlchemy flattens a nested ``or_`` into one chain, even in parentheses: :class:`_Group`
keeps them.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, Grouping

#: Terms in one parenthesized group: 200,000 terms nest 4 groups deep.
FAN_OUT = 64

_Combine = Callable[..., ColumnElement[bool]]


class _Group(Grouping[bool]):
    """Parentheses that ``or_``/``and_`` keep: a plain ``Grouping`` passes on its content's
    ``operator``, and SQLAlchemy merges an OR in parentheses into the OR around it."""

    inherit_cache = True
    operator = None


def _grouped(combine: _Combine, conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    terms = list(conditions)
    while len(terms) > FAN_OUT:
        terms = [_Group(combine(*terms[i : i + FAN_OUT])) for i in range(0, len(terms), FAN_OUT)]
    return combine(*terms)


def any_of(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Whether one of ``conditions`` holds (false when there is none).

    Example:
        >>> print(any_of([sa.column("a") == 1, sa.column("b") == 2]))
        a = :a_1 OR b = :b_1
    """
    if len(conditions) == 1:
        return conditions[0]
    return _grouped(sa.or_, conditions) if conditions else sa.false()


def all_of(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Whether all of ``conditions`` hold (true when there is none).

    Example:
        >>> print(all_of([sa.column("a") == 1, sa.column("b") == 2]))
        a = :a_1 AND b = :b_1
    """
    if len(conditions) == 1:
        return conditions[0]
    return _grouped(sa.and_, conditions) if conditions else sa.true()
