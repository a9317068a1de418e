"""Data operations against SQLAlchemy Core: insert, fetch, query, aggregate, cascading delete.

The workloads of the DataJoint performance anchors (DESIGN.md §5), dj_sqla and the hand-written
Core equivalent run alternately on the same tables; medians, ratios dj_sqla / Core and the
statements each sends are printed per backend.

Usage::

    python benchmarks/data.py [--runs 3] [--backends sqlite,mysql,postgresql] [--rows 100000]
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import sqlalchemy as sa
from activation import Row, Timings, run, timed

import dj_sqla as dj

ROWS = 100_000
for i, arg in enumerate(sys.argv):
    if arg == "--rows":
        ROWS = int(sys.argv[i + 1])
        del sys.argv[i : i + 2]
        break


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
        session : int32
        ---
        value : float64
        quality : int32
        """

    schema(Subject, context={})
    schema(Session, context={"Subject": Subject})
    return Subject, Session


def bench(url: str, runs: int) -> list[Row]:
    conn = dj.Connection(url)
    engine = conn.engine
    parents = 1000
    subject_rows = [{"subject_id": i, "name": f"s{i}"} for i in range(parents)]
    rows = [
        {"subject_id": i % parents, "session": i, "value": i * 0.5, "quality": i % 7}
        for i in range(ROWS)
    ]
    engines = (engine, conn.read_engine)
    timings = Timings(engines)
    record = timings.record

    def once() -> None:
        schema = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}", connection=conn)
        Subject, Session = declare(schema)
        table = Session.__table__
        Subject.insert(subject_rows)

        def core_insert() -> None:
            with engine.begin() as c:
                c.execute(table.insert(), rows)

        def clear() -> None:
            with engine.begin() as c:
                c.execute(table.delete())

        dj_insert = timed(lambda: Session.insert(rows), engines)
        clear()
        timings.add(f"insert {ROWS // 1000}k rows", dj_insert, timed(core_insert, engines))
        if engine.dialect.name == "postgresql":  # fresh statistics, or query plans vary by run
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("ANALYZE")

        def core_fetch() -> None:
            with engine.connect() as c:
                c.execute(sa.select(table)).all()

        record(
            f"fetch {ROWS // 1000}k to_arrays",
            lambda: Session.to_arrays(),
            core_fetch,
            warm_up=True,
        )
        record(
            f"fetch {ROWS // 1000}k to_dicts", lambda: Session.to_dicts(), core_fetch, warm_up=True
        )

        def dj_query() -> None:
            q = (Subject * Session & "quality > 2" & "subject_id < 500").proj("name", "value")
            q.to_arrays()

        subject = Subject.__table__

        def core_query() -> None:
            query = (
                sa.select(table.c.subject_id, table.c.session, subject.c.name, table.c.value)
                .select_from(subject.join(table, subject.c.subject_id == table.c.subject_id))
                .where(table.c.quality > 2, subject.c.subject_id < 500)
            )
            with engine.connect() as c:
                c.execute(query).all()

        record("join+restrict+proj", dj_query, core_query, warm_up=True)

        def dj_aggr() -> None:
            Subject.aggr(Session, n="count(*)", avg_value="avg(value)").to_arrays()

        def core_aggr() -> None:
            query = (
                sa.select(
                    subject.c.subject_id,
                    sa.func.count(table.c.session),
                    sa.func.avg(table.c.value),
                )
                .select_from(subject.outerjoin(table, subject.c.subject_id == table.c.subject_id))
                .group_by(subject.c.subject_id)
            )
            with engine.connect() as c:
                c.execute(query).all()

        record("aggr count/avg per parent", dj_aggr, core_aggr, warm_up=True)

        def dj_delete() -> None:
            Subject.delete(prompt=False)

        def core_delete() -> None:  # the anchor's Core workload (W7)
            with engine.begin() as c:
                c.execute(
                    table.delete().where(table.c.subject_id.in_(sa.select(subject.c.subject_id)))
                )
                c.execute(subject.delete())

        dj_deleted = timed(dj_delete, engines)
        Subject.insert(subject_rows)
        core_insert()
        timings.add("cascading delete", dj_deleted, timed(core_delete, engines))
        with engine.begin() as c:
            conn.backend.drop_schema(c, str(schema.database))

    for _ in range(runs):
        once()
    engine.dispose()
    return timings.rows()


if __name__ == "__main__":
    run(bench, __doc__.splitlines()[0])
