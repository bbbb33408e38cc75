"""Documents and records: the idempotent write of a result, and the read functions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

from sqlalchemy import (
    Select,
    String,
    Table,
    cast,
    column,
    func,
    or_,
    select,
    table,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extractor.ingest.hashing import file_sha256
from jixiao.output import golden_document
from jixiao.store.engine import StoreError
from jixiao.store.models import Document, Job, RecordRow, ReviewStatus, utcnow
from schemas.results import DocumentResult
from schemas.sanitise import safe_text


def _normal(obj: Any) -> Any:
    """The value as it comes back from a JSON column (tuples → lists, keys → str)."""
    return json.loads(json.dumps(obj, ensure_ascii=False))


def _year(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def record_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The filter columns of a ``records`` row, from its golden-shape ``data``."""
    findings = data.get("findings") or []
    codes: list[str] = []
    for f in findings:
        if f.get("code") and f["code"] not in codes:
            codes.append(f["code"])
    return {
        "form_type": data.get("form_type") or "unknown",
        "year": _year(data.get("year")),
        "project_name": data.get("project_name"),
        "department": data.get("department"),
        "implementing_unit": data.get("implementing_unit"),
        "grade": data.get("grade"),
        "total_score": data.get("total_score"),
        "n_errors": sum(1 for f in findings if f.get("severity") == "error"),
        "n_warnings": sum(1 for f in findings if f.get("severity") == "warning"),
        "finding_codes": codes,
    }


def initial_review_status(columns: dict[str, Any]) -> str:
    """A new record with an error or warning finding starts as needs_review."""
    if columns["n_errors"] or columns["n_warnings"]:
        return ReviewStatus.NEEDS_REVIEW.value
    return ReviewStatus.NEW.value


def _result_json(result: DocumentResult) -> dict[str, Any]:
    """The full result as JSON, without the ``parsed`` quantities (computed again from the
    printed text when the result is loaded): a third smaller, three times faster."""
    try:
        data = result.model_dump(mode="json", exclude_computed_fields=True)
    except TypeError:  # pydantic < 2.12
        data = result.model_dump(mode="json")
    # The text read from the PDF is valid at ingest; paths and messages may not be (a file
    # name that is not UTF-8): lone surrogates and NUL are refused by UTF-8 and PostgreSQL.
    data["path"] = safe_text(str(data.get("path", "")))
    data["errors"] = [e.safe().model_dump(mode="json") for e in result.errors]
    return data


def _document_fields(
    result: DocumentResult, path: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    first = records[0] if records else {}
    return {
        "path": safe_text(path),
        "status": result.status.value,
        "page_count": result.page_count,
        "errors": [e.safe().model_dump(mode="json") for e in result.errors],
        "mode": result.mode,
        "rule_set": result.rule_set,
        "extractor_version": result.extractor_version,
        "schema_version": result.schema_version,
        "prompt_version": result.llm.prompt_version if result.llm else None,
        "llm_ledger": result.llm.model_dump(mode="json") if result.llm else None,
        "seconds": result.seconds,
        "department": first.get("department"),
        "result": _result_json(result),
    }


def _sha_of(result: DocumentResult, sha256: str | None) -> str:
    if sha256:
        return sha256
    if result.sha256:
        return result.sha256
    p = Path(result.path)
    if p.is_file():
        return file_sha256(p)
    raise StoreError(f"{result.path}: no sha256 to store the result under (pass sha256=)")


def _previous_records(doc: Document) -> list[dict[str, Any]] | None:
    """The golden-shape records of the extraction stored before (not the reviewed data);
    None when the stored result cannot be read."""
    try:
        prev = DocumentResult.model_validate(doc.result)
    except Exception:
        return None
    return [_normal(r) for r in golden_document(prev)["records"]]


# The review tables (migration 0002_review), named here without importing their models:
# ``jixiao.store.review`` imports this module.
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
    digest = _sha_of(result, sha256)
    new_records = [_normal(r) for r in golden_document(result)["records"]]
    fields = _document_fields(result, path or result.path, new_records)
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
            old_records = _previous_records(doc)
    else:
        old_records = _previous_records(doc)
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
    report = SaveReport(document_id=0, created=created)

    def at(records: list[dict[str, Any]] | None, ordinal: int) -> dict[str, Any] | None:
        return records[ordinal] if records is not None and ordinal < len(records) else None

    existing = {r.ordinal: r for r in doc.records}
    # Unchanged: the stored and the new extraction have the same record at this ordinal.
    changed = [
        o
        for o in sorted(existing)
        if at(new_records, o) is None or at(old_records, o) != at(new_records, o)
    ]
    reviewed = reviewed_record_ids(session, [existing[o].id for o in changed])
    flags: dict[int, dict[str, Any] | None] = {}  # reviewed row id → newer record
    agree: list[int] = []  # flagged reviewed rows the new extraction agrees with again
    for ordinal in changed:
        row = existing[ordinal]
        newer = at(new_records, ordinal)
        if row.id not in reviewed:
            doc.records.remove(existing.pop(ordinal))
            if newer is None:
                report.deleted.append(ordinal)
        elif newer is not None and newer == row.data:
            if row.reextracted_differs:
                agree.append(row.id)
        elif old_records is None or at(old_records, ordinal) != newer:
            flags[row.id] = newer
            report.reviewed_kept.append(ordinal)
        # else: neither the stored nor the new extraction has a record here (a reviewed row
        # kept by an earlier write, flagged then): nothing new to tell the clerk.
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


def get_document(session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


def find_document(session: Session, sha256: str) -> Document | None:
    return session.scalars(select(Document).where(Document.sha256 == sha256)).one_or_none()


def document_result(doc: Document) -> DocumentResult:
    """The full ``DocumentResult`` stored with a document (values with provenance)."""
    return DocumentResult.model_validate(doc.result)


def list_documents(
    session: Session,
    *,
    status: str | None = None,
    department: str | None = None,
    batch: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Document]:
    q = select(Document)
    if status:
        q = q.where(Document.status == status)
    if department:
        q = q.where(Document.department == department)
    if batch:
        q = q.where(Document.id.in_(_batch_documents(batch)))
    q = q.order_by(Document.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def get_record(session: Session, record_id: int) -> RecordRow | None:
    return session.get(RecordRow, record_id)


def _batch_documents(batch: str) -> Select[Any]:
    return select(Job.document_id).where(Job.batch == batch, Job.document_id.is_not(None))


class RecordFilters(TypedDict, total=False):
    """The filters of ``list_records`` and ``count_records`` (each optional; a blank one
    filters nothing)."""

    document_id: int | None
    department: str | None
    form_type: str | None
    year: int | None
    grade: str | None
    review_status: str | Sequence[str] | None
    finding_code: str | None
    with_findings: bool | None
    search: str | None
    batch: str | None
    reextracted_differs: bool | None


def _filtered(q: Select[Any], f: RecordFilters) -> Select[Any]:
    unknown = f.keys() - RecordFilters.__annotations__.keys()
    if unknown:
        raise TypeError(f"unknown record filter(s): {', '.join(sorted(unknown))}")
    if (document_id := f.get("document_id")) is not None:
        q = q.where(RecordRow.document_id == document_id)
    if department := f.get("department"):
        q = q.where(RecordRow.department == department)
    if form_type := f.get("form_type"):
        q = q.where(RecordRow.form_type == form_type)
    if (year := f.get("year")) is not None:
        q = q.where(RecordRow.year == year)
    if grade := f.get("grade"):
        q = q.where(RecordRow.grade == grade)
    if review_status := f.get("review_status"):
        states = [review_status] if isinstance(review_status, str) else list(review_status)
        q = q.where(RecordRow.review_status.in_(states))
    if finding_code := f.get("finding_code"):
        # JSON list of codes serialised as text: ["R1", "R9"] on SQLite and PostgreSQL.
        q = q.where(cast(RecordRow.finding_codes, String).like(f'%"{finding_code}"%'))
    with_findings = f.get("with_findings")
    if with_findings is True:
        q = q.where((RecordRow.n_errors + RecordRow.n_warnings) > 0)
    elif with_findings is False:
        q = q.where((RecordRow.n_errors + RecordRow.n_warnings) == 0)
    if search := f.get("search"):
        like = f"%{search}%"
        q = q.where(
            or_(
                RecordRow.project_name.like(like),
                RecordRow.department.like(like),
                RecordRow.implementing_unit.like(like),
            )
        )
    if batch := f.get("batch"):
        q = q.where(RecordRow.document_id.in_(_batch_documents(batch)))
    if (reextracted_differs := f.get("reextracted_differs")) is not None:
        q = q.where(RecordRow.reextracted_differs == reextracted_differs)
    return q


def list_records(
    session: Session,
    *,
    limit: int | None = None,
    offset: int = 0,
    **filters: Unpack[RecordFilters],
) -> list[RecordRow]:
    """Records matching every filter given, in (document, ordinal) order.

    ``finding_code``: records with a finding of that code; ``with_findings``: records with
    (True) or without (False) an error or warning finding; ``search``: substring of the
    project name, department or implementing unit; ``batch``: records of the documents
    that batch's jobs point at (duplicates included); ``reextracted_differs``: reviewed
    records a newer extraction differs from (True) or not (False)."""
    q = _filtered(select(RecordRow), filters)
    q = q.order_by(RecordRow.document_id, RecordRow.ordinal).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def count_records(session: Session, **filters: Unpack[RecordFilters]) -> int:
    """How many records ``list_records`` would return for the same filters."""
    q = _filtered(select(func.count(RecordRow.id)), filters)
    return int(session.scalar(q) or 0)


def departments(session: Session) -> list[str]:
    """Every department named by a record, sorted (for filters)."""
    q = select(RecordRow.department).where(RecordRow.department.is_not(None)).distinct()
    return sorted(d for d in session.scalars(q) if d)


def delete_document(session: Session, document_id: int) -> bool:
    doc = session.get(Document, document_id)
    if doc is None:
        return False
    session.delete(doc)
    session.flush()
    return True
