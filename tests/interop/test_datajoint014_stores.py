"""DataJoint 0.14's store types against the real DataJoint 0.14, both directions (MariaDB).

DataJoint 0.14 cannot share a process (or a venv) with DataJoint 2.3, so the test run makes a
throwaway venv with ``datajoint==0.14.10`` from the package index, once per session. 0.14
declares a table with ``blob@``, ``attach@`` and ``filepath@`` attributes and stores a row;
dj_sqla reads it, stores a row of its own, and 0.14 reads that back. With a folder and with
the S3 server as stores. 0.14 runs on MySQL only, so PostgreSQL and SQLite do not take part.
"""

from __future__ import annotations

import json
import os
import subprocess
import venv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

import dj_sqla as dj
from dj_sqla.stores import get_store_backend

SCRIPT = Path(__file__).with_name("datajoint014_stores.py")


@pytest.fixture(scope="session")
def python014(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Python of a venv holding DataJoint 0.14.10 (made once per test session)."""
    folder = tmp_path_factory.mktemp("dj014") / "venv"
    venv.create(folder, with_pip=True)
    python = str(folder / "bin" / "python")
    done = subprocess.run(
        [python, "-m", "pip", "install", "-q", "datajoint==0.14.10"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return python


def settings_014(stores: Any, stage: Path) -> dict[str, Any]:
    """The test's stores as DataJoint 0.14 takes them (an S3 endpoint without its scheme)."""
    result: dict[str, Any] = {}
    for name in ("main", "files"):
        spec = dict(stores.settings[name])
        if spec["protocol"] == "s3":
            spec["endpoint"] = spec["endpoint"].removeprefix("http://")
            spec["secure"] = False
        result[name] = spec
    result["files"]["stage"] = str(stage)
    return result


def run_014(python: str, db_url: str, cwd: Path, settings: dict[str, Any], *args: str) -> str:
    url = sa.make_url(db_url)
    env = dict(
        os.environ,
        DJ_HOST=f"{url.host}:{url.port}",
        DJ_USER=str(url.username),
        DJ_PASS=url.password or "",
        DJ014_STORES=json.dumps(settings),
        DJ_SUPPORT_FILEPATH_MANAGEMENT="TRUE",
    )
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [python, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("backend", ["mysql"])
def test_datajoint_014_both_directions(
    backend: str,
    db_url: str,
    connection: dj.Connection,
    schema_name: Callable[[str], str],
    stores: Any,
    python014: str,
    tmp_path: Path,
) -> None:
    name = schema_name("old")
    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    theirs.mkdir()
    ours.mkdir()
    run_014(python014, db_url, theirs, settings_014(stores, theirs / "stage"), name, "write", "1")
    dj.config["stores"] = {**dj.config["stores"], **settings_014(stores, ours / "stage")}
    Old = dj.virtual_schema(name, connection=connection).Old
    assert "data : blob@main" in Old.describe()
    row = (Old & {"rid": 1}).fetch1(download_path=str(ours / "down"))
    assert row["data"]["row"] == 1
    np.testing.assert_array_equal(row["data"]["values"], np.arange(1, 5))
    assert Path(row["doc"]).read_text() == "attachment of row 1\n"
    assert Path(row["raw"]).read_bytes() == b"raw data of row 1"
    assert Path(row["raw"]).is_relative_to(ours / "stage")

    (ours / "stage" / "rows").mkdir(parents=True, exist_ok=True)
    (ours / "stage" / "rows" / "100.bin").write_bytes(b"raw data of row 100")
    (ours / "doc.txt").write_text("attachment of row 100\n")
    Old.insert1(
        {
            "rid": 100,
            "data": {"row": 100, "values": np.arange(100, 104)},
            "doc": ours / "doc.txt",
            "raw": ours / "stage" / "rows" / "100.bin",
        }
    )
    checked = run_014(
        python014, db_url, theirs, settings_014(stores, theirs / "stage"), name, "check", "100"
    )
    assert checked.strip().splitlines()[-1] == "ok", checked

    (Old & {"rid": 1}).delete(prompt=False)  # 0.14's row: its objects go with it
    assert not get_store_backend("files").exists("rows/1.bin")
    assert get_store_backend("files").exists("rows/100.bin")
