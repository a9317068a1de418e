"""Add experiment._recording, an Imported table whose raw traces live in an object store.

Its ``trace`` column holds the JSON metadata of a ``.npy`` file in the store ``dj_sqla_demo``;
the migration creates only the table (the objects are written by ``populate()``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dj_sqla.migration import column

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(prefix: str) -> None:
    experiment = prefix + "experiment"
    op.create_table(
        "_recording",
        column("subject_id", "int32", "unique animal id"),
        column("session", "int16"),
        column("sampling_rate", "float64", "samples per second"),
        column("trace", "<npy@dj_sqla_demo>", "one value per sample: a .npy file in the store"),
        sa.ForeignKeyConstraint(
            ["subject_id", "session"],
            [f"{experiment}.session.subject_id", f"{experiment}.session.session"],
            name=op.f("fk_recording_4dac7f8447"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("subject_id", "session", name=op.f("pk_recording_50511a4fc0")),
        schema=experiment,
        comment="a raw signal recorded during the session (simulated), kept in an object store",
    )


def downgrade(prefix: str) -> None:
    op.drop_table("_recording", schema=prefix + "experiment")
