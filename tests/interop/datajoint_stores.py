"""Object-store tables declared and filled by real DataJoint 2.x (run as a subprocess).

Usage: python datajoint_stores.py SCHEMA_NAME declare|write|check ROW_ID, with DataJoint's
DJ_HOST, DJ_PORT, DJ_USER, DJ_PASS, DJ_BACKEND and DJ_STORES (the stores, as JSON) in the
environment. ``declare`` only declares the table; ``write`` inserts row ROW_ID from the values of
``expected(ROW_ID)``; ``check`` reads row ROW_ID (written by dj_sqla) and prints ``ok`` when
every value is as expected. Used by test_datajoint_stores.py.
"""

import json
import pathlib
import sys

import datajoint as dj
import numpy as np

name, mode, row_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = dj.Schema(name)


@schema
class Stored(dj.Manual):
    definition = """
    row_id : int32
    ---
    value : <blob@main>
    shared = null : <blob@main>   # DataJoint 2.3 cannot store <blob@> (the default store)
    raw = null : <hash@main>
    report = null : <attach@other>
    traces = null : <npy@main>
    folder = null : <object@main>
    file = null : <filepath@files>
    """


def expected(row: int) -> dict:
    """The values of row ``row`` (the same on both sides)."""
    return {
        "value": {"row": row, "array": np.arange(row, row + 5, dtype=np.int16)},
        "shared": "the same in every row",
        "raw": bytes(range(row % 200, row % 200 + 50)),
        "report": f"report of row {row}\n",
        "traces": np.linspace(0, row, 12).reshape(3, 4),
        "folder": {"a.txt": f"a{row}", "sub/b.txt": f"b{row}"},
        "file": f"raw data of row {row}",
    }


if mode == "declare":
    print("declared")
elif mode == "write":
    want = expected(row_id)
    work = pathlib.Path.cwd()
    (work / "report.txt").write_text(want["report"])
    for relative, text in want["folder"].items():
        (work / "folder" / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / "folder" / relative).write_text(text)
    from datajoint.hash_registry import get_store_backend

    get_store_backend("files").put_buffer(want["file"].encode(), f"rows/{row_id}.bin")
    Stored.insert1(
        {
            "row_id": row_id,
            "value": want["value"],
            "shared": want["shared"],
            "raw": want["raw"],
            "report": str(work / "report.txt"),
            "traces": want["traces"],
            "folder": str(work / "folder"),
            "file": f"rows/{row_id}.bin",
        }
    )
    print(json.dumps({"ok": True}))
else:
    want = expected(row_id)
    row = (Stored & {"row_id": row_id}).fetch1()
    problems = []
    if row["value"]["row"] != row_id or not np.array_equal(
        row["value"]["array"], want["value"]["array"]
    ):
        problems.append(f"value {row['value']!r}")
    if row["shared"] != want["shared"]:
        problems.append("shared")
    if row["raw"] != want["raw"]:
        problems.append("raw")
    if pathlib.Path(row["report"]).read_text() != want["report"]:
        problems.append("report")
    if not np.array_equal(np.asarray(row["traces"]), want["traces"]):
        problems.append("traces")
    folder = row["folder"]
    for relative, text in want["folder"].items():
        with folder.open(relative) as handle:
            if handle.read().decode() != text:
                problems.append(f"folder {relative}")
    if row["file"].read().decode() != want["file"]:
        problems.append("file")
    print("ok" if not problems else f"mismatch: {problems}")
