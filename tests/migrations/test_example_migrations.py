"""The project's Alembic environment builds and removes the example pipeline on every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.config import Config

import dj_sqla as dj
from dj_sqla import example

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def alembic_config(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    """An Alembic config for the project's migrations/, pointed at the test database."""
    monkeypatch.setenv("DJ_SQLA_URL", db_url)
    dj.conn(reset=True)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    yield cfg
    dj.conn(reset=True).engine.dispose()


def test_upgrade_check_downgrade(
    alembic_config: Config, schema_name: Callable[[str], str], example_store: Path
) -> None:
    prefix = schema_name("x").removesuffix("x")
    schema_name("lab")  # both schemas are dropped after the test
    schema_name("experiment")
    alembic_config.cmd_opts = None
    alembic_config.attributes["x"] = [f"prefix={prefix}"]
    args = [f"prefix={prefix}"]

    def run(fn: Callable[..., None], *a: str) -> None:
        alembic_config.cmd_opts = type("Opts", (), {"x": args})()  # what `-x` would set
        fn(alembic_config, *a)

    run(command.upgrade, "head")  # no store configured: env.py lets a memory store stand in
    assert not example_store.exists()
    connection = dj.conn()
    lab = dj.Schema(prefix + "lab", connection=connection, create_schema=False)
    experiment = dj.Schema(prefix + "experiment", connection=connection, create_schema=False)
    assert sorted(lab.list_tables()) == ["#species", "alembic_version", "subject"]
    assert sorted(experiment.list_tables()) == [
        "__session_stats",
        "__session_trace",
        "__subject_summary",
        "_recording",
        "session",
        "session__trial",
    ]

    run(command.check)  # raises if autogenerate finds any difference

    # the migrated tables work with the example classes (create_tables=False: no DDL)
    pipeline = example.build(
        connection, prefix=prefix, create_tables=False, store_location=example_store
    )
    pipeline.Subject.insert1({"subject_id": 1, "species": "rat"})
    assert "sex = 'U' : enum('M','F','U')" in pipeline.Subject.describe()
    assert pipeline.SubjectSummary.populate(reserve_jobs=True)["success_count"] == 1
    pipeline.Session.insert1({"subject_id": 1, "session": 1, "session_date": "2026-03-01"})
    pipeline.Trial.insert1({"subject_id": 1, "session": 1, "trial": 1, "outcome": 0.5})
    assert pipeline.SessionTrace.populate()["success_count"] == 1
    assert pipeline.SessionTrace.fetch1("outcomes").tolist() == [0.5]  # a blob, migrated
    assert pipeline.Recording.populate()["success_count"] == 1  # an object in the store
    trace = pipeline.Recording.fetch1("trace")
    assert trace.shape == (example.N_SAMPLES,)
    assert (example_store / trace.path).is_file()
    assert trace.load().dtype == np.float32
    run(command.check)  # the job table it created is not part of the migrations

    run(command.downgrade, "base")
    assert lab.list_tables() == ["alembic_version"]
    assert experiment.list_tables() == []
