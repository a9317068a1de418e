"""Linking module of element-lab's ``project`` schema (needs ``Lab``, ``User``, ``Protocol``)."""

from __future__ import annotations

from element_lab import project
from link_lab import Lab, Protocol, User, lab
from schema_names import schema_name

__all__ = ["Lab", "Protocol", "User", "lab", "project"]

project.activate(schema_name("project"), linking_module=__name__)
