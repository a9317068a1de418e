"""Declaring and re-activating 30 DataJoint ``definition`` classes against SQLAlchemy Core.

The pipeline is the one of the DataJoint performance anchors: a binary tree of 30 tables, each
child referencing its parent, every third one Computed. Core creates the very same Tables (same
DDL): one decorator at a time is compared with ``CREATE SCHEMA`` and then each table in one
committed transaction of its own (the same promise: each table durable when it is created); one
activation of 30 decorated classes with ``CREATE SCHEMA`` + ``MetaData.create_all()`` in one
transaction; re-activation with defining those Tables and ``create_all(checkfirst=True)``.
DESIGN.md §5 budgets: declare <= 1.3x Core, re-activate <= 1.5x Core and <= 5 round trips per
schema.

dj_sqla maps a declared class when it is first used as a mapped class (DataJoint's API never
needs SQLAlchemy's mapper); the third row pays for mapping every class right away, against
SQLAlchemy mapping the same Tables.

Each decorated class is declared atomically (a failed definition leaves nothing behind, and
the classes above it stay declared), at once, in a committed transaction of its own, on every
backend: the table is durable and visible to other connections when the decorator returns. A
schema activated after its classes are decorated (``dj.Schema()`` ... ``schema.activate(name)``)
declares them all in one, like Core.

Usage::

    python benchmarks/declare.py [--runs 7] [--backends sqlite,mysql,postgresql]
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from activation import Row, Timings, core_create, core_create_each, run
from sqlalchemy import orm

import dj_sqla as dj

N_TABLES = 30


def definition_classes() -> list[type]:
    """Fresh classes (a class is declared once) forming a binary tree of foreign keys."""
    classes: list[type] = []
    for i in range(N_TABLES):
        tier = dj.Computed if i % 3 == 2 else dj.Manual
        parent = f"-> Node{(i - 1) // 2}\n" if i else ""
        definition = (
            f"# node {i}\n{parent}node{i}_id : int32\n---\n"
            "value : float64\nlabel = '' : varchar(64)  # a label\nstamp = null : datetime(6)\n"
        )
        classes.append(type(f"Node{i}", (tier,), {"definition": definition}))
    return classes


def declare(schema: dj.Schema) -> None:
    context: dict[str, Any] = {}
    for cls in definition_classes():
        context[cls.__name__] = cls
        schema(cls, context=context)


def bench(url: str, runs: int) -> list[Row]:
    conn = dj.Connection(url)
    engine = conn.engine
    with engine.connect():
        pass
    # the Core side creates the same Tables that dj_sqla builds
    template = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}_t", connection=conn)
    declare(template)
    timings = Timings(engine)
    record = timings.record

    def drop(*names: str) -> None:
        with engine.begin() as c:
            for name in names:
                conn.backend.drop_schema(c, name)

    for _ in range(runs):
        dj_name, core_name = (f"bench_{uuid.uuid4().hex[:8]}_{s}" for s in ("dj", "core"))

        def core_tables(name: str = core_name) -> sa.MetaData:
            md = sa.MetaData()
            for table in template.sorted_tables:
                table.to_metadata(md, schema=name)
            return md

        def dj_declare(name: str = dj_name) -> None:
            declare(dj.Schema(name, connection=conn))

        def core_declare_each(name: str = core_name) -> None:
            core_create_each(conn, core_tables(name), name)

        def core_declare(name: str = core_name) -> None:
            core_create(conn, core_tables(name), name)

        def orm_declare(name: str = core_name) -> None:
            # SQLAlchemy doing the whole job: the same Tables, each mapped to a class
            md = core_tables(name)
            registry = orm.registry(metadata=md)
            for table in md.sorted_tables:
                registry.map_imperatively(type(table.name, (), {}), table)
            core_create_each(conn, md, name)

        record("declare 30 definitions", dj_declare, core_declare_each)
        drop(dj_name, core_name)

        def dj_deferred(name: str = dj_name) -> None:
            # DataJoint's deferred activation: decorate first, then one transaction for all
            schema = dj.Schema()
            declare(schema)
            schema.activate(name, connection=conn)

        record("declare 30, one activation", dj_deferred, core_declare)
        drop(dj_name, core_name)

        def dj_declare_mapped(name: str = dj_name) -> None:
            # declared classes are mapped on first ORM use; pay for that here, all at once
            schema = dj.Schema(name, connection=conn)
            declare(schema)
            assert len(schema.registry.mappers) == N_TABLES  # maps this schema's classes

        record("declare + map vs ORM", dj_declare_mapped, orm_declare)

        def core_activate() -> None:
            with engine.begin() as c:
                core_tables().create_all(c, checkfirst=True)

        record("re-activate 30 definitions", dj_declare, core_activate)
        drop(dj_name, core_name)
    with engine.begin() as c:
        conn.backend.drop_schema(c, str(template.database))
    engine.dispose()
    return timings.rows()


if __name__ == "__main__":
    run(bench, __doc__.splitlines()[0])
