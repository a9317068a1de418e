"""Linking module of element-calcium-imaging (``scan``, ``imaging``, ``imaging_report``):
needs ``Session``, ``Equipment``, ``Location`` and the data-directory functions."""

from __future__ import annotations

from pathlib import Path

from element_calcium_imaging import imaging, imaging_report, scan
from link_reference import Equipment
from link_session import Location, Session, Subject, User, lab, session, subject
from schema_names import schema_name

__all__ = [
    "Equipment",
    "Location",
    "Session",
    "Subject",
    "User",
    "get_image_files",
    "get_imaging_root_data_dir",
    "get_processed_root_data_dir",
    "imaging",
    "imaging_report",
    "lab",
    "scan",
    "session",
    "subject",
]

DATA_ROOT = Path.cwd() / "data"


def get_imaging_root_data_dir() -> list[str]:
    """The root folder of the raw scans (a new list: the Element appends to it)."""
    return [str(DATA_ROOT)]


def get_processed_root_data_dir() -> str:
    """The root folder of processed results."""
    return str(DATA_ROOT / "processed")


def get_image_files(scan_key: dict[str, object], file_type: str) -> list[str]:
    """A scan's image files (none: the tests use no raw images)."""
    return []


imaging.activate(schema_name("imaging"), schema_name("scan"), linking_module=__name__)
