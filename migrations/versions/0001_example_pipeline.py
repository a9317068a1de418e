"""Create the example pipeline: lab.#species, lab.subject, experiment.session (+ trial part).

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Written from ``alembic revision --autogenerate`` output, with two changes: the schema names
carry the prefix given by env.py (``-x prefix=...``), so one revision builds the demo's schemas
and the tests' throwaway copies; and column types come from dj_sqla's type map, so each
backend gets exactly the type a declaration gives it (autogenerate renders only the generic
type of a per-backend variant, e.g. no native MySQL ENUM). Constraint names are the ones
dj_sqla's naming convention gives, so ``alembic check`` finds nothing to change afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dj_sqla.migration import column

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(prefix: str) -> None:
    lab, experiment = prefix + "lab", prefix + "experiment"
    op.create_table(
        "#species",
        column("species", "varchar(30)"),
        sa.PrimaryKeyConstraint("species", name=op.f("pk_species_471a83b6bc")),
        schema=lab,
        comment="animal species kept in the lab",
    )
    op.bulk_insert(
        sa.table("#species", sa.column("species"), schema=lab),
        [{"species": "mouse"}, {"species": "rat"}],
    )
    op.create_table(
        "subject",
        column("subject_id", "int32", "unique animal id"),
        column("species", "varchar(30)"),
        column("sex", "enum('M', 'F', 'U')", server_default="U"),
        column("date_of_birth", "date", nullable=True),
        sa.ForeignKeyConstraint(
            ["species"],
            [f"{lab}.#species.species"],
            name=op.f("fk_subject_344ad3fdb6"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_bca972733c")),
        schema=lab,
        comment="a laboratory animal",
    )
    op.create_table(
        "session",
        column("subject_id", "int32", "unique animal id"),
        column("session", "int16"),
        column("session_date", "date"),
        column("notes", "varchar(1024)", server_default=""),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            [f"{lab}.subject.subject_id"],
            name=op.f("fk_session_e54aebbf7c"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("subject_id", "session", name=op.f("pk_session_fc96eb0270")),
        schema=experiment,
        comment="a recording session of one subject",
    )
    op.create_index(op.f("ix_session_ae7f6f1b50"), "session", ["session_date"], schema=experiment)
    op.create_table(
        "session__trial",
        column("subject_id", "int32", "unique animal id"),
        column("session", "int16"),
        column("trial", "int32"),
        column("outcome", "float64"),
        sa.ForeignKeyConstraint(
            ["subject_id", "session"],
            [f"{experiment}.session.subject_id", f"{experiment}.session.session"],
            name=op.f("fk_session__trial_308fd0f197"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "subject_id", "session", "trial", name=op.f("pk_session__trial_8654d7fc3b")
        ),
        schema=experiment,
        comment="one trial of the session",
    )


def downgrade(prefix: str) -> None:
    lab, experiment = prefix + "lab", prefix + "experiment"
    op.drop_table("session__trial", schema=experiment)
    op.drop_index(op.f("ix_session_ae7f6f1b50"), table_name="session", schema=experiment)
    op.drop_table("session", schema=experiment)
    op.drop_table("subject", schema=lab)
    op.drop_table("#species", schema=lab)
