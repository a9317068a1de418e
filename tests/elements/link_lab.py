"""Linking module of element-lab: activates ``lab`` and provides its tables downstream.

As in the published workflows, the names the downstream Elements need (``Lab``, ``User``,
``Source``, ``Protocol``, ...) are module-level names of the linking module.
"""

from __future__ import annotations

from element_lab import lab
from element_lab.lab import Device, Lab, Location, Protocol, Source, User
from element_lab.lab import Project as LabProject
from schema_names import schema_name

__all__ = ["Device", "Lab", "LabProject", "Location", "Protocol", "Source", "User", "lab"]

lab.activate(schema_name("lab"))
