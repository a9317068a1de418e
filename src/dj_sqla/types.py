"""DataJoint type spellings → SQLAlchemy types that store the same values on every backend.

Pure: no database is touched. :func:`resolve_type` reads a type as written in a definition
(``int32``, ``varchar(64)``, ``enum('M','F')``, ``int unsigned``, ...) and returns a
:class:`TypeSpec` whose ``sa_type`` carries per-backend variants. MySQL variants are always keyed
on both ``"mysql"`` and ``"mariadb"``: the ``mariadb+pymysql`` dialect ignores a variant keyed
on ``"mysql"`` alone.

Choices that keep values identical across SQLite, MySQL/MariaDB and PostgreSQL:

* ``float32`` is a 4-byte FLOAT on MySQL and PostgreSQL (SQLite only has 8-byte floats). MySQL
  sends FLOAT values as 6-digit text (a stored 1234567.0 as 1234570), so
  :class:`MySQLFloat32` reads them as ``col + 0E0`` (a DOUBLE, every bit of the stored float)
  and returns the shortest decimal that is that float, as PostgreSQL does (15.3, 0.33333334).
* ``bigint unsigned`` is NUMERIC(20,0) outside MySQL, read back as ``int``
  (:class:`UInt64Numeric`); SQLite cannot hold it exactly (see :func:`sqlite_limit`).
* ``char(n)`` values come back without trailing spaces everywhere (:class:`FixedChar`), as MySQL
  returns them; PostgreSQL would pad them to ``n`` characters.
* ``datetime``, ``timestamp`` and ``time`` keep the written fractional digits (0 when omitted) on
  MySQL and PostgreSQL; ``timestamp`` is a DATETIME on MySQL (no time-zone conversion, no
  automatic update).
* ``enum`` is a native ENUM on MySQL and a VARCHAR with a CHECK constraint elsewhere, so no
  PostgreSQL ``CREATE TYPE`` is needed.

Known differences that remain: SQLite stores ``float32`` as an 8-byte float (1/3 comes back
as 0.3333333333333333, not 0.33333334) and keeps microseconds in ``datetime(0)``; MySQL pads
``binary(n)`` with zero bytes. Alembic renders the three classes below
as ``dj_sqla.types.<Name>()``, so migration scripts need ``import dj_sqla.types``.

Example:
    >>> spec = resolve_type("Varchar( 64 )")
    >>> spec.name, spec.core, spec.python_type.__name__
    ('varchar(64)', True, 'str')
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeEngine

from ._column_types import (
    CodecColumn,
    FixedChar,
    MySQLFloat32,
    RawStored,
    SQLiteDate,
    SQLiteDateTime,
    SQLiteFloat,
    SQLiteFloat32,
    SQLiteJSON,
    SQLiteTime,
    SQLiteUuid,
    UInt64Numeric,
    UuidBytes,
    decoding_with,
)
from ._config_stores import store_spec
from .codecs import AttributeAdapter, adapter_codec, is_codec_registered, resolve_dtype
from .config import config
from .errors import DataJointError, DefinitionError

__all__ = [
    "CodecColumn",
    "FixedChar",
    "MySQLFloat32",
    "TypeSpec",
    "UInt64Numeric",
    "UuidBytes",
    "decoding_with",
    "enum_values",
    "resolve_type",
    "sqlite_limit",
]

_MYSQL = ("mysql", "mariadb")
_SQLITE_DIGITS = 15  # significant digits a SQLite REAL holds exactly
_CORE_HINT = "use a DataJoint core type (int32, float64, varchar(n), date, ...)"


@dataclass(frozen=True)
class TypeSpec:
    """A resolved attribute type.

    Attributes:
        name: Canonical spelling, stored in the column comment (``varchar(64)``, ``int unsigned``).
        core: True for a DataJoint core type, False for a native spelling.
        sa_type: The SQLAlchemy type, with its MySQL/MariaDB and PostgreSQL variants.
        is_blob: Unbounded bytes: may only default to null and cannot be in the primary key.
        is_integer: An integer that can auto-increment on every backend (not
            ``bigint unsigned``: it is NUMERIC(20,0) on PostgreSQL).
        is_json: A JSON document (cannot be in the primary key).
        python_type: The Python type values come back as (``object`` for json).

    Example:
        >>> spec = resolve_type("int32")
        >>> spec.is_integer, spec.is_blob, spec.python_type
        (True, False, <class 'int'>)
    """

    name: str
    core: bool
    sa_type: TypeEngine[Any]
    is_blob: bool
    is_integer: bool
    is_json: bool
    python_type: type


class _Problem(Exception):
    """What is wrong with a type; resolve_type adds the table, line and attribute."""


_Factory = Callable[[str, "str | None"], TypeSpec]  # (canonical name, text inside parentheses)
_Make = Callable[[], TypeEngine[Any]]
_MakeSized = Callable[[int], TypeEngine[Any]]


#: The native blob spellings DataJoint 0.14 serialized into.
_LEGACY_BLOBS = frozenset({"longblob", "mediumblob", "blob", "tinyblob"})


def _codec(spec_name: str) -> _Factory:
    """A codec type: ``<blob>`` (also 0.14's ``longblob``, ``blob``...), ``<attach>`` (also
    ``attach``), or a registered plugin's ``<name>``."""

    def factory(name: str, args: str | None) -> TypeSpec:
        if args is not None:
            raise _Problem(f"`{name}` takes no arguments; write `{name}`")
        return _codec_spec(spec_name)

    return factory


def _codec_spec(spec_name: str, *, check_store: bool = False) -> TypeSpec:
    try:
        core, _, store = resolve_dtype(spec_name)
        if store is not None and check_store:
            store_spec(config["stores"], store)  # a store that is not configured: refused now
    except DataJointError as err:
        raise _Problem(str(err).rstrip(".")) from None
    storage = _resolve(core)
    python_type = object
    column = CodecColumn(spec_name, storage.sa_type)
    return TypeSpec(spec_name, True, column, True, False, False, python_type)


#: DataJoint 0.14's external types and the codecs (of the object-store layer) that keep them.
_EXTERNAL = {"blob": "external_blob", "attach": "external_attach", "filepath": "external_filepath"}
#: The tracking table of a 0.14 store, in the schema of the tables that use it.
EXTERNAL_TABLE = "~external_{store}"


def _external(text: str, raw_codecs: bool) -> TypeSpec:
    """DataJoint 0.14's ``blob@store``, ``attach@store``, ``filepath@store``: the row keeps a
    UUID (BINARY(16) on MySQL) that refers to the store's tracking table ``~external_<store>``."""
    kind, _, store = (part.strip() for part in text.partition("@"))
    kind = kind.lower()
    if kind not in _EXTERNAL or not re.fullmatch(r"[a-z][\-\w]*", store):
        raise _Problem(
            "DataJoint 0.14's store types are `blob@store`, `attach@store` and `filepath@store` "
            "(a lower-case store name); DataJoint 2's are written `<blob@store>`"
        )
    name = f"{kind}@{store}"
    codec_spec = f"<{_EXTERNAL[kind]}@{store}>"
    if not is_codec_registered(_EXTERNAL[kind]):
        raise _Problem("the object-store layer (dj_sqla.stores) is not loaded")
    if not raw_codecs:
        try:
            store_spec(config["stores"], store)
        except DataJointError as err:
            raise _Problem(str(err).rstrip(".")) from None
    column = CodecColumn(codec_spec, _TYPES["uuid"]("uuid", None).sa_type)
    column.external_store = store
    return TypeSpec(name, False, column, True, False, False, object)


def _on_mysql(base: TypeEngine[Any], variant: TypeEngine[Any]) -> TypeEngine[Any]:
    return base.with_variant(variant, *_MYSQL)


def _fixed(
    make: _Make,
    python_type: type,
    *,
    core: bool = False,
    blob: bool = False,
    integer: bool = False,
    json: bool = False,
) -> _Factory:
    """A type written without arguments."""

    def factory(name: str, args: str | None) -> TypeSpec:
        if args is not None:
            raise _Problem(f"`{name}` takes no arguments; write `{name}`")
        return TypeSpec(name, core, make(), blob, integer, json, python_type)

    return factory


def _whole(text: str, what: str, example: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise _Problem(f"the {what} must be a whole number, e.g. `{example}`")
    return int(text)


def _length(make: _MakeSized, python_type: type, *, core: bool, most: int) -> _Factory:
    """A type with one required length: ``varchar(n)``, ``binary(n)``, ..."""

    def factory(name: str, args: str | None) -> TypeSpec:
        example = f"{name}(64)"
        if args is None:
            raise _Problem(f"`{name}` needs a length, e.g. `{example}`")
        length = _whole(args, "length", example)
        if not 1 <= length <= most:
            raise _Problem(f"the length must be from 1 to {most}, e.g. `{example}`")
        return TypeSpec(f"{name}({length})", core, make(length), False, False, False, python_type)

    return factory


def _fractional(make: _MakeSized, python_type: type, *, core: bool) -> _Factory:
    """A time type with optional fractional-second digits 0..6 (0 when omitted)."""

    def factory(name: str, args: str | None) -> TypeSpec:
        digits = 0 if args is None else _whole(args, "fractional precision", f"{name}(6)")
        if digits > 6:
            raise _Problem(f"at most 6 fractional digits (microseconds); write `{name}(6)`")
        spelled = name if args is None else f"{name}({digits})"
        return TypeSpec(spelled, core, make(digits), False, False, False, python_type)

    return factory


def _decimal(*, core: bool, unsigned: bool = False) -> _Factory:
    """``decimal(p,s)`` / ``numeric(p,s)`` (``(p)`` means scale 0): exact decimals;
    ``decimal(p,s) unsigned`` (MySQL's spelling, in DataJoint 0.14 pipelines) also refuses
    negative values: natively on MySQL, by a CHECK elsewhere (see ``declare.build``)."""

    def factory(name: str, args: str | None) -> TypeSpec:
        name = name.removesuffix(" unsigned")
        example = f"{name}(10,2)"
        parts = [] if args is None else args.split(",")
        if len(parts) not in (1, 2):
            raise _Problem(f"`{name}` needs a precision and a scale, e.g. `{example}`")
        precision = _whole(parts[0], "precision", example)
        scale = _whole(parts[1], "scale", example) if len(parts) == 2 else 0
        if not 1 <= precision <= 65:
            raise _Problem(f"the precision must be from 1 to 65 (MySQL's limit), e.g. `{example}`")
        if scale > min(precision, 30):
            raise _Problem(f"the scale must be at most the precision and 30, e.g. `{example}`")
        sa_type: TypeEngine[Any] = sa.Numeric(precision, scale, asdecimal=True)
        spelled = f"{name}({precision},{scale})"
        if unsigned:
            native = mysql.DECIMAL(precision, scale, unsigned=True, asdecimal=True)
            sa_type = sa_type.with_variant(native, *_MYSQL)
            spelled += " unsigned"
        return TypeSpec(spelled, core, sa_type, False, False, False, decimal.Decimal)

    return factory


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _parse_enum(args: str) -> tuple[str, ...]:
    """Read ``'a', "b", 'it''s'``: quoted values; a doubled quote or a backslash escapes."""
    hint = "write quoted values separated by commas, e.g. `enum('M','F')`"
    values: list[str] = []
    pos, end = 0, len(args)
    while True:
        while pos < end and args[pos].isspace():
            pos += 1
        if pos == end or args[pos] not in "'\"":
            raise _Problem(f"enum values must be quoted; {hint}")
        quote, chars, pos = args[pos], [], pos + 1
        while True:
            if pos >= end:
                raise _Problem(f"unterminated quote in the enum values; {hint}")
            char = args[pos]
            if char == "\\" and pos + 1 < end:
                chars.append(args[pos + 1])
                pos += 2
            elif char == quote and args[pos + 1 : pos + 2] == quote:
                chars.append(quote)
                pos += 2
            elif char == quote:
                pos += 1
                break
            else:
                chars.append(char)
                pos += 1
        values.append("".join(chars))
        while pos < end and args[pos].isspace():
            pos += 1
        if pos == end:
            return tuple(values)
        if args[pos] != ",":
            raise _Problem(f"unexpected `{args[pos:]}` after an enum value; {hint}")
        pos += 1


def _enum(name: str, args: str | None) -> TypeSpec:
    if args is None or not args.strip():
        raise _Problem("an enum needs at least one value, e.g. `enum('M','F')`")
    values = _parse_enum(args)
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise _Problem(f"the enum value {_quote(repeated[0])} is listed twice; list it once")
    longest = max(1, *(len(value) for value in values))
    sa_type = _on_mysql(
        sa.Enum(*values, native_enum=False, length=longest, create_constraint=True),
        mysql.ENUM(*values),
    )
    spelled = f"{name}({','.join(_quote(value) for value in values)})"
    return TypeSpec(spelled, True, sa_type, False, False, False, str)


def _mysql_variant(generic: _Make, variant: _Make) -> _Make:
    """``generic`` everywhere but MySQL/MariaDB, where ``variant`` is used."""
    return lambda: _on_mysql(generic(), variant())


def _sized(generic: _MakeSized, variant: _MakeSized) -> _MakeSized:
    return lambda length: _on_mysql(generic(length), variant(length))


def _fsp(generic: _Make, on_mysql: Callable[..., Any], on_pg: Callable[..., Any]) -> _MakeSized:
    """A time type with ``digits`` fractional seconds on MySQL and PostgreSQL."""
    return lambda digits: _on_mysql(generic(), on_mysql(fsp=digits)).with_variant(
        on_pg(precision=digits), "postgresql"
    )


def _float64_type() -> TypeEngine[Any]:
    return sa.Double().with_variant(SQLiteFloat(), "sqlite")


def _float32_type() -> TypeEngine[Any]:
    # PostgreSQL reflects FLOAT(24) as REAL; declaring REAL there keeps Alembic's type
    # comparison quiet (FLOAT(24) and REAL are the same 4-byte type)
    return (
        sa.Float(precision=24)
        .with_variant(postgresql.REAL(), "postgresql")
        .with_variant(SQLiteFloat32(precision=24), "sqlite")
    )


_FLOAT32 = _mysql_variant(_float32_type, MySQLFloat32)
_DATETIME = _fsp(sa.DateTime, mysql.DATETIME, postgresql.TIMESTAMP)


def _sqlite_iso(make: _MakeSized, on_sqlite: type[TypeEngine[Any]]) -> _MakeSized:
    """``make`` with SQLite's variant that also takes ISO text."""
    return lambda digits: make(digits).with_variant(on_sqlite(), "sqlite")


#: MySQL integer types: (generic signed, MySQL type, generic type holding the unsigned range).
_INTEGERS: dict[str, tuple[_Make, Callable[..., TypeEngine[Any]], _Make]] = {
    "tinyint": (sa.SmallInteger, mysql.TINYINT, sa.SmallInteger),
    "smallint": (sa.SmallInteger, mysql.SMALLINT, sa.Integer),
    "mediumint": (sa.Integer, mysql.MEDIUMINT, sa.Integer),
    "int": (sa.Integer, mysql.INTEGER, sa.BigInteger),
    "bigint": (sa.BigInteger, mysql.BIGINT, UInt64Numeric),
}


def _integer(name: str, *, unsigned: bool) -> _Factory:
    generic, native, wider = _INTEGERS[name]

    def make() -> TypeEngine[Any]:
        if unsigned:
            return _on_mysql(wider(), native(unsigned=True))
        return _on_mysql(generic(), native())

    # NUMERIC(20,0) (bigint unsigned outside MySQL) cannot auto-increment on PostgreSQL
    return _fixed(make, int, integer=not (unsigned and name == "bigint"))


_TYPES: dict[str, _Factory] = {
    # DataJoint core types
    "int8": _fixed(_mysql_variant(sa.SmallInteger, mysql.TINYINT), int, core=True, integer=True),
    "int16": _fixed(sa.SmallInteger, int, core=True, integer=True),
    "int32": _fixed(sa.Integer, int, core=True, integer=True),
    "int64": _fixed(sa.BigInteger, int, core=True, integer=True),
    "float32": _fixed(_FLOAT32, float, core=True),
    "float64": _fixed(_float64_type, float, core=True),
    "bool": _fixed(lambda: sa.Boolean(create_constraint=False), bool, core=True),
    "uuid": _fixed(
        lambda: sa.Uuid().with_variant(UuidBytes(), *_MYSQL).with_variant(SQLiteUuid(), "sqlite"),
        uuid.UUID,
        core=True,
    ),
    "json": _fixed(
        lambda: (
            sa.JSON()
            .with_variant(postgresql.JSONB(), "postgresql")
            .with_variant(SQLiteJSON(), "sqlite")
        ),
        object,
        core=True,
        json=True,
    ),
    "bytes": _fixed(_mysql_variant(sa.LargeBinary, mysql.LONGBLOB), bytes, core=True, blob=True),
    "date": _fixed(
        lambda: sa.Date().with_variant(SQLiteDate(), "sqlite"), datetime.date, core=True
    ),
    "datetime": _fractional(_sqlite_iso(_DATETIME, SQLiteDateTime), datetime.datetime, core=True),
    "char": _length(FixedChar, str, core=True, most=255),
    "varchar": _length(sa.String, str, core=True, most=65535),
    "enum": _enum,
    "decimal": _decimal(core=True),
    "decimal unsigned": _decimal(core=False, unsigned=True),
    # native spellings
    **{name: _integer(name, unsigned=False) for name in _INTEGERS},
    **{f"{name} unsigned": _integer(name, unsigned=True) for name in _INTEGERS},
    "float": _fixed(_FLOAT32, float),
    "double": _fixed(_float64_type, float),
    "real": _fixed(_float64_type, float),
    "numeric": _decimal(core=False),
    "numeric unsigned": _decimal(core=False, unsigned=True),
    "text": _fixed(_mysql_variant(sa.Text, mysql.LONGTEXT), str),
    "tinytext": _fixed(_mysql_variant(sa.Text, mysql.TINYTEXT), str),
    "mediumtext": _fixed(_mysql_variant(sa.Text, mysql.MEDIUMTEXT), str),
    "longtext": _fixed(_mysql_variant(sa.Text, mysql.LONGTEXT), str),
    # DataJoint 0.14's serialized blobs (what 0.14 pipelines store arrays in) and
    # attachments, declared as DataJoint 2's <blob> and <attach>; raw bytes are `bytes`
    "blob": _codec("<blob>"),
    "tinyblob": _codec("<blob>"),
    "mediumblob": _codec("<blob>"),
    "longblob": _codec("<blob>"),
    "attach": _codec("<attach>"),
    "binary": _length(_sized(sa.LargeBinary, mysql.BINARY), bytes, core=False, most=255),
    "varbinary": _length(_sized(sa.LargeBinary, mysql.VARBINARY), bytes, core=False, most=65535),
    "timestamp": _fractional(_sqlite_iso(_DATETIME, SQLiteDateTime), datetime.datetime, core=False),
    "time": _fractional(
        _sqlite_iso(_fsp(sa.Time, mysql.TIME, postgresql.TIME), SQLiteTime),
        datetime.time,
        core=False,
    ),
    "year": _fixed(_mysql_variant(sa.SmallInteger, mysql.YEAR), int),
}

#: Other spellings of the same type (the canonical name is the target).
_ALIASES = {
    "integer": "int",
    "integer unsigned": "int unsigned",
    "double precision": "double",
    "boolean": "bool",
    "uint8": "tinyint unsigned",
    "uint16": "smallint unsigned",
    "uint32": "int unsigned",
    "uint64": "bigint unsigned",
}


def _split(text: str) -> tuple[str, str | None]:
    """``"Int(11)  Unsigned"`` → ``("int unsigned", "11")``: lower-cased words, raw arguments."""
    open_at = text.find("(")
    if open_at < 0:
        return " ".join(text.lower().split()), None
    close_at = text.rfind(")")
    if close_at < open_at:
        raise _Problem("unbalanced parentheses; close the `(`")
    words = text[:open_at].lower().split() + text[close_at + 1 :].lower().split()
    return " ".join(words), text[open_at + 1 : close_at]


def _adapted(name: str, adapter: AttributeAdapter, raw_codecs: bool) -> TypeSpec:
    """DataJoint 0.14's ``<name>`` for an :class:`AttributeAdapter` of the context: stored as
    its ``attribute_type``, through ``put`` on the way in and ``get`` on the way out."""
    try:
        stored_as = adapter.attribute_type
    except NotImplementedError as err:
        raise _Problem(str(err)) from None
    where = f"the attribute adapter `{name}` ({type(adapter).__name__})"
    if not isinstance(stored_as, str) or not re.match(r"\s*\w", stored_as):
        raise _Problem(
            f"{where} has attribute_type {stored_as!r}; set it to a type a definition may "
            "use, e.g. 'longblob', 'blob@store', 'filepath@store' or 'varchar(255)'"
        )
    try:
        base = _resolve(stored_as.strip(), raw_codecs)
    except _Problem as problem:
        raise _Problem(
            f"{where} has attribute_type `{stored_as}`, which is not a valid type: {problem}"
        ) from None
    if isinstance(base.sa_type, CodecColumn):
        inner, storage = base.sa_type.spec, base.sa_type.storage
    else:
        inner, storage = base.name, base.sa_type
    column = CodecColumn(f"<{adapter_codec(name, adapter, inner).name}>", storage)
    column.external_store = getattr(base.sa_type, "external_store", None)
    column.adapted = True
    return TypeSpec(f"<{name}>", False, column, base.is_blob, False, False, object)


def _resolve(
    text: str, raw_codecs: bool = False, adapters: Mapping[str, Any] | None = None
) -> TypeSpec:
    if not text:
        raise _Problem("the type is empty; write a type such as `int32` or `varchar(64)`")
    if text.startswith("<"):
        if not text.endswith(">"):
            raise _Problem("a codec type is written `<name>`; close the `>`")
        name, at, store = text[1:-1].partition("@")
        name = name.strip()
        if is_codec_registered(name):
            written = f"<{name}@{store.strip()}>" if at else f"<{name}>"
            return _codec_spec(written, check_store=not raw_codecs)
        adapter = (adapters or {}).get(name)
        if isinstance(adapter, AttributeAdapter) and not at:
            return _adapted(name, adapter, raw_codecs)
        if isinstance(adapter, type) and issubclass(adapter, AttributeAdapter) and not raw_codecs:
            raise _Problem(
                f"`{name}` in the context is the class {adapter.__name__}; put an instance "
                f"of it there ({name} = {adapter.__name__}())"
            )
        if raw_codecs:
            # a codec column of an existing table that dj_sqla cannot decode (an object
            # store's <object@s>, an unknown plugin): readable as the stored bytes
            return TypeSpec(text, False, RawStored(), True, False, False, bytes)
        raise _Problem(
            f"no codec `{name}` is registered (dj.list_codecs() lists them); define a "
            "dj.Codec subclass of that name, install the package that provides it, or (for "
            "DataJoint 0.14's adapted types) put a dj.AttributeAdapter instance of that name "
            "in the schema's context"
        )
    if "@" in text and "(" not in text:
        return _external(text, raw_codecs)
    name, args = _split(text)
    name = _ALIASES.get(name, name)
    factory = _TYPES.get(name)
    if factory is None:
        close = difflib.get_close_matches(name, [*_TYPES, *_ALIASES], n=1)
        hint = f"did you mean `{close[0]}`? Or {_CORE_HINT}" if close else _CORE_HINT
        raise _Problem(hint)
    spec = factory(name, args)
    if raw_codecs and name in _LEGACY_BLOBS and isinstance(spec.sa_type, CodecColumn):
        spec.sa_type.lenient = True  # an unmarked blob of an existing table (see CodecColumn)
    return spec


def resolve_type(
    text: str,
    *,
    table: str = "<table>",
    line: int = 0,
    attribute: str = "",
    raw_codecs: bool = False,
    adapters: Mapping[str, Any] | None = None,
) -> TypeSpec:
    """Resolve a DataJoint type spelling (case-insensitive) to a :class:`TypeSpec`.

    Args:
        text: The type as written, e.g. ``"int32"``, ``"varchar(64)"``, ``"enum('M','F')"``.
        table: The table's name, for error messages.
        line: The definition line, for error messages.
        attribute: The attribute's name, for error messages.
        raw_codecs: Accept DataJoint codec types (``<blob>``...) as raw bytes; used for
            tables read back from a database, never for new declarations.
        adapters: The declaring context, where ``<name>`` finds a ``dj.AttributeAdapter``
            instance when no codec has that name (DataJoint 0.14's adapted types).

    Returns:
        The canonical name, SQLAlchemy type (with per-backend variants) and flags.

    Raises:
        DefinitionError: The type is unknown or malformed; the message names the table, line,
            attribute and text, and says what to write instead.

    Example:
        >>> resolve_type("DATETIME(6)").name
        'datetime(6)'
        >>> resolve_type("dat", table="mouse", line=3, attribute="dob")
        Traceback (most recent call last):
        ...
        dj_sqla.errors.DefinitionError: Table `mouse`, line 3: attribute `dob` has unknown type \
`dat`; did you mean `date`? Or use a DataJoint core type (int32, float64, varchar(n), date, ...).
    """
    text = text.strip()
    try:
        return _resolve(text, raw_codecs, adapters)
    except _Problem as problem:
        base = " ".join(text.split("(")[0].lower().split())
        inner = text[1:-1].split("@")[0].strip()
        codec = text[:1] + text[-1:] == "<>" and (
            is_codec_registered(inner) or inner in (adapters or {})
        )
        known = codec or _ALIASES.get(base, base) in _TYPES
        subject = f"attribute `{attribute}`" if attribute else "an attribute"
        raise DefinitionError(
            f"Table `{table}`, line {line}: {subject} has {'invalid' if known else 'unknown'} "
            f"type `{text}`; {problem}."
        ) from None


#: The values each integer type holds, for backends that do not enforce them (SQLite).
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "int8": (-(2**7), 2**7 - 1),
    "tinyint": (-(2**7), 2**7 - 1),
    "tinyint unsigned": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "smallint": (-(2**15), 2**15 - 1),
    "smallint unsigned": (0, 2**16 - 1),
    "mediumint": (-(2**23), 2**23 - 1),
    "mediumint unsigned": (0, 2**24 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int": (-(2**31), 2**31 - 1),
    "int unsigned": (0, 2**32 - 1),
}


def enum_values(spec: TypeSpec) -> tuple[str, ...] | None:
    """The values of an enum type, in declared order; None for other types.

    Example:
        >>> enum_values(resolve_type("enum('M', 'F', 'U')"))
        ('M', 'F', 'U')
        >>> enum_values(resolve_type("int32")) is None
        True
    """
    if isinstance(spec.sa_type, sa.Enum):
        return tuple(spec.sa_type.enums)
    return None


def sqlite_limit(spec: TypeSpec) -> str | None:
    """Why SQLite cannot store this type exactly, or None when it can.

    SQLite keeps numbers as 64-bit integers or 8-byte floats: ``bigint unsigned`` values above
    2**63-1 and decimals with more than 15 significant digits would be silently rounded.

    Example:
        >>> sqlite_limit(resolve_type("decimal(10,2)")) is None
        True
        >>> print(sqlite_limit(resolve_type("uint64")))
        SQLite cannot store `bigint unsigned` exactly: its integers stop at 2**63-1 and larger \
values would be rounded to floats; use int64, or MySQL/PostgreSQL.
    """
    sa_type = spec.sa_type
    if isinstance(sa_type, UInt64Numeric):
        return (
            f"SQLite cannot store `{spec.name}` exactly: its integers stop at 2**63-1 and larger "
            "values would be rounded to floats; use int64, or MySQL/PostgreSQL."
        )
    if type(sa_type) is sa.Numeric and (sa_type.precision or 0) > _SQLITE_DIGITS:
        return (
            f"SQLite cannot store `{spec.name}` exactly: it keeps decimals as 8-byte floats, "
            f"exact to {_SQLITE_DIGITS} significant digits; declare at most "
            f"{spec.name.split('(')[0]}({_SQLITE_DIGITS},s), or use MySQL/PostgreSQL."
        )
    return None
