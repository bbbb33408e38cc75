"""The batch lease: ``batch_leases``, one row per batch being run (who runs it, since when,
last heartbeat). A second ``jixiao batch`` on the same store and batch waits or refuses
while the row is held; a row left by a killed run is taken over.

Revision ID: 0004_lease
Revises: 0003_reextract
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_lease"
down_revision: str | Sequence[str] | None = "0003_reextract"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batch_leases",
        sa.Column("batch", sa.String(512), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("process", sa.String(64), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("batch_leases")
