"""Restriction by a list of keys against the hand-written SQLAlchemy Core query.

A table of 200,000 sessions (key: an int and a short varchar) under 50,000 subjects is
restricted by 50,000 keys (half of them present), by 50,000 single-attribute keys, by the
same keys negated (``-``), joined with its parent, and by 10 keys. The Core side is the
fastest form measured for each backend, written by hand from the same list of dicts: SQLite
``IN (SELECT ... FROM json_each(?))``, PostgreSQL ``= ANY(array)`` and
``IN (SELECT * FROM unnest(array, array))``, MariaDB/MySQL ``IN (SELECT ... FROM
JSON_TABLE(?))``; 10 keys as a plain ``IN`` list everywhere. Both sides fetch all rows (dj_sqla
``to_arrays()``, Core ``.all()``). Medians; the budget is a ratio <= 1.1 (DESIGN.md §5).

Usage::

    python benchmarks/restrict.py [--runs 7] [--backends sqlite,mysql,postgresql]
        [--rows 200000] [--keys 50000]
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from typing import Any

import sqlalchemy as sa
from activation import Row, Timings, run
from sqlalchemy.dialects import postgresql

import dj_sqla as dj

ROWS, KEYS = 200_000, 50_000
for flag in ("--rows", "--keys"):
    if flag in sys.argv:
        i = sys.argv.index(flag)
        value = int(sys.argv[i + 1])
        del sys.argv[i : i + 2]
        ROWS, KEYS = (value, KEYS) if flag == "--rows" else (ROWS, value)


def declare(schema: dj.Schema) -> tuple[Any, Any]:
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        name : varchar(40)
        """

    class Session(dj.Manual):
        definition = """
        -> Subject
        session : varchar(16)
        ---
        value : float64
        """

    schema(Subject, context={})
    schema(Session, context={"Subject": Subject})
    return Subject, Session


def _json_table(document: Any, columns: str, selected: str) -> Any:
    # MySQL's JSON_TABLE has no SQLAlchemy construct: the hand-written query writes its text
    return sa.text(
        f"SELECT {selected} FROM JSON_TABLE(:document, '$[*]' COLUMNS ({columns})) AS k"
    ).bindparams(document=document)


def core_in(dialect: str, columns: list[Any], keys: list[dict[str, Any]]) -> Any:
    """The hand-written condition ``columns IN keys`` in the best form for ``dialect``."""
    names = [c.name for c in columns]
    if len(keys) <= 32:
        rows = [tuple(k[n] for n in names) for k in keys]
        if len(columns) == 1:
            return columns[0].in_([r[0] for r in rows])
        return sa.tuple_(*columns).in_(rows)
    if dialect == "sqlite":
        each = sa.func.json_each(json.dumps([[k[n] for n in names] for k in keys]))
        keys_table = each.table_valued("value").alias("k")
        paths = [sa.func.json_extract(keys_table.c.value, f"$[{i}]") for i in range(len(names))]
        return sa.tuple_(*columns).in_(sa.select(*paths))
    if dialect == "postgresql":
        arrays = [
            sa.cast([k[n] for k in keys], postgresql.ARRAY(c.type))
            for n, c in zip(names, columns, strict=True)
        ]
        if len(columns) == 1:
            return columns[0] == sa.any_(arrays[0])
        unnest = sa.func.unnest(*arrays).table_valued(*names).render_derived()
        return sa.tuple_(*columns).in_(sa.select(*unnest.c))
    # the collation dj_sqla gives MySQL schemas (binary, trailing spaces count)
    collation = "utf8mb4_nopad_bin" if dialect == "mariadb" else "utf8mb4_0900_bin"
    types = {
        "subject_id": "INT",
        "session": f"VARCHAR(16) CHARACTER SET utf8mb4 COLLATE {collation}",
    }
    definitions = ", ".join(f"{n} {types[n]} PATH '$[{i}]'" for i, n in enumerate(names))
    rows = _json_table(
        json.dumps([[k[n] for n in names] for k in keys]), definitions, ", ".join(names)
    )
    return sa.tuple_(*columns).in_(rows.columns(*(sa.column(n) for n in names)))


def core_not_in(dialect: str, columns: list[Any], keys: list[dict[str, Any]]) -> Any:
    """The hand-written ``NOT (columns IN keys)``. SQLite's ``NOT IN`` over several columns
    looks through the whole list for NULLs for every row without a match (quadratic): a
    ``CASE`` asks whether the row is found, and keeps ``NOT IN``'s NULL for NULL columns."""
    found = core_in(dialect, columns, keys)
    if dialect != "sqlite" or len(columns) == 1:
        return sa.not_(found)
    unknown = sa.or_(*(c.is_(None) for c in columns))
    return sa.case((found, sa.false()), (unknown, sa.null()), else_=sa.true())


def bench(url: str, runs: int) -> list[Row]:
    conn = dj.Connection(url)
    engine = conn.engine
    schema = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}", connection=conn)
    Subject, Session = declare(schema)
    subjects = ROWS // 4
    Subject.insert({"subject_id": i, "name": f"s{i}"} for i in range(subjects))
    Session.insert(
        {"subject_id": i // 4, "session": f"day{i % 4}", "value": i * 0.5} for i in range(ROWS)
    )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("ANALYZE")
    random.seed(7)
    picked = random.sample(range(2 * ROWS), KEYS)  # about half of them present
    keys = [{"subject_id": i // 4, "session": f"day{i % 4}"} for i in picked]
    ids = [{"subject_id": i} for i in random.sample(range(2 * subjects), KEYS)]
    few = keys[:10]
    session, subject = Session.__table__, Subject.__table__
    dialect = "mariadb" if getattr(engine.dialect, "is_mariadb", False) else engine.dialect.name
    key = [session.c.subject_id, session.c.session]
    timings = Timings((engine, conn.read_engine))

    def fetch(query: Any) -> None:
        with engine.connect() as c:
            c.execute(query).all()

    k = KEYS // 1000
    cases = [
        (
            f"{k}k composite keys",
            lambda: (Session & keys).to_arrays(),
            lambda: fetch(sa.select(session).where(core_in(dialect, key, keys))),
        ),
        (
            f"{k}k single-attribute keys",
            lambda: (Subject & ids).to_arrays(),
            lambda: fetch(sa.select(subject).where(core_in(dialect, [subject.c.subject_id], ids))),
        ),
        (
            f"- {k}k composite keys",
            lambda: (Session - keys).to_arrays(),
            lambda: fetch(sa.select(session).where(core_not_in(dialect, key, keys))),
        ),
        (
            f"join+{k}k keys+proj",
            lambda: (Subject * Session & keys).proj("name", "value").to_arrays(),
            lambda: fetch(
                sa.select(session.c.subject_id, session.c.session, subject.c.name, session.c.value)
                .select_from(subject.join(session, subject.c.subject_id == session.c.subject_id))
                .where(core_in(dialect, key, keys))
            ),
        ),
        (
            "10 composite keys",
            lambda: (Session & few).to_arrays(),
            lambda: fetch(sa.select(session).where(core_in(dialect, key, few))),
        ),
    ]
    for _ in range(runs):
        for name, dj_fn, core_fn in cases:
            timings.record(name, dj_fn, core_fn, warm_up=True)
    schema.drop(prompt=False)
    engine.dispose()
    return timings.rows()


if __name__ == "__main__":
    run(bench, (__doc__ or "").splitlines()[0])
