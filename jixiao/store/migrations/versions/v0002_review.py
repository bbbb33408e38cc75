"""Review tables: corrections (one row per changed field) and review_events (edit, approve,
reject with a note). Owned by the review screen (``jixiao/store/review.py``).

Revision ID: 0002_review
Revises: 0001_core
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_review"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "record_id",
            sa.Integer(),
            sa.ForeignKey("records.id", ondelete="SET NULL", name="fk_corrections_record"),
            nullable=True,
        ),
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey("documents.id", ondelete="SET NULL", name="fk_corrections_document"),
            nullable=True,
        ),
        sa.Column("ordinal", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_version_before", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "reason_code IN ('extraction_error', 'form_error', 'ocr_error', 'other')",
            name="ck_corrections_reason_code",
        ),
    )
    op.create_index("ix_corrections_record_id", "corrections", ["record_id"])
    op.create_index("ix_corrections_document_id", "corrections", ["document_id"])

    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "record_id",
            sa.Integer(),
            sa.ForeignKey("records.id", ondelete="SET NULL", name="fk_review_events_record"),
            nullable=True,
        ),
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey("documents.id", ondelete="SET NULL", name="fk_review_events_document"),
            nullable=True,
        ),
        sa.Column("ordinal", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_version_before", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "action IN ('edit', 'approve', 'reject')", name="ck_review_events_action"
        ),
    )
    op.create_index("ix_review_events_record_id", "review_events", ["record_id"])
    op.create_index("ix_review_events_document_id", "review_events", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_review_events_document_id", table_name="review_events")
    op.drop_index("ix_review_events_record_id", table_name="review_events")
    op.drop_table("review_events")
    op.drop_index("ix_corrections_document_id", table_name="corrections")
    op.drop_index("ix_corrections_record_id", table_name="corrections")
    op.drop_table("corrections")
