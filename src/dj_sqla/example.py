"""The example pipeline used by the demo, the tests and the project's Alembic environment.

Two schemas, as in a lab that keeps its animals apart from its experiments, written as a
DataJoint pipeline module would be:

* ``<prefix>lab``: ``#species`` (a Lookup) and ``subject`` (one row per animal);
* ``<prefix>experiment``: ``session`` (recording sessions of a subject: a foreign key into
  the other schema), its part ``session__trial``, and two Computed tables filled by
  ``populate()``: ``__session_stats`` (per session) and ``__subject_summary`` (per subject,
  from a parent in the other schema).

The classes are built inside :func:`build` because a class can be declared only once, and
tests build the pipeline many times under different schema names.

Example:
    >>> import dj_sqla as dj
    >>> from dj_sqla import example
    >>> pipeline = example.build(connection=dj.Connection("sqlite://"))
    >>> pipeline.lab.list_tables()
    ['#species', 'subject']
    >>> pipeline.experiment.list_tables()
    ['__subject_summary', 'session', '__session_stats', '__session_trace', 'session__trial']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from .connection import Connection
from .populate import Computed
from .schemas import Schema
from .table import Lookup, Manual, Part

#: Schema names without prefix.
LAB = "lab"
EXPERIMENT = "experiment"
#: Prefix of the demo's schema names.
DEMO_PREFIX = "dj_sqla_demo_"


@dataclass
class Pipeline:
    """The example pipeline's schemas and classes."""

    lab: Schema
    experiment: Schema
    Species: Any
    Subject: Any
    Session: Any
    Trial: Any
    SessionStats: Any
    SessionTrace: Any
    SubjectSummary: Any

    @property
    def schemas(self) -> list[Schema]:
        """Parents first."""
        return [self.lab, self.experiment]


def build(
    connection: Connection | sa.Engine | str | None = None,
    *,
    prefix: str = DEMO_PREFIX,
    create_tables: bool = True,
) -> Pipeline:
    """Declare the example pipeline (creating what is missing) and return it.

    Args:
        connection: where to declare it; default ``dj.conn()``.
        prefix: prepended to the schema names (``lab``, ``experiment``).
        create_tables: passed to both schemas; False for migration-managed databases.
    """
    lab = Schema(prefix + LAB, connection=connection, create_tables=create_tables)
    experiment = Schema(prefix + EXPERIMENT, connection=connection, create_tables=create_tables)

    @lab
    class Species(Lookup):
        definition = """
        # animal species kept in the lab
        species : varchar(30)
        """
        contents = (("mouse",), ("rat",))

    @lab
    class Subject(Manual):
        definition = """
        # a laboratory animal
        subject_id : int32           # unique animal id
        ---
        -> Species
        sex = 'U' : enum('M', 'F', 'U')
        date_of_birth = null : date
        """

    @experiment
    class Session(Manual):
        definition = """
        # a recording session of one subject
        -> Subject
        session : int16
        ---
        session_date : date
        notes = '' : varchar(1024)
        index(session_date)
        """

        class Trial(Part):
            definition = """
            # one trial of the session
            -> master
            trial : int32
            ---
            outcome : float64
            """

    @experiment
    class SessionStats(Computed):
        definition = """
        # trial statistics of a session, computed by populate()
        -> Session
        ---
        n_trials : int32
        mean_outcome = null : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            outcomes = (Session.Trial & key).to_arrays("outcome")
            mean = float(outcomes.mean()) if len(outcomes) else None
            self.insert1(dict(key, n_trials=len(outcomes), mean_outcome=mean))

    @experiment
    class SessionTrace(Computed):
        definition = """
        # the outcomes of a session as an array, and their summary (blobs)
        -> Session
        ---
        outcomes : longblob       # numpy array, one value per trial
        summary : <blob>          # dict of numbers and arrays
        """

        def make(self, key: dict[str, Any]) -> None:
            outcomes = (Session.Trial & key).to_arrays("outcome", order_by="KEY")
            summary = {"n": len(outcomes), "cumulative": np.round(np.cumsum(outcomes), 6)}
            self.insert1(dict(key, outcomes=outcomes, summary=summary))

    @experiment
    class SubjectSummary(Computed):
        definition = """
        # sessions and trials of a subject, computed by populate()
        -> Subject
        ---
        n_sessions : int32
        n_trials : int32
        """

        def make(self, key: dict[str, Any]) -> None:
            self.insert1(
                dict(key, n_sessions=len(Session & key), n_trials=len(Session.Trial & key))
            )

    return Pipeline(
        lab,
        experiment,
        Species,
        Subject,
        Session,
        Session.Trial,
        SessionStats,
        SessionTrace,
        SubjectSummary,
    )
