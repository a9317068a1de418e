"""Create the example pipeline: lab.subject, experiment.session, experiment.trial.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

The schema names carry the prefix given by env.py (``-x prefix=...``), so the same revision
builds the demo's schemas and throwaway copies for the tests. Constraint names are the ones
dj_sqla's naming convention gives, so autogenerate finds nothing to change afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(prefix: str) -> None:
    lab, experiment = prefix + "lab", prefix + "experiment"
    op.create_table(
        "subject",
        sa.Column("subject_id", sa.Integer(), nullable=False, comment="unique animal id"),
        sa.Column("species", sa.String(length=40), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_bca972733c")),
        schema=lab,
    )
    op.create_table(
        "session",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("session", sa.Integer(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            [f"{lab}.subject.subject_id"],
            name=op.f("fk_session_e54aebbf7c"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject_id", "session", name=op.f("pk_session_fc96eb0270")),
        schema=experiment,
    )
    op.create_table(
        "trial",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("session", sa.Integer(), nullable=False),
        sa.Column("trial", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id", "session"],
            [f"{experiment}.session.subject_id", f"{experiment}.session.session"],
            name=op.f("fk_trial_e8eb8bcca8"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject_id", "session", "trial", name=op.f("pk_trial_a68d179cd1")),
        schema=experiment,
    )


def downgrade(prefix: str) -> None:
    lab, experiment = prefix + "lab", prefix + "experiment"
    op.drop_table("trial", schema=experiment)
    op.drop_table("session", schema=experiment)
    op.drop_table("subject", schema=lab)
