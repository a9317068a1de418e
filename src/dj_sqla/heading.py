"""A table's heading: its attributes, with the fields DataJoint's heading has.

``Mouse.heading`` (and ``Mouse.heading.attributes["dob"]``) as DataJoint pipelines read them:
names, declared types, key membership, nullability, comments, defaults and the kinds DataJoint
reports (``is_blob``, ``uuid``, ``json``...). Pure data, built from a declared Table.
"""

from __future__ import annotations

import dataclasses
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from ._column_types import CodecColumn
from .codecs import AdapterCodec, get_codec, parse_type_spec, resolve_dtype


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
    codec: Any = None
    store: str | None = None
    is_attachment: bool = False
    is_filepath: bool = False

    @property
    def sql_type(self) -> str:
        """The declared type (alias of ``type``)."""
        return self.type

    @property
    def is_external(self) -> bool:
        """Whether its values are kept in an object store (any ``@store`` type, DataJoint 2's
        ``<blob@raw>`` or 0.14's ``blob@raw``)."""
        return self.store is not None

    @property
    def original_type(self) -> str:
        """The declared type as the definition writes it (DataJoint 2's name; ``type``)."""
        return self.type

    @property
    def is_hash_object(self) -> bool:
        """Whether its values are hash-addressed objects in a store (``<hash@>``, and
        ``<blob@>``/``<attach@>`` with a store)."""
        name = getattr(self.codec, "name", None)
        return name == "hash" or (name in ("blob", "attach") and self.store is not None)

    @property
    def is_schema_object(self) -> bool:
        """Whether its values are schema-addressed objects (``<object@>``, ``<npy@>`` and other
        codecs that store at paths made from the schema, table and key)."""
        return bool(getattr(self.codec, "schema_addressed", False))

    @property
    def adapter(self) -> Any:
        """The ``dj.AttributeAdapter`` of a DataJoint 0.14 adapted attribute, else None."""
        return self.codec.adapter if isinstance(self.codec, AdapterCodec) else None


#: The values an :class:`Attribute` takes when not given (DataJoint's name), for building one
#: from a few overrides: ``Attribute(**{**default_attribute_properties, "name": "x"})``.
default_attribute_properties: dict[str, Any] = {
    "name": "",
    "type": "",
    "in_key": False,
    "nullable": False,
    "comment": "",
    "default": None,
    "autoincrement": False,
    "dtype": object,
    "numeric": False,
    "string": False,
    "uuid": False,
    "json": False,
    "is_blob": False,
    "is_hidden": False,
    "codec": None,
    "store": None,
}


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

    @property
    def as_dtype(self) -> np.dtype[Any]:
        """A numpy record dtype with one field per attribute (``np.array(rows, dtype=...)``);
        numbers get their numpy type, everything else ``object``."""
        return np.dtype([(a.name, a.dtype) for a in self.attributes.values()])

    def __iter__(self) -> Any:
        """The attribute names, as iterating DataJoint's heading gives them (and as ``in``
        tests them); ``heading.attributes.values()`` gives the attributes."""
        return iter(self.attributes)

    def __len__(self) -> int:
        return len(self.attributes)

    def __contains__(self, name: object) -> bool:
        return name in self.attributes

    def __repr__(self) -> str:
        """The attributes as definition lines, defaults included, so the text declares a
        table with the same attributes (as DataJoint's heading text does)."""

        def line(attr: Attribute) -> str:
            name = attr.name if attr.default is None else f"{attr.name} = {_literal(attr)}"
            return f"{name} : {attr.type}" + (f"  # {attr.comment}" if attr.comment else "")

        key = [line(a) for a in self.attributes.values() if a.in_key]
        rest = [line(a) for a in self.attributes.values() if not a.in_key]
        return "\n".join([*key, "---", *rest])


_NUMPY_NAMES = frozenset(
    ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"]
)


def attribute_of(column: sa.Column[Any]) -> Attribute:
    """The heading entry of a declared column."""
    spec = column.info["dj"].spec
    default: str | None = None
    server_default = column.server_default
    if server_default is not None:
        arg = getattr(server_default, "arg", None)
        default = str(getattr(arg, "text", arg))
    elif column.nullable:
        default = "null"
    kind = spec.python_type
    codec: Any = None
    store = _store_of(spec.name)
    if spec.name.startswith("<") and isinstance(column.type, CodecColumn):
        # the column's codec: an adapted <name> runs one of another (private) name; a codec
        # column read back without its codec (raw_codecs) is plain bytes and has none
        codec = get_codec(column.type.spec)
        if isinstance(codec, AdapterCodec):
            store = resolve_dtype(column.type.spec)[2]
    return Attribute(
        column.name,
        spec.name,
        column.primary_key,
        bool(column.nullable),
        column.info["dj"].comment,
        default=default,
        autoincrement=column.autoincrement is True,
        dtype=np.dtype(spec.name) if spec.name in _NUMPY_NAMES else np.dtype(object),
        numeric=kind in (int, float, decimal.Decimal),
        string=kind is str,
        uuid=kind is uuid.UUID,
        json=spec.is_json,
        is_blob=spec.is_blob,
        codec=codec,
        store=store,
        is_attachment=spec.name.lstrip("<").startswith("attach"),
        is_filepath=spec.name.lstrip("<").startswith("filepath"),
    )


def _store_of(type_name: str) -> str | None:
    """The store a type names: ``<blob@raw>`` and 0.14's ``blob@raw`` give ``raw``."""
    if type_name.startswith("<"):
        return parse_type_spec(type_name)[1]
    return type_name.partition("@")[2] or None


def heading_of(columns: Mapping[str, Any], primary_key: Sequence[str]) -> Heading:
    """The heading of a query: each attribute as its table declares it (renamed and with the
    query's key membership), a computed one as an expression of its SQL type."""
    attributes = []
    for name, element in columns.items():
        column = getattr(element, "element", element)  # a label's column
        if isinstance(column, sa.Column) and "dj" in column.info:
            attribute = dataclasses.replace(
                attribute_of(column), name=name, in_key=name in primary_key
            )
        else:
            try:
                python_type = element.type.python_type
            except (AttributeError, NotImplementedError):  # no type, or one without it
                python_type = None
            attribute = Attribute(
                name,
                "expression",
                name in primary_key,
                True,
                "calculated attribute",
                numeric=python_type in (int, float, decimal.Decimal),
                string=python_type is str,
            )
        attributes.append(attribute)
    return Heading(attributes)
