"""Add experiment.__session_stats, the Computed table of the example pipeline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dj_sqla.migration import column

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(prefix: str) -> None:
    experiment = prefix + "experiment"
    op.create_table(
        "__session_stats",
        column("subject_id", "int32", "unique animal id"),
        column("session", "int16"),
        column("n_trials", "int32"),
        column("mean_outcome", "float64", nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id", "session"],
            [f"{experiment}.session.subject_id", f"{experiment}.session.session"],
            name=op.f("fk_session_stats_7173bc485c"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("subject_id", "session", name=op.f("pk_session_stats_ce220bf5f4")),
        schema=experiment,
        comment="trial statistics of a session, computed by populate()",
    )


def downgrade(prefix: str) -> None:
    op.drop_table("__session_stats", schema=prefix + "experiment")
