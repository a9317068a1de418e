"""Add experiment.__session_trace, a Computed table with blob columns (numpy arrays, dicts).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dj_sqla.migration import column

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(prefix: str) -> None:
    experiment = prefix + "experiment"
    op.create_table(
        "__session_trace",
        column("subject_id", "int32", "unique animal id"),
        column("session", "int16"),
        column("outcomes", "<blob>", "numpy array, one value per trial"),
        column("summary", "<blob>", "dict of numbers and arrays"),
        sa.ForeignKeyConstraint(
            ["subject_id", "session"],
            [f"{experiment}.session.subject_id", f"{experiment}.session.session"],
            name=op.f("fk_session_trace_aaf4d8bbf9"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("subject_id", "session", name=op.f("pk_session_trace_77f4c935b7")),
        schema=experiment,
        comment="the outcomes of a session as an array, and their summary (blobs)",
    )


def downgrade(prefix: str) -> None:
    op.drop_table("__session_trace", schema=prefix + "experiment")
