"""A small pipeline declared and filled by real DataJoint 2.x (run as a subprocess).

Usage: python datajoint_pipeline.py SCHEMA_NAME [--check-blobs OFFSET], with DataJoint's
DJ_HOST, DJ_PORT, DJ_USER, DJ_PASS and DJ_BACKEND in the environment. Used by
test_datajoint_interop.py. With ``--check-blobs``, it declares nothing new and checks that the
blob rows dj_sqla wrote (ids shifted by OFFSET) read back in DataJoint as the values of
blob_cases.py.
"""

import datetime as dt
import os
import pathlib
import sys

import blob_cases
import datajoint as dj

name = sys.argv[1]
schema = dj.Schema(name)


@schema
class Subject(dj.Manual):
    definition = """
    # a subject
    subject_id : int32    # the id
    ---
    sex = 'U' : enum('M', 'F', 'U')
    dob = null : date
    weight : float64
    """


@schema
class Session(dj.Manual):
    definition = """
    -> Subject
    session : int16
    ---
    started : datetime(6)
    notes = '' : varchar(200)
    signal = null : <blob>     # DataJoint-serialized
    """

    class Trial(dj.Part):
        definition = """
        -> master
        trial : int32
        ---
        outcome : float32
        """


@schema
class Blobs(dj.Manual):
    definition = """
    blob_id : int32
    ---
    value : <blob>
    report = null : <attach>
    """


if "--check-blobs" in sys.argv:
    offset = int(sys.argv[sys.argv.index("--check-blobs") + 1])
    found = dict(zip(*(Blobs & f"blob_id > {offset}").fetch("blob_id", "value"), strict=True))
    problems = blob_cases.mismatches(found, offset)
    # DataJoint 2.3.5 cannot read any attachment on PostgreSQL, its own included: its
    # <attach> decoder calls bytes.index on the memoryview psycopg2 returns for BYTEA
    if os.environ["DJ_BACKEND"] != "postgresql":
        downloads = pathlib.Path("downloads-dj")
        downloads.mkdir(exist_ok=True)
        dj.config["download_path"] = str(downloads)
        report = (Blobs & {"blob_id": offset + 1}).fetch1("report")
        if pathlib.Path(report).read_bytes() != b"written by dj_sqla\n":
            problems.append(f"attachment: {report!r}")
    print("\n".join(problems) or "ok")
    sys.exit(1 if problems else 0)

Subject.insert1({"subject_id": 1, "sex": "F", "dob": dt.date(2020, 1, 1), "weight": 20.5})
Subject.insert1({"subject_id": 2, "weight": 30.0})
started = dt.datetime(2026, 1, 2, 3, 4, 5, 123456)
Session.insert1({"subject_id": 1, "session": 1, "started": started, "signal": [1.0, 2.0, 3.0]})
Session.Trial.insert(
    [{"subject_id": 1, "session": 1, "trial": t, "outcome": t * 0.5} for t in range(3)]
)
attachment = pathlib.Path("report-from-datajoint.txt")
attachment.write_text("written by DataJoint\n")
Blobs.insert(
    {"blob_id": i, "value": v, "report": str(attachment) if i == 1 else None}
    for i, v in blob_cases.values().items()
)
print("ok", len(Subject()), len(Session.Trial()))
