"""Linking module of element-deeplabcut (``train`` and ``model``): needs ``Session``,
``Device``, ``train`` and the data-directory functions."""

from __future__ import annotations

from pathlib import Path

# `train` first, as the published workflow imports them: importing `model` first runs into
# the Element's own circular import (model -> readers.dlc_reader -> model).
from element_deeplabcut import train  # isort: skip
from element_deeplabcut import model  # isort: skip
from link_session import Device, Session, Subject, User, lab, session, subject
from schema_names import schema_name

__all__ = [
    "Device",
    "Session",
    "Subject",
    "User",
    "get_dlc_processed_data_dir",
    "get_dlc_root_data_dir",
    "lab",
    "model",
    "session",
    "subject",
    "train",
]

DATA_ROOT = Path.cwd() / "data"


def get_dlc_root_data_dir() -> list[str]:
    """The root folder of the videos and projects (a new list: the Element appends to it)."""
    return [str(DATA_ROOT)]


def get_dlc_processed_data_dir() -> str:
    """The root folder of processed results."""
    return str(DATA_ROOT / "processed")


train.activate(schema_name("train"), linking_module=__name__)
model.activate(schema_name("model"), linking_module=__name__)
