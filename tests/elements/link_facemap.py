"""Linking module of element-facemap (``facial_behavior_estimation``): needs ``Session``,
``Device`` and the data-directory functions."""

from __future__ import annotations

from pathlib import Path

from element_facemap import facial_behavior_estimation as facemap
from link_session import Device, Session, Subject, User, lab, session, subject
from schema_names import schema_name

__all__ = [
    "Device",
    "Session",
    "Subject",
    "User",
    "facemap",
    "get_facemap_processed_data_dir",
    "get_facemap_root_data_dir",
    "get_facemap_video_files",
    "lab",
    "session",
    "subject",
]

DATA_ROOT = Path.cwd() / "data"


def get_facemap_root_data_dir() -> list[str]:
    """The root folder of the videos (a new list: the Element appends to it)."""
    return [str(DATA_ROOT)]


def get_facemap_processed_data_dir() -> str:
    """The root folder of processed results."""
    return str(DATA_ROOT / "processed")


def get_facemap_video_files(video_key: dict[str, object]) -> list[Path]:
    """A recording's video files."""
    return sorted((DATA_ROOT / str(video_key["subject"])).glob("*.avi"))


facemap.activate(schema_name("facemap"), linking_module=__name__)
