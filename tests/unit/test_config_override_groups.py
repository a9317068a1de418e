"""``dj.config.override(jobs={...})``: DataJoint 2's spelling of a group's keys as a dict."""

from __future__ import annotations

from dj_sqla.config import Config


def test_override_takes_a_group_as_a_dict() -> None:
    cfg = Config()
    with cfg.override(jobs={"keep_completed": True, "default_priority": 2}, safemode=False):
        assert cfg["jobs.keep_completed"] is True
        assert cfg.jobs.default_priority == 2
        assert cfg["safemode"] is False
    assert cfg["jobs.keep_completed"] is False
    assert cfg["jobs.default_priority"] == 5
