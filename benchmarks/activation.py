"""Declaring and re-activating a 30-table schema: dj_sqla against SQLAlchemy Core.

Prints, per backend, the median of several runs and the ratio dj_sqla / Core, plus the
statements each side sends (counted with an engine event listener). DESIGN.md §5 budgets:
re-activation <= 1.5x Core ``create_all(checkfirst=True)`` and <= 5 round trips per schema;
declaring <= 1.3x Core ``create_all``. A third row compares re-activation with SQLAlchemy's own
declarative mapping of the same classes plus ``create_all(checkfirst=True)``: dj_sqla's classes
are mapped classes, and mapping them is most of the time on SQLite and PostgreSQL.

Usage::

    python benchmarks/activation.py [--runs 7] [--backends sqlite,mysql,postgresql]

Servers come from DJ_SQLA_TEST_MYSQL_URL / DJ_SQLA_TEST_POSTGRESQL_URL, or are started as
throwaway instances (tests/servers.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import CreateSchema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import dj_sqla as dj
import servers

N_TABLES = 30


def dj_classes() -> list[type]:
    """30 plain declarative classes: a chain of foreign keys, like a pipeline."""
    classes: list[type] = []
    for i in range(N_TABLES):
        annotations: dict[str, Any] = {"k": Mapped[int], "v": Mapped[float], "note": Mapped[str]}
        namespace: dict[str, Any] = {
            "__tablename__": f"table_{i}",
            "__annotations__": annotations,
            "k": mapped_column(primary_key=True),
            "v": mapped_column(sa.Double),
            "note": mapped_column(sa.String(100), index=True),
        }
        if i:
            annotations["parent"] = Mapped[int]
            namespace["parent"] = mapped_column(sa.ForeignKey(f"table_{i - 1}.k"))
        classes.append(type(f"Table{i}", (), namespace))
    return classes


def core_metadata(schema: str) -> sa.MetaData:
    """The same 30 tables as plain Core Table objects."""
    md = sa.MetaData(schema=schema)
    for i in range(N_TABLES):
        columns: list[Any] = [
            sa.Column("k", sa.Integer, primary_key=True),
            sa.Column("v", sa.Double),
            sa.Column("note", sa.String(100), index=True),
        ]
        if i:
            columns.append(sa.Column("parent", sa.ForeignKey(f"table_{i - 1}.k")))
        sa.Table(f"table_{i}", md, *columns)
    return md


def core_create(conn: dj.Connection, md: sa.MetaData, name: str) -> None:
    """What Core does to declare: create the schema, then ``create_all``, in one transaction.

    (SQLite has no CREATE SCHEMA; the backend attaches a new file instead.)
    """
    with conn.engine.begin() as c:
        if conn.backend.has_server_schemas:
            c.execute(CreateSchema(name))
        else:
            conn.backend.create_schema(c, name)
        md.create_all(c, checkfirst=False)


def core_create_each(conn: dj.Connection, md: sa.MetaData, name: str) -> None:
    """What Core does to declare tables one at a time, each durable when created: create the
    schema, then each table (parents first) in one committed transaction of its own.
    """
    with conn.engine.begin() as c:
        if conn.backend.has_server_schemas:
            c.execute(CreateSchema(name))
        else:
            conn.backend.create_schema(c, name)
    for table in md.sorted_tables:
        with conn.engine.begin() as c:
            table.create(c, checkfirst=False)


def timed(fn: Callable[[], object], engine: sa.Engine | Sequence[sa.Engine]) -> tuple[float, int]:
    """Seconds and statements of one call (statements counted on every engine given)."""
    engines = [engine] if isinstance(engine, sa.Engine) else list(dict.fromkeys(engine))
    count = 0

    def on_execute(*_: Any) -> None:
        nonlocal count
        count += 1

    for each in engines:
        event.listen(each, "before_cursor_execute", on_execute)
    start = time.perf_counter()
    try:
        fn()
    finally:
        elapsed = time.perf_counter() - start
        for each in engines:
            event.remove(each, "before_cursor_execute", on_execute)
    return elapsed, count


Row = tuple[str, float, float, int, int]


class Timings:
    """Seconds of both sides per workload over the runs, and the statements of each."""

    def __init__(self, engine: sa.Engine | Sequence[sa.Engine]) -> None:
        self.engine = engine
        self.results: dict[str, tuple[list[float], list[float], int, int]] = {}

    def add(self, name: str, dj: tuple[float, int], core: tuple[float, int]) -> None:
        """Record one run's (seconds, statements) of both sides."""
        entry = self.results.setdefault(name, ([], [], dj[1], core[1]))
        entry[0].append(dj[0])
        entry[1].append(core[0])

    def record(
        self,
        name: str,
        dj_fn: Callable[[], object],
        core_fn: Callable[[], object],
        *,
        warm_up: bool = False,
    ) -> None:
        """Time ``dj_fn`` and ``core_fn``, in turns first, so that neither side always pays
        for cold caches (the database's pages, SQLite's per-connection cache).

        With ``warm_up``, both run once untimed first: for repeatable reads, whose first run
        after a bulk load pays for the server touching the new pages (PostgreSQL sets hint
        bits on them), which no later read pays. Alternating alone leaves that cost with
        whichever side goes first in more of an odd number of runs."""
        if warm_up:
            dj_fn()
            core_fn()
        runs = len(self.results.get(name, ((),))[0])
        if runs % 2:
            core = timed(core_fn, self.engine)
            self.add(name, timed(dj_fn, self.engine), core)
        else:
            dj = timed(dj_fn, self.engine)
            self.add(name, dj, timed(core_fn, self.engine))

    def rows(self) -> list[Row]:
        """Medians per workload."""
        return [
            (name, statistics.median(d), statistics.median(c), nd, nc)
            for name, (d, c, nd, nc) in self.results.items()
        ]


def bench_backend(url: str, runs: int) -> list[tuple[str, float, float, int, int]]:
    """Rows of (workload, dj median s, core median s, dj statements, core statements)."""
    conn = dj.Connection(url)
    engine = conn.engine
    with engine.connect():
        pass  # initialise the dialect outside the timings
    timings = Timings(engine)
    record = timings.record

    for _ in range(runs):
        dj_name, core_name = (f"bench_{uuid.uuid4().hex[:8]}_{s}" for s in ("dj", "core"))

        def dj_declare(name: str = dj_name) -> None:
            schema = dj.Schema(name, connection=conn)
            for cls in dj_classes():
                schema(cls)  # each durable when the decorator returns

        def core_declare(name: str = core_name) -> None:
            core_create_each(conn, core_metadata(name), name)

        record("declare 30 tables", dj_declare, core_declare)

        def core_activate(name: str = core_name) -> None:
            with engine.begin() as c:
                core_metadata(name).create_all(c, checkfirst=True)

        record("re-activate 30 existing", dj_declare, core_activate)

        def orm_activate(name: str = core_name) -> None:
            # the fairer baseline for mapped classes: SQLAlchemy's own declarative mapping
            registry = orm.registry(metadata=sa.MetaData(schema=name))
            for cls in dj_classes():
                registry.mapped(cls)
            with engine.begin() as c:
                registry.metadata.create_all(c, checkfirst=True)

        record("re-activate vs ORM mapping", dj_declare, orm_activate)
        with engine.begin() as c:
            for name in (dj_name, core_name):
                conn.backend.drop_schema(c, name)
    engine.dispose()
    return timings.rows()


@contextmanager
def servers_for(backends: list[str]) -> Iterator[dict[str, str]]:
    """URLs per backend: a fresh SQLite store, and running or throwaway servers."""
    env = {"mysql": "DJ_SQLA_TEST_MYSQL_URL", "postgresql": "DJ_SQLA_TEST_POSTGRESQL_URL"}
    start = {"mysql": servers.start_mariadb, "postgresql": servers.start_postgresql}
    started: list[servers.Server] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            urls = {}
            for backend in backends:
                if backend == "sqlite":
                    urls[backend] = f"sqlite:///{tmp}/main.db"
                elif os.environ.get(env[backend]):
                    urls[backend] = os.environ[env[backend]]
                else:
                    started.append(start[backend]())
                    urls[backend] = started[-1].url
            yield urls
    finally:
        for server in started:
            server.stop()


def run(bench: Callable[[str, int], list[Row]], description: str) -> None:
    """Parse ``--runs``/``--backends``, run ``bench`` per backend and print its rows."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,mysql,postgresql")
    args = parser.parse_args()
    print(
        f"{'backend':<11} {'workload':<27} {'dj_sqla s':>10} {'Core s':>9} {'ratio':>6} "
        f"{'dj stmts':>8} {'Core stmts':>10}"
    )
    with servers_for(args.backends.split(",")) as urls:
        for backend, url in urls.items():
            for name, d, c, nd, nc in bench(url, args.runs):
                print(
                    f"{backend:<11} {name:<27} {d:>10.4f} {c:>9.4f} {d / c:>6.2f} {nd:>8} {nc:>10}"
                )


if __name__ == "__main__":
    run(bench_backend, __doc__.splitlines()[0])
