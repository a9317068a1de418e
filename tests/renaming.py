"""The pipeline the rename tests use: ``Mouse`` (of any tier, with a part), a table that
references it in its schema (uniquely) and one in another schema."""

from __future__ import annotations

from typing import Any

import dj_sqla as dj

MOUSE = "# a mouse\nmouse_id : int32\n---\ntag : varchar(10)\nindex(tag)"
NOTE = "-> master\nnote : int16\n---\ntext = '' : varchar(20)"
SESSION = "-> [unique] Mouse\nsession : int16\n---\nday = null : date"
OTHER = "-> Mouse\nx : int32"


def pipeline(
    lab: dj.Schema, far: dj.Schema, tier: type, name: str = "Mouse", mouse: str = MOUSE
) -> dict[str, Any]:
    """The tables, declared in ``lab`` and ``far``; ``Mouse`` of ``tier``, named ``name``,
    defined by ``mouse``."""
    note = type("Note", (dj.Part,), {"definition": NOTE})
    mouse = lab(type(name, (tier,), {"definition": mouse, "Note": note}))
    context = {"Mouse": mouse}
    session = lab(type("Session", (dj.Manual,), {"definition": SESSION}), context=context)
    other = far(type("Other", (dj.Manual,), {"definition": OTHER}), context=context)
    return {"Mouse": mouse, "Session": session, "Other": other}


def fill(tables: dict[str, Any]) -> None:
    """One row in each table."""
    tables["Mouse"].insert1({"mouse_id": 1, "tag": "a"})
    tables["Mouse"].Note.insert1({"mouse_id": 1, "note": 1, "text": "kept"})
    tables["Session"].insert1({"mouse_id": 1, "session": 1})
    tables["Other"].insert1({"mouse_id": 1, "x": 7})


def contents(tables: dict[str, Any]) -> list[Any]:
    """Every table's rows."""
    return [
        tables["Mouse"].to_dicts(),
        tables["Mouse"].Note.to_dicts(),
        tables["Session"].to_dicts(),
        tables["Other"].to_dicts(),
    ]
