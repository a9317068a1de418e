"""DataJoint's naming rules: class names ↔ table names, and the tier a table name encodes.

Pure string functions, shared by declaration (class → table name), description (table → class
name in a definition) and reflection (table name → tier and class).
"""

from __future__ import annotations

import re


def snake_case(class_name: str) -> str:
    """DataJoint's table name for a class name: ``MouseCage`` → ``mouse_cage``.

    Every capital letter after the first starts a new word, as DataJoint does (``EEGData``
    becomes ``e_e_g_data``), so tables declared by either tool get the same names.
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def camel_case(table_name: str) -> str:
    """The class name for a table name without tier prefix: ``mouse_cage`` → ``MouseCage``."""
    return "".join(word.capitalize() for word in table_name.split("_"))


#: Tier prefixes, longest first (``__`` before ``_``).
_PREFIXES = (("__", "Computed"), ("_", "Imported"), ("#", "Lookup"))


def tier_and_names(table_name: str) -> tuple[str, list[str]]:
    """The tier and class-name path of a DataJoint table name.

    Example:
        >>> tier_and_names("__session_stats__unit")
        ('Computed', ['SessionStats', 'Unit'])
        >>> tier_and_names("mouse")
        ('Manual', ['Mouse'])
    """
    tier, rest = "Manual", table_name
    for prefix, name in _PREFIXES:
        if table_name.startswith(prefix):
            tier, rest = name, table_name[len(prefix) :]
            break
    return tier, [camel_case(part) for part in rest.split("__")]


def is_hidden(attribute: str) -> bool:
    """Whether an attribute is hidden from queries, headings and definitions: DataJoint 2
    keeps its own columns (``_singleton``, ``_job_start_time``...) under names starting with
    ``_``, which definitions cannot declare.

    Example:
        >>> is_hidden("_singleton"), is_hidden("mouse_id")
        (True, False)
    """
    return attribute.startswith("_")
