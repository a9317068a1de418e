"""Pipelines declared by real DataJoint 2.x open with dj_sqla and fetch the same rows.

DataJoint runs in a subprocess (its configuration is process-wide) against the test servers.
Only MySQL/MariaDB and PostgreSQL take part: DataJoint has no SQLite backend, so there is no
SQLite database made by DataJoint to open.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

import dj_sqla as dj

sys.path.insert(0, str(Path(__file__).parent))
import blob_cases  # beside this file, shared with the DataJoint side

BUILD = Path(__file__).with_name("datajoint_pipeline.py")


def run_datajoint(db_url: str, backend: str, cwd: Path, *args: str) -> str:
    """Run datajoint_pipeline.py with real DataJoint against the test server; its output."""
    url = sa.make_url(db_url)
    env = dict(
        os.environ,
        DJ_HOST=str(url.host),
        DJ_PORT=str(url.port),
        DJ_USER=str(url.username),
        DJ_PASS=url.password or "",
        DJ_BACKEND=backend,
        DJ_SAFEMODE="false",
        PYTHONPATH=str(BUILD.parent),  # blob_cases
    )
    done = subprocess.run(
        [sys.executable, str(BUILD), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("backend", ["mysql", "postgresql"])
def test_a_datajoint_pipeline_opens_as_a_virtual_schema(
    backend: str,
    db_url: str,
    connection: dj.Connection,
    schema_name: Callable[[str], str],
    tmp_path: Path,
) -> None:
    name = schema_name("dj")
    run_datajoint(db_url, backend, tmp_path, name)
    module = dj.virtual_schema(name, connection=connection)
    assert issubclass(module.Subject, dj.Manual)
    assert issubclass(module.Session.Trial, dj.Part)
    assert "~lineage" not in {getattr(v, "table_name", None) for v in vars(module).values()}
    described = module.Subject.describe()
    assert "subject_id : int32  # the id" in described
    assert "weight : float64" in described
    assert module.Subject.to_dicts(order_by="KEY") == [
        {"subject_id": 1, "sex": "F", "dob": dt.date(2020, 1, 1), "weight": 20.5},
        {"subject_id": 2, "sex": "U", "dob": None, "weight": 30.0},
    ]
    assert module.Session.fetch1("started") == dt.datetime(2026, 1, 2, 3, 4, 5, 123456)
    # a DataJoint <blob> column comes back decoded
    assert module.Session.fetch1("signal") == [1.0, 2.0, 3.0]
    assert "signal = null : <blob>" in module.Session.describe()
    assert module.Session.Trial.to_arrays("outcome", order_by="KEY").tolist() == [0.0, 0.5, 1.0]
    joined = module.Subject * module.Session.Trial & "outcome > 0"
    assert len(joined) == 2
    # dj_sqla writes into the DataJoint tables too
    module.Subject.insert1({"subject_id": 3, "weight": 1.0})
    assert len(module.Subject()) == 3


@pytest.mark.parametrize("backend", ["mysql", "postgresql"])
def test_blobs_and_attachments_both_directions(
    backend: str,
    db_url: str,
    connection: dj.Connection,
    schema_name: Callable[[str], str],
    tmp_path: Path,
) -> None:
    name = schema_name("blobs")
    run_datajoint(db_url, backend, tmp_path, name)
    module = dj.virtual_schema(name, connection=connection)
    assert "value : <blob>" in module.Blobs.describe()
    # what DataJoint wrote, dj_sqla reads
    found = dict(zip(*module.Blobs.fetch("blob_id", "value"), strict=True))
    assert blob_cases.mismatches(found) == []
    report = (module.Blobs & {"blob_id": 1}).fetch1("report", download_path=str(tmp_path))
    assert Path(report).read_text() == "written by DataJoint\n"
    # what dj_sqla writes, DataJoint reads
    attachment = tmp_path / "report-from-dj-sqla.txt"
    attachment.write_text("written by dj_sqla\n")
    module.Blobs.insert(
        {"blob_id": 100 + i, "value": v, "report": str(attachment) if i == 1 else None}
        for i, v in blob_cases.values().items()
    )
    checked = run_datajoint(db_url, backend, tmp_path, name, "--check-blobs", "100")
    assert checked.strip().splitlines()[-1] == "ok", checked
