"""Linking module of element-animal's ``genotyping`` schema (upstream: ``subject``, ``User``)."""

from __future__ import annotations

from element_animal import genotyping
from link_animal import Lab, Protocol, Source, Subject, User, lab, subject
from schema_names import schema_name

__all__ = ["Lab", "Protocol", "Source", "Subject", "User", "genotyping", "lab", "subject"]

# The Element activates `subject` again under the same name (a no-op), then its own schema.
genotyping.activate(schema_name("genotyping"), schema_name("subject"), linking_module=__name__)
