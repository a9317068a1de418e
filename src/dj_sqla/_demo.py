"""``dj-sqla demo``: the example pipeline (:mod:`dj_sqla.example`) filled, computed and queried.

Each step prints what it did and the idiom it used, DataJoint's or SQLAlchemy's, so one run
shows a newcomer what dj_sqla does: two schemas declared from ``definition`` strings,
simulated animals, sessions and trials inserted, four tables filled by ``populate()`` (job
reservations, worker processes, numpy arrays in blobs, raw traces in an object store), the
query algebra on the results, and the pipeline's diagram. A second run finds the rows and
computes nothing again; ``--drop`` starts over.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy.orm import Session

from . import example
from ._version import __version__
from .config import config
from .connection import Connection, conn
from .diagram import Diagram, GraphvizMissing
from .execution.query import Query
from .expression import U

#: The restriction the demo writes in DataJoint's MySQL-flavoured SQL.
OLDER = "DATEDIFF(session_date, date_of_birth) > 90"
#: The file of the pipeline's diagram in the demo's data folder (with Graphviz's ``dot``).
DIAGRAM_FILE = "dj_sqla_demo_pipeline.svg"


def demo(url: str | None = None) -> None:
    """Run the demo on ``url`` (default: ``dj.conn()``)."""
    connection = conn(url)
    print(f"dj_sqla {__version__} demo on {connection.backend.describe_server()}")
    pipeline = example.build(connection)
    for schema in pipeline.schemas:
        print(f"  schema {schema.database}: tables {', '.join(schema.list_tables())}")
    store = config.get_store_spec(example.STORE)
    print(f"  object store {example.STORE} ({store['protocol']}): {store['location']}")
    _insert(pipeline, connection)
    _populate(pipeline)
    _query(pipeline)
    _fetch_objects(pipeline)
    _show(pipeline, connection)


def drop(url: str | None = None) -> None:
    """Drop the demo's schemas (children first), and the objects of their rows."""
    connection = conn(url)
    pipeline = example.build(connection)
    pipeline.Recording.delete_quick()  # its objects leave the store once the delete commits
    for schema in reversed(pipeline.schemas):
        schema.drop(prompt=False)
        print(f"  dropped {schema.database}")


def _insert(pipeline: example.Pipeline, connection: Connection) -> None:
    Subject = pipeline.Subject
    if Subject():  # DataJoint idiom: a table is true when it has rows
        print("  the example rows exist already (run `dj-sqla demo --drop` to start over)")
        return
    sample = example.simulate()
    Subject.insert(sample.subjects)  # DataJoint idiom: rows as dicts, through the class
    pipeline.Session.insert(sample.sessions)
    # SQLAlchemy idiom: the same classes are mapped, so ORM rows work too
    with Session(connection.engine) as orm:
        orm.add_all(pipeline.Trial(**trial) for trial in sample.trials)
        orm.commit()
    species = _counts(s["species"] for s in sample.subjects)
    sexes = _counts(s["sex"] for s in sample.subjects)
    print(
        f"inserted {len(sample.subjects)} subjects ({species}; {sexes}), "
        f"{len(sample.sessions)} sessions, {len(sample.trials):,} trials\n"
        f"  (simulated with numpy's random Generator, seed {example.SEED}; "
        "the trials as SQLAlchemy ORM objects)"
    )


def _counts(values: Iterable[str]) -> str:
    return ", ".join(f"{n} {value}" for value, n in sorted(Counter(values).items()))


def _populate(pipeline: example.Pipeline) -> None:
    print("\npopulate() fills the computed tables, one transaction per key:")
    result = pipeline.SessionStats.populate(display_progress=True, reserve_jobs=True)
    print(f"  SessionStats (keys reserved in its job table): {result['success_count']} new rows")
    result = pipeline.SessionTrace.populate()
    print(f"  SessionTrace (numpy arrays in blobs): {result['success_count']} new rows")
    for row in pipeline.SessionTrace.head(1):
        outcomes, cumulative = row["outcomes"], row["summary"]["cumulative"]
        print(
            f"    subject {row['subject_id']} session {row['session']}: outcomes "
            f"{outcomes.dtype}{list(outcomes.shape)} {_short(outcomes)}, "
            f"cumulative {_short(cumulative)}"
        )
    result = pipeline.Recording.populate(display_progress=True)
    print(f"  Recording (raw traces in the object store): {result['success_count']} new rows")
    # two worker processes sharing the keys through the job table
    result = pipeline.SubjectSummary.populate(display_progress=True, reserve_jobs=True, processes=2)
    print(f"  SubjectSummary (2 worker processes): {result['success_count']} new rows")


def _short(values: Any, shown: int = 6) -> str:
    items = [f"{v:g}" for v in values[:shown]]
    return f"[{', '.join(items)}{', ...' if len(values) > shown else ''}]"


def _query(pipeline: example.Pipeline) -> None:
    Subject, Session_, Trial = pipeline.Subject, pipeline.Session, pipeline.Trial
    print("\nqueries (each one SELECT):")
    print('  correct answers per species and sex, dj.U("species", "sex").aggr(Subject * Trial):')
    per_group = _aggr(
        ("species", "sex"),
        Subject * Trial,  # a join across the two schemas
        animals="count(distinct subject_id)",
        trials="count(*)",
        correct="avg(outcome)",
    )
    print("    species  sex  animals  trials  correct")
    # sorted here: MySQL orders an enum (sex) by its position in the type, not by its text
    for row in sorted(per_group.to_dicts(), key=lambda r: (r["species"], r["sex"])):
        print(
            f"    {row['species']:<8} {row['sex']:<4} {row['animals']:>7} {row['trials']:>7} "
            f"{_percent(row['correct']):>8}"
        )
    print('  learning, dj.U("session").aggr(Trial, correct="avg(outcome)"):')
    learning = _aggr(
        ("session",), Trial, animals="count(distinct subject_id)", correct="avg(outcome)"
    )
    for row in learning.to_dicts(order_by="session"):
        print(
            f"    session {row['session']}: {_percent(row['correct']):>5} correct "
            f"({row['animals']} animals)"
        )
    older = Subject * Session_ & OLDER
    where = older.sql().partition("WHERE")[2].strip()
    print(f"  a MySQL-flavoured restriction, Subject * Session & {OLDER!r},")
    print(f"  rendered for {pipeline.lab.connection.backend.name} (values are bound parameters):")
    print(textwrap.indent(textwrap.fill(where, 92), "    "))
    print(f"    -> {len(older)} of {len(Session_())} sessions")
    cohorts = _aggr(
        ("cohort",),
        (Subject * Session_).proj(cohort=f'IF({OLDER}, "older", "younger")') * Trial,
        trials="count(*)",
        correct="avg(outcome)",
    )
    print('  the same in IF(..., "older", "younger"), a projection, then dj.U("cohort").aggr:')
    for row in cohorts.to_dicts(order_by="cohort"):
        print(
            f"    {row['cohort']:<8} {_percent(row['correct']):>5} correct ({row['trials']} trials)"
        )
    if not _has_pandas():
        print("  (to_pandas() gives DataFrames after pip install 'dj_sqla[pandas]')")
        return
    frame = (Subject * pipeline.SessionStats).proj("species", "n_trials", "mean_outcome")
    print("  (Subject * SessionStats).to_pandas(), indexed by the key:")
    text = frame.to_pandas().sort_index().head(4).to_string()
    print(textwrap.indent(text, "    "))


def _aggr(names: tuple[str, ...], rows: Any, **computed: str) -> Query:
    """``dj.U(*names).aggr(rows, **computed)``: one row per distinct value of ``names``."""
    return cast(Query, U(*names).aggr(rows, **computed))  # a Query: derived from a table


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401  (an optional extra: is it installed?)
    except ImportError:
        return False
    return True


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _fetch_objects(pipeline: example.Pipeline) -> None:
    Recording = pipeline.Recording
    key = Recording.keys(order_by="KEY", limit=1)
    if not key:
        return
    ref = (Recording & key[0]).fetch1("trace")
    print('\nraw traces in the object store, (Recording & key).fetch1("trace"):')
    print(f"  {ref!r}: a reference; nothing read yet")
    print(f"  its file in the store: {ref.path}")
    trace = ref.load()
    print(f"  .load(): {type(trace).__name__} {trace.dtype}{list(trace.shape)}; {ref!r}")
    found: dict[str, list[float]] = {}
    for row in (pipeline.Subject * Recording).to_dicts(order_by="KEY"):
        rate = row["sampling_rate"]
        found.setdefault(row["species"], []).append(
            example.dominant_frequency(row["trace"].load(), rate)
        )
    print("  each trace's dominant rhythm (numpy's FFT), averaged per species:")
    for species, rhythms in sorted(found.items()):
        print(f"    {species:<6} {sum(rhythms) / len(rhythms):.1f} Hz ({len(rhythms)} sessions)")


def _show(pipeline: example.Pipeline, connection: Connection) -> None:
    print("\nthe definition of Recording, read back from the database:")
    for line in pipeline.Recording.describe().splitlines():
        print(f"    {line}")
    print("\nthe pipeline as a diagram (Mermaid, which GitHub draws):")
    diagram = Diagram(pipeline.lab) + Diagram(pipeline.experiment)
    for line in diagram.make_mermaid().splitlines():
        print(f"    {line}")
    path = example.data_folder(connection) / DIAGRAM_FILE
    try:
        diagram.save(path)
    except GraphvizMissing:
        print("  (also as SVG with pip install 'dj_sqla[diagram]' and apt-get install graphviz)")
    else:
        print(f"  and as SVG (Graphviz): {path}")
