"""Schema names of the Element pipelines, shared by the test (which drops them) and the linking
modules (which activate them).

Every schema of one test run is ``<prefix>_<suffix>``; the prefix is unique per test and reaches
the linking modules through the environment variable ``DATABASE_PREFIX``, the variable the
published DataJoint workflows read for the same purpose. This module imports no DataJoint code,
so the test process can read it without importing an Element.
"""

from __future__ import annotations

import os

#: The environment variable with the prefix of every schema name.
PREFIX_VARIABLE = "DATABASE_PREFIX"

#: Per scenario: the schemas it activates, in activation order, as
#: (suffix, Element module that declares the schema's tables). The module is ``None`` for the
#: test's own reference schema. ``*_report`` schemas are named by the Elements themselves
#: (``f"{ephys_schema_name}_report"``).
_LAB = [("lab", "element_lab.lab")]
_SUBJECT = [*_LAB, ("subject", "element_animal.subject")]
_SESSION = [*_SUBJECT, ("session", "element_session.session_with_datetime")]
_EPHYS = [
    *_SESSION,
    ("reference", None),
    ("probe", "element_array_ephys.probe"),
    ("ephys", "element_array_ephys.ephys_acute"),
    ("ephys_report", "element_array_ephys.ephys_report"),
]
SCENARIOS: dict[str, list[tuple[str, str | None]]] = {
    "lab": [*_LAB, ("project", "element_lab.project")],
    "animal": [
        *_SUBJECT,
        ("genotyping", "element_animal.genotyping"),
        ("surgery", "element_animal.surgery"),
    ],
    "session": _SESSION,
    "event": [
        *_SESSION,
        ("event", "element_event.event"),
        ("trial", "element_event.trial"),
    ],
    "array_ephys": _EPHYS,
    "optogenetics": [
        *_SESSION,
        ("surgery", "element_animal.surgery"),
        ("optogenetics", "element_optogenetics.optogenetics"),
    ],
    "calcium_imaging": [
        *_SESSION,
        ("reference", None),
        ("scan", "element_calcium_imaging.scan"),
        ("imaging", "element_calcium_imaging.imaging"),
        ("imaging_report", "element_calcium_imaging.imaging_report"),
    ],
    "miniscope": [
        *_SESSION,
        ("reference", None),
        ("miniscope", "element_miniscope.miniscope"),
        ("miniscope_report", "element_miniscope.miniscope_report"),
    ],
    "facemap": [*_SESSION, ("facemap", "element_facemap.facial_behavior_estimation")],
    "deeplabcut": [
        *_SESSION,
        ("train", "element_deeplabcut.train"),
        ("model", "element_deeplabcut.model"),
    ],
    "zstack": [
        *_SESSION,
        ("reference", None),
        ("scan", "element_calcium_imaging.scan"),
        ("imaging", "element_calcium_imaging.imaging"),
        ("imaging_report", "element_calcium_imaging.imaging_report"),
        ("volume", "element_zstack.volume"),
    ],
    "electrode_localization": [
        *_EPHYS,
        ("ccf", "element_electrode_localization.coordinate_framework"),
        ("eloc", "element_electrode_localization.electrode_localization"),
    ],
}


#: The scenarios of other published DataJoint packages (``package_scenarios.py``) and the
#: schemas they make; their tables are declared by the scenarios themselves.
PACKAGE_SCENARIOS: dict[str, list[str]] = {
    "pharus": ["pharus"],
    "datajoint_link": ["link_src", "link_out", "link_local"],
    "djmux": ["djmux__core", "djmux__extra"],
    "pose_pipeline": ["pose_pipeline"],
}


def schema_name(suffix: str) -> str:
    """The name of the schema ``suffix`` in this run: ``<prefix>_<suffix>``."""
    return f"{os.environ[PREFIX_VARIABLE]}_{suffix}"
