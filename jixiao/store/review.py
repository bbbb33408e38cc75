"""Review of stored records: corrections, approvals, rejections, full history per record.

Tables (migration ``0002_review``):

- ``corrections``: one row per changed field: record, field path, old value, new value,
  reason code (``extraction_error``, ``form_error``, ``ocr_error``, ``other``), reviewer,
  time, and the record version the reviewer was looking at;
- ``review_events``: one row per action (``edit``, ``approve``, ``reject``) with its note.

Both also keep the document id and the record's ordinal. A re-extraction of the document
never replaces a record with any correction or event, nor an approved or rejected one
(``jixiao.store.repo.save_result``): the row, its data, status and version stay, and when
the newer extraction differs there the row is flagged ``reextracted_differs`` with the
newer record in ``reextracted_data``. The clerk's next approve or reject clears the flag.
(Rows of a store written before that rule may have been replaced: their history has
``record_id`` NULL and stays findable by document and ordinal.)

Editing changes ``records.data`` (the original extraction stays in ``documents.result`` and
every old value in ``corrections``), marks the field's provenance ``source: reviewer``, and
re-runs the validators on the corrected record.

Two reviewers on one record: every write names the version the reviewer saw
(``expected_version``). If the record changed since, ``ConflictError`` says who changed what;
nothing is written. ``records.version`` is SQLAlchemy's ``version_id_col``, so a write that
races past that check still fails at flush (``UPDATE … WHERE version = ?``) and is reported
the same way. No edit is lost silently.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from jixiao.store.repo import record_columns
from jixiao.store.review_codes import ConflictError, ReasonCode, ReviewAction, ReviewError
from jixiao.store.tables import Base, Document, RecordRow, ReviewStatus, utcnow
from schemas.findings import FindingCode
from schemas.golden import record_from_data
from schemas.paths import get_value, set_value, value_paths
from schemas.values import ValueSource


class _ReviewRow:
    """The columns both review tables share: the record (and its document and ordinal,
    which stay when the record row is gone), the note, who and when."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("records.id", ondelete="SET NULL"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    ordinal: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _about(row: RecordRow) -> dict[str, Any]:
    """The ``_ReviewRow`` columns that say which record a new review row is about."""
    return {"record_id": row.id, "document_id": row.document_id, "ordinal": row.ordinal}


class Correction(_ReviewRow, Base):
    __tablename__ = "corrections"

    field: Mapped[str] = mapped_column(String(200))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str] = mapped_column(String(32))
    record_version_before: Mapped[int] = mapped_column(Integer)


class ReviewEvent(_ReviewRow, Base):
    __tablename__ = "review_events"

    action: Mapped[str] = mapped_column(String(16))
    record_version_before: Mapped[int | None] = mapped_column(Integer)


# ---------------------------------------------------------------- golden-shape data


def revalidate(
    data: dict[str, Any], rule_set: str | None, corrected: set[str] | None = None
) -> list[dict[str, Any]]:
    """Findings of the record in ``data`` after the validators are re-run.

    Validator findings are recomputed. Findings the validators do not make (grounding,
    mapping) are kept, except an ``UNGROUNDED`` on a field the reviewer has now corrected.
    """
    from extractor.checks.rules import DEFAULT_RULE_SET, UnknownRuleSetError, get_rule_set
    from extractor.checks.validators import validate_record

    try:
        rules = get_rule_set(rule_set) if rule_set else DEFAULT_RULE_SET
    except UnknownRuleSetError:
        rules = DEFAULT_RULE_SET
    corrected = corrected or set()
    kept = [
        f
        for f in data.get("findings") or []
        if f.get("rule_set") is None
        and not (f.get("code") == FindingCode.UNGROUNDED and f.get("field") in corrected)
    ]
    fresh = validate_record(record_from_data(data), rules)
    return kept + [f.model_dump(mode="json", exclude_none=True) for f in fresh]


def _sync_columns(row: RecordRow, data: dict[str, Any]) -> None:
    """Copy the filterable fields of ``data`` into the record's columns (as save_result does)."""
    for key, value in record_columns(data).items():
        if getattr(row, key) != value:
            setattr(row, key, value)


# ---------------------------------------------------------------- writes


def _normalise(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _load(session: Session, record_id: int, expected_version: int) -> RecordRow:
    row = session.execute(
        select(RecordRow).where(RecordRow.id == record_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise ReviewError(f"record {record_id} does not exist (it may have been re-extracted)")
    if row.version != expected_version:
        raise ConflictError(
            record_id,
            expected_version,
            row.version,
            changes_since(session, record_id, expected_version),
        )
    return row


def _flush(session: Session, row: RecordRow, seen: int) -> None:
    """Flush; a lost race on ``records.version`` becomes a ``ConflictError``. The session's
    transaction is then unusable (the caller's ``with store.session()`` rolls it back);
    ``explain`` names the changes in a new one."""
    rid = row.id
    try:
        session.flush()
    except StaleDataError as e:
        raise ConflictError(rid, seen, None, []) from e


def explain(session: Session, err: ConflictError) -> ConflictError:
    """The same conflict with who changed what since the version the reviewer saw."""
    if err.changes:
        return err
    current = session.execute(
        select(RecordRow.version).where(RecordRow.id == err.record_id)
    ).scalar_one_or_none()
    return ConflictError(
        err.record_id, err.seen, current, changes_since(session, err.record_id, err.seen)
    )


def _reviewer(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ReviewError("every change needs the reviewer's name: log in first")
    return name


def _reason(reason: ReasonCode | str) -> ReasonCode:
    try:
        return ReasonCode(reason)
    except ValueError as e:
        codes = ", ".join(c.value for c in ReasonCode)
        raise ReviewError(f"unknown reason code {reason!r}: use one of {codes}") from e


def _check_paths(record_id: int, data: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    known = set(value_paths(data))
    unknown = [p for p in changes if p not in known]
    if unknown:
        raise ReviewError(f"record {record_id} has no field {', '.join(sorted(unknown))}")


@dataclass
class _Edit:
    """What one edit writes: who, why, when, on which version, with which note."""

    row: RecordRow
    reviewer: str
    reason: ReasonCode
    version: int
    note: str | None
    at: datetime


def _apply(data: dict[str, Any], path: str, new_value: Any, edit: _Edit) -> Correction | None:
    """Set one field of ``data`` (its provenance marked ``reviewer``); the correction, or None
    when the value does not really change."""
    old = _normalise(get_value(data, path))
    new = _normalise(new_value)
    if new == old:
        return None
    stored: Any = new
    if path == "year" and new is not None and new.isdigit():
        stored = int(new)
    set_value(data, path, stored)
    prov = data.setdefault("provenance", {})
    p = dict(prov.get(path) or {})
    p.update(
        {
            "source": ValueSource.REVIEWER.value,
            "reviewer": edit.reviewer,
            "corrected_at": edit.at.isoformat(),
        }
    )
    prov[path] = p
    return Correction(
        **_about(edit.row),
        field=path,
        old_value=old,
        new_value=new,
        reason_code=edit.reason.value,
        note=edit.note,
        reviewer=edit.reviewer,
        at=edit.at,
        record_version_before=edit.version,
    )


def _write_edit(
    session: Session, edit: _Edit, data: dict[str, Any], done: list[Correction]
) -> None:
    """Store the edited record (re-validated, back to ``needs_review``), its corrections and
    its ``edit`` event."""
    row = edit.row
    doc = session.get(Document, row.document_id)
    corrected = {c.field for c in done}
    data["findings"] = revalidate(data, doc.rule_set if doc else None, corrected)
    row.data = data
    _sync_columns(row, data)
    row.review_status = ReviewStatus.NEEDS_REVIEW.value
    session.add_all(done)
    fields = ", ".join(sorted(corrected))
    session.add(
        ReviewEvent(
            **_about(row),
            action=ReviewAction.EDIT.value,
            note=edit.note or f"{len(done)} field(s): {fields} ({edit.reason.value})",
            reviewer=edit.reviewer,
            at=edit.at,
            record_version_before=edit.version,
        )
    )
    _flush(session, row, edit.version)


def edit_record(
    session: Session,
    record_id: int,
    changes: Mapping[str, Any],
    *,
    reviewer: str,
    reason: ReasonCode | str,
    expected_version: int,
    note: str | None = None,
) -> list[Correction]:
    """Apply field corrections (path → new printed text; blank → null) to a record.

    Writes one ``Correction`` per field whose value really changes and one ``edit`` event,
    re-runs the validators, and puts the record back to ``needs_review``. Returns the
    corrections (none when nothing changed). Raises ``ConflictError`` when the record is no
    longer at ``expected_version``, ``ReviewError`` for an unknown field or reason.
    """
    reviewer = _reviewer(reviewer)
    code = _reason(reason)
    row = _load(session, record_id, expected_version)
    data = copy.deepcopy(row.data)
    _check_paths(record_id, data, changes)
    edit = _Edit(row, reviewer, code, expected_version, note, utcnow())
    done = [c for path, new in changes.items() if (c := _apply(data, path, new, edit))]
    if done:
        _write_edit(session, edit, data, done)
    return done


def _decide(
    session: Session,
    record_id: int,
    action: ReviewAction,
    status: ReviewStatus,
    *,
    reviewer: str,
    expected_version: int,
    note: str | None,
) -> ReviewEvent:
    reviewer = _reviewer(reviewer)
    row = _load(session, record_id, expected_version)
    row.review_status = status.value
    if row.reextracted_differs:  # decided with the newer extraction shown: seen
        row.reextracted_differs = False
        row.reextracted_data = None
        row.reextracted_at = None
    event = ReviewEvent(
        **_about(row),
        action=action.value,
        note=_normalise(note),
        reviewer=reviewer,
        at=utcnow(),
        record_version_before=expected_version,
    )
    session.add(event)
    _flush(session, row, expected_version)
    return event


def approve(
    session: Session,
    record_id: int,
    *,
    reviewer: str,
    expected_version: int,
    note: str | None = None,
) -> ReviewEvent:
    """Mark the record approved (it then counts for the exports)."""
    return _decide(
        session,
        record_id,
        ReviewAction.APPROVE,
        ReviewStatus.APPROVED,
        reviewer=reviewer,
        expected_version=expected_version,
        note=note,
    )


def reject(
    session: Session,
    record_id: int,
    *,
    reviewer: str,
    expected_version: int,
    note: str,
) -> ReviewEvent:
    """Mark the record rejected; a note saying why is required."""
    if not _normalise(note):
        raise ReviewError("a rejection needs a note saying why")
    return _decide(
        session,
        record_id,
        ReviewAction.REJECT,
        ReviewStatus.REJECTED,
        reviewer=reviewer,
        expected_version=expected_version,
        note=note,
    )


# ---------------------------------------------------------------- reads


@dataclass
class HistoryEntry:
    at: datetime
    reviewer: str
    action: str  # edit / approve / reject / correction
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    reason_code: str | None = None
    note: str | None = None
    version_before: int | None = None

    def describe(self) -> str:
        if self.action == "correction":
            return (
                f"{self.reviewer} changed {self.field} from {self.old_value!r} to "
                f"{self.new_value!r} ({self.reason_code})"
            )
        note = f": {self.note}" if self.note else ""
        return f"{self.reviewer} {self.action}{'d' if self.action.endswith('e') else 'ed'}{note}"


def history(
    session: Session, record_id: int, since_version: int | None = None
) -> list[HistoryEntry]:
    """Every correction and decision on a record, in the order they were made."""
    cq = select(Correction).where(Correction.record_id == record_id)
    eq = select(ReviewEvent).where(
        ReviewEvent.record_id == record_id, ReviewEvent.action != ReviewAction.EDIT.value
    )
    if since_version is not None:
        cq = cq.where(Correction.record_version_before >= since_version)
        eq = eq.where(ReviewEvent.record_version_before >= since_version)
    out: list[tuple[int, datetime, int, HistoryEntry]] = []
    for c in session.execute(cq).scalars():
        entry = HistoryEntry(
            at=c.at,
            reviewer=c.reviewer,
            action="correction",
            field=c.field,
            old_value=c.old_value,
            new_value=c.new_value,
            reason_code=c.reason_code,
            note=c.note,
            version_before=c.record_version_before,
        )
        out.append((c.record_version_before, c.at, c.id, entry))
    for e in session.execute(eq).scalars():
        entry = HistoryEntry(
            at=e.at,
            reviewer=e.reviewer,
            action=e.action,
            note=e.note,
            version_before=e.record_version_before,
        )
        out.append((e.record_version_before or 0, e.at, e.id, entry))
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    return [t[3] for t in out]


def changes_since(session: Session, record_id: int, version: int) -> list[str]:
    """What other reviewers did to a record since it was at ``version`` (for conflicts)."""
    if session.get(RecordRow, record_id) is None:
        return ["the record was removed (its document was re-extracted)"]
    entries = history(session, record_id, since_version=version)
    return [f"{h.describe()} at {h.at:%Y-%m-%d %H:%M:%S}" for h in entries]


def corrections_of(session: Session, record_id: int) -> list[Correction]:
    return list(
        session.execute(
            select(Correction).where(Correction.record_id == record_id).order_by(Correction.id)
        ).scalars()
    )


def has_reviews(session: Session, document_id: int) -> bool:
    """True when any record of the document has a correction or a review event."""
    for model in (Correction, ReviewEvent):
        q = select(model.id).where(model.document_id == document_id).limit(1)
        if session.execute(q).first() is not None:
            return True
    return False


def last_decision(session: Session, record_id: int) -> ReviewEvent | None:
    return session.execute(
        select(ReviewEvent)
        .where(
            ReviewEvent.record_id == record_id,
            ReviewEvent.action != ReviewAction.EDIT.value,
        )
        .order_by(ReviewEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


__all__ = [
    "ConflictError",
    "Correction",
    "HistoryEntry",
    "ReasonCode",
    "ReviewAction",
    "ReviewError",
    "ReviewEvent",
    "approve",
    "changes_since",
    "corrections_of",
    "edit_record",
    "explain",
    "has_reviews",
    "history",
    "last_decision",
    "reject",
    "revalidate",
]
