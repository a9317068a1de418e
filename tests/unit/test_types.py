"""dj_sqla.types: DataJoint type spellings → SQLAlchemy types, checked by compiling DDL only."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateColumn, CreateTable

from dj_sqla._column_types import shortest_float32
from dj_sqla.errors import DataJointError, DefinitionError
from dj_sqla.types import (
    FixedChar,
    TypeSpec,
    UInt64Numeric,
    enum_values,
    resolve_type,
    sqlite_limit,
)


def _dialect(url: str) -> Dialect:
    dialect: Dialect = sa.engine.make_url(url).get_dialect()()
    return dialect


#: The dialects and drivers the project runs on. ``mariadb+pymysql`` is the one named "mariadb"
#: (``mysql.dialect(is_mariadb=True)`` is still named "mysql" and would not test that key), and
#: ``postgresql.dialect()`` would be psycopg 3 in SQLAlchemy 2.1, not the project's psycopg2.
DIALECTS: dict[str, Dialect] = {
    "sqlite": _dialect("sqlite+pysqlite://"),
    "mysql": _dialect("mysql+pymysql://"),
    "mariadb": _dialect("mariadb+pymysql://"),
    "postgresql": _dialect("postgresql+psycopg2://"),
}


def dialect_id(name: str) -> str:
    """Test ids that conftest's per-backend summary does not count as database tests."""
    return f"{name}_dialect"


PG_TS = "TIMESTAMP({}) WITHOUT TIME ZONE"
PG_TIME = "TIME({}) WITHOUT TIME ZONE"

#: spelling → column type text on (SQLite, MySQL, MariaDB, PostgreSQL)
DDL: list[tuple[str, str, str, str, str]] = [
    # core types
    ("int8", "SMALLINT", "TINYINT", "TINYINT", "SMALLINT"),
    ("int16", "SMALLINT", "SMALLINT", "SMALLINT", "SMALLINT"),
    ("int32", "INTEGER", "INTEGER", "INTEGER", "INTEGER"),
    ("int64", "BIGINT", "BIGINT", "BIGINT", "BIGINT"),
    ("float32", "FLOAT", "FLOAT", "FLOAT", "REAL"),
    ("float64", "DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE PRECISION"),
    ("bool", "BOOLEAN", "BOOL", "BOOL", "BOOLEAN"),
    ("uuid", "CHAR(32)", "BINARY(16)", "BINARY(16)", "UUID"),  # BINARY(16), as in DataJoint,
    ("json", "JSON", "JSON", "JSON", "JSONB"),
    ("bytes", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    ("date", "DATE", "DATE", "DATE", "DATE"),
    ("datetime", "DATETIME", "DATETIME", "DATETIME", PG_TS.format(0)),
    ("datetime(0)", "DATETIME", "DATETIME", "DATETIME", PG_TS.format(0)),
    ("datetime(3)", "DATETIME", "DATETIME(3)", "DATETIME(3)", PG_TS.format(3)),
    ("datetime(6)", "DATETIME", "DATETIME(6)", "DATETIME(6)", PG_TS.format(6)),
    ("char(1)", "CHAR(1)", "CHAR(1)", "CHAR(1)", "CHAR(1)"),
    ("char(255)", "CHAR(255)", "CHAR(255)", "CHAR(255)", "CHAR(255)"),
    ("varchar(1024)", "VARCHAR(1024)", "VARCHAR(1024)", "VARCHAR(1024)", "VARCHAR(1024)"),
    ("enum('M','F','U')", "VARCHAR(1)", "ENUM('M','F','U')", "ENUM('M','F','U')", "VARCHAR(1)"),
    (
        "enum('one','three')",
        "VARCHAR(5)",
        "ENUM('one','three')",
        "ENUM('one','three')",
        "VARCHAR(5)",
    ),
    ("decimal(10,2)", "NUMERIC(10, 2)", "NUMERIC(10, 2)", "NUMERIC(10, 2)", "NUMERIC(10, 2)"),
    ("decimal(65,30)", "NUMERIC(65, 30)", "NUMERIC(65, 30)", "NUMERIC(65, 30)", "NUMERIC(65, 30)"),
    # native integers, signed and unsigned (elsewhere: a signed type holding the full range)
    ("tinyint", "SMALLINT", "TINYINT", "TINYINT", "SMALLINT"),
    ("tinyint unsigned", "SMALLINT", "TINYINT UNSIGNED", "TINYINT UNSIGNED", "SMALLINT"),
    ("smallint", "SMALLINT", "SMALLINT", "SMALLINT", "SMALLINT"),
    ("smallint unsigned", "INTEGER", "SMALLINT UNSIGNED", "SMALLINT UNSIGNED", "INTEGER"),
    ("mediumint", "INTEGER", "MEDIUMINT", "MEDIUMINT", "INTEGER"),
    ("mediumint unsigned", "INTEGER", "MEDIUMINT UNSIGNED", "MEDIUMINT UNSIGNED", "INTEGER"),
    ("int", "INTEGER", "INTEGER", "INTEGER", "INTEGER"),
    ("integer", "INTEGER", "INTEGER", "INTEGER", "INTEGER"),
    ("int unsigned", "BIGINT", "INTEGER UNSIGNED", "INTEGER UNSIGNED", "BIGINT"),
    ("bigint", "BIGINT", "BIGINT", "BIGINT", "BIGINT"),
    ("bigint unsigned", "NUMERIC(20, 0)", "BIGINT UNSIGNED", "BIGINT UNSIGNED", "NUMERIC(20, 0)"),
    ("uint8", "SMALLINT", "TINYINT UNSIGNED", "TINYINT UNSIGNED", "SMALLINT"),
    ("uint16", "INTEGER", "SMALLINT UNSIGNED", "SMALLINT UNSIGNED", "INTEGER"),
    ("uint32", "BIGINT", "INTEGER UNSIGNED", "INTEGER UNSIGNED", "BIGINT"),
    ("uint64", "NUMERIC(20, 0)", "BIGINT UNSIGNED", "BIGINT UNSIGNED", "NUMERIC(20, 0)"),
    # other native spellings
    ("float", "FLOAT", "FLOAT", "FLOAT", "REAL"),
    ("double", "DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE PRECISION"),
    ("double precision", "DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE PRECISION"),
    ("real", "DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE PRECISION"),
    ("boolean", "BOOLEAN", "BOOL", "BOOL", "BOOLEAN"),
    ("numeric(12,4)", "NUMERIC(12, 4)", "NUMERIC(12, 4)", "NUMERIC(12, 4)", "NUMERIC(12, 4)"),
    ("text", "TEXT", "LONGTEXT", "LONGTEXT", "TEXT"),
    ("tinytext", "TEXT", "TINYTEXT", "TINYTEXT", "TEXT"),
    ("mediumtext", "TEXT", "MEDIUMTEXT", "MEDIUMTEXT", "TEXT"),
    ("longtext", "TEXT", "LONGTEXT", "LONGTEXT", "TEXT"),
    ("blob", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    # serialized blobs (DataJoint 0.14's spellings of <blob>) are LONGBLOB whatever the size
    ("tinyblob", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    ("mediumblob", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    ("<blob>", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    ("attach", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    ("<attach>", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    ("longblob", "BLOB", "LONGBLOB", "LONGBLOB", "BYTEA"),
    ("binary(16)", "BLOB", "BINARY(16)", "BINARY(16)", "BYTEA"),
    ("varbinary(255)", "BLOB", "VARBINARY(255)", "VARBINARY(255)", "BYTEA"),
    ("timestamp", "DATETIME", "DATETIME", "DATETIME", PG_TS.format(0)),
    ("timestamp(6)", "DATETIME", "DATETIME(6)", "DATETIME(6)", PG_TS.format(6)),
    ("time", "TIME", "TIME", "TIME", PG_TIME.format(0)),
    ("time(6)", "TIME", "TIME(6)", "TIME(6)", PG_TIME.format(6)),
    ("year", "SMALLINT", "YEAR", "YEAR", "SMALLINT"),
]
SPELLINGS = [row[0] for row in DDL]


def one_column_table(spec: TypeSpec, metadata: sa.MetaData | None = None) -> sa.Table:
    return sa.Table("t", metadata or sa.MetaData(), sa.Column("c", spec.sa_type))


def column_ddl(spec: TypeSpec, dialect: str) -> str:
    """The compiled type of column ``c`` (``CreateColumn`` renders ``c <TYPE>``)."""
    column = one_column_table(spec).c.c
    return str(CreateColumn(column).compile(dialect=DIALECTS[dialect])).removeprefix("c ")


def table_ddl(spec: TypeSpec, dialect: str) -> str:
    """The whole CREATE TABLE, whitespace collapsed."""
    text = str(CreateTable(one_column_table(spec)).compile(dialect=DIALECTS[dialect]))
    return " ".join(text.split())


# --- DDL per backend -------------------------------------------------------------------------


@pytest.mark.parametrize(("spelling", "on_sqlite", "on_mysql", "on_mariadb", "on_pg"), DDL)
def test_column_type_ddl_per_backend(
    spelling: str, on_sqlite: str, on_mysql: str, on_mariadb: str, on_pg: str
) -> None:
    spec = resolve_type(spelling)
    compiled = {dialect: column_ddl(spec, dialect) for dialect in DIALECTS}
    expected = {"sqlite": on_sqlite, "mysql": on_mysql, "mariadb": on_mariadb, "postgresql": on_pg}
    assert compiled == expected


def test_dialects_are_named_as_the_variant_keys() -> None:
    assert {name: dialect.name for name, dialect in DIALECTS.items()} == {
        name: name for name in DIALECTS
    }


@pytest.mark.parametrize("spelling", [s for s in SPELLINGS if s != "uuid"])
def test_mysql_and_mariadb_render_the_same(spelling: str) -> None:
    # a variant keyed on "mysql" alone would be ignored under the mariadb dialect
    spec = resolve_type(spelling)
    assert column_ddl(spec, "mariadb") == column_ddl(spec, "mysql")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"], ids=dialect_id)
def test_enum_is_varchar_with_check_outside_mysql(dialect: str) -> None:
    ddl = table_ddl(resolve_type("enum('M','F','U')"), dialect)
    assert "c VARCHAR(1)" in ddl
    assert "CHECK (c IN ('M', 'F', 'U'))" in ddl
    assert "CREATE TYPE" not in ddl


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"], ids=dialect_id)
def test_enum_is_native_on_mysql_without_check(dialect: str) -> None:
    ddl = table_ddl(resolve_type("enum('M','F','U')"), dialect)
    assert "c ENUM('M','F','U')" in ddl
    assert "CHECK" not in ddl


@pytest.mark.parametrize("dialect", list(DIALECTS), ids=dialect_id)
def test_bool_has_no_check_constraint(dialect: str) -> None:
    assert "CHECK" not in table_ddl(resolve_type("bool"), dialect)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"], ids=dialect_id)
def test_each_enum_column_gets_its_own_check(dialect: str) -> None:
    spec = resolve_type("enum('a','b')")
    metadata = sa.MetaData()
    tables = [
        sa.Table(name, metadata, sa.Column("c", resolve_type(spec.name).sa_type))
        for name in ("t1", "t2")
    ]
    for table in tables:
        ddl = str(CreateTable(table).compile(dialect=DIALECTS[dialect]))
        assert ddl.count("CHECK") == 1


def test_each_call_builds_a_fresh_sqlalchemy_type() -> None:
    # SchemaTypes (Enum, Boolean) attach to their column: never share one instance
    assert resolve_type("enum('a')").sa_type is not resolve_type("enum('a')").sa_type
    assert resolve_type("bool").sa_type is not resolve_type("bool").sa_type


@pytest.mark.parametrize("dialect", list(DIALECTS), ids=dialect_id)
@pytest.mark.parametrize("spelling", ["float32", "float"])
def test_float32_is_read_as_double_on_mysql(spelling: str, dialect: str) -> None:
    # MySQL sends FLOAT as 6-digit text; FLOAT + 0E0 is a DOUBLE holding every stored bit,
    # which is then shortened to the float32's own shortest decimal
    table = one_column_table(resolve_type(spelling))
    compiled = str(sa.select(table.c.c).compile(dialect=DIALECTS[dialect]))
    selected = "t.c + 0E0 AS c" if dialect in ("mysql", "mariadb") else "t.c"
    assert " ".join(compiled.split()) == f"SELECT {selected} FROM t"


@given(st.floats(width=32, allow_nan=False))
def test_a_float32_is_fetched_as_its_shortest_decimal(value: float) -> None:
    fetched = shortest_float32(value)
    assert fetched is not None
    assert np.float32(fetched) == np.float32(value)  # the same float32
    assert len(repr(fetched)) <= len(repr(value))  # never longer than the stored double


@pytest.mark.parametrize("dialect", list(DIALECTS), ids=dialect_id)
def test_float64_select_is_plain(dialect: str) -> None:
    table = one_column_table(resolve_type("float64"))
    compiled = str(sa.select(table.c.c).compile(dialect=DIALECTS[dialect]))
    assert " ".join(compiled.split()) == "SELECT t.c FROM t"


# --- result conversion -----------------------------------------------------------------------


def test_uint64_comes_back_as_int_on_postgresql() -> None:
    dialect = DIALECTS["postgresql"]
    impl = resolve_type("uint64").sa_type.dialect_impl(dialect)
    process = impl.result_processor(dialect, 1700)  # 1700: the NUMERIC type's OID
    assert process is not None
    value = process(decimal.Decimal(2**64 - 1))
    assert value == 2**64 - 1
    assert type(value) is int
    assert process(None) is None


def test_uint64_numeric_converts_results() -> None:
    assert UInt64Numeric().process_result_value(decimal.Decimal(7), DIALECTS["sqlite"]) == 7


def test_uint64_numeric_accepts_how_alembic_renders_it() -> None:
    # autogenerate writes `dj_sqla.types.UInt64Numeric(precision=20, scale=0)` into migrations
    column = sa.Table("t", sa.MetaData(), sa.Column("c", UInt64Numeric(precision=20, scale=0))).c.c
    assert str(CreateColumn(column).compile(dialect=DIALECTS["postgresql"])) == "c NUMERIC(20, 0)"


@pytest.mark.parametrize(
    ("stored", "returned"), [("abc     ", "abc"), ("a", "a"), (" a ", " a"), (None, None)]
)
def test_char_values_come_back_without_padding(stored: str | None, returned: str | None) -> None:
    dialect = DIALECTS["postgresql"]
    spec = resolve_type("char(8)")
    assert isinstance(spec.sa_type, FixedChar)
    process = spec.sa_type.dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    assert process(stored) == returned


# --- canonical names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("INT32", "int32"),
        ("  float32  ", "float32"),
        ("varchar( 10 )", "varchar(10)"),
        ("VarChar(10)", "varchar(10)"),
        ("Char(1)", "char(1)"),
        ("int  unsigned", "int unsigned"),
        ("INT UNSIGNED", "int unsigned"),
        ("integer", "int"),
        ("Integer Unsigned", "int unsigned"),
        ("uint8", "tinyint unsigned"),
        ("UINT16", "smallint unsigned"),
        ("uint32", "int unsigned"),
        ("uint64", "bigint unsigned"),
        ("double  precision", "double"),
        ("boolean", "bool"),
        ("DateTime", "datetime"),
        ("datetime(0)", "datetime(0)"),
        ("DATETIME( 6 )", "datetime(6)"),
        ("Timestamp(3)", "timestamp(3)"),
        ("TIME", "time"),
        ("Decimal(10, 2)", "decimal(10,2)"),
        ("decimal(5)", "decimal(5,0)"),
        ("NUMERIC( 12 , 4 )", "numeric(12,4)"),
        ("enum('M', 'F', 'U')", "enum('M','F','U')"),
        ("ENUM ('M','F')", "enum('M','F')"),
        ("enum('A','a')", "enum('A','a')"),
        ('enum("a", "b")', "enum('a','b')"),
        ("enum('it''s', 'x')", "enum('it''s','x')"),
        ("enum('it\\'s')", "enum('it''s')"),
        ('enum("say ""hi""")', "enum('say \"hi\"')"),
        ("enum('a,b', 'c)', '(d')", "enum('a,b','c)','(d')"),
        ("enum('back\\\\slash')", "enum('back\\\\slash')"),
        ("enum('')", "enum('')"),
        ("LONGBLOB", "<blob>"),
        ("attach", "<attach>"),
        ("VarBinary(8)", "varbinary(8)"),
    ],
)
def test_canonical_name(written: str, canonical: str) -> None:
    assert resolve_type(written).name == canonical


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_canonical_name_resolves_to_itself(spelling: str) -> None:
    spec = resolve_type(spelling)
    again = resolve_type(spec.name)
    assert (again.name, again.core, again.python_type) == (spec.name, spec.core, spec.python_type)
    for dialect in DIALECTS:
        assert column_ddl(again, dialect) == column_ddl(spec, dialect)


CORE = {"int8", "int16", "int32", "int64", "float32", "float64", "bool", "uuid", "json", "bytes",
        "date", "datetime", "char", "varchar", "enum", "decimal", "boolean",
        # DataJoint 2's codecs, whichever spelling (0.14's longblob and attach included)
        "blob", "tinyblob", "mediumblob", "longblob", "<blob>", "attach", "<attach>"}  # fmt: skip


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_core_flag(spelling: str) -> None:
    assert resolve_type(spelling).core is (spelling.split("(")[0] in CORE)


# --- flags and Python types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "is_blob", "is_integer", "is_json", "python_type"),
    [
        ("int8", False, True, False, int),
        ("int16", False, True, False, int),
        ("int32", False, True, False, int),
        ("int64", False, True, False, int),
        ("tinyint unsigned", False, True, False, int),
        ("mediumint", False, True, False, int),
        ("int", False, True, False, int),
        ("int unsigned", False, True, False, int),
        ("bigint", False, True, False, int),
        ("bigint unsigned", False, False, False, int),  # NUMERIC(20,0): no sequence on PG
        ("uint64", False, False, False, int),
        ("year", False, False, False, int),
        ("float32", False, False, False, float),
        ("float64", False, False, False, float),
        ("real", False, False, False, float),
        ("bool", False, False, False, bool),
        ("uuid", False, False, False, uuid.UUID),
        ("json", False, False, True, object),
        ("bytes", True, False, False, bytes),
        ("blob", True, False, False, object),  # serialized: any value DataJoint's format holds
        ("tinyblob", True, False, False, object),
        ("mediumblob", True, False, False, object),
        ("longblob", True, False, False, object),
        ("<blob>", True, False, False, object),
        ("attach", True, False, False, object),
        ("varbinary(16)", False, False, False, bytes),
        ("binary(16)", False, False, False, bytes),
        ("date", False, False, False, datetime.date),
        ("datetime(6)", False, False, False, datetime.datetime),
        ("timestamp", False, False, False, datetime.datetime),
        ("time", False, False, False, datetime.time),
        ("char(1)", False, False, False, str),
        ("varchar(64)", False, False, False, str),
        ("text", False, False, False, str),
        ("enum('a')", False, False, False, str),
        ("decimal(10,2)", False, False, False, decimal.Decimal),
        ("numeric(10,2)", False, False, False, decimal.Decimal),
    ],
)
def test_flags(
    spelling: str, is_blob: bool, is_integer: bool, is_json: bool, python_type: type
) -> None:
    spec = resolve_type(spelling)
    assert (spec.is_blob, spec.is_integer, spec.is_json, spec.python_type) == (
        is_blob,
        is_integer,
        is_json,
        python_type,
    )


def test_typespec_is_frozen() -> None:
    spec = resolve_type("int32")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "int64"  # type: ignore[misc]


# --- enum values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "values"),
    [
        ("enum('M', 'F', 'U')", ("M", "F", "U")),
        ("enum('it''s', \"a,b\", 'c)')", ("it's", "a,b", "c)")),
        ("enum('x:y', 'p#q')", ("x:y", "p#q")),
        ("int32", None),
        ("varchar(3)", None),
    ],
)
def test_enum_values(spelling: str, values: tuple[str, ...] | None) -> None:
    spec = resolve_type(spelling)
    assert enum_values(spec) == values
    assert enum_values(resolve_type(spec.name)) == values


# --- SQLite limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "mentions"),
    [
        ("bigint unsigned", "bigint unsigned"),
        ("uint64", "bigint unsigned"),
        ("decimal(16,2)", "decimal(16,2)"),
        ("decimal(65,30)", "decimal(65,30)"),
        ("numeric(20,0)", "numeric(20,0)"),
    ],
)
def test_sqlite_limit_explains(spelling: str, mentions: str) -> None:
    reason = sqlite_limit(resolve_type(spelling))
    assert reason is not None
    assert f"`{mentions}`" in reason
    assert "SQLite" in reason


@pytest.mark.parametrize(
    "spelling",
    ["decimal(15,2)", "numeric(15,15)", "int64", "int unsigned", "float32", "float64", "text"],
)
def test_sqlite_limit_none(spelling: str) -> None:
    assert sqlite_limit(resolve_type(spelling)) is None


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_sqlite_limit_only_for_uint64_and_wide_decimals(spelling: str) -> None:
    limited = spelling in ("bigint unsigned", "uint64", "decimal(65,30)")
    assert (sqlite_limit(resolve_type(spelling)) is not None) is limited


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "hint"),
    [
        ("dat", "unknown", "did you mean `date`"),
        ("datetim(6)", "unknown", "did you mean `datetime`"),
        ("serial", "unknown", "DataJoint core type"),
        ("int32 unsigned", "unknown", "DataJoint core type"),
        ("float unsigned", "unknown", "DataJoint core type"),
        ("int auto_increment", "unknown", "DataJoint core type"),
        ("varchar", "invalid", "needs a length"),
        ("varchar()", "invalid", "whole number"),
        ("varchar(0)", "invalid", "from 1 to"),
        ("varchar(-1)", "invalid", "whole number"),
        ("varchar(1.5)", "invalid", "whole number"),
        ("varchar(n)", "invalid", "whole number"),
        ("varchar(10", "invalid", "unbalanced"),
        ("varchar(10, 2)", "invalid", "whole number"),
        ("char(256)", "invalid", "from 1 to 255"),
        ("binary(0)", "invalid", "from 1 to"),
        ("int(11)", "invalid", "takes no arguments"),
        ("int32(4)", "invalid", "takes no arguments"),
        ("float32()", "invalid", "takes no arguments"),
        ("decimal", "invalid", "precision and a scale"),
        ("decimal(0,0)", "invalid", "from 1 to 65"),
        ("decimal(66,2)", "invalid", "from 1 to 65"),
        ("decimal(2,5)", "invalid", "at most the precision"),
        ("decimal(40,31)", "invalid", "at most the precision and 30"),
        ("decimal(10,2,1)", "invalid", "precision and a scale"),
        ("decimal(10,)", "invalid", "whole number"),
        ("datetime(7)", "invalid", "at most 6"),
        ("datetime(x)", "invalid", "whole number"),
        ("time(9)", "invalid", "at most 6"),
        ("enum", "invalid", "at least one value"),
        ("enum()", "invalid", "at least one value"),
        ("enum( )", "invalid", "at least one value"),
        ("enum(M, F)", "invalid", "must be quoted"),
        ("enum('M',)", "invalid", "must be quoted"),
        ("enum('M','F)", "invalid", "unterminated quote"),
        ("enum('M' 'F')", "invalid", "after an enum value"),
        ("enum('M'; 'F')", "invalid", "after an enum value"),
        ("enum('M', 'M')", "invalid", "listed twice"),
        ("<nosuch>", "unknown", "no codec `nosuch` is registered"),
        ("<blob@nostore>", "invalid", 'Store "nostore" is not configured'),
        ("<blob", "unknown", "close the `>`"),
        ("", "unknown", "empty"),
    ],
)
def test_errors_name_table_line_attribute_and_text(text: str, kind: str, hint: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        resolve_type(text, table="mouse", line=7, attribute="weight")
    message = str(caught.value)
    assert message.startswith("Table `mouse`, line 7: attribute `weight` has ")
    assert f"{kind} type `{text.strip()}`" in message
    assert hint in message


def test_error_message_reads_as_one_sentence() -> None:
    with pytest.raises(DefinitionError) as caught:
        resolve_type("dat", table="mouse", line=3, attribute="dob")
    assert str(caught.value) == (
        "Table `mouse`, line 3: attribute `dob` has unknown type `dat`; did you mean `date`? "
        "Or use a DataJoint core type (int32, float64, varchar(n), date, ...)."
    )


def test_error_without_location_uses_defaults() -> None:
    with pytest.raises(DataJointError, match=r"^Table `<table>`, line 0: an attribute has"):
        resolve_type("nope")


def test_error_shows_the_text_as_written() -> None:
    with pytest.raises(DefinitionError, match=r"invalid type `VarChar\( 0 \)`"):
        resolve_type("  VarChar( 0 ) ")


def test_error_does_not_chain_internal_exceptions() -> None:
    with pytest.raises(DefinitionError) as caught:
        resolve_type("varchar(0)")
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("spelling", ["int8", "int unsigned", "int32"])
def test_more_variants_can_be_added(spelling: str) -> None:
    # the table builder adds a SQLite INTEGER variant for auto_increment columns
    spec = resolve_type(spelling)
    spec = dataclasses.replace(spec, sa_type=spec.sa_type.with_variant(sa.Integer(), "sqlite"))
    assert column_ddl(spec, "sqlite") == "INTEGER"
    assert column_ddl(spec, "mariadb") == column_ddl(resolve_type(spelling), "mariadb")
