"""A table-set package in djmux's style, for the djmux scenario: its tables are decorated when
it is imported, and ``activate()`` activates them under the schema prefix that djmux's config
file gives the package ``rigs``. Imported only in the runner's subprocess."""

from __future__ import annotations

from typing import Any

import datajoint as dj
import djmux

schema = djmux.deferred()


@schema
class Rig(dj.Lookup):
    definition = """
    rig : varchar(8)
    """
    contents = [("r1",), ("r2",)]


@schema
class Run(dj.Manual):
    definition = """
    -> Rig
    run_id : int
    """


def activate(linking_module: Any = None) -> Any:
    """Activate the package's schema as ``<prefix of rigs>__core``."""
    return djmux.activate(schema, "rigs", "core", linking_module)
