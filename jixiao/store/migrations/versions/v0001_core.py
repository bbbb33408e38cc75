"""Core tables: documents, records, jobs (the batch ledger).

Revision ID: 0001_core
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_core"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    _documents()
    _records()
    _jobs()


def _documents() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("errors", JSONType, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("rule_set", sa.String(64), nullable=True),
        sa.Column("extractor_version", sa.String(32), nullable=True),
        sa.Column("schema_version", sa.String(16), nullable=True),
        sa.Column("prompt_version", sa.String(64), nullable=True),
        sa.Column("llm_ledger", JSONType, nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("result", JSONType, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_documents_sha256"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_documents_status", "documents", ["status"])
    op.create_index("ix_documents_department", "documents", ["department"])


def _records() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey("documents.id", name="fk_records_document", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("form_type", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("project_name", sa.Text(), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("implementing_unit", sa.Text(), nullable=True),
        sa.Column("grade", sa.String(16), nullable=True),
        sa.Column("total_score", sa.String(64), nullable=True),
        sa.Column("n_errors", sa.Integer(), nullable=False),
        sa.Column("n_warnings", sa.Integer(), nullable=False),
        sa.Column("finding_codes", JSONType, nullable=False),
        sa.Column("review_status", sa.String(16), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("document_id", "ordinal", name="uq_records_document_ordinal"),
        sqlite_autoincrement=True,
    )
    for col in ("document_id", "form_type", "year", "department", "grade", "review_status"):
        op.create_index(f"ix_records_{col}", "records", [col])


def _jobs() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch", sa.String(512), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey("documents.id", name="fk_jobs_document", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("batch", "source", name="uq_jobs_batch_source"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_jobs_batch_state", "jobs", ["batch", "state"])
    op.create_index("ix_jobs_sha256", "jobs", ["sha256"])
    op.create_index("ix_jobs_document_id", "jobs", ["document_id"])


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("records")
    op.drop_table("documents")
