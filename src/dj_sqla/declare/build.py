"""Parsed definitions → ``sqlalchemy.Table`` objects (pure: no database is touched).

Foreign keys follow DataJoint's meaning: the child gets a copy of each primary-key attribute of
the parent (renamed by ``.proj(new='old')``), in the primary key when the ``->`` line is above
``---``, and the constraint is ``ON UPDATE CASCADE ON DELETE RESTRICT``. Each column's comment
holds ``:type:comment``, the declared type followed by the user's comment, as DataJoint 2
stores it, so the declaration can be read back from the database.

Example:
    >>> import sqlalchemy as sa
    >>> from dj_sqla.declare.parser import parse_definition
    >>> md = sa.MetaData(schema="lab")
    >>> t = build_table(md, "mouse", parse_definition("mouse_id : int32\\n---\\nsex : char(1)"),
    ...                 resolve=lambda ref, line: None)
    >>> [c.name for c in t.primary_key], t.c.sex.comment
    (['mouse_id'], ':char(1):')
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .._naming import constraint_name
from ..backends._checks import length_check, nonnegative_check, range_check
from ..errors import DefinitionError
from ..types import EXTERNAL_TABLE, INTEGER_RANGES, CodecColumn, TypeSpec, resolve_type
from .parser import Attribute, Definition, ForeignKeyRef

#: A number literal allowed as a bare default (anything else must be quoted).
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_KEYWORDS = {"current_timestamp": sa.text("CURRENT_TIMESTAMP")}
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class ColumnInfo:
    """What dj_sqla knows about one column beyond SQLAlchemy's Column (stored in ``info``)."""

    spec: TypeSpec
    comment: str


def comment_marker(spec_name: str, comment: str) -> str:
    """The column comment that stores the declared type: ``:type:comment``."""
    return f":{spec_name}:{comment}"


def parse_marker(text: str | None) -> tuple[str, str] | None:
    """Split a ``:type:comment`` column comment; None when the comment has no marker.

    The type ends at the first ``:`` outside quotes and parentheses (enum values may hold ``:``).
    """
    if not text or not text.startswith(":"):
        return None
    depth, quote = 0, ""
    for i, ch in enumerate(text[1:], start=1):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == ":" and depth == 0:
            return text[1:i], text[i + 1 :]
    return None


def _fail(table: str, line: int, text: str, problem: str) -> DefinitionError:
    return DefinitionError(f"Table `{table}`, line {line}: `{text}` — {problem}")


def _remaining_key(
    item: ForeignKeyRef, parent: sa.Table, columns: dict[str, sa.Column[Any]], table: str
) -> str:
    """The parent's key attribute that the classic ``(new) -> Parent`` renames: its only one,
    or the only one the table does not have yet (DataJoint 0.12's rule)."""
    key = [c.name for c in parent.primary_key]
    candidates = key if len(key) == 1 else [n for n in key if n not in columns]
    if len(candidates) != 1:
        raise _fail(
            table,
            item.line,
            item.text,
            f"cannot tell which primary-key attribute of `{parent.name}` "
            f"({', '.join(key)}) `{item.rename_remaining}` renames; write "
            f"`-> {'.'.join(item.target)}.proj({item.rename_remaining}='...')`.",
        )
    return candidates[0]


def _server_default(attr: Attribute, spec: TypeSpec, table: str) -> Any:
    """The server default for an attribute, never built by pasting user text into SQL."""
    raw = attr.default
    if raw is None:
        return None
    if spec.is_blob:
        raise _fail(
            table,
            attr.line,
            attr.text,
            "blob attributes can only default to null; write `= null` or remove the default.",
        )
    lowered = raw.lower()
    if lowered in _KEYWORDS:
        return _KEYWORDS[lowered]
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1].replace(raw[0] * 2, raw[0])  # SQLAlchemy quotes it for the backend
    if lowered in _BOOLEANS:
        return sa.true() if _BOOLEANS[lowered] else sa.false()
    if spec.python_type is bool and raw in ("0", "1"):
        return sa.true() if raw == "1" else sa.false()  # PostgreSQL's boolean takes no 0/1
    if _NUMBER.fullmatch(raw):
        return sa.literal_column(raw)  # validated number literal
    if spec.python_type is str:
        return raw  # DataJoint quotes an unquoted text default (`= linear : varchar(80)`)
    raise _fail(
        table,
        attr.line,
        attr.text,
        f"the default `{raw}` is not a number, a quoted string, true/false, null or "
        "CURRENT_TIMESTAMP; quote text defaults.",
    )


def declared_checks(table: str, column: sa.Column[Any], spec: TypeSpec) -> list[sa.CheckConstraint]:
    """The CHECKs that make every backend refuse what MySQL refuses: text longer than
    varchar(n) and integers outside their declared type's range (each rendered only on the
    backends that need it).

    Example:
        >>> column = sa.Column("tag", sa.String(8))
        >>> [c.sqltext.text for c in declared_checks("t", column, resolve_type("varchar(8)"))]
        ['length("tag") <= 8']
    """
    checks: list[sa.CheckConstraint] = []
    length = getattr(spec.sa_type, "length", None)
    unsigned = spec.name.endswith(" unsigned")
    if length is None and spec.name not in INTEGER_RANGES and not unsigned:
        return checks
    name = constraint_name("CheckConstraint", table, [column.name])
    if isinstance(length, int) and spec.python_type is str:
        checks.append(length_check(column, length, name=name))
    if spec.name in INTEGER_RANGES:
        checks.append(range_check(column, spec.name, *INTEGER_RANGES[spec.name], name=name))
    if spec.python_type is decimal.Decimal and spec.name.endswith(" unsigned"):
        checks.append(nonnegative_check(column, name=name))
    return checks


#: The hidden primary key DataJoint 2 gives a table that declares none (a singleton table:
#: it holds at most one row). Attributes whose names start with ``_`` are hidden from queries.
SINGLETON_KEY = Attribute(
    name="_singleton",
    type="bool",
    in_key=True,
    nullable=False,
    default="1",
    comment="singleton primary key",
    auto_increment=False,
    line=0,
    text="_singleton = 1 : bool # singleton primary key",
)


def external_table(metadata: sa.MetaData, store: str) -> sa.Table:
    """DataJoint 0.14's tracking table of ``store`` in the schema (added once): a row per
    stored object, which the rows that use it reference by its ``hash``."""
    name = EXTERNAL_TABLE.format(store=store)
    key = f"{metadata.schema}.{name}" if metadata.schema else name
    if key in metadata.tables:
        return metadata.tables[key]
    uuid_type = resolve_type("uuid")
    columns = [
        (
            "hash",
            uuid_type,
            False,
            "hash of contents (blob), of filename + contents (attach), "
            "or relative filepath (filepath)",
        ),
        ("size", resolve_type("bigint unsigned"), False, "size of object in bytes"),
        ("attachment_name", resolve_type("varchar(255)"), True, "the filename of an attachment"),
        (
            "filepath",
            resolve_type("varchar(1000)"),
            True,
            "relative filepath or attachment filename",
        ),
        ("contents_hash", uuid_type, True, "used for the filepath datatype"),
    ]
    table = sa.Table(
        name,
        metadata,
        *(
            sa.Column(
                column,
                spec.sa_type,
                primary_key=column == "hash",
                nullable=nullable,
                comment=comment_marker(spec.name, comment) if spec.name == "uuid" else comment,
            )
            for column, spec, nullable, comment in columns
        ),
        sa.Column(
            "timestamp",
            resolve_type("timestamp").sa_type,
            nullable=False,
            server_default=sa.func.current_timestamp(),
            comment="automatic timestamp",
        ),
        comment="external storage tracking",
    )
    table.info["dj_external_store"] = store
    return table


#: ``resolve(ref, line)`` returns the parent Table and the ColumnInfo of its columns, or raises.
Resolver = Callable[[ForeignKeyRef, int], "tuple[sa.Table, dict[str, ColumnInfo]] | None"]


def build_table(
    metadata: sa.MetaData,
    name: str,
    definition: Definition,
    *,
    resolve: Resolver,
    raw_codecs: bool = False,
    adapters: Mapping[str, Any] | None = None,
) -> sa.Table:
    """Create the ``sqlalchemy.Table`` for ``definition`` in ``metadata``.

    Args:
        metadata: the schema's MetaData; the table is added to it.
        name: the SQL table name.
        definition: the parsed definition.
        resolve: looks up the parent of a foreign-key line.
        raw_codecs: read DataJoint codec columns as raw bytes (tables read back from a
            database only).
        adapters: the declaring context, where ``<name>`` finds DataJoint 0.14's
            ``dj.AttributeAdapter`` instances.

    Raises:
        DefinitionError: naming the table, line and text.
    """
    columns: dict[str, sa.Column[Any]] = {}
    infos: dict[str, ColumnInfo] = {}
    key: list[str] = []
    constraints: list[Any] = []

    def add_column(
        column: sa.Column[Any], info: ColumnInfo, in_key: bool, line: int, text: str
    ) -> None:
        if column.name in columns:
            raise _fail(
                name,
                line,
                text,
                f"attribute `{column.name}` is already defined; rename one of them "
                "(for a foreign key, with `.proj(new_name='old_name')`).",
            )
        column.info["dj"] = info
        columns[column.name] = column
        infos[column.name] = info
        if in_key:
            key.append(column.name)

    items = list(definition.items)
    if not any(item.in_key for item in items):
        items.insert(0, SINGLETON_KEY)  # DataJoint 2: at most one row, keyed by a hidden flag
    for item in items:
        if isinstance(item, Attribute):
            spec = resolve_type(
                item.type,
                table=name,
                line=item.line,
                attribute=item.name,
                raw_codecs=raw_codecs,
                adapters=adapters,
            )
            if item.in_key and (spec.is_blob or spec.is_json):
                raise _fail(
                    name,
                    item.line,
                    item.text,
                    "blob and json attributes cannot be in the primary key; move the line "
                    "below `---`.",
                )
            if item.auto_increment and not spec.is_integer:
                raise _fail(
                    name,
                    item.line,
                    item.text,
                    "auto_increment needs an integer type such as int32 or int64.",
                )
            sa_type = spec.sa_type
            if item.auto_increment:
                # SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY
                sa_type = sa_type.with_variant(sa.Integer(), "sqlite")
            column = sa.Column(
                item.name,
                sa_type,
                nullable=item.nullable,
                server_default=_server_default(item, spec, name),
                autoincrement=item.auto_increment,
                # auto_increment is kept in the marker: reflection cannot tell it on SQLite
                comment=comment_marker(
                    spec.name + (" auto_increment" if item.auto_increment else ""), item.comment
                ),
            )
            if isinstance(column.type, CodecColumn):
                column.type.where = (f"`{name}`", column.name)  # for codec error messages
                column.type.schema = metadata.schema
                column.type.table_name = name
                store = column.type.external_store
                if store is not None:  # DataJoint 0.14: refers to the store's tracking table
                    tracking = external_table(metadata, store)
                    constraints.append(
                        sa.ForeignKeyConstraint(
                            [column.name],
                            [tracking.c.hash],
                            onupdate="RESTRICT",
                            ondelete="RESTRICT",
                            name=constraint_name("ForeignKeyConstraint", name, [column.name]),
                        )
                    )
            add_column(column, ColumnInfo(spec, item.comment), item.in_key, item.line, item.text)
            constraints.extend(declared_checks(name, column, spec))
            continue
        found = resolve(item, item.line)
        if found is None:
            raise _fail(name, item.line, item.text, "the referenced table is not declared.")
        parent, parent_infos = found
        renames = {old: new for new, old in item.renames}
        if item.rename_remaining is not None:
            renames[_remaining_key(item, parent, columns, name)] = item.rename_remaining
        unknown = set(renames) - {c.name for c in parent.primary_key}
        if unknown:
            raise _fail(
                name,
                item.line,
                item.text,
                f"{', '.join(sorted(unknown))} is not in the primary key of `{parent.name}`; "
                "`.proj(new='old')` can only rename its primary-key attributes.",
            )
        local: list[str] = []
        for parent_column in parent.primary_key:
            new_name = renames.get(parent_column.name, parent_column.name)
            info = parent_infos[parent_column.name]
            existing = columns.get(new_name)
            if existing is not None and existing.info["dj"].spec.name == info.spec.name:
                local.append(new_name)  # two parents share this attribute (same lineage)
                continue
            column = sa.Column(
                new_name,
                info.spec.sa_type,
                nullable=item.nullable,
                autoincrement=False,
                comment=comment_marker(info.spec.name, info.comment),
            )
            add_column(column, info, item.in_key, item.line, item.text)
            local.append(new_name)
        targets = [f"{parent.name}.{c.name}" for c in parent.primary_key]
        constraints.append(
            sa.ForeignKeyConstraint(
                local,
                list(parent.primary_key),
                name=constraint_name(
                    "ForeignKeyConstraint",
                    name,
                    [f"{c}->{t}" for c, t in zip(local, targets, strict=True)],
                ),
                onupdate="CASCADE",
                ondelete="RESTRICT",
            )
        )
        if item.unique:
            constraints.append(
                sa.UniqueConstraint(*local, name=constraint_name("UniqueConstraint", name, local))
            )

    for index in definition.indexes:
        missing = [a for a in index.attributes if a not in columns]
        if missing:
            raise _fail(
                name,
                index.line,
                index.text,
                f"{', '.join(missing)} is not an attribute of the table; index declared "
                "attributes only.",
            )
        index_name = constraint_name("Index", name, index.attributes)
        constraints.append(sa.Index(index_name, *index.attributes, unique=index.unique))
    # constraints are named here, as the MetaData's convention would name them (``_naming``)
    primary_key = sa.PrimaryKeyConstraint(
        *key, name=constraint_name("PrimaryKeyConstraint", name, key)
    )
    return sa.Table(
        name,
        metadata,
        *columns.values(),
        primary_key,
        *constraints,
        comment=definition.comment or None,
    )
