"""Linking module of element-electrode-localization: needs ``ProbeInsertion`` and ``probe``
(from element-array-ephys) and ``get_electrode_localization_dir``."""

from __future__ import annotations

from pathlib import Path

from element_electrode_localization import coordinate_framework, electrode_localization
from link_ephys import ProbeInsertion, Session, ephys, lab, probe, session, subject
from schema_names import schema_name

__all__ = [
    "ProbeInsertion",
    "Session",
    "coordinate_framework",
    "electrode_localization",
    "ephys",
    "get_electrode_localization_dir",
    "lab",
    "probe",
    "session",
    "subject",
]


def get_electrode_localization_dir(probe_insertion_key: dict[str, object]) -> str:
    """The folder of a probe insertion's localization files."""
    return str(Path.cwd() / "data" / "localization")


electrode_localization.activate(schema_name("eloc"), schema_name("ccf"), linking_module=__name__)
