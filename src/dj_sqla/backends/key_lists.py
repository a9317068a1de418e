"""A restriction to a list of key values, ``(a, b) IN (...)``, in each backend's fastest form.

``Mouse & keys`` with thousands of keys must neither nest thousands of ``OR`` terms (SQLite
stops at a depth of 1,000) nor bind a parameter per value (SQLite allows 32,766 of them, and
binding 100,000 values costs more in Python than the query costs in the database).
:class:`KeyList` holds the values twice, as a condition with the values bound one by one
and as one JSON parameter, and each backend renders one of them:

* a short list (or values that JSON cannot carry exactly) as SQLAlchemy's expanding ``IN``
  list, ``(a, b) IN ((?, ?), (?, ?))``; on SQLite, which scans the whole table for a
  row-value ``IN`` list, preceded by ``a IN (?, ?) AND``, which it finds by the index;
* a long one as a single JSON array that the database expands itself: ``json_each`` on
  SQLite, ``json_array_elements`` on PostgreSQL, ``JSON_TABLE`` on MySQL 8 and MariaDB 10.6
  (older servers get the ``IN`` list), each value turned back into its column's type there.

Both forms are children of the construct, so SQLAlchemy's compiled-statement cache
finds the values of each execution. Values are bind-processed as SQLAlchemy would bind them
(a uuid becomes MySQL's 16 bytes, a date SQLite's text), then written into JSON: bytes as
hex, dates and decimals as text.

Example:
    >>> import sqlalchemy as sa
    >>> from sqlalchemy.dialects import postgresql, sqlite
    >>> a, b = sa.column("a", sa.Integer), sa.column("b", sa.String)
    >>> print(key_list([a, b], [(1, "x"), (2, "y")]).compile(dialect=postgresql.dialect()))
    (a, b) IN (__[POSTCOMPILE_param_1])
    >>> print(key_list([a, b], [(1, "x"), (2, "y")]).compile(dialect=sqlite.dialect()))
    a IN (__[POSTCOMPILE_param_1]) AND (a, b) IN (__[POSTCOMPILE_param_2])
    >>> many = key_list([a], list(range(100)))
    >>> print(" ".join(str(many.compile(dialect=sqlite.dialect())).split()))
    a IN (SELECT dj_keys.value FROM json_each(?) AS dj_keys)
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from .mysql import schema_collation

#: Lists of at most this many keys are bound value by value (an ``IN`` list): for a few keys
#: that is as fast, and the database plans it best.
LISTED_AT_MOST = 32
#: The integers JSON carries into every backend's BIGINT.
_INT64 = (-(2**63), 2**63 - 1)
#: The decimals MySQL's DECIMAL(65, 30) holds exactly.
_DECIMAL_SCALE, _DECIMAL_DIGITS = 30, 65

#: The Python types whose values travel in JSON: a column's values must all be of its type.
_JSON_TYPES = (int, float, str, bytes, uuid.UUID, dt.date, dt.datetime, decimal.Decimal)


def transposed(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """The columns of ``rows`` (each of ``width`` values); ``zip(*rows)`` passes each row as
    an argument, which costs seconds for a million rows.

    Example:
        >>> transposed([(1, "a"), (2, "b")], 2)
        [[1, 2], ['a', 'b']]
    """
    return [list(map(itemgetter(i), rows)) for i in range(width)]


def _python_type(column: ColumnElement[Any]) -> type | None:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    return kind if kind in _JSON_TYPES else None


def _exact(kind: type, values: Sequence[Any]) -> bool:
    """Whether JSON carries ``values`` (all of the column's type ``kind``) exactly."""
    if kind is int:
        return bool(_INT64[0] <= min(values) and max(values) <= _INT64[1])
    if kind is float:
        return all(map(math.isfinite, values))
    if kind is decimal.Decimal:
        return all(
            value.is_finite()
            and int(value.as_tuple().exponent) >= -_DECIMAL_SCALE
            and len(value.as_tuple().digits) <= _DECIMAL_DIGITS - _DECIMAL_SCALE
            for value in values
        )
    if kind is dt.datetime:
        return all(value.tzinfo is None for value in values)
    return True


def _in_json(columns: Sequence[ColumnElement[Any]], by_column: Sequence[Sequence[Any]]) -> bool:
    """Whether the values can travel as JSON: each column's values of its own type."""
    for column, values in zip(columns, by_column, strict=True):
        kind = _python_type(column)
        if kind is None or set(map(type, values)) != {kind} or not _exact(kind, values):
            return False
    return True


def _json_value(value: Any) -> Any:
    """A bind-processed value as JSON holds it (bytes as hex; dates, decimals, uuids as text)."""
    value = getattr(value, "adapted", value)  # the drivers' wrappers (psycopg2's Binary)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


_PLAIN = frozenset({int, float, str})


class KeyRows(sa.types.TypeDecorator[Any]):
    """The type of the JSON parameter: rows (or, for one column, values) in, JSON text out,
    each column's values bind-processed by the column's type for the dialect first."""

    impl = sa.String
    cache_ok = True

    def __init__(self, types: tuple[sa.types.TypeEngine[Any], ...]) -> None:
        super().__init__()
        self.types = types

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str:
        """The rows as one JSON array."""
        single = len(self.types) == 1
        by_column = [value] if single else transposed(value, len(self.types))
        changed = False
        for i, kind in enumerate(self.types):
            process = kind.dialect_impl(dialect).bind_processor(dialect)
            values = by_column[i] if process is None else list(map(process, by_column[i]))
            if not _PLAIN.issuperset(map(type, values)):
                values = list(map(_json_value, values))
            changed = changed or values is not by_column[i]
            by_column[i] = values
        rows = (
            by_column[0] if single else (list(zip(*by_column, strict=True)) if changed else value)
        )
        return json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    def process_literal_param(self, value: Any, dialect: sa.Dialect) -> str:
        """The same JSON, quoted (for statements printed with their values)."""
        return "'" + self.process_bind_param(value, dialect).replace("'", "''") + "'"


class KeyList(ColumnElement[bool]):
    """``(columns) IN rows`` (or ``NOT IN`` when negated); see the module docstring."""

    __visit_name__ = "dj_key_list"
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own form)
        ("columns", InternalTraversal.dp_clauseelement_tuple),
        ("listed", InternalTraversal.dp_clauseelement),
        ("leading", InternalTraversal.dp_clauseelement),
        ("encoded", InternalTraversal.dp_clauseelement),
        ("as_json", InternalTraversal.dp_boolean),
        ("negated", InternalTraversal.dp_boolean),
    ]
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a condition as it is: no "= 1" where booleans are ints

    def __init__(
        self,
        columns: tuple[ColumnElement[Any], ...],
        listed: ColumnElement[bool],
        encoded: BindParameter[Any],
        as_json: bool,
        negated: bool = False,
        leading: ColumnElement[bool] | None = None,
    ) -> None:
        self.columns = columns
        self.listed = listed
        #: ``a IN (...)`` for the first column of several (for SQLite's index; else true)
        self.leading = sa.true() if leading is None else leading
        self.encoded = encoded
        self.as_json = as_json
        self.negated = negated

    @property
    def _from_objects(self) -> list[Any]:
        return [f for column in self.columns for f in column._from_objects]

    def _negate(self) -> ColumnElement[Any]:
        return KeyList(
            self.columns, self.listed, self.encoded, self.as_json, not self.negated, self.leading
        )


def key_list(columns: Sequence[ColumnElement[Any]], rows: list[Any]) -> KeyList:
    """Rows whose ``columns`` equal one of ``rows`` (values for one column, else tuples).

    Raises:
        ValueError: no rows (an empty list matches nothing: say ``sa.false()`` instead).
    """
    if not rows:
        raise ValueError("key_list needs at least one row")
    columns = tuple(columns)
    single = len(columns) == 1
    by_column = [rows] if single else transposed(rows, len(columns))
    as_json = len(rows) > LISTED_AT_MOST and _in_json(columns, by_column)
    target = columns[0] if single else sa.tuple_(*columns)
    # one expanding parameter: in_(rows) would look at each value to coerce it
    listed = target.in_(sa.bindparam(None, rows, type_=target.type, expanding=True))
    leading = None
    if not single and not as_json:
        first = list(dict.fromkeys(by_column[0]))
        leading = columns[0].in_(sa.bindparam(None, first, type_=columns[0].type, expanding=True))
    encoded = sa.bindparam(None, rows, type_=KeyRows(tuple(c.type for c in columns)), unique=True)
    return KeyList(columns, listed, encoded, as_json, leading=leading)


# -- rendering -------------------------------------------------------------------------------


def _binary(column: ColumnElement[Any], dialect: sa.Dialect) -> bool:
    """Whether the column stores bytes on ``dialect`` (a uuid does on MySQL): its values
    travel as hex in the JSON."""
    return isinstance(_stored_type(column, dialect), sa.types._Binary)


def _stored_type(column: ColumnElement[Any], dialect: sa.Dialect) -> Any:
    """The column's type as ``dialect`` stores it (a uuid on MySQL: ``BINARY(16)``)."""
    stored = column.type.dialect_impl(dialect)
    while isinstance(stored, sa.types.TypeDecorator):
        stored = stored.load_dialect_impl(dialect).dialect_impl(dialect)
    return stored


def _in_rows(element: KeyList, compiler: Any, rows: Any, **kw: Any) -> str:
    """``(columns) IN (rows)`` or its negation, ``rows`` being a SELECT of the key values."""
    target = element.columns[0] if len(element.columns) == 1 else sa.tuple_(*element.columns)
    condition = target.in_(rows)
    return str(compiler.process(sa.not_(condition) if element.negated else condition, **kw))


def _listed(element: KeyList, compiler: Any, **kw: Any) -> str:
    condition = element.listed
    return str(compiler.process(sa.not_(condition) if element.negated else condition, **kw))


@compiles(KeyList)
def _compile_default(element: KeyList, compiler: Any, **kw: Any) -> str:
    return _listed(element, compiler, **kw)


@compiles(KeyList, "sqlite")
def _compile_sqlite(element: KeyList, compiler: Any, **kw: Any) -> str:
    if not element.as_json:
        if len(element.columns) == 1 or element.negated:
            return _listed(element, compiler, **kw)
        # SQLite scans the whole table for a row-value IN list, but finds the rows of
        # ``a IN (...)`` by an index that starts with ``a`` (a primary key does)
        return str(compiler.process(sa.and_(element.leading, element.listed), **kw))
    dialect = compiler.dialect
    keys = sa.func.json_each(element.encoded).table_valued("value").alias("dj_keys")
    single = len(element.columns) == 1
    selected = []
    for i, column in enumerate(element.columns):
        value = keys.c.value if single else sa.func.json_extract(keys.c.value, f"$[{i}]")
        # bytes travel as hex (SQLite before 3.41 gets unhex() from the backend, sqlite.py)
        selected.append(sa.func.unhex(value) if _binary(column, dialect) else value)
    rows = sa.select(*selected)
    if single or not element.negated:
        return _in_rows(element, compiler, rows, **kw)
    # SQLite's NOT IN over several columns scans the whole list for NULLs for each row that
    # has no match (the list has none; SQLite cannot know): a CASE asks the question where
    # NULL and false are the same, and keeps NOT IN's NULL for a row with a NULL column.
    found = sa.tuple_(*element.columns).in_(rows)
    unknown = sa.or_(*(c.is_(None) for c in element.columns))
    case = sa.case((found, sa.false()), (unknown, sa.null()), else_=sa.true())
    return str(compiler.process(case, **kw))


#: PostgreSQL types the JSON text of a value is cast to, by the column's Python type (a
#: column's own type could be narrower and fail or round: int2, varchar(3), numeric(5, 2)).
_PG_CASTS: dict[type, Any] = {
    int: sa.BigInteger(),
    float: sa.Double(),
    decimal.Decimal: sa.Numeric(),
    dt.date: sa.Date(),
    dt.datetime: sa.DateTime(),
    uuid.UUID: sa.Uuid(),
}


def _pg_value(column: ColumnElement[Any], text: Any, dialect: sa.Dialect) -> Any:
    if _binary(column, dialect):
        return sa.func.decode(text, "hex")
    if isinstance(column.type, sa.Enum):
        return sa.cast(text, column.type)  # enum = text has no operator
    cast = _PG_CASTS.get(_python_type(column) or str)
    return text if cast is None else sa.cast(text, cast)


@compiles(KeyList, "postgresql")
def _compile_postgresql(element: KeyList, compiler: Any, **kw: Any) -> str:
    if not element.as_json:
        return _listed(element, compiler, **kw)
    dialect = compiler.dialect
    document = sa.cast(element.encoded, postgresql.JSON)
    if len(element.columns) == 1:
        keys = sa.func.json_array_elements_text(document).table_valued("value").alias("dj_keys")
        rows = sa.select(_pg_value(element.columns[0], keys.c.value, dialect))
    else:
        keys = sa.func.json_array_elements(document).table_valued("value").alias("dj_keys")
        rows = sa.select(
            *(
                _pg_value(column, keys.c.value.op("->>")(i), dialect)
                for i, column in enumerate(element.columns)
            )
        )
    return _in_rows(element, compiler, rows, **kw)


#: MySQL column types of ``JSON_TABLE`` by the column's Python type; text and bytes are
#: read as JSON and unquoted, so that text compares in the column's own collation.
_MYSQL_TYPES: dict[type, str] = {
    int: "BIGINT",
    float: "DOUBLE",
    decimal.Decimal: f"DECIMAL({_DECIMAL_DIGITS}, {_DECIMAL_SCALE})",
    dt.date: "DATE",
    dt.datetime: "DATETIME(6)",
}


def _text_length(column: ColumnElement[Any], dialect: sa.Dialect) -> int | None:
    """The length of a ``varchar(n)`` or ``char(n)`` column (not an enum), else None.

    A key list's text compared with such a column as ``VARCHAR(n + 1)`` in the binary collation
    of dj_sqla's schemas lets MySQL and MariaDB hash the list for ``NOT IN`` (with JSON text
    they compare each row with each key: minutes for 50k keys); bytes likewise, as hex.
    """
    stored = _stored_type(column, dialect)
    if isinstance(stored, sa.Enum | sa.Text) or not isinstance(stored, sa.String):
        return None
    return stored.length if isinstance(stored.length, int) else None


def _bytes_length(column: ColumnElement[Any], dialect: sa.Dialect) -> int | None:
    """The length of a ``binary(n)`` or ``varbinary(n)`` column (a uuid's 16), else None."""
    stored = _stored_type(column, dialect)
    length = getattr(stored, "length", None)
    return length if isinstance(stored, sa.types._Binary) and isinstance(length, int) else None


def _has_json_table(dialect: Any) -> bool:
    version = dialect.server_version_info or ()
    return bool(version >= (10, 6) if dialect.is_mariadb else version >= (8, 0, 4))


@compiles(KeyList, "mysql")
@compiles(KeyList, "mariadb")
def _compile_mysql(element: KeyList, compiler: Any, **kw: Any) -> str:
    dialect = compiler.dialect
    if (
        not element.as_json
        or not _has_json_table(dialect)
        or any(isinstance(column.type, sa.Enum) for column in element.columns)
    ):  # MySQL hashes no NOT IN list of text for an ENUM column, but binary-searches values
        return _listed(element, compiler, **kw)
    single = len(element.columns) == 1
    definitions, selected = [], []
    for i, column in enumerate(element.columns):
        name = f"k{i}"
        path = "$" if single else f"$[{i}]"
        kind = _MYSQL_TYPES.get(_python_type(column) or str)
        length = _text_length(column, dialect)
        # the column names, types and paths are fixed words of this module, never user text
        if length is not None:  # the column's own type: MySQL then hashes NOT IN's list
            # one more character than the column holds: a longer value, cut there, stays unequal
            definitions.append(f"{name} VARCHAR({length + 1}) CHARACTER SET utf8mb4 PATH '{path}'")
            selected.append(f"{name} COLLATE {schema_collation(dialect)}")
            continue
        length = _bytes_length(column, dialect)
        if length is not None:  # hex, one character more than the column's bytes (as above)
            definitions.append(
                f"{name} VARCHAR({2 * length + 1}) CHARACTER SET ascii PATH '{path}'"
            )
            selected.append(f"UNHEX({name})")
            continue
        definitions.append(f"{name} {kind or 'JSON'} PATH '{path}'")
        if kind is not None:
            selected.append(name)
        elif _binary(column, dialect):
            selected.append(f"UNHEX(JSON_UNQUOTE({name}))")
        else:
            selected.append(f"JSON_UNQUOTE({name})")
    document = compiler.process(element.encoded, **kw)
    target = compiler.process(element.columns[0] if single else sa.tuple_(*element.columns), **kw)
    rows = (
        f"SELECT {', '.join(selected)} FROM JSON_TABLE({document}, '$[*]' "
        f"COLUMNS ({', '.join(definitions)})) AS dj_keys"
    )
    return f"{'NOT ' if element.negated else ''}({target} IN ({rows}))"


def unhex(text: str | None) -> bytes | None:
    """SQLite's ``unhex()`` (built in from 3.41), for older SQLite libraries.

    Example:
        >>> unhex("00ff")
        b'\\x00\\xff'
    """
    return None if text is None else bytes.fromhex(text)


#: What a SQLite connection is given when its library lacks ``unhex``: name, arity, function.
SQLITE_FUNCTIONS: tuple[tuple[str, int, Callable[[str | None], bytes | None]], ...] = (
    ("unhex", 1, unhex),
)
