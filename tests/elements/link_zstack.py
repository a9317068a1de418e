"""Linking module of element-zstack's ``volume`` schema: needs ``Scan`` (from
element-calcium-imaging) and the data-directory functions."""

from __future__ import annotations

from pathlib import Path

from element_zstack import volume
from link_imaging import Equipment, Session, lab, scan, session, subject
from schema_names import schema_name

Scan = scan.Scan

__all__ = [
    "Equipment",
    "Scan",
    "Session",
    "get_volume_root_data_dir",
    "get_volume_tif_file",
    "lab",
    "scan",
    "session",
    "subject",
    "volume",
]

DATA_ROOT = Path.cwd() / "data"


def get_volume_root_data_dir() -> list[str]:
    """The root folder of the volumes."""
    return [str(DATA_ROOT)]


def get_volume_tif_file(scan_key: dict[str, object]) -> str:
    """A scan's volume file."""
    return str(DATA_ROOT / str(scan_key["subject"]) / "volume.tif")


volume.activate(schema_name("volume"), linking_module=__name__)
