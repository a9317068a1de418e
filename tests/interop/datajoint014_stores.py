"""Store types of DataJoint 0.14, declared and filled by the real DataJoint 0.14 (a subprocess
in a venv of its own).

Usage: python datajoint014_stores.py SCHEMA write|check ROW_ID, with DJ_HOST, DJ_USER, DJ_PASS
and DJ014_STORES (the stores as JSON) in the environment. ``write`` declares the table and
inserts row ROW_ID; ``check`` reads row ROW_ID (written by dj_sqla) and prints ``ok`` when its
values are as expected. Used by test_datajoint014_stores.py.
"""

import json
import os
import pathlib
import sys

import datajoint as dj
import numpy as np

name, mode, row_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
dj.config["stores"] = json.loads(os.environ["DJ014_STORES"])
dj.config["safemode"] = False
dj.config["database.use_tls"] = False  # the test servers have no TLS
schema = dj.schema(name)


@schema
class Old(dj.Manual):
    definition = """
    rid : int
    ---
    data : blob@main
    doc = null : attach@main
    raw = null : filepath@files
    """


def expected(row):
    return {
        "data": {"row": row, "values": np.arange(row, row + 4)},
        "doc": f"attachment of row {row}\n",
        "raw": f"raw data of row {row}".encode(),
    }


want = expected(row_id)
stage = pathlib.Path(dj.config["stores"]["files"]["stage"])
if mode == "write":
    (stage / "rows").mkdir(parents=True, exist_ok=True)
    (stage / "rows" / f"{row_id}.bin").write_bytes(want["raw"])
    pathlib.Path("doc.txt").write_text(want["doc"])
    Old.insert1(
        {
            "rid": row_id,
            "data": want["data"],
            "doc": "doc.txt",
            "raw": stage / "rows" / f"{row_id}.bin",
        }
    )
    print("written")
else:
    row = (Old & {"rid": row_id}).fetch1(download_path="downloads")
    problems = []
    if row["data"]["row"] != row_id or not np.array_equal(
        row["data"]["values"], want["data"]["values"]
    ):
        problems.append("data")
    if pathlib.Path(row["doc"]).read_text() != want["doc"]:
        problems.append("doc")
    if pathlib.Path(row["raw"]).read_bytes() != want["raw"]:
        problems.append("raw")
    print("ok" if not problems else f"mismatch: {problems}")
