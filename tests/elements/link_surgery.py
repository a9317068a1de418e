"""Linking module of element-animal's ``surgery`` schema (upstream: ``subject``, ``User``)."""

from __future__ import annotations

from element_animal import surgery
from element_animal.surgery import Implantation
from link_animal import Lab, Protocol, Source, Subject, User, lab, subject
from schema_names import schema_name

__all__ = [
    "Implantation",
    "Lab",
    "Protocol",
    "Source",
    "Subject",
    "User",
    "lab",
    "subject",
    "surgery",
]

surgery.activate(schema_name("surgery"), schema_name("subject"), linking_module=__name__)
