"""The ``dj-sqla`` command (also ``python -m dj_sqla``).

``dj-sqla demo`` declares the example pipeline on the default connection (the embedded SQLite
store unless ``dj.config`` / ``DJ_SQLA_URL`` says otherwise), fills it with simulated data,
computes, queries and prints what it did (:mod:`dj_sqla._demo`). ``dj-sqla diagram
MODULE_OR_SCHEMA [-o FILE.svg|.png|.mmd]`` draws a pipeline: a module that declares it, or a
schema name on that connection (Mermaid text on standard output when no file is given).
``dj-sqla console [-s SCHEMA:ALIAS ...]`` is DataJoint's ``dj`` console: a Python prompt with
dj_sqla as ``dj`` and the schemas as virtual modules.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import console
from ._demo import demo, drop
from ._version import __version__
from .connection import conn
from .diagram import Diagram
from .errors import DataJointError
from .virtual import virtual_schema


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
