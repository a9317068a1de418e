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

BUILD = Path(__file__).with_name("datajoint_pipeline.py")


@pytest.mark.parametrize("backend", ["mysql", "postgresql"])
def test_a_datajoint_pipeline_opens_as_a_virtual_schema(
    backend: str, db_url: str, connection: dj.Connection, schema_name: Callable[[str], str]
) -> None:
    name = schema_name("dj")
    url = sa.make_url(db_url)
    env = dict(
        os.environ,
        DJ_HOST=str(url.host),
        DJ_PORT=str(url.port),
        DJ_USER=str(url.username),
        DJ_PASS=url.password or "",
        DJ_BACKEND=backend,
        DJ_SAFEMODE="false",
    )
    built = subprocess.run(
        [sys.executable, str(BUILD), name],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BUILD.parent,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
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
    # a DataJoint <blob> column comes back as the stored bytes (codecs are not decoded yet)
    signal = module.Session.fetch1("signal")
    assert isinstance(signal, bytes)
    assert len(signal) > 0
    assert "signal = null : <blob>" in module.Session.describe()
    assert module.Session.Trial.to_arrays("outcome", order_by="KEY").tolist() == [0.0, 0.5, 1.0]
    joined = module.Subject * module.Session.Trial & "outcome > 0"
    assert len(joined) == 2
    # dj_sqla writes into the DataJoint tables too
    module.Subject.insert1({"subject_id": 3, "weight": 1.0})
    assert len(module.Subject()) == 3
