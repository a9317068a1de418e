"""Linking module of element-animal's ``subject`` schema (needs ``Source``, ``Lab``,
``Protocol``, ``User``); ``genotyping`` and ``surgery`` have linking modules of their own."""

from __future__ import annotations

from element_animal import subject
from element_animal.subject import Subject
from link_lab import Device, Lab, Location, Protocol, Source, User, lab
from schema_names import schema_name

__all__ = ["Device", "Lab", "Location", "Protocol", "Source", "Subject", "User", "lab", "subject"]

subject.activate(schema_name("subject"), linking_module=__name__)
