"""The ``dj-sqla`` command (also ``python -m dj_sqla``).

``dj-sqla demo`` declares the example pipeline on the default connection (the embedded SQLite
store unless ``dj.config`` / ``DJ_SQLA_URL`` says otherwise), adds a few rows and prints what
it did. ``dj-sqla diagram MODULE_OR_SCHEMA [-o FILE.svg|.png|.mmd]`` draws a pipeline: a module
that declares it, or a schema name on that connection (Mermaid text on standard output when no
file is given). ``dj-sqla console [-s SCHEMA:ALIAS ...]`` is DataJoint's ``dj`` console: a
Python prompt with dj_sqla as ``dj`` and the schemas as virtual modules.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import console, example
from ._version import __version__
from .connection import conn
from .diagram import Diagram
from .errors import DataJointError
from .virtual import virtual_schema


def demo(url: str | None = None) -> None:
    """Run the demo on ``url`` (default: ``dj.conn()``)."""
    connection = conn(url)
    print(f"dj_sqla {__version__} demo on {connection.backend.describe_server()}")
    pipeline = example.build(connection)
    for schema in pipeline.schemas:
        print(f"  {schema!r}: tables {', '.join(schema.list_tables())}")

    Subject, Session_, Trial = pipeline.Subject, pipeline.Session, pipeline.Trial
    if not Subject():  # DataJoint idiom: a table is true when it has rows
        # DataJoint idiom: insert rows as dicts through the class
        Subject.insert(
            [
                {
                    "subject_id": 1,
                    "species": "mouse",
                    "sex": "F",
                    "date_of_birth": dt.date(2026, 1, 5),
                },
                {"subject_id": 2, "species": "rat"},
            ]
        )
        Session_.insert(
            {"subject_id": s, "session": n, "session_date": dt.date(2026, 3, n)}
            for s, n in ((1, 1), (1, 2), (2, 1))
        )
        # SQLAlchemy idiom: the same classes are mapped, so ORM rows work too
        with Session(connection.engine) as orm:
            orm.add_all(
                Trial(subject_id=s, session=n, trial=t, outcome=round(0.1 * (t + 2 * n - s), 3))
                for s, n in ((1, 1), (1, 2), (2, 1))
                for t in range(1, 5)
            )
            orm.commit()
        print("  inserted 2 subjects, 3 sessions, 12 trials")
    else:
        print("  the example rows exist already (run `dj-sqla demo --drop` to start over)")

    result = pipeline.SessionStats.populate(display_progress=True, reserve_jobs=True)
    print(f"  populated SessionStats: {result['success_count']} new rows")
    for row in pipeline.SessionStats.to_dicts(order_by="KEY"):
        print(
            f"    subject {row['subject_id']} session {row['session']}: "
            f"{row['n_trials']} trials, mean outcome {row['mean_outcome']:.3f}"
        )
    result = pipeline.SessionTrace.populate()
    print(f"  populated SessionTrace (numpy arrays in blobs): {result['success_count']} new rows")
    for row in pipeline.SessionTrace.to_dicts(order_by="KEY"):
        summary = row["summary"]
        print(
            f"    subject {row['subject_id']} session {row['session']}: outcomes "
            f"{row['outcomes'].dtype}{list(row['outcomes'].shape)} {row['outcomes'].tolist()}, "
            f"cumulative {summary['cumulative'].tolist()}"
        )
    # two worker processes sharing the keys through the job table
    result = pipeline.SubjectSummary.populate(display_progress=True, reserve_jobs=True, processes=2)
    print(f"  populated SubjectSummary with 2 processes: {result['success_count']} new rows")
    for row in pipeline.SubjectSummary.to_dicts(order_by="KEY"):
        print(
            f"    subject {row['subject_id']}: {row['n_sessions']} sessions, "
            f"{row['n_trials']} trials"
        )
    print("  the definition of Session, read back from the database:")
    for line in Session_.describe().splitlines():
        print(f"    {line}")
    query = (
        sa.select(Subject.species, sa.func.count(Trial.trial), sa.func.avg(Trial.outcome))
        .join(Session_, Session_.subject_id == Subject.subject_id)
        .join(
            Trial, (Trial.subject_id == Session_.subject_id) & (Trial.session == Session_.session)
        )
        .group_by(Subject.species)
        .order_by(Subject.species)
    )
    print("  trials per species (a join across the two schemas):")
    with connection.engine.connect() as db:
        for species, n, mean in db.execute(query):
            print(f"    {species:<6} {n:>3} trials, mean outcome {mean:.3f}")
    print("  the pipeline as a diagram (Mermaid, which GitHub draws; SVG with Graphviz):")
    diagram = Diagram(pipeline.lab) + Diagram(pipeline.experiment)
    for line in diagram.make_mermaid().splitlines():
        print(f"    {line}")


def drop(url: str | None = None) -> None:
    """Drop the demo's schemas (children first)."""
    connection = conn(url)
    pipeline = example.build(connection)
    for schema in reversed(pipeline.schemas):
        schema.drop(prompt=False)
        print(f"  dropped {schema.database}")


def diagram(source: str, output: str | None = None, url: str | None = None) -> None:
    """Draw ``source`` (a module path, or a schema name on ``url``) to ``output`` (by its
    extension), or print its Mermaid text."""
    try:
        found = Diagram(importlib.import_module(source))
    except (ImportError, DataJointError):
        # not a module that declares a pipeline (a schema may share a module's name)
        found = Diagram(virtual_schema(source, connection=conn(url)).schema)
    if output is None:
        print(found.make_mermaid())
    else:
        found.save(output)
        print(f"{found!r} saved to {output}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dj-sqla`` console script."""
    parser = argparse.ArgumentParser(prog="dj-sqla", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"dj_sqla {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="declare and fill the example pipeline")
    run.add_argument("--url", help="SQLAlchemy URL (default: dj.config / the embedded store)")
    run.add_argument("--drop", action="store_true", help="drop the demo schemas first")
    draw = commands.add_parser(
        "diagram", help="draw a pipeline (a module, or a schema of the database)"
    )
    draw.add_argument("source", metavar="MODULE_OR_SCHEMA", help="importable module or schema name")
    draw.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="FILE.svg, .png, .mmd or .dot (default: Mermaid text on standard output)",
    )
    draw.add_argument("--url", help="SQLAlchemy URL (default: dj.config / the embedded store)")
    commands.add_parser(
        "console",
        help="a Python prompt with dj_sqla as `dj` (DataJoint's `dj` command)",
        add_help=False,
    )
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "console":  # the console parses its own arguments
        console.cli(argv[1:], prog="dj-sqla console")
        return 0
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.drop:
            drop(args.url)
        demo(args.url)
    elif args.command == "diagram":
        try:
            diagram(args.source, args.output, args.url)
        except DataJointError as err:
            print(f"dj-sqla diagram: {err}", file=sys.stderr)
            return 1
    return 0
