"""A process killed in the middle of a bulk load (``LOAD DATA LOCAL INFILE`` on MySQL,
``COPY`` on PostgreSQL, the driver's executemany on SQLite) stores none of its rows, leaves
no file of them behind, and the table takes the same rows afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import dj_sqla as dj
import dj_sqla.backends.mysql as mysql_backend
from dj_sqla.backends.mysql import LOAD_THRESHOLD
from dj_sqla.backends.postgresql import COPY_THRESHOLD

WRITER = Path(__file__).parents[1] / "bulk_writer.py"
#: The writer's table (tests/bulk_writer.py declares the same).
READING = """
reading : int32
---
label : varchar(40)
"""
ROWS = max(COPY_THRESHOLD, LOAD_THRESHOLD) * 50  # several packets of LOAD DATA's file


def test_a_writer_killed_mid_bulk_load_stores_nothing(
    new_schema: Any, db_url: str, tmp_path: Path
) -> None:
    schema = new_schema("killed")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = dict(os.environ, TMPDIR=str(temporary))  # where LOAD DATA's file would be written
    with subprocess.Popen(
        [sys.executable, str(WRITER), db_url, schema.database, str(ROWS)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    ) as writer:
        lines: list[str] = []
        try:
            assert writer.stdout is not None
            while not lines or lines[-1] not in ("loading\n", ""):  # until it stalls or ends
                lines.append(writer.stdout.readline())
        finally:
            writer.send_signal(signal.SIGKILL)
            rest = writer.communicate(timeout=30)[0]
    assert lines[-1] == "loading\n", "".join(lines) + rest  # killed while it loaded
    reading = dj.virtual_schema(schema.database, connection=schema.connection).Reading
    assert len(reading()) == 0  # the load's transaction died with its connection
    assert list(temporary.iterdir()) == []  # no file of the rows is left behind
    rows = [{"reading": i, "label": f"row\t{i}\\N"} for i in range(ROWS)]
    reading.insert(rows)  # the table and the server take the same rows afterwards
    assert reading.to_dicts(order_by="KEY") == rows


@pytest.mark.parametrize("backend", ["mysql"])  # the only backend that loads a client file
def test_load_data_without_open_file_names(
    new_schema: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where the system does not name open files (not Linux), the rows go through a named
    temporary file, removed after the load."""
    monkeypatch.setattr(mysql_backend, "_OPEN_FILES", str(tmp_path / "no such folder"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    schema = new_schema("named")
    reading = schema(type("Reading", (dj.Manual,), {"definition": READING}))

    rows = [{"reading": i, "label": f"row\t{i}\\N"} for i in range(ROWS // 10)]
    reading.insert(rows)
    assert reading.to_dicts(order_by="KEY") == rows
    assert list(tmp_path.iterdir()) == []
