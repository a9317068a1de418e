"""Linking module of element-session (``session_with_datetime``): needs ``Subject``,
``Project`` and ``Experimenter`` (the workflows pass ``lab.User`` as ``Experimenter``)."""

from __future__ import annotations

from element_session import session_with_datetime as session
from element_session.session_with_datetime import Session
from link_animal import Device, Lab, Location, Protocol, Source, Subject, User, lab, subject
from link_lab import LabProject as Project
from schema_names import schema_name

Experimenter = User

__all__ = [
    "Device",
    "Experimenter",
    "Lab",
    "Location",
    "Project",
    "Protocol",
    "Session",
    "Source",
    "Subject",
    "User",
    "lab",
    "session",
    "subject",
]

session.activate(schema_name("session"), linking_module=__name__)
