"""Linking module of element-optogenetics: needs ``Session``, ``Device`` and
``Implantation`` (from element-animal's ``surgery``)."""

from __future__ import annotations

from element_optogenetics import optogenetics
from link_session import Device, Session, Subject, User, lab, session, subject
from link_surgery import Implantation, surgery
from schema_names import schema_name

__all__ = [
    "Device",
    "Implantation",
    "Session",
    "Subject",
    "User",
    "lab",
    "optogenetics",
    "session",
    "subject",
    "surgery",
]

optogenetics.activate(schema_name("optogenetics"), linking_module=__name__)
