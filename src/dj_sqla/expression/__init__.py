"""Query expressions: restriction and fetching (compiled to SQLAlchemy; pure until fetched)."""

from __future__ import annotations

from .conditions import AndList, Not, Top
from .core import QueryExpression, TableExpression
from .grouping import U

__all__ = ["AndList", "Not", "QueryExpression", "TableExpression", "Top", "U"]
