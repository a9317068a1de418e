"""The workflow's own reference schema, written as DataJoint code (the runner has installed
dj_sqla as ``datajoint``): ``SkullReference`` for element-array-ephys, ``Equipment`` for
element-calcium-imaging, ``AnatomicalLocation`` for element-miniscope, as the published
workflows declare them."""

from __future__ import annotations

import datajoint as dj
from schema_names import schema_name

schema = dj.schema(schema_name("reference"))


@schema
class SkullReference(dj.Lookup):
    definition = """
    skull_reference   : varchar(60)
    """
    contents = zip(["Bregma", "Lambda"])


@schema
class Equipment(dj.Manual):
    definition = """
    scanner: varchar(32)
    """


@schema
class AnatomicalLocation(dj.Manual):
    definition = """
    recording_location_id : varchar(16)
    ---
    anatomical_description: varchar(256)
    """
