"""A writer killed in the middle of a transaction leaves no row pointing at a missing object.

The writer (another process) stores an object and sends its row, then is killed before it
commits: the database rolls the row back; the object it wrote is an orphan that garbage
collection lists and removes. Every backend, both store kinds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dj_sqla as dj

WRITER = Path(__file__).parents[1] / "store_writer.py"


@pytest.fixture
def recording(new_schema: Any, stores: Any) -> Any:
    schema = new_schema("killed")

    @schema
    class Recording(dj.Manual):
        definition = """
        rec_id : int32
        ---
        traces : <npy@main>
        """

    return Recording


def test_killed_writer_leaves_no_row(
    recording: Any, db_url: str, stores: Any, tmp_path: Path
) -> None:
    schema = recording._schema
    env = dict(os.environ, DJ_STORES=json.dumps(stores.settings))
    with subprocess.Popen(
        [sys.executable, str(WRITER), db_url, schema.database],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    ) as writer:
        try:
            assert writer.stdout is not None
            line = writer.stdout.readline()
        finally:
            writer.send_signal(signal.SIGKILL)
            rest = writer.communicate(timeout=30)[0]
    assert line.strip() == "written", line + rest
    assert len(recording()) == 0  # the row was never committed
    report = dj.gc.GarbageCollector(schema, store="main").collect()
    [orphan] = report["orphaned_schema_paths"]
    assert "rec_id=1/traces_" in orphan
    dj.gc.GarbageCollector(schema, store="main").collect(dry_run=False)
    recording.insert1({"rec_id": 1, "traces": np.ones(3)})  # the key is free, the store fine
    np.testing.assert_array_equal((recording & {"rec_id": 1}).fetch1("traces").load(), np.ones(3))
    assert dj.gc.GarbageCollector(schema, store="main").collect()["orphaned_schema_paths"] == []
