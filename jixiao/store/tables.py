"""The tables of the store as SQLAlchemy 2.x ORM classes. The schema itself is created by the Alembic
migrations in ``jixiao/store/migrations`` (revisions ``0001_core``, ``0002_review``,
``0003_reextract``, ``0004_lease``), never by ``create_all``.

Tables: ``documents`` (one row per PDF content, unique by sha256), ``records`` (one row per
project table of a document, unique by (document_id, ordinal), optimistic locking through
``version``), ``jobs`` (the batch ledger, unique by (batch, source)).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# JSON on every backend, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")
# The same, where Python None is SQL NULL (not the JSON value null).
JSONOrNull = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ReviewStatus(StrEnum):
    NEW = "new"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"


FINISHED_STATES = (JobState.DONE, JobState.FAILED, JobState.SKIPPED, JobState.DUPLICATE)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("sha256", name="uq_documents_sha256"),
        {"sqlite_autoincrement": True},  # ids are never reused after a delete
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    # {code, page, message} each (plain strings in rows stored before errors had codes)
    errors: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    mode: Mapped[str] = mapped_column(String(16), default="layout")
    rule_set: Mapped[str | None] = mapped_column(String(64))
    extractor_version: Mapped[str | None] = mapped_column(String(32))
    schema_version: Mapped[str | None] = mapped_column(String(16))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    llm_ledger: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    department: Mapped[str | None] = mapped_column(Text, index=True)
    # The full DocumentResult (hundreds of KB): loaded only when accessed (in a session).
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    records: Mapped[list[RecordRow]] = relationship(
        back_populates="document",
        order_by="RecordRow.ordinal",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"Document(id={self.id}, sha256={self.sha256[:12]}…, status={self.status})"


class RecordRow(Base):
    """One project table of a document. ``data`` is the golden-shape record of
    ``jixiao/output.py`` (with findings and provenance); the other columns are copies of
    its fields for filtering."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("document_id", "ordinal", name="uq_records_document_ordinal"),
        {"sqlite_autoincrement": True},  # a replaced record never gets an old record's id
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE", name="fk_records_document"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    form_type: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    project_name: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text, index=True)
    implementing_unit: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[str | None] = mapped_column(String(16), index=True)
    total_score: Mapped[str | None] = mapped_column(String(64))
    n_errors: Mapped[int] = mapped_column(Integer, default=0)
    n_warnings: Mapped[int] = mapped_column(Integer, default=0)
    finding_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    review_status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.NEW, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # A reviewed record is never replaced by a re-extraction (revision 0003_reextract). When
    # a newer extraction differs at this ordinal, the row is kept as the clerk left it and
    # flagged: the newer extraction's golden-shape record (null: it has no record here) waits
    # in ``reextracted_data`` until the clerk decides again (approve/reject clears the flag).
    reextracted_differs: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    reextracted_data: Mapped[dict[str, Any] | None] = mapped_column(JSONOrNull)
    reextracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    document: Mapped[Document] = relationship(back_populates="records")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def __repr__(self) -> str:
        return f"RecordRow(id={self.id}, document_id={self.document_id}, ordinal={self.ordinal})"


class Job(Base):
    """One source (a file, or ``archive.zip!member``) of one batch run over an archive."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("batch", "source", name="uq_jobs_batch_source"),
        Index("ix_jobs_batch_state", "batch", "state"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch: Mapped[str] = mapped_column(String(512))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=JobState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL", name="fk_jobs_document"), index=True
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Job(id={self.id}, source={self.source!r}, state={self.state})"


class BatchLease(Base):
    """Who runs a batch now (revision ``0004_lease``): one row per batch being run.
    ``process`` identifies the process beyond its pid (its start time), so a lease left by
    a killed run on the same host is recognised as dead and taken over."""

    __tablename__ = "batch_leases"

    batch: Mapped[str] = mapped_column(String(512), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    process: Mapped[str] = mapped_column(String(64))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"BatchLease(batch={self.batch!r}, host={self.host!r}, pid={self.pid})"
