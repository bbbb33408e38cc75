"""Documents and records: the idempotent write of a result, and the read functions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jixiao.output import golden_document
from jixiao.store.engine import StoreError
from jixiao.store.models import Document, Job, RecordRow, ReviewStatus, utcnow
from schemas.results import DocumentResult


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
        return result.model_dump(mode="json", exclude_computed_fields=True)
    except TypeError:  # pydantic < 2.12
        return result.model_dump(mode="json")


def _document_fields(
    result: DocumentResult, path: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    first = records[0] if records else {}
    return {
        "path": path,
        "status": result.status.value,
        "page_count": result.page_count,
        "errors": list(result.errors),
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
        from extractor.ingest.pdf import file_sha256

        return file_sha256(p)
    raise StoreError(f"{result.path}: no sha256 to store the result under (pass sha256=)")


def _previous_records(doc: Document) -> list[dict[str, Any]]:
    """The golden-shape records of the extraction stored before (not the reviewed data)."""
    try:
        prev = DocumentResult.model_validate(doc.result)
    except Exception:
        return []
    return [_normal(r) for r in golden_document(prev)["records"]]


def save_result(
    session: Session,
    result: DocumentResult,
    *,
    sha256: str | None = None,
    path: str | None = None,
) -> int:
    """Write one document's result and return its ``documents.id``. Idempotent: the
    ``documents`` row is found by sha256 (created if new) and its record set is replaced, so
    a document has exactly one record set however often it is written.

    A record whose extraction did not change since the stored one (same golden-shape data
    at the same ordinal) keeps its row untouched: id, review status, reviewer edits,
    version. A record whose extraction changed is replaced by a new row (new id, review
    status ``needs_review`` when it has an error or warning finding, else ``new``); rows
    beyond the new count are deleted. Runs inside the caller's transaction (flushes, does
    not commit)."""
    digest = _sha_of(result, sha256)
    new_records = [_normal(r) for r in golden_document(result)["records"]]
    fields = _document_fields(result, path or result.path, new_records)
    doc = session.scalars(select(Document).where(Document.sha256 == digest)).one_or_none()
    old_records: list[dict[str, Any]] = []
    if doc is None:
        try:
            with session.begin_nested():
                doc = Document(sha256=digest, **fields)
                session.add(doc)
        except IntegrityError:  # another writer inserted the same sha256 meanwhile
            doc = session.scalars(select(Document).where(Document.sha256 == digest)).one()
            old_records = _previous_records(doc)
    else:
        old_records = _previous_records(doc)
    for key, value in fields.items():
        if getattr(doc, key) != value:
            setattr(doc, key, value)
    doc.updated_at = utcnow()

    existing = {r.ordinal: r for r in doc.records}
    for ordinal in sorted(existing):
        same = (
            ordinal < len(new_records)
            and ordinal < len(old_records)
            and old_records[ordinal] == new_records[ordinal]
        )
        if not same:
            doc.records.remove(existing.pop(ordinal))
    session.flush()  # deletes before inserts: (document_id, ordinal) is unique
    for ordinal, data in enumerate(new_records):
        if ordinal in existing:
            continue
        cols = record_columns(data)
        doc.records.append(
            RecordRow(ordinal=ordinal, data=data, review_status=initial_review_status(cols), **cols)
        )
    session.flush()
    return doc.id


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


def _filtered(
    q: Select[Any],
    *,
    document_id: int | None = None,
    department: str | None = None,
    form_type: str | None = None,
    year: int | None = None,
    grade: str | None = None,
    review_status: str | Sequence[str] | None = None,
    finding_code: str | None = None,
    with_findings: bool | None = None,
    search: str | None = None,
    batch: str | None = None,
) -> Select[Any]:
    if document_id is not None:
        q = q.where(RecordRow.document_id == document_id)
    if department:
        q = q.where(RecordRow.department == department)
    if form_type:
        q = q.where(RecordRow.form_type == form_type)
    if year is not None:
        q = q.where(RecordRow.year == year)
    if grade:
        q = q.where(RecordRow.grade == grade)
    if review_status:
        states = [review_status] if isinstance(review_status, str) else list(review_status)
        q = q.where(RecordRow.review_status.in_(states))
    if finding_code:
        # JSON list of codes serialised as text: ["R1", "R9"] on SQLite and PostgreSQL.
        q = q.where(cast(RecordRow.finding_codes, String).like(f'%"{finding_code}"%'))
    if with_findings is True:
        q = q.where((RecordRow.n_errors + RecordRow.n_warnings) > 0)
    elif with_findings is False:
        q = q.where((RecordRow.n_errors + RecordRow.n_warnings) == 0)
    if search:
        like = f"%{search}%"
        q = q.where(
            or_(
                RecordRow.project_name.like(like),
                RecordRow.department.like(like),
                RecordRow.implementing_unit.like(like),
            )
        )
    if batch:
        q = q.where(RecordRow.document_id.in_(_batch_documents(batch)))
    return q


def list_records(
    session: Session,
    *,
    document_id: int | None = None,
    department: str | None = None,
    form_type: str | None = None,
    year: int | None = None,
    grade: str | None = None,
    review_status: str | Sequence[str] | None = None,
    finding_code: str | None = None,
    with_findings: bool | None = None,
    search: str | None = None,
    batch: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RecordRow]:
    """Records matching every filter given, in (document, ordinal) order.

    ``finding_code``: records with a finding of that code; ``with_findings``: records with
    (True) or without (False) an error or warning finding; ``search``: substring of the
    project name, department or implementing unit; ``batch``: records of the documents
    that batch's jobs point at (duplicates included)."""
    q = _filtered(
        select(RecordRow),
        document_id=document_id,
        department=department,
        form_type=form_type,
        year=year,
        grade=grade,
        review_status=review_status,
        finding_code=finding_code,
        with_findings=with_findings,
        search=search,
        batch=batch,
    )
    q = q.order_by(RecordRow.document_id, RecordRow.ordinal).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def count_records(
    session: Session,
    *,
    document_id: int | None = None,
    department: str | None = None,
    form_type: str | None = None,
    year: int | None = None,
    grade: str | None = None,
    review_status: str | Sequence[str] | None = None,
    finding_code: str | None = None,
    with_findings: bool | None = None,
    search: str | None = None,
    batch: str | None = None,
) -> int:
    q = _filtered(
        select(func.count(RecordRow.id)),
        document_id=document_id,
        department=department,
        form_type=form_type,
        year=year,
        grade=grade,
        review_status=review_status,
        finding_code=finding_code,
        with_findings=with_findings,
        search=search,
        batch=batch,
    )
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
