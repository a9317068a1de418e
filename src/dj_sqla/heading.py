"""A table's heading: its attributes, with the fields DataJoint's heading has.

``Mouse.heading`` (and ``Mouse.heading.attributes["dob"]``) as DataJoint pipelines read them:
names, declared types, key membership, nullability, comments, defaults and the kinds DataJoint
reports (``is_blob``, ``uuid``, ``json``...). Pure data, built from a declared Table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attribute:
    """One attribute of a table's heading, with the fields DataJoint's heading has.

    Attributes:
        default: the declared default as SQL text (``"null"`` for a nullable attribute
            without one), or None.
        dtype: the numpy dtype ``to_arrays`` gives it (``object`` for non-numbers).
        numeric, string, uuid, json, is_blob, is_attachment, is_filepath: what its values
            are.
    """

    name: str
    type: str
    in_key: bool
    nullable: bool
    comment: str
    default: str | None = None
    autoincrement: bool = False
    dtype: Any = object
    numeric: bool = False
    string: bool = False
    uuid: bool = False
    json: bool = False
    is_blob: bool = False
    is_hidden: bool = False
    is_attachment: bool = False
    is_filepath: bool = False

    @property
    def sql_type(self) -> str:
        """The declared type (alias of ``type``)."""
        return self.type


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_KEYWORDS = frozenset(("null", "current_timestamp", "true", "false"))


def _literal(attr: Attribute) -> str:
    """An attribute's default as definition text: numbers and keywords as they are, the rest
    quoted."""
    default = str(attr.default)
    if default.lower() in _KEYWORDS or (attr.numeric and _NUMBER.fullmatch(default)):
        return default
    return "'" + default.replace("'", "''") + "'"


class Heading:
    """The attributes of a table, in declaration order.

    Example:
        >>> h = Heading([Attribute("a", "int32", True, False, "")])
        >>> h.names, h.primary_key
        (['a'], ['a'])
    """

    def __init__(self, attributes: Iterable[Attribute]) -> None:
        self.attributes: dict[str, Attribute] = {a.name: a for a in attributes}

    @property
    def names(self) -> list[str]:
        """All attribute names."""
        return list(self.attributes)

    @property
    def primary_key(self) -> list[str]:
        """Names of the primary-key attributes."""
        return [a.name for a in self.attributes.values() if a.in_key]

    @property
    def secondary_attributes(self) -> list[str]:
        """Names of the attributes outside the primary key."""
        return [a.name for a in self.attributes.values() if not a.in_key]

    @property
    def non_blobs(self) -> list[str]:
        """Names of the attributes that hold neither a blob, an attachment nor JSON: the ones
        a listing shows as they are (DataJoint's ``heading.non_blobs``).

        Example:
            >>> Heading([Attribute("a", "int32", True, False, ""),
            ...          Attribute("b", "<blob>", False, False, "", is_blob=True)]).non_blobs
            ['a']
        """
        return [
            a.name
            for a in self.attributes.values()
            if not (a.is_blob or a.is_attachment or a.is_filepath or a.json)
        ]

    def __getitem__(self, name: str) -> Attribute:
        return self.attributes[name]

    def __iter__(self) -> Any:
        return iter(self.attributes.values())

    def __len__(self) -> int:
        return len(self.attributes)

    def __contains__(self, name: object) -> bool:
        return name in self.attributes

    def __repr__(self) -> str:
        """The attributes as definition lines, defaults included, so the text declares a
        table with the same attributes (as DataJoint's heading text does)."""
        lines = []
        for attr in self.attributes.values():
            name = attr.name if attr.default is None else f"{attr.name} = {_literal(attr)}"
            lines.append(f"{name} : {attr.type}" + (f"  # {attr.comment}" if attr.comment else ""))
        keys = len(self.primary_key)
        return "\n".join([*lines[:keys], "---", *lines[keys:]])
