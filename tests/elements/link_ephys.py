"""Linking module of element-array-ephys (acute mode, with ``probe`` and ``ephys_report``):
needs ``Session``, ``SkullReference`` and the data-directory functions.

The data root is the working directory's ``data`` folder, where the runner writes the small
SpikeGLX metadata file that ``EphysRecording.make`` reads.
"""

from __future__ import annotations

from pathlib import Path

from element_array_ephys import ephys_acute as ephys
from element_array_ephys import ephys_report, probe
from link_reference import SkullReference
from link_session import Session, Subject, User, lab, session, subject
from schema_names import schema_name

__all__ = [
    "Session",
    "SkullReference",
    "Subject",
    "User",
    "ephys",
    "ephys_report",
    "get_ephys_root_data_dir",
    "get_processed_root_data_dir",
    "get_session_directory",
    "lab",
    "probe",
    "session",
    "subject",
]

DATA_ROOT = Path.cwd() / "data"


def get_ephys_root_data_dir() -> list[str]:
    """The root folder of the raw recordings (a new list: the Element appends to it)."""
    return [str(DATA_ROOT)]


def get_processed_root_data_dir() -> str:
    """The root folder of processed results."""
    return str(DATA_ROOT / "processed")


def get_session_directory(session_key: dict[str, object]) -> str:
    """A session's folder, relative to the root: ``<subject>``."""
    return str(session_key["subject"])


ephys.activate(schema_name("ephys"), schema_name("probe"), linking_module=__name__)
ProbeInsertion = ephys.ProbeInsertion
