"""The example pipeline used by the demo, the tests and the project's Alembic environment.

Two schemas, as in a lab that keeps its animals apart from its experiments:

* ``<prefix>lab``: ``subject`` (one row per animal);
* ``<prefix>experiment``: ``session`` (recording sessions of a subject: a foreign key into
  the other schema) and ``trial``.

The classes are plain SQLAlchemy declarative classes decorated by a ``dj.Schema``; they are
built inside :func:`build` because a class can be mapped only once, and tests build the
pipeline many times under different schema names.

Example:
    >>> from dj_sqla import example
    >>> pipeline = example.build(connection="sqlite://")
    >>> pipeline.lab.list_tables(), pipeline.experiment.list_tables()
    (['subject'], ['session', 'trial'])
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ForeignKey, ForeignKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .connection import Connection
from .schemas import Schema

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
    Subject: Any
    Session: Any
    Trial: Any

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
    class Subject:
        """A laboratory animal."""

        __tablename__ = "subject"
        subject_id: Mapped[int] = mapped_column(primary_key=True, comment="unique animal id")
        species: Mapped[str] = mapped_column(sa.String(40), default="mouse")
        date_of_birth: Mapped[dt.date | None] = mapped_column()

    @experiment
    class Session:
        """A recording session of one subject."""

        __tablename__ = "session"
        subject_id: Mapped[int] = mapped_column(
            ForeignKey("Subject.subject_id", onupdate="CASCADE"), primary_key=True
        )
        session: Mapped[int] = mapped_column(primary_key=True)
        session_date: Mapped[dt.date] = mapped_column()

    @experiment
    class Trial:
        """One trial of a session."""

        __tablename__ = "trial"
        __table_args__ = (
            ForeignKeyConstraint(
                ["subject_id", "session"],
                ["session.subject_id", "session.session"],
                onupdate="CASCADE",
            ),
        )
        subject_id: Mapped[int] = mapped_column(primary_key=True)
        session: Mapped[int] = mapped_column(primary_key=True)
        trial: Mapped[int] = mapped_column(primary_key=True)
        outcome: Mapped[float] = mapped_column(sa.Double)

    return Pipeline(lab, experiment, Subject, Session, Trial)
