"""Shared pieces of the Element scenarios: the stage being run, the facts reported, sample
rows of the upstream Elements (lab, subject, session) and small generated data files.

Imported only in the runner's subprocess. Each helper imports its linking modules (and so the
Elements) inside its body on purpose: importing one activates its schemas, which must happen
after ``dj_sqla.install_as_datajoint()`` and only for the scenario being run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

#: What the scenario is doing; reported when it fails.
_stage = "starting"
#: Facts the test process checks (counts, fetched values), filled by the scenarios.
facts: dict[str, Any] = {}


def stage(name: str) -> None:
    """Note the stage the scenario is in."""
    global _stage
    _stage = name


def current_stage() -> str:
    """The stage noted last."""
    return _stage


def dj_U() -> Any:
    """``dj.U()`` of the installed ``datajoint`` module (dj_sqla once the runner installed it)."""
    import datajoint

    return datajoint.U()


def check(condition: bool, message: str) -> None:
    """Fail the scenario with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


# -- shared sample rows ------------------------------------------------------------------------

SUBJECT = {"subject": "sub1"}
SESSION = {**SUBJECT, "session_datetime": dt.datetime(2026, 3, 4, 12, 30, 15)}


def fill_lab() -> Any:
    from link_lab import lab

    stage("inserting element-lab rows")
    lab.Organization.insert1({"organization": "org", "org_name": "An Organization"})
    lab.Lab.insert1(
        {"lab": "lab1", "lab_name": "The Lab", "address": "1 Main St", "time_zone": "UTC+1"}
    )
    lab.Lab.Organization.insert1({"lab": "lab1", "organization": "org"})
    lab.Location.insert1({"lab": "lab1", "location": "room 1"})
    lab.UserRole.insert([("PI",), ("student",)])
    lab.User.insert(
        [
            {"user": "ann", "user_email": "ann@example.org", "user_fullname": "Ann A."},
            {"user": "bob"},
        ]
    )
    lab.LabMembership.insert(
        [
            {"lab": "lab1", "user": "ann", "user_role": "PI"},
            {"lab": "lab1", "user": "bob"},  # the role is a nullable foreign key
        ]
    )
    lab.ProtocolType.insert1({"protocol_type": "IACUC"})
    lab.Protocol.insert1({"protocol": "p-001", "protocol_type": "IACUC"})
    lab.Source.insert1({"source": "JAX", "source_name": "Jackson Laboratory"})
    lab.Project.insert1({"project": "proj1", "project_description": "a project"})
    lab.Device.insert1({"device": "rig1", "modality": "ephys"})
    return lab


def fill_subject() -> Any:
    from link_animal import subject

    fill_lab()
    stage("inserting element-animal subject rows")
    subject.Subject.insert1(
        {
            **SUBJECT,
            "sex": "F",
            "subject_birth_date": dt.date(2026, 1, 2),
            "subject_description": "first",
        }
    )
    subject.Subject.Lab.insert1({**SUBJECT, "lab": "lab1", "subject_alias": "s-1"})
    subject.Subject.User.insert1({**SUBJECT, "user": "ann"})
    subject.Subject.Protocol.insert1({**SUBJECT, "protocol": "p-001"})
    subject.Subject.Source.insert1({**SUBJECT, "source": "JAX"})
    return subject


def fill_session() -> Any:
    from link_session import session

    fill_subject()
    stage("inserting element-session rows")
    session.Session.insert1(SESSION)
    session.Session.Attribute.insert1(
        {**SESSION, "attribute_name": "weights", "attribute_blob": np.arange(5.0)}
    )
    session.SessionDirectory.insert1({**SESSION, "session_dir": "sub1/2026-03-04"})
    session.SessionExperimenter.insert1({**SESSION, "user": "ann"})
    session.SessionNote.insert1({**SESSION, "session_note": "went well"})
    session.ProjectSession.insert1({**SESSION, "project": "proj1"})
    return session


def spikeglx_meta(serial: str) -> str:
    """A SpikeGLX ``.ap.meta`` text for a Neuropixels 1.0 (3B) probe recording 4 sites."""
    sites = [(0, 0, 0), (0, 1, 0), (0, 0, 1), (0, 1, 1)]  # (shank, column, row)
    shank_map = "(1,2,480)" + "".join(f"({s}:{c}:{r}:1)" for s, c, r in sites)
    chan_map = "(4,0,1)" + "".join(f"(AP{i};{i}:{i})" for i in range(4))
    imro = "(0,4)" + "".join(f"({i} 0 0 500 250)" for i in range(4))
    return "\n".join(
        [
            "typeImEnabled=1",
            f"imDatPrb_sn={serial}",
            "imSampRate=30000",
            "fileCreateTime=2026-03-04T12:30:15",
            "fileTimeSecs=12.5",
            "nSavedChans=4",
            "snsSaveChanSubset=all",
            f"~snsShankMap={shank_map}",
            f"~snsChanMap={chan_map}",
            f"~imroTbl={imro}",
            "",
        ]
    )


def write_video(path: Path, frames: int) -> None:
    """A small MJPG video of ``frames`` 24x32 frames at 10 fps."""
    import cv2  # optional: only the video Elements need OpenCV

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    for i in range(frames):
        writer.write(np.full((24, 32, 3), i * 10, np.uint8))
    writer.release()


def plain(value: Any) -> Any:
    """``value`` as JSON data (numpy, dates, decimals and UUIDs as their text)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
