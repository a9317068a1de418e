"""The SQLAlchemy column types dj_sqla adds: values stored exactly, per backend.

Each is a ``TypeDecorator`` that :mod:`dj_sqla.types` uses as a per-backend variant: codec
columns (``<blob>``, ``<attach>``, plugins) that encode on bind and decode on fetch; SQLite's
date, time and uuid types that also take ISO text, and its floats that refuse NaN; MySQL's
BINARY(16) uuid, FLOAT fetch at its stored precision and unsigned 64-bit integers elsewhere.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from .codecs import CodecError, decode_value, encode_value
from .codecs.journal import Encoded


def shortest_float32(value: float | None) -> float | None:
    """A 4-byte float as the shortest decimal that is that float (PostgreSQL's own text).

    Example:
        >>> stored = 15.300000190734863  # the float32 nearest to 15.3, every bit
        >>> shortest_float32(stored), shortest_float32(1234567.0), shortest_float32(None)
        (15.3, 1234567.0, None)
    """
    if value is None:
        return None
    return float(str(np.float32(value)))  # numpy prints the shortest text that round-trips


class MySQLFloat32(mysql.FLOAT):
    """MySQL FLOAT fetched as the shortest decimal of the stored 4-byte value.

    MySQL sends FLOAT values as text with 6 significant digits: 0.33333334 arrives as
    0.333333 and a stored 1234567.0 as 1234570.0, which are other values. So the column is
    selected as ``col + 0E0`` (a DOUBLE, which carries the stored value exactly) and turned
    into the shortest decimal that is the same 4-byte float (:func:`shortest_float32`): 15.3
    is fetched as 15.3, as the driver and PostgreSQL give it, not as the DOUBLE's
    15.300000190734863. Only top-level selected columns are rewritten (as for any
    ``column_expression``).

    Example:
        >>> t = sa.table("t", sa.column("x", MySQLFloat32()))
        >>> print(" ".join(str(sa.select(t.c.x).compile(dialect=mysql.dialect())).split()))
        SELECT t.x + 0E0 AS x FROM t
    """

    def column_expression(self, colexpr: ColumnElement[Any]) -> ColumnElement[Any]:
        """Wrap a selected column so MySQL computes (and sends) it as a DOUBLE."""
        return sa.type_coerce(colexpr + sa.literal_column("0E0"), _Float32AsDouble())

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        """The shortest decimal of the 4-byte value."""
        return shortest_float32


class _Float32AsDouble(TypeDecorator[float]):
    """The DOUBLE that :class:`MySQLFloat32` selects, read as the 4-byte float it holds (a
    decorator: a dialect would swap a plain ``Double`` subclass for its own DOUBLE)."""

    impl = sa.Double
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        """The shortest decimal of the 4-byte value."""
        return shortest_float32


class UInt64Numeric(TypeDecorator[int]):
    """NUMERIC(20,0) that returns ``int``: the full ``bigint unsigned`` range without MySQL.

    Example:
        >>> print(sa.schema.CreateColumn(sa.Column("n", UInt64Numeric())).compile())
        n NUMERIC(20, 0)
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 20, scale: int = 0) -> None:
        # the arguments let Alembic's rendering, UInt64Numeric(precision=20, scale=0), run
        super().__init__(precision, scale)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> int | None:
        """Turn the driver's Decimal into an int."""
        return None if value is None else int(value)


class FixedChar(TypeDecorator[str]):
    """CHAR(n) whose values come back without trailing spaces, as on MySQL.

    Example:
        >>> print(sa.schema.CreateColumn(sa.Column("c", FixedChar(3))).compile())
        c CHAR(3)
    """

    impl = sa.CHAR
    cache_ok = True

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        """Strip the padding PostgreSQL adds to short values."""
        return None if value is None else str(value).rstrip(" ")


#: What a fetch passes to the codecs that decode its values (``download_path`` for
#: attachments); set around a fetch by :func:`decoding_with`.
_DECODE_CONTEXT: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "dj_decode_context", default=None
)


@contextmanager
def decoding_with(**context: Any) -> Iterator[None]:
    """Decode the values fetched inside the block with ``context`` (e.g. ``download_path``)."""
    token = _DECODE_CONTEXT.set({k: v for k, v in context.items() if v is not None})
    try:
        yield
    finally:
        _DECODE_CONTEXT.reset(token)


#: How DataJoint blobs start: MATLAB's mYm, Python's dj0, zlib-compressed ZL123.
_BLOB_HEADERS = (b"mYm\0", b"dj0\0", b"ZL123\0")


class CodecColumn(TypeDecorator[Any]):
    """A column of a DataJoint codec type (``<blob>``, ``<attach>``, a plugin's ``<name>``).

    Values are encoded by the codec chain when bound and decoded when fetched, in every
    statement SQLAlchemy runs (dj_sqla's inserts and fetches, ORM sessions, plain
    ``select()``s). The column is stored as the chain's core type (``bytes``: LONGBLOB,
    BYTEA, BLOB), which is what the database and Alembic see.

    Example:
        >>> import numpy as np
        >>> column = CodecColumn("<blob>", sa.LargeBinary())
        >>> stored = column.process_bind_param(np.arange(3), None)
        >>> column.process_result_value(stored, None)
        array([0, 1, 2])
    """

    impl = sa.LargeBinary
    cache_ok = True

    def __init__(self, spec: str, storage: TypeEngine[Any]) -> None:
        super().__init__()
        self.spec = spec
        self.storage = storage
        #: ``schema.table`` and attribute, for error messages (set when the column is built)
        self.where: tuple[str, str] | None = None
        #: The store of DataJoint 0.14's ``blob@store`` (and ``attach@``, ``filepath@``): the
        #: column refers to that store's tracking table.
        self.external_store: str | None = None
        #: The schema and name of the column's table (set when the column is built)
        self.schema: str | None = None
        self.table_name: str | None = None
        #: For a blob column of an existing table without DataJoint's type marker (what
        #: DataJoint 0.14 and other applications wrote on MySQL): bytes that are no
        #: DataJoint blob come back as they are instead of failing.
        self.lenient = False
        #: A DataJoint 0.14 adapted type (``<name>`` of a ``dj.AttributeAdapter``): a value
        #: it is restricted by is bound as an inserted value is, through the adapter's put
        self.adapted = False

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """The storage type for ``dialect`` (its per-backend variant)."""
        return self.storage.dialect_impl(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect | None) -> Any:
        """Encode ``value`` through the codec chain; None is NULL."""
        if value is None:
            return None
        if isinstance(value, Encoded):  # encoded for its row (with its key) by the insert
            return value.value
        try:
            # without its row (an ORM session, a plain insert()): the value knows its table
            return encode_value(self.spec, value, context=self._bind_context())
        except CodecError as err:
            raise self._located(err) from None

    def process_result_value(self, value: Any, dialect: Dialect | None) -> Any:
        """Decode a stored value; NULL is None."""
        if value is None:
            return None
        if self.lenient and not bytes(value[:6]).startswith(_BLOB_HEADERS):
            return bytes(value)
        if isinstance(value, str) and isinstance(self.storage, sa.JSON):
            value = json.loads(value)  # read as text (a JSON column without its type)
        try:
            return decode_value(self.spec, value, context=self._context())
        except CodecError as err:
            raise self._located(err) from None

    def _bind_context(self) -> Mapping[str, Any] | None:
        if self.where is None:
            return None
        return {"schema": self.schema, "table": self.table_name, "field": self.where[1]}

    def _context(self) -> Mapping[str, Any] | None:
        """What decoding gets: the fetch's settings, and where the value comes from."""
        context = _DECODE_CONTEXT.get()
        if self.where is None:
            return context
        where = {"column": self.where, "schema": self.schema}
        if self.external_store is not None:
            where["external_store"] = self.external_store
        return {**(context or {}), **where}

    def _located(self, err: CodecError) -> CodecError:
        if self.where is None:
            return err
        return err.add_context(table=self.where[0], attribute=self.where[1])


class RawStored(TypeDecorator[Any]):
    """A codec column of an existing table read without its codec (an unknown plugin codec,
    an attribute adapter not given to this session): the stored value as the driver returns
    it, bytes for a blob and text or numbers for other storage.

    Example:
        >>> RawStored().result_processor(None, None)(memoryview(b"dj0"))
        b'dj0'
    """

    impl = sa.LargeBinary
    cache_ok = True

    def result_processor(self, dialect: Dialect | None, coltype: object) -> Callable[[Any], Any]:
        """memoryviews as bytes, other values as they come."""

        def process(value: Any) -> Any:
            return bytes(value) if isinstance(value, memoryview | bytearray) else value

        return process


class _ISOText(TypeDecorator[Any]):
    """A date/time type that also takes ISO 8601 text, as the servers do (SQLite's own
    types take only Python objects): ``"2024-05-01"`` for a date, ``"2024-05-01 12:30:00"``
    for a datetime. Text that is not ISO 8601 is refused, never stored as text."""

    cache_ok = True
    parse: Callable[[str], Any]
    kind: str

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Python values as they are; ISO text parsed."""
        if isinstance(value, str):
            try:
                return type(self).parse(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an ISO 8601 {self.kind}; write it like "
                    f"{self.example!r} or pass a Python {self.kind}"
                ) from None
        return value

    @property
    def example(self) -> str:
        """An example of the accepted text."""
        return {"date": "2024-05-01", "time": "12:30:00"}.get(self.kind, "2024-05-01 12:30:00")


class SQLiteDate(_ISOText):
    """``date`` on SQLite, also from ISO text."""

    impl = sa.Date
    kind = "date"
    parse = datetime.date.fromisoformat


class SQLiteDateTime(_ISOText):
    """``datetime`` on SQLite, also from ISO text."""

    impl = sa.DateTime
    kind = "datetime"
    parse = datetime.datetime.fromisoformat


class SQLiteTime(_ISOText):
    """``time`` on SQLite, also from ISO text."""

    impl = sa.Time
    kind = "time"
    parse = datetime.time.fromisoformat


class UuidBytes(TypeDecorator[uuid.UUID]):
    """``uuid`` on MySQL/MariaDB: ``BINARY(16)``, as DataJoint stores it (so each library
    reads the other's), taking UUID objects and their text; fetched as ``uuid.UUID``.

    Example:
        >>> value = uuid.UUID("12345678-1234-5678-1234-567812345678")
        >>> UuidBytes().process_result_value(UuidBytes().process_bind_param(value, None), None)
        UUID('12345678-1234-5678-1234-567812345678')
    """

    impl = mysql.BINARY(16)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect | None) -> bytes | None:
        """A UUID (or its text, or its 16 bytes) as 16 bytes."""
        if value is None or (isinstance(value, bytes) and len(value) == 16):
            return value
        return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).bytes

    def process_result_value(self, value: Any, dialect: Dialect | None) -> uuid.UUID | None:
        """16 bytes as a UUID (and the text of a column MariaDB keeps as its own UUID type,
        in a table dj_sqla reflects)."""
        if value is None:
            return None
        if isinstance(value, str):
            return uuid.UUID(value)
        return uuid.UUID(bytes=bytes(value))


class SQLiteUuid(TypeDecorator[uuid.UUID]):
    """``uuid`` on SQLite, also from its text (as the servers take it)."""

    impl = sa.Uuid
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect | None) -> Any:
        """Text as a UUID (malformed text is refused)."""
        return uuid.UUID(value) if isinstance(value, str) else value


class SQLiteFloat(sa.types.TypeDecorator[float]):
    """A float on SQLite, which stores NaN as NULL: a NaN is refused instead of lost."""

    impl: Any = sa.Double
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> Callable[[Any], Any]:
        # a plain function: this runs once per value of a large insert
        def refuse_nan(value: Any) -> Any:
            if value != value:  # only NaN differs from itself
                raise ValueError(
                    "SQLite cannot store NaN (it would become NULL); store None for a missing "
                    "value, or use MySQL/PostgreSQL"
                )
            return value

        return refuse_nan


class SQLiteFloat32(SQLiteFloat):
    """The same for ``float32`` (FLOAT in SQLite's DDL, as before)."""

    impl = sa.Float
    cache_ok = True


class SQLiteJSON(TypeDecorator[Any]):
    """``json`` on SQLite. Its JSON columns have numeric affinity: a document that is a bare
    number, stored as text (``2.0``, ``1180591620717411303424``), would be kept as the number
    SQLite reads in it (the integer 2, the double 1.1805916207174113e+21). Such a document is
    stored as the bytes of its text, which SQLite keeps as they are; any other as text.

    Example:
        >>> from sqlalchemy.dialects import sqlite
        >>> process = SQLiteJSON().bind_processor(sqlite.dialect())
        >>> process(2.0), process({"a": 2.0})
        (b'2.0', '{"a": 2.0}')
    """

    impl = sa.JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        serialize = self.impl_instance.dialect_impl(dialect).bind_processor(dialect)

        def process(value: Any) -> Any:
            text = serialize(value) if serialize is not None else value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return text.encode() if isinstance(text, str) else text
            return text

        return process
