"""Linking module of element-miniscope (``miniscope`` and ``miniscope_report``): needs
``Session``, ``Device``, ``AnatomicalLocation`` and the data-directory functions."""

from __future__ import annotations

from pathlib import Path

from element_miniscope import miniscope
from link_reference import AnatomicalLocation
from link_session import Device, Session, Subject, User, lab, session, subject
from schema_names import schema_name

__all__ = [
    "AnatomicalLocation",
    "Device",
    "Session",
    "Subject",
    "User",
    "get_miniscope_root_data_dir",
    "get_processed_root_data_dir",
    "get_session_directory",
    "lab",
    "miniscope",
    "session",
    "subject",
]

DATA_ROOT = Path.cwd() / "data"


def get_miniscope_root_data_dir() -> list[str]:
    """The root folder of the raw recordings (a new list: the Element appends to it)."""
    return [str(DATA_ROOT)]


def get_processed_root_data_dir() -> str:
    """The root folder of processed results."""
    return str(DATA_ROOT / "processed")


def get_session_directory(session_key: dict[str, object]) -> str:
    """A session's folder, relative to the root."""
    return str(session_key["subject"])


miniscope.activate(schema_name("miniscope"), linking_module=__name__)
