"""Add experiment.__subject_summary, a Computed table whose parent is in the lab schema.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dj_sqla.migration import column

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(prefix: str) -> None:
    lab, experiment = prefix + "lab", prefix + "experiment"
    op.create_table(
        "__subject_summary",
        column("subject_id", "int32", "unique animal id"),
        column("n_sessions", "int32"),
        column("n_trials", "int32"),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            [f"{lab}.subject.subject_id"],
            name=op.f("fk_subject_summary_9b2e884686"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_summary_0f1b4d6ab4")),
        schema=experiment,
        comment="sessions and trials of a subject, computed by populate()",
    )


def downgrade(prefix: str) -> None:
    op.drop_table("__subject_summary", schema=prefix + "experiment")
