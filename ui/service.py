"""What the review pages do, as plain functions over the store (no Streamlit here).

Every function takes a ``Store`` (or a session) and returns plain data; the pages only lay
it out. Review actions return an ``Outcome`` whose message is shown as it is: a conflict
says who changed what, and that nothing was saved.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jixiao.errors import JixiaoError
from jixiao.settings import Settings
from jixiao.store import (
    Document,
    RecordRow,
    Store,
    count_records,
    find_document,
    list_records,
    save_result,
)
from jixiao.store import review as rv
from ui.exports import ApprovedRecord
from ui.fields import FieldRow, FindingNote, field_rows, record_findings
from ui.queue import QueueItem, sort_worst_first

Progress = Callable[[float, str], None]


def _item(row: RecordRow, doc: Document) -> QueueItem:
    return QueueItem(
        record_id=row.id,
        document_id=row.document_id,
        pdf=Path(doc.path).name,
        ordinal=row.ordinal,
        form_type=row.form_type,
        project_name=row.project_name,
        department=row.department,
        grade=row.grade,
        total_score=row.total_score,
        n_errors=row.n_errors,
        n_warnings=row.n_warnings,
        review_status=row.review_status,
        version=row.version,
        finding_codes=list(row.finding_codes or []),
        year=row.year,
        reextracted_differs=bool(row.reextracted_differs),
    )


def queue_items(
    session: Session,
    *,
    department: str | None = None,
    grade: str | None = None,
    finding_code: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> list[QueueItem]:
    """Records matching the filters (in SQL), worst first."""
    rows = list_records(
        session,
        department=department or None,
        grade=grade or None,
        finding_code=finding_code or None,
        review_status=status or None,
        search=search or None,
    )
    docs = {
        d.id: d
        for d in session.scalars(
            select(Document).where(Document.id.in_({r.document_id for r in rows}))
        )
    }
    return sort_worst_first(_item(r, docs[r.document_id]) for r in rows)


@dataclass
class FilterOptions:
    departments: list[str]
    grades: list[str]
    finding_codes: list[str]


def filter_options(session: Session) -> FilterOptions:
    deps: set[str] = set()
    grades: set[str] = set()
    codes: set[str] = set()
    for dep, grade, fc in session.execute(
        select(RecordRow.department, RecordRow.grade, RecordRow.finding_codes)
    ):
        if dep:
            deps.add(dep)
        if grade:
            grades.add(grade)
        codes.update(str(c) for c in fc or [])
    return FilterOptions(sorted(deps), sorted(grades), sorted(codes))


@dataclass
class Reextraction:
    """A newer extraction of the document that differs from this reviewed record, which was
    kept as the clerk left it (``records.reextracted_*``)."""

    at: datetime | None
    mode: str | None  # the newer extraction's mode and extractor version (the document's)
    extractor_version: str | None
    gone: bool  # the newer extraction has no record at this position
    differences: list[tuple[str, str | None, str | None]]  # (path, this record, newer)

    def describe(self) -> str:
        how = f"{self.mode or '?'} mode, extractor {self.extractor_version or '?'}"
        when = f" on {self.at:%Y-%m-%d %H:%M}" if self.at else ""
        if self.gone:
            return (
                f"A newer extraction ({how}{when}) found no table at this position. This "
                "reviewed record was kept as it is; approve or reject it again to confirm."
            )
        n = len(self.differences)
        return (
            f"A newer extraction ({how}{when}) differs from this reviewed record in {n} "
            f"field{'s' if n != 1 else ''}. The record was kept as it is (nothing overwritten); "
            "take the newer values by editing, then approve or reject it again to confirm."
        )


def reextraction_of(row: RecordRow, doc: Document) -> Reextraction | None:
    """What a newer extraction says differently about a reviewed record, if it differs."""
    if not row.reextracted_differs:
        return None
    newer = row.reextracted_data
    diffs: list[tuple[str, str | None, str | None]] = []
    if newer is not None:
        paths = rv.value_paths(row.data)
        paths += [p for p in rv.value_paths(newer) if p not in set(paths)]
        for path in paths:
            mine, theirs = rv.get_value(row.data, path), rv.get_value(newer, path)
            a = None if mine is None else str(mine)
            b = None if theirs is None else str(theirs)
            if a != b:
                diffs.append((path, a, b))
    return Reextraction(
        at=row.reextracted_at,
        mode=doc.mode,
        extractor_version=doc.extractor_version,
        gone=newer is None,
        differences=diffs,
    )


@dataclass
class RecordView:
    item: QueueItem
    data: dict[str, Any]
    pdf_path: Path
    rule_set: str | None
    fields: list[FieldRow]
    other_findings: list[FindingNote]
    history: list[rv.HistoryEntry]
    document_errors: list[str] = field(default_factory=list)
    reextraction: Reextraction | None = None

    def field(self, path: str) -> FieldRow | None:
        return next((f for f in self.fields if f.path == path), None)


def load_record(session: Session, record_id: int) -> RecordView | None:
    row = session.get(RecordRow, record_id)
    if row is None:
        return None
    doc = session.get(Document, row.document_id)
    assert doc is not None  # records.document_id is a NOT NULL foreign key
    return RecordView(
        item=_item(row, doc),
        data=row.data,
        pdf_path=Path(doc.path),
        rule_set=doc.rule_set,
        fields=field_rows(row.data),
        other_findings=record_findings(row.data),
        history=rv.history(session, record_id),
        document_errors=list(doc.errors or []),
        reextraction=reextraction_of(row, doc),
    )


def values_of(view: RecordView) -> dict[str, str | None]:
    """path → value of every field of a record view (what a reviewer sees)."""
    return {f.path: f.value for f in view.fields}


def changed_fields(
    inputs: dict[str, str], baseline: dict[str, str | None]
) -> dict[str, str | None]:
    """The inputs a reviewer changed relative to the values they were shown (blank → None)."""
    out: dict[str, str | None] = {}
    for path, text in inputs.items():
        new = text.strip() or None
        if new != ((baseline.get(path) or "").strip() or None):
            out[path] = new
    return out


@dataclass
class Outcome:
    ok: bool
    message: str
    version: int | None = None  # the record's version after the action


def _run(store: Store, record_id: int, action: Callable[[Session], str]) -> Outcome:
    try:
        with store.session() as s:
            message = action(s)
        with store.session() as s:
            version = s.scalar(select(RecordRow.version).where(RecordRow.id == record_id))
        return Outcome(True, message, version)
    except rv.ConflictError as e:
        with store.session() as s:
            return Outcome(False, str(rv.explain(s, e)))
    except JixiaoError as e:
        return Outcome(False, str(e))


def save_edits(
    store: Store,
    record_id: int,
    changes: dict[str, Any],
    *,
    reviewer: str,
    reason: str,
    expected_version: int,
    note: str | None = None,
) -> Outcome:
    def act(s: Session) -> str:
        done = rv.edit_record(
            s,
            record_id,
            changes,
            reviewer=reviewer,
            reason=reason,
            expected_version=expected_version,
            note=note,
        )
        if not done:
            return "nothing changed"
        return (
            "saved: "
            + "; ".join(f"{c.field} {c.old_value!r} → {c.new_value!r}" for c in done)
            + " (validators re-run)"
        )

    return _run(store, record_id, act)


def decide(
    store: Store,
    record_id: int,
    action: str,
    *,
    reviewer: str,
    expected_version: int,
    note: str | None = None,
) -> Outcome:
    """``approve`` or ``reject`` (a rejection needs a note)."""

    def act(s: Session) -> str:
        if action == "approve":
            rv.approve(
                s, record_id, reviewer=reviewer, expected_version=expected_version, note=note
            )
            return f"record {record_id} approved by {reviewer}"
        if action == "reject":
            rv.reject(
                s, record_id, reviewer=reviewer, expected_version=expected_version, note=note or ""
            )
            return f"record {record_id} rejected by {reviewer}"
        raise rv.ReviewError(f"unknown action {action!r}: approve or reject")

    return _run(store, record_id, act)


def approved_records(session: Session) -> tuple[list[ApprovedRecord], dict[str, int]]:
    """Approved records for the exports, and each of their documents' record counts."""
    rows = list_records(session, review_status="approved")
    out: list[ApprovedRecord] = []
    counts: dict[str, int] = {}
    for row in rows:
        doc = session.get(Document, row.document_id)
        assert doc is not None
        if doc.sha256 not in counts:
            counts[doc.sha256] = count_records(session, document_id=doc.id)
        decision = rv.last_decision(session, row.id)
        out.append(
            ApprovedRecord(
                record_id=row.id,
                ordinal=row.ordinal,
                pdf=Path(doc.path).name,
                path=doc.path,
                sha256=doc.sha256,
                data=row.data,
                reviewer=decision.reviewer if decision else None,
                approved_at=decision.at if decision else None,
                note=decision.note if decision else None,
                corrections=[
                    {
                        "field": c.field,
                        "old_value": c.old_value,
                        "new_value": c.new_value,
                        "reason_code": c.reason_code,
                        "reviewer": c.reviewer,
                        "at": c.at,
                    }
                    for c in rv.corrections_of(session, row.id)
                ],
            )
        )
    return out, counts


# ---------------------------------------------------------------- upload


_SAFE = re.compile(r"[^\w.\-]+")


def safe_name(name: str) -> str:
    """A file name safe to write: no folders, no odd characters, ends in .pdf."""
    base = _SAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._") or "upload"
    return base if base.lower().endswith(".pdf") else base + ".pdf"


def save_upload(name: str, data: bytes, upload_dir: Path) -> tuple[Path, str]:
    """Write an uploaded file under ``upload_dir`` as ``<sha256[:12]>-<name>``; (path, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    upload_dir.mkdir(parents=True, exist_ok=True)
    path = upload_dir / f"{digest[:12]}-{safe_name(name)}"
    if not path.exists():
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path, digest


@dataclass
class UploadOutcome:
    name: str
    path: Path
    status: str
    document_id: int | None
    n_records: int
    errors: list[str]
    seconds: float


def extract_upload(
    store: Store,
    name: str,
    data: bytes,
    settings: Settings,
    progress: Progress | None = None,
) -> UploadOutcome:
    """Save an uploaded PDF, extract and check it, store the result (whatever its status).

    ``progress(fraction, step)`` is called as it goes. A bad file gets a stored result with
    status ``failed`` and its error; nothing raises for bad input. A PDF whose content is
    already stored with corrections or decisions is not re-extracted (status
    ``duplicate``): the same extraction again would change nothing (``save_result`` never
    replaces reviewed records anyway).
    """
    from extractor.pipeline import extract_document

    say = progress or (lambda _f, _s: None)
    say(0.05, f"saving {name}")
    path, digest = save_upload(name, data, settings.upload_dir)
    with store.session() as s:
        doc = find_document(s, digest)
        if doc is not None and rv.has_reviews(s, doc.id):
            # Reviewed already: nothing to gain from extracting it again.
            say(1.0, f"{name}: already reviewed")
            return UploadOutcome(
                name=name,
                path=path,
                status="duplicate",
                document_id=doc.id,
                n_records=count_records(s, document_id=doc.id),
                errors=[
                    f"same content as document {doc.id} ({Path(doc.path).name}), which has "
                    "reviews: not re-extracted, so no correction is lost"
                ],
                seconds=0.0,
            )
    say(0.15, f"extracting {name}")
    result = extract_document(path, settings)
    say(0.85, f"storing {len(result.records)} records")
    with store.session() as s:
        doc_id = save_result(s, result, sha256=result.sha256 or digest, path=str(path))
    say(1.0, f"{name}: {result.status.value}")
    return UploadOutcome(
        name=name,
        path=path,
        status=result.status.value,
        document_id=doc_id,
        n_records=len(result.records),
        errors=list(result.errors),
        seconds=result.seconds,
    )
