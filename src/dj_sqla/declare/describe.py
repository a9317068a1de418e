"""Table in the database → definition text (``Table.describe()``).

Everything comes from what the database stores: the declared types and comments from the
``:type:comment`` column comments (SQLite: the annotated CREATE statement), primary key,
foreign keys, defaults and indexes from SQLAlchemy's inspector. Declaring the returned text
gives an identical table. A column no declaration made (a table of a plain SQLAlchemy
application) gets the DataJoint type closest to its reflected type: ``varchar`` without a
length is ``text``, a PostgreSQL ``SERIAL`` or MySQL ``AUTO_INCREMENT`` key is
``auto_increment``, a native enum lists its values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import DataJointError
from ..types import EXTERNAL_TABLE, resolve_type
from .build import parse_marker
from .names import is_hidden, tier_and_names

if TYPE_CHECKING:
    from ..backends.base import Annotations, ForeignKeyInfo
    from ..connection import Schema

# server defaults as the backends report them: 'U'::character varying, ('U'), b'1', ...
_CAST = re.compile(r"::[\w\s.\"]+(\[\])?$")


def _default_text(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = raw.strip()
    while len(text) > 1 and text[0] == "(" and text[-1] == ")":
        text = text[1:-1].strip()
    text = _CAST.sub("", text)
    if text.upper() in ("NULL", ""):
        return None
    if text.lower() in ("current_timestamp", "current_timestamp()", "now()"):
        return "CURRENT_TIMESTAMP"
    if text.lower() in ("true", "false"):
        return text.lower()
    return text  # quoted strings and numbers as stored


#: Generic SQLAlchemy types (most specific first) → the DataJoint type of a reflected column
#: whose own spelling is not one (``DOUBLE PRECISION``, ``BYTEA``, ``JSONB``, ``TIMESTAMP
#: WITHOUT TIME ZONE``...).
_GENERIC: tuple[tuple[type, str], ...] = (
    (sa.Boolean, "bool"),
    (sa.BigInteger, "int64"),
    (sa.SmallInteger, "int16"),
    (sa.Integer, "int32"),
    (sa.Double, "float64"),
    (sa.Numeric, "decimal"),
    (sa.DateTime, "datetime"),
    (sa.Date, "date"),
    (sa.Time, "time"),
    (sa.Uuid, "uuid"),
    (sa.JSON, "json"),
    (sa.LargeBinary, "bytes"),
    (sa.Text, "text"),
    (sa.String, "varchar"),
)


def _known(name: str) -> bool:
    try:
        resolve_type(name, raw_codecs=True)
    except DataJointError:
        return False
    return True


def reflected_type(type_: Any, *, legacy_blobs: bool) -> str:
    """The DataJoint type of a column that carries no ``:type:`` marker.

    A binary column is raw ``bytes``, except where DataJoint 0.14 may have made it
    (``legacy_blobs``: MySQL), whose ``longblob`` without a marker is a serialized blob.

    Example:
        >>> reflected_type(sa.String(), legacy_blobs=False)
        'text'
    """
    spelled = str(type_).lower()
    if isinstance(type_, sa.LargeBinary) and not legacy_blobs:
        return "bytes"
    if isinstance(type_, sa.Enum) and type_.enums:
        values = ",".join("'" + value.replace("'", "''") + "'" for value in type_.enums)
        return f"enum({values})"
    if not isinstance(type_, sa.Enum) and _known(spelled):
        return spelled
    if isinstance(type_, sa.Float) and not isinstance(type_, sa.Double):
        # REAL / FLOAT(p): 4 bytes up to 24 bits of precision; SQLite's REAL is 8
        return "float32" if (type_.precision or 53) <= 24 else "float64"
    if isinstance(type_, sa.Numeric) and type_.precision is not None:
        return f"decimal({type_.precision},{type_.scale or 0})"
    if isinstance(type_, sa.CHAR | sa.NCHAR) and type_.length:
        return f"char({type_.length})"
    if isinstance(type_, sa.String) and not isinstance(type_, sa.Text):
        return f"varchar({type_.length})" if type_.length else "text"
    for generic, name in _GENERIC:
        if isinstance(type_, generic):
            return name
    return spelled  # declaring it says that the type is not supported, and what to use


def _names(index: Any) -> tuple[str, ...]:
    """An index's column names (expression indexes have None entries, shown as `?`)."""
    return tuple(name or "?" for name in index["column_names"])


def _class_name(schema: Schema, referred_schema: str, referred_table: str) -> str:
    """How the definition names the parent: its class name (``Master.Part`` for parts); the
    DataJoint name of the table when no class of this process maps it (reflection builds the
    classes parents first)."""
    cls = schema.class_for(referred_schema, referred_table)
    if cls is not None:
        return str(cls.__qualname__.rpartition("<locals>.")[2])
    return ".".join(tier_and_names(referred_table)[1])


@dataclass
class Reflected:
    """What the database stores about one table, as describe() needs it."""

    columns: list[Any]
    key: list[str]
    indexes: list[Any]
    uniques: list[Any]
    notes: Annotations


def reflect(schema: Schema, names: list[str]) -> dict[str, Reflected]:
    """Read ``names`` of ``schema`` with multi-table inspection (a bounded number of queries
    on PostgreSQL, whatever the number of tables; MySQL and SQLite answer per table)."""
    backend = schema.connection.backend
    where = str(schema.database)
    with schema.connection.engine.connect() as conn:
        insp = sa.inspect(conn)
        columns = insp.get_multi_columns(schema=where, filter_names=names)
        keys = insp.get_multi_pk_constraint(schema=where, filter_names=names)
        indexes = insp.get_multi_indexes(schema=where, filter_names=names)
        uniques = insp.get_multi_unique_constraints(schema=where, filter_names=names)
        notes = backend.read_annotations(conn, where, names, columns)
    return {
        name: Reflected(
            list(columns.get((where, name), [])),
            _key_columns(keys.get((where, name))),
            list(indexes.get((where, name), [])),
            list(uniques.get((where, name), [])),
            notes[name],
        )
        for name in names
    }


def _key_columns(key: Any) -> list[str]:
    return list(key["constrained_columns"]) if key else []


#: The name of DataJoint 0.14's store tracking tables, before the store's name.
EXTERNAL_PREFIX = EXTERNAL_TABLE.split("{")[0]


def describe_table(schema: Schema, table: sa.Table) -> str:
    """The definition text of ``table`` as stored in the database."""
    return render(schema, table.name, reflect(schema, [table.name])[table.name])


def render(schema: Schema, table_name: str, reflected: Reflected) -> str:
    """The definition text of one reflected table."""
    columns, key, indexes = reflected.columns, reflected.key, reflected.indexes
    uniques, notes = reflected.uniques, reflected.notes
    table = sa.table(table_name, schema=schema.database)

    # a DataJoint 0.14 store type references its store's tracking table: its line says so
    foreign_keys = [
        fk for fk in notes.foreign_keys if not fk.referred_table.startswith(EXTERNAL_PREFIX)
    ]
    fk_columns = {c for fk in foreign_keys for c in fk.columns}
    unique_sets = {tuple(u["column_names"]) for u in uniques}
    unique_sets |= {_names(ix) for ix in indexes if ix.get("unique")}

    def fk_line(fk: ForeignKeyInfo, nullable: bool) -> str:
        options = []
        if nullable:
            options.append("nullable")
        if tuple(fk.columns) in unique_sets:
            options.append("unique")
        name = _class_name(schema, fk.referred_schema, fk.referred_table)
        if table.name.startswith(fk.referred_table + "__") and fk.referred_schema == table.schema:
            name = "master"
        pairs = zip(fk.columns, fk.referred_columns, strict=True)
        renames = [f"{new}='{old}'" for new, old in pairs if new != old]
        text = "-> " + (f"[{', '.join(options)}] " if options else "") + name
        return text + (f".proj({', '.join(renames)})" if renames else "")

    # DataJoint 0.14 ran on MySQL only: there a blob without a type marker may be its
    # serialized blob (a capability of the backend, named here as it is the only case)
    legacy_blobs = schema.connection.backend.name == "mysql"

    def _reflected(type_: Any) -> str:
        return reflected_type(type_, legacy_blobs=legacy_blobs)

    by_name = {c["name"]: c for c in columns}
    key_lines: list[str] = []
    other_lines: list[str] = []
    done: set[str] = set()
    pending = list(foreign_keys)
    for column in columns:
        name = column["name"]
        if name in done or is_hidden(name):
            continue
        in_key = name in key
        target = key_lines if in_key else other_lines
        # a foreign key is written where its first new column stands, and only in the section
        # (key or not) that all its new columns belong to
        chosen = next(
            (
                fk
                for fk in pending
                if name in fk.columns
                and all((c in key) == in_key for c in fk.columns if c not in done)
            ),
            None,
        )
        if chosen is not None:
            pending.remove(chosen)
            nullable = not in_key and all(by_name[c]["nullable"] for c in chosen.columns)
            target.append(fk_line(chosen, nullable))
            done.update(chosen.columns)
            continue
        if name in fk_columns:
            continue  # written with its foreign key
        marker = parse_marker(notes.column_comments.get(name))
        type_name, comment = marker if marker else (_reflected(column["type"]), "")
        if marker is None and column.get("autoincrement") is True:
            type_name += " auto_increment"  # SERIAL or IDENTITY; MySQL's AUTO_INCREMENT
        if marker is None and notes.column_comments.get(name):
            comment = str(notes.column_comments[name])  # an application's own comment
        # an auto_increment column's server default is the backend's sequence (nextval(...))
        auto = type_name.endswith("auto_increment")
        default = None if auto else _default_text(column.get("default"))
        if column["nullable"] and not in_key:
            default_part = " = null"
        elif default is not None:
            default_part = f" = {default}"
        else:
            default_part = ""
        # auto_increment is part of the stored type marker
        line = f"{name}{default_part} : {type_name}"
        target.append(line + (f"  # {comment}" if comment else ""))
        done.add(name)

    for fk in pending:  # keys that fit no single section (not produced by definitions)
        other_lines.append(fk_line(fk, all(by_name[c]["nullable"] for c in fk.columns)))
    fk_sets = {tuple(fk.columns) for fk in foreign_keys}
    index_lines = [
        ("unique " if ix.get("unique") else "") + f"index({', '.join(_names(ix))})"
        for ix in indexes
        if _names(ix) not in fk_sets and not ix.get("duplicates_constraint")
    ]
    header = [f"# {notes.table_comment}"] if notes.table_comment else []
    return "\n".join([*header, *key_lines, "---", *other_lines, *index_lines]) + "\n"
