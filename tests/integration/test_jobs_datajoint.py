"""DataJoint's own job API on dj_sqla's job tables: one-job methods (``reserve(key)``,
``complete``, ``error``, ``update1``), refresh that removes vanished keys, interrupted
``make`` recorded as errors, jobs of tables that add key attributes of their own, and
DataJoint 0.14's ``schema.jobs.reserve(table_name, key)`` forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

import dj_sqla as dj
from dj_sqla.execution.jobs import ERROR_MESSAGE_LENGTH, TRUNCATION_APPENDIX


def declare(schema: dj.Schema) -> tuple[Any, Any, Any]:
    @schema
    class Raw(dj.Manual):
        definition = """
        raw_id : int32
        ---
        v : float64
        """

    @schema
    class Proc(dj.Computed):
        definition = """
        -> Raw
        ---
        w : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            self.insert1(dict(key, w=2 * (Raw & key).fetch1("v")))

    @schema
    class Trial(dj.Imported):  # adds a key attribute of its own: several rows per job
        definition = """
        -> Raw
        trial : int16
        ---
        t : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            self.insert(dict(key, trial=i, t=float(i)) for i in range(3))

    return Raw, Proc, Trial


def statuses(jobs: Any) -> dict[int, str]:
    return {row["raw_id"]: row["status"] for row in jobs.to_dicts()}


def test_jobs_of_a_table_with_key_attributes_of_its_own(
    new_schema: Callable[..., dj.Schema],
) -> None:
    Raw, _, Trial = declare(new_schema("jobs"))
    Raw.insert([(i, float(i)) for i in range(3)])
    assert Trial.jobs.primary_key == ["raw_id"]  # the job is a key of key_source
    assert Trial.jobs.refresh()["added"] == 3
    assert Trial.populate(reserve_jobs=True)["success_count"] == 3
    assert len(Trial()) == 9
    assert len(Trial.jobs) == 0
    assert "trial" not in Trial.jobs.definition
    assert "raw_id : int32" in Trial.jobs.definition


def test_one_job_methods(new_schema: Callable[..., dj.Schema]) -> None:
    Raw, Proc, _ = declare(new_schema("jobs"))
    Raw.insert([(i, float(i)) for i in range(4)])
    Proc.jobs.refresh()
    keys = Proc.jobs.pending.keys()
    assert [Proc.jobs.reserve(key) for key in keys] == [True] * 4
    assert not any(Proc.jobs.reserve(key) for key in keys)  # taken already
    Proc.jobs.complete(keys[0])
    Proc.jobs.error(keys[1], "x" * (ERROR_MESSAGE_LENGTH + 10), "stack " * 20000)
    Proc.jobs.error(keys[2], "short")
    assert statuses(Proc.jobs) == {1: "error", 2: "error", 3: "reserved"}
    long_one = (Proc.jobs & keys[1]).fetch1("error_message", "error_stack")
    assert len(long_one[0]) == ERROR_MESSAGE_LENGTH
    assert long_one[0].endswith(TRUNCATION_APPENDIX)
    assert long_one[1] == "stack " * 20000  # the traceback is kept whole
    assert (Proc.jobs & keys[2]).fetch1("error_message") == "short"
    assert not Proc.jobs.reserve(keys[1])  # failed jobs are not reserved
    with dj.config.override(**{"jobs.keep_completed": True}):
        Proc.jobs.complete(keys[3], duration=1.5)
    assert (Proc.jobs & keys[3]).fetch1("status", "duration") == ("success", 1.5)
    assert Proc.jobs.progress() == {
        "pending": 0,
        "reserved": 0,
        "success": 1,
        "error": 2,
        "ignore": 0,
        "total": 3,
    }
    # DataJoint 0.14: a key without a job is reserved by adding it
    Raw.insert1((9, 9.0))
    assert Proc.jobs.reserve({"raw_id": 9})
    assert not Proc.jobs.reserve({"raw_id": 9})
    with pytest.raises(dj.DataJointError, match="lacks raw_id"):
        Proc.jobs.reserve({"v": 1})


def test_update1_delete_quick_drop(new_schema: Callable[..., dj.Schema]) -> None:
    Raw, Proc, _ = declare(new_schema("jobs"))
    Raw.insert([(i, float(i)) for i in range(3)])
    jobs = Proc.jobs
    jobs.refresh()
    jobs.update1({"raw_id": 0, "priority": 1, "created_time": datetime(2000, 1, 1)})
    assert (jobs & {"raw_id": 0}).fetch1("priority") == 1
    with pytest.raises(dj.DataJointError, match="no attribute v"):
        jobs.update1({"raw_id": 0, "v": 3})
    with pytest.raises(dj.DataJointError, match="no job"):
        jobs.update1({"raw_id": 7, "priority": 1})
    assert (jobs & {"raw_id": 1}).delete_quick(get_count=True) == 1
    assert jobs.delete_quick() is None
    assert len(jobs) == 0
    assert jobs.connection is Proc.connection
    assert jobs.table_name == "~~proc"
    assert jobs.full_table_name.endswith(("`~~proc`", '"~~proc"'))
    assert jobs.target.table_name == Proc.table_name
    assert jobs.is_declared
    with pytest.raises(dj.DataJointError, match="whole job table"):
        (jobs & {"raw_id": 1}).drop_quick()
    jobs.drop_quick()
    assert not jobs.is_declared
    assert Proc.jobs.is_declared  # created again on use
    assert Proc.populate(reserve_jobs=True)["success_count"] == 3


def test_refresh_removes_jobs_of_vanished_keys(new_schema: Callable[..., dj.Schema]) -> None:
    Raw, Proc, _ = declare(new_schema("jobs"))
    Raw.insert([(i, float(i)) for i in range(4)])
    jobs = Proc.jobs
    jobs.refresh()
    assert jobs.reserve({"raw_id": 1})
    assert jobs.reserve({"raw_id": 2})
    jobs.error({"raw_id": 2}, "failed")
    (Raw & {"raw_id": 3}).delete(prompt=False)
    for key in jobs.keys(order_by="KEY"):
        jobs.update1({**key, "created_time": datetime(2000, 1, 1)})
    counts = jobs.refresh({"raw_id": 0})
    # the restriction narrows what is added, never what is judged vanished
    assert statuses(jobs) == {0: "pending", 1: "reserved", 2: "error"}
    assert counts["removed"] == 1
    assert counts["added"] == 0
    (Raw & {"raw_id": 2}).delete(prompt=False)  # an error record of a vanished key: any age
    jobs.update1({"raw_id": 1, "created_time": datetime.now()})
    assert jobs.refresh(stale_timeout=0)["removed"] == 1
    assert statuses(jobs) == {0: "pending", 1: "reserved"}


def test_interrupted_make_is_recorded_as_an_error(
    new_schema: Callable[..., dj.Schema],
) -> None:
    schema = new_schema("jobs")

    @schema
    class Source(dj.Lookup):
        definition = "id : int32"
        contents = [(1,)]

    @schema
    class SigInt(dj.Computed):
        definition = "-> Source"

        def make(self, key: dict[str, Any]) -> None:
            raise KeyboardInterrupt

    @schema
    class SigTerm(dj.Computed):
        definition = "-> Source"

        def make(self, key: dict[str, Any]) -> None:
            raise SystemExit("SIGTERM received")

    with pytest.raises(KeyboardInterrupt):
        SigInt.populate(reserve_jobs=True)
    assert SigInt.jobs.errors.fetch1("error_message") == "KeyboardInterrupt"
    with pytest.raises(SystemExit):
        SigTerm.populate(reserve_jobs=True, suppress_errors=True)
    assert SigTerm.jobs.errors.fetch1("error_message") == "SystemExit: SIGTERM received"
    assert len(SigInt()) == len(SigTerm()) == 0


def test_classic_schema_jobs(new_schema: Callable[..., dj.Schema]) -> None:
    schema = new_schema("jobs")
    Raw, Proc, Trial = declare(schema)
    Raw.insert([(i, float(i)) for i in range(4)])
    jobs = schema.jobs
    jobs.ignore(Proc.table_name, {"raw_id": 0})
    assert jobs.reserve(Proc.table_name, {"raw_id": 1})
    jobs.error(Proc.table_name, {"raw_id": 1}, "failed", "the stack")
    assert jobs.reserve(Trial.table_name, {"raw_id": 2})
    jobs.complete(Trial.table_name, {"raw_id": 2})
    with pytest.raises(dj.DataJointError, match="no Imported or Computed table `nothing`"):
        jobs.reserve("nothing", {"raw_id": 1})
    jobs = schema.jobs  # now one job table per table that has jobs
    assert sorted(j.table_name for j in jobs) == ["~~proc", "~~trial"]
    assert sorted(jobs.fetch("status")) == ["error", "ignore"]
    failed = jobs & {"table_name": Proc.table_name, "status": "error"}
    assert failed.fetch1("key", "error_message", "error_stack") == (
        {"raw_id": 1},
        "failed",
        "the stack",
    )
    with pytest.raises(dj.DataJointError, match="exactly one job; there are 2"):
        jobs.fetch1()
    Proc.populate(reserve_jobs=True, refresh=False)
    assert len(Proc()) == 0  # no pending job: ignored, failed
    failed.delete()
    Proc.populate(reserve_jobs=True)
    assert sorted(Proc.keys(), key=lambda k: k["raw_id"]) == [{"raw_id": i} for i in (1, 2, 3)]
    Raw.insert1((5, 5.0))
    Proc.jobs.refresh()
    assert len(Proc.jobs.pending) == 1
    assert "pending" not in schema.jobs.fetch("status")  # 0.14's job table has none


def test_populate_given_keys_and_all_processors(new_schema: Callable[..., dj.Schema]) -> None:
    Raw, Proc, _ = declare(new_schema("jobs"))
    Raw.insert([(i, float(i)) for i in range(5)])
    assert Proc.populate(keys=[])["success_count"] == 0
    result = Proc.populate(keys=[{"raw_id": 1}, {"raw_id": 3}, {"raw_id": 99}])
    assert result["success_count"] == 2
    assert sorted(k["raw_id"] for k in Proc.keys(order_by="KEY")) == [1, 3]
    assert Proc.populate(keys=[{"raw_id": 1}])["success_count"] == 0  # computed already
    assert Proc.populate(processes=None)["success_count"] == 3
    assert len(Proc()) == 5
    with pytest.raises(dj.DataJointError, match="1 or more"):
        Proc.populate(processes=0)
