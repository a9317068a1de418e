"""populate() of 2,000 trivial keys against the same loop written with DataJoint's protocol.

Each key's ``make`` fetches its parent row and inserts one row. The Core side is DataJoint
2.3's per-key protocol written by hand in SQLAlchemy Core: list the missing keys, then per key
one transaction that checks the key is still missing, fetches the parent and inserts. Printed
per backend: medians, the ratio dj_sqla / Core (the budget, "1.3x faster", is a ratio of at
most 0.77) and the statements each side sends; below the table, round trips per key
(statements, COMMITs, and the BEGINs psycopg2 sends on its own). The ``reserve_jobs`` row
compares populate with the job table against the same loop.

Usage::

    python benchmarks/populate.py [--runs 5] [--backends sqlite,mysql,postgresql] [--keys 2000]
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import sqlalchemy as sa
from activation import Row, Timings, run, timed
from sqlalchemy import event

import dj_sqla as dj

KEYS = 2000
for i, arg in enumerate(sys.argv):
    if arg == "--keys":
        KEYS = int(sys.argv[i + 1])
        del sys.argv[i : i + 2]
        break


def declare(schema: dj.Schema) -> tuple[Any, Any]:
    class Item(dj.Manual):
        definition = """
        item_id : int32
        ---
        value : float64
        """

    class ItemResult(dj.Computed):
        definition = """
        -> Item
        ---
        result : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            value = (Item & key).fetch1("value")
            self.insert1(dict(key, result=2 * value))

    schema(Item, context={})
    schema(ItemResult, context={"Item": Item})
    return Item, ItemResult


def protocol_loop(engine: sa.Engine, item: sa.Table, result: sa.Table) -> None:
    """DataJoint's populate protocol, by hand: one transaction per key with a re-check."""
    with engine.connect() as c:
        missing = c.execute(
            sa.select(item.c.item_id)
            .where(~sa.exists().where(result.c.item_id == item.c.item_id))
            .order_by(item.c.item_id)
        ).all()
    for (key,) in missing:
        with engine.begin() as c:
            done = c.execute(sa.select(sa.literal(1)).where(result.c.item_id == key)).first()
            if done is not None:
                continue
            value = c.execute(sa.select(item.c.value).where(item.c.item_id == key)).scalar_one()
            c.execute(result.insert().values(item_id=key, result=2 * value))


def _driver_autocommit(conn: sa.Connection) -> bool:
    """Whether the DBAPI connection is in autocommit mode (PyMySQL or psycopg2)."""
    dbapi = conn.connection.dbapi_connection
    get_autocommit = getattr(dbapi, "get_autocommit", None)
    if get_autocommit is not None:
        return bool(get_autocommit())
    return getattr(dbapi, "autocommit", False) is True


def bench(url: str, runs: int) -> list[Row]:
    conn = dj.Connection(url)
    engine = conn.engine
    engines = (engine, conn.read_engine)
    timings = Timings(engines)
    ends = {"n": 0}

    def on_commit(conn: sa.Connection) -> None:
        if not _driver_autocommit(conn):  # in autocommit the driver's commit sends nothing
            ends["n"] += 1

    def on_begin(conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql" and not _driver_autocommit(conn):
            ends["n"] += 1  # psycopg2 sends BEGIN on its own before the first statement

    def counted(fn: Callable[[], object]) -> tuple[float, int, int]:
        ends["n"] = 0
        seconds, statements = timed(fn, engines)
        return seconds, statements, ends["n"]

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "begin", on_begin)
    per_key: dict[str, float] = {}

    def once() -> None:
        schema = dj.Schema(f"bench_{uuid.uuid4().hex[:8]}", connection=conn)
        item_class, result_class = declare(schema)
        item_class.insert([{"item_id": i, "value": i * 0.5} for i in range(KEYS)])
        item, result = item_class.__table__, result_class.__table__

        def clear() -> None:
            with engine.begin() as c:
                c.execute(result.delete())

        for name, options in (("populate", {}), ("populate reserve_jobs", {"reserve_jobs": True})):
            if options:
                result_class.jobs.progress()  # create the job table outside the timing
            seconds, statements, n_commits = counted(partial(result_class.populate, **options))
            per_key[f"{name}: dj_sqla"] = (statements + n_commits) / KEYS
            assert len(result_class()) == KEYS
            clear()
            core_seconds, core_statements, n_commits = counted(
                partial(protocol_loop, engine, item, result)
            )
            per_key[f"{name}: protocol"] = (core_statements + n_commits) / KEYS
            clear()
            core_side = (core_seconds, core_statements)
            timings.add(f"{name} {KEYS} keys", (seconds, statements), core_side)
        with engine.begin() as c:
            conn.backend.drop_schema(c, str(schema.database))

    for _ in range(runs):
        once()
    engine.dispose()
    for name, value in per_key.items():
        print(f"# {url.split(':')[0]:<22} {name:<34} {value:.2f} round trips per key")
    return timings.rows()


if __name__ == "__main__":
    run(bench, __doc__.splitlines()[0])
