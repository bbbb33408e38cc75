"""Reviewed records kept through a re-extraction: ``records.reextracted_differs`` (a newer
extraction of the document differs at this record, which was kept because a clerk reviewed
it), ``records.reextracted_data`` (that newer extraction's golden-shape record; null when it
has no record at this ordinal) and ``records.reextracted_at``.

Revision ID: 0003_reextract
Revises: 0002_review
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_reextract"
down_revision: str | Sequence[str] | None = "0002_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column(
        "records",
        sa.Column("reextracted_differs", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("records", sa.Column("reextracted_data", JSONType, nullable=True))
    op.add_column("records", sa.Column("reextracted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("records", "reextracted_at")
    op.drop_column("records", "reextracted_data")
    op.drop_column("records", "reextracted_differs")
