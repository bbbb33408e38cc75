"""The idempotent write of a document's result (``save_result_report``): the documents
row upserted by sha256, its record set replaced, reviewed records kept and flagged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, column, select, table, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jixiao.output import golden_document
from jixiao.store.repo import (
    document_fields,
    initial_review_status,
    normal_json,
    previous_records,
    record_columns,
    sha_of,
)
from jixiao.store.tables import Document, RecordRow, ReviewStatus, utcnow
from schemas.results import DocumentResult

# The review tables (migration 0002_review), named here without importing their models:
# ``jixiao.store.review`` imports ``jixiao.store.repo``, which this module imports.
_CORRECTIONS = table("corrections", column("record_id"))
_REVIEW_EVENTS = table("review_events", column("record_id"))
_DECIDED = (ReviewStatus.APPROVED.value, ReviewStatus.REJECTED.value)


def reviewed_record_ids(session: Session, record_ids: Sequence[int]) -> set[int]:
    """The records among ``record_ids`` a clerk has worked on: approved or rejected, or with
    any correction or review event. A re-extraction never replaces them."""
    ids = list(record_ids)
    if not ids:
        return set()
    out: set[int] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        q = union(
            select(RecordRow.id).where(
                RecordRow.id.in_(chunk), RecordRow.review_status.in_(_DECIDED)
            ),
            select(_CORRECTIONS.c.record_id).where(_CORRECTIONS.c.record_id.in_(chunk)),
            select(_REVIEW_EVENTS.c.record_id).where(_REVIEW_EVENTS.c.record_id.in_(chunk)),
        )
        out.update(int(r) for r in session.scalars(q) if r is not None)
    return out


@dataclass
class SaveReport:
    """What ``save_result_report`` did to a document's records (lists of ordinals)."""

    document_id: int
    created: bool = False  # the documents row is new
    unchanged: list[int] = field(default_factory=list)  # extraction unchanged: row untouched
    written: list[int] = field(default_factory=list)  # new rows (new, or replacing old ones)
    deleted: list[int] = field(default_factory=list)  # unreviewed rows beyond the new count
    # Reviewed rows kept as the clerk left them although the new extraction differs there
    # (or has no record there): flagged ``reextracted_differs`` for the clerk.
    reviewed_kept: list[int] = field(default_factory=list)

    @property
    def n_reviewed_kept(self) -> int:
        return len(self.reviewed_kept)

    def describe(self) -> str | None:
        """One line for a log when reviewed records were kept; None when none were."""
        if not self.reviewed_kept:
            return None
        tables = ", ".join(str(o + 1) for o in self.reviewed_kept)
        n = len(self.reviewed_kept)
        return (
            f"kept {n} reviewed record{'s' if n > 1 else ''} (table {tables}) although the "
            "new extraction differs: flagged for the clerk, corrections and decisions kept"
        )


def save_result(
    session: Session,
    result: DocumentResult,
    *,
    sha256: str | None = None,
    path: str | None = None,
) -> int:
    """Write one document's result and return its ``documents.id``; see
    ``save_result_report`` (which also says what happened to each record)."""
    return save_result_report(session, result, sha256=sha256, path=path).document_id


def save_result_report(
    session: Session,
    result: DocumentResult,
    *,
    sha256: str | None = None,
    path: str | None = None,
) -> SaveReport:
    """Write one document's result. Idempotent: the ``documents`` row is found by sha256
    (created if new) and its record set is replaced, so a document has exactly one record
    set however often it is written. ``documents.result`` always holds the new extraction.

    A record whose extraction did not change since the stored one (same golden-shape data
    at the same ordinal) keeps its row untouched: id, review status, reviewer edits,
    version. A record whose extraction changed is replaced by a new row (new id, review
    status ``needs_review`` when it has an error or warning finding, else ``new``); rows
    beyond the new count are deleted.

    Except a reviewed record (approved or rejected, or with any correction or review event):
    it is never deleted or replaced. Its row, data, status and version stay; when the new
    extraction differs at its ordinal (or has no record there) the row is flagged
    ``reextracted_differs`` with the new extraction's record in ``reextracted_data`` (null
    when there is none), and its ordinal is listed in ``SaveReport.reviewed_kept``. A flag
    is cleared when a later extraction gives exactly the record's data again (or by the
    clerk's next approve or reject).

    Runs inside the caller's transaction (flushes, does not commit). On PostgreSQL the
    document's record rows are locked first, so a clerk's concurrent edit waits for it."""
    digest = sha_of(result, sha256)
    new_records = [normal_json(r) for r in golden_document(result)["records"]]
    fields = document_fields(result, path or result.path, new_records)
    doc, created, old_records = _upsert_document(session, digest, fields)
    report = SaveReport(document_id=0, created=created)
    existing = {r.ordinal: r for r in doc.records}
    # Unchanged: the stored and the new extraction have the same record at this ordinal.
    changed = [
        o
        for o in sorted(existing)
        if _at(new_records, o) is None or _at(old_records, o) != _at(new_records, o)
    ]
    flags, agree = _replace_changed(
        session, doc, existing, changed, old_records, new_records, report
    )
    report.unchanged = [o for o in sorted(existing) if o not in report.reviewed_kept]
    session.flush()  # deletes before inserts: (document_id, ordinal) is unique
    for ordinal, data in enumerate(new_records):
        if ordinal in existing:
            continue
        cols = record_columns(data)
        doc.records.append(
            RecordRow(ordinal=ordinal, data=data, review_status=initial_review_status(cols), **cols)
        )
        report.written.append(ordinal)
    session.flush()
    now = utcnow()
    for rid, data in flags.items():
        _set_reextracted(session, rid, differs=True, data=data, at=now)
    for rid in agree:
        _set_reextracted(session, rid, differs=False, data=None, at=None)
    report.document_id = doc.id
    return report


def _at(records: list[dict[str, Any]] | None, ordinal: int) -> dict[str, Any] | None:
    return records[ordinal] if records is not None and ordinal < len(records) else None


def _upsert_document(
    session: Session, digest: str, fields: dict[str, Any]
) -> tuple[Document, bool, list[dict[str, Any]] | None]:
    """The ``documents`` row of ``digest`` with ``fields`` set (created if new), whether it
    was created, and the records of its stored extraction (``_previous_records``). An
    existing document's record rows are locked and refreshed first."""
    doc = session.scalars(select(Document).where(Document.sha256 == digest)).one_or_none()
    created = False
    old_records: list[dict[str, Any]] | None = []
    if doc is None:
        try:
            with session.begin_nested():
                doc = Document(sha256=digest, **fields)
                session.add(doc)
            created = True
        except IntegrityError:  # another writer inserted the same sha256 meanwhile
            doc = session.scalars(select(Document).where(Document.sha256 == digest)).one()
            old_records = previous_records(doc)
    else:
        old_records = previous_records(doc)
    if not created:
        # Lock (PostgreSQL; SQLite's writer already holds the database) and refresh the rows.
        session.execute(
            select(RecordRow)
            .where(RecordRow.document_id == doc.id)
            .order_by(RecordRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    for key, value in fields.items():
        if getattr(doc, key) != value:
            setattr(doc, key, value)
    doc.updated_at = utcnow()
    return doc, created, old_records


def _replace_changed(
    session: Session,
    doc: Document,
    existing: dict[int, RecordRow],
    changed: list[int],
    old_records: list[dict[str, Any]] | None,
    new_records: list[dict[str, Any]],
    report: SaveReport,
) -> tuple[dict[int, dict[str, Any] | None], list[int]]:
    """Remove the rows of ``changed`` ordinals from ``doc`` and ``existing``, except the
    reviewed ones. Returns the reviewed rows to flag (row id → newer record) and the
    flagged reviewed rows the new extraction agrees with again."""
    reviewed = reviewed_record_ids(session, [existing[o].id for o in changed])
    flags: dict[int, dict[str, Any] | None] = {}  # reviewed row id → newer record
    agree: list[int] = []  # flagged reviewed rows the new extraction agrees with again
    for ordinal in changed:
        row = existing[ordinal]
        newer = _at(new_records, ordinal)
        if row.id not in reviewed:
            doc.records.remove(existing.pop(ordinal))
            if newer is None:
                report.deleted.append(ordinal)
        elif newer is not None and newer == row.data:
            if row.reextracted_differs:
                agree.append(row.id)
        elif old_records is None or _at(old_records, ordinal) != newer:
            flags[row.id] = newer
            report.reviewed_kept.append(ordinal)
        # else: neither the stored nor the new extraction has a record here (a reviewed row
        # kept by an earlier write, flagged then): nothing new to tell the clerk.
    return flags, agree


_REEXTRACTED = ("reextracted_differs", "reextracted_data", "reextracted_at")


def _set_reextracted(
    session: Session,
    record_id: int,
    *,
    differs: bool,
    data: dict[str, Any] | None,
    at: datetime | None,
) -> None:
    """Set or clear a reviewed row's newer-extraction flag without touching its data,
    status or version (a Core UPDATE: the ORM would count it as a new version, and a clerk
    who has the record open would have their next save refused for nothing of theirs)."""
    rows = RecordRow.__table__
    assert isinstance(rows, Table)
    session.execute(
        update(rows)
        .where(rows.c.id == record_id)
        .values(reextracted_differs=differs, reextracted_data=data, reextracted_at=at)
    )
    row = session.get(RecordRow, record_id)
    if row is not None:
        session.expire(row, list(_REEXTRACTED))
