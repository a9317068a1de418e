"""DataJoint's ``dj`` console: a Python prompt with dj_sqla imported as ``dj``.

``cli(["--host", "db:3306", "-u", "alice", "-s", "alice_lab:lab"])`` sets the connection
settings, loads each ``schema:alias`` as a virtual module named ``alias`` and starts an
interactive prompt (``dj-sqla console ...`` from a shell; ``datajoint.cli.cli`` after
``install_as_datajoint()``, as DataJoint names it).
"""

from __future__ import annotations

import argparse
import code
import sys
from collections.abc import Sequence
from typing import Any

from ._version import __version__
from .config import config
from .virtual import virtual_schema


def parser(prog: str = "dj") -> argparse.ArgumentParser:
    """The console's arguments (DataJoint's ``dj`` command's)."""
    parsed = argparse.ArgumentParser(
        prog=prog, description="A Python prompt with dj_sqla imported as `dj`."
    )
    parsed.add_argument("-V", "--version", action="version", version=f"dj_sqla {__version__}")
    parsed.add_argument("-u", "--user", help="database user (default: dj.config)")
    parsed.add_argument("-p", "--password", help="database password (default: dj.config)")
    parsed.add_argument("--host", help="database host[:port] (default: dj.config)")
    parsed.add_argument(
        "-s",
        "--schemas",
        nargs="+",
        default=[],
        metavar="SCHEMA:ALIAS",
        help="load schemas as virtual modules named ALIAS (default: the schema's name)",
    )
    return parsed


def namespace(options: argparse.Namespace) -> dict[str, Any]:
    """Apply the connection options to ``dj.config``; the prompt's names: ``dj`` and one
    virtual module per schema."""
    for key, value in (
        ("database.user", options.user),
        ("database.password", options.password),
        ("database.host", options.host),
    ):
        if value:
            config[key] = value
    names: dict[str, Any] = {"dj": sys.modules[__name__.rpartition(".")[0]]}
    for item in options.schemas:
        schema_name, _, alias = item.partition(":")
        names[alias or schema_name] = virtual_schema(schema_name)
    return names


def cli(args: Sequence[str] | None = None, *, prog: str = "dj") -> None:
    """Start the console (DataJoint's ``datajoint.cli.cli``).

    Args:
        args: the command-line arguments (default: ``sys.argv[1:]``).
        prog: the command's name in help and error messages.

    Example::

        cli(["-s", "alice_lab:lab"])   # then, at the prompt: lab.Subject.to_dicts()
    """
    names = namespace(parser(prog).parse_args(args))
    banner = f"dj_sqla {__version__} console; names: {', '.join(sorted(names))}"
    code.interact(banner=banner, local=names, exitmsg="")
