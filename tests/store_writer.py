"""A writer that stores an object and its row in a transaction, then waits to be killed.

Usage: python store_writer.py URL SCHEMA (the stores as JSON in DJ_STORES). It inserts row 1
of ``Recording`` (an ``<npy@main>`` array) inside a transaction, prints ``written`` once the
object is stored and the row sent, and sleeps without committing. Used by test_stores_faults.py.
"""

import sys
import time

import numpy as np

import dj_sqla as dj

url, name = sys.argv[1], sys.argv[2]
connection = dj.Connection(url)
schema = dj.Schema(name, connection=connection)


@schema
class Recording(dj.Manual):
    definition = """
    rec_id : int32
    ---
    traces : <npy@main>
    """


with connection.transaction:
    Recording.insert1({"rec_id": 1, "traces": np.arange(1000.0)})
    print("written", flush=True)
    time.sleep(120)  # killed here: the transaction never commits
