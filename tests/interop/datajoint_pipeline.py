"""A small pipeline declared and filled by real DataJoint 2.x (run as a subprocess).

Usage: python datajoint_pipeline.py SCHEMA_NAME, with DataJoint's DJ_HOST, DJ_PORT, DJ_USER,
DJ_PASS and DJ_BACKEND in the environment. Used by test_datajoint_interop.py.
"""

import datetime as dt
import sys

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


Subject.insert1({"subject_id": 1, "sex": "F", "dob": dt.date(2020, 1, 1), "weight": 20.5})
Subject.insert1({"subject_id": 2, "weight": 30.0})
started = dt.datetime(2026, 1, 2, 3, 4, 5, 123456)
Session.insert1({"subject_id": 1, "session": 1, "started": started, "signal": [1.0, 2.0, 3.0]})
Session.Trial.insert(
    [{"subject_id": 1, "session": 1, "trial": t, "outcome": t * 0.5} for t in range(3)]
)
print("ok", len(Subject()), len(Session.Trial()))
