"""Linking module of element-event (``event`` and ``trial``): needs ``Session`` and the two
directory functions of its docstring."""

from __future__ import annotations

from pathlib import Path

from element_event import event, trial
from link_session import Session, Subject, User, lab, session, subject
from schema_names import schema_name

__all__ = [
    "Session",
    "Subject",
    "User",
    "event",
    "get_experiment_root_data_dir",
    "get_session_directory",
    "lab",
    "session",
    "subject",
    "trial",
]

DATA_ROOT = Path.cwd() / "data"


def get_experiment_root_data_dir() -> list[str]:
    """The root folder of the behaviour recordings."""
    return [str(DATA_ROOT)]


def get_session_directory(session_key: dict[str, object]) -> str:
    """A session's folder, relative to the root."""
    return str(session_key["subject"])


trial.activate(schema_name("trial"), schema_name("event"), linking_module=__name__)
