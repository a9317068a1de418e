"""Constraint and index names are short and identical on every dialect (no server)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

import dj_sqla as dj
from dj_sqla._naming import NAMING_CONVENTION

DIALECTS = [sqlite.dialect(), mysql.dialect(), postgresql.dialect()]


def make_tables(schema: str) -> tuple[sa.Table, sa.Table]:
    md = sa.MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    long = "a_very_long_table_name_that_would_overflow_identifier_limits_x"
    parent = sa.Table(
        long, md, sa.Column("subject_identifier_number", sa.Integer, primary_key=True)
    )
    child = sa.Table(
        "#session_with_a_long_name__and_a_part",
        md,
        sa.Column(
            "subject_identifier_number",
            sa.ForeignKey(parent.c.subject_identifier_number),
            primary_key=True,
        ),
        sa.Column("session_identifier_number", sa.Integer, primary_key=True),
        sa.Column("recorded_on_a_certain_date", sa.Date, index=True),
        sa.UniqueConstraint("recorded_on_a_certain_date", "session_identifier_number"),
    )
    return parent, child


def ddl_names(table: sa.Table, dialect: sa.Dialect) -> list[str]:
    text = str(CreateTable(table).compile(dialect=dialect))
    text += "".join(str(CreateIndex(ix).compile(dialect=dialect)) for ix in table.indexes)
    quote = "`" if dialect.name == "mysql" else '"'
    names = []
    for token in text.replace(quote, " ").replace(".", " ").split():
        if token[:3] in ("pk_", "fk_", "ix_", "uq_"):
            names.append(token)
    return sorted(names)


def test_names_identical_on_every_dialect_and_short() -> None:
    _, child = make_tables("lab")
    per_dialect = [ddl_names(child, d) for d in DIALECTS]
    assert per_dialect[0] == per_dialect[1] == per_dialect[2]
    assert {name[:3] for name in per_dialect[0]} == {"pk_", "fk_", "ix_", "uq_"}
    assert all(len(name) <= 38 for name in per_dialect[0])
    assert all("#" not in name for name in per_dialect[0])


def test_names_do_not_depend_on_schema_name() -> None:
    _, in_lab = make_tables("lab")
    _, in_test = make_tables("test_copy_of_lab")
    assert ddl_names(in_lab, DIALECTS[2]) == ddl_names(in_test, DIALECTS[2])


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_index_names_differ_per_column_set(dialect: sa.Dialect) -> None:
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    table = sa.Table(
        "t", md, sa.Column("a", sa.Integer, index=True), sa.Column("b", sa.Integer, index=True)
    )
    names = {ix.name for ix in table.indexes}
    assert len(names) == 2


def test_check_names_come_from_the_column_not_the_sql_text() -> None:
    """dj_sqla's range checks are SQL text naming their column in ``info``: their names are
    those SQLAlchemy gives the same check written as an expression, so tables declared by
    earlier versions keep their constraint names."""
    md = sa.MetaData(naming_convention=NAMING_CONVENTION)
    column = sa.Column("count", sa.Integer)
    as_expression = sa.CheckConstraint(column.between(-128, 127))
    as_text = sa.CheckConstraint('"count" BETWEEN -128 AND 127', info={"dj_columns": ["count"]})
    sa.Table("counter", md, column, as_expression)
    sa.Table("counter", sa.MetaData(naming_convention=NAMING_CONVENTION), as_text)
    assert as_text.name == as_expression.name
    assert str(as_text.name).startswith("ck_counter_")


def test_declared_tables_name_constraints_as_the_convention_does() -> None:
    """``build_table`` names its constraints itself (cheaper than the MetaData's convention,
    which renames a primary key per column added); the names must be the convention's, so
    that tables declared before keep theirs and Alembic sees no difference."""
    from dj_sqla._naming import _hash_token, _table_token
    from dj_sqla.declare.build import build_table
    from dj_sqla.declare.parser import parse_definition

    md = sa.MetaData(schema="lab", naming_convention=NAMING_CONVENTION)
    parent = build_table(
        md,
        "#subject",
        parse_definition("subject : int8\n---\nname : varchar(8)"),
        resolve=lambda ref, line: None,
    )
    child = build_table(
        md,
        "_session__part",
        parse_definition(
            "-> Subject\nsession : int32\n---\n-> [unique] Subject.proj(buddy='subject')\n"
            "note : varchar(20)\nindex(note)\nunique index(session, note)"
        ),
        resolve=lambda ref, line: (parent, {c.name: c.info["dj"] for c in parent.columns}),
    )
    prefixes = {"PrimaryKeyConstraint": "pk", "ForeignKeyConstraint": "fk", "Index": "ix"}
    prefixes |= {"UniqueConstraint": "uq", "CheckConstraint": "ck"}
    kinds = set()
    for table in (parent, child):
        for const in [*table.constraints, *table.indexes]:
            kind = type(const).__name__
            kinds.add(kind)
            expected = f"{prefixes[kind]}_{_table_token(const, table)}_{_hash_token(const, table)}"
            assert const.name == expected, (table.name, kind)
    assert kinds == set(prefixes)
    assert [c.name for c in child.primary_key] == ["subject", "session"]


def test_tier_regexps_tell_the_tiers_apart() -> None:
    tiers = [dj.Manual, dj.Lookup, dj.Imported, dj.Computed]
    names = {
        "mouse_cage": dj.Manual,
        "#rig": dj.Lookup,
        "_rec": dj.Imported,
        "__stats": dj.Computed,
    }
    for name, tier in names.items():
        assert [bool(re.match(t.tier_regexp, name)) for t in tiers] == [t is tier for t in tiers]
        assert re.fullmatch(dj.Part.tier_regexp, f"{name}__unit_a")
        assert not re.fullmatch(dj.Part.tier_regexp, name)
    assert not re.match(dj.Manual.tier_regexp, "Mouse")
