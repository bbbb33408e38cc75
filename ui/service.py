"""What the review pages do, as plain functions over the store (no Streamlit here).

Every function takes a ``Store`` (or a session) and returns plain data; the pages only lay
it out. Review actions return an ``Outcome`` whose message is shown as it is: a conflict
says who changed what, and that nothing was saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jixiao.golden_export import ApprovedRecord, approved_records
from jixiao.store import (
    Document,
    RecordRow,
    Store,
    list_records,
)
from jixiao.store import review as rv
from schemas.document_errors import error_lines
from schemas.errors import JixiaoError
from schemas.paths import get_value, value_paths
from ui.fields import FieldRow, FindingNote, field_rows, label_of, record_findings
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
        how = f"{self.mode or '?'} 模式，提取器 {self.extractor_version or '?'}"
        when = f"，{self.at:%Y-%m-%d %H:%M}" if self.at else ""
        if self.gone:
            return (
                f"新提取结果（{how}{when}）在此位置没有表格。已审核的本记录保持原样；"
                "请再次通过或退回以确认。"
            )
        n = len(self.differences)
        return (
            f"新提取结果（{how}{when}）与已审核的本记录有 {n} 个字段不同。本记录保持原样"
            "（未被覆盖）；如需采用新值请编辑，然后再次通过或退回以确认。"
        )


def reextraction_of(row: RecordRow, doc: Document) -> Reextraction | None:
    """What a newer extraction says differently about a reviewed record, if it differs."""
    if not row.reextracted_differs:
        return None
    newer = row.reextracted_data
    diffs: list[tuple[str, str | None, str | None]] = []
    if newer is not None:
        paths = value_paths(row.data)
        seen = set(paths)
        paths += [p for p in value_paths(newer) if p not in seen]
        for path in paths:
            mine, theirs = get_value(row.data, path), get_value(newer, path)
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
        document_errors=error_lines(doc.errors or []),
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
            return Outcome(False, conflict_zh(s, e))
    except NoteNeeded as e:
        return Outcome(False, str(e))
    except JixiaoError as e:
        if "does not exist" in str(e):
            return Outcome(False, f"记录 {record_id} 已不存在（其文档可能已重新提取）")
        return Outcome(False, "操作未完成，请重新加载记录后再试")


def history_zh(h: rv.HistoryEntry) -> str:
    """One history line in Chinese."""
    from ui.labels import zh

    if h.action == "correction":
        return (
            f"{h.reviewer} 将 {label_of(h.field or '')} 由 {h.old_value or '（空）'} 改为 "
            f"{h.new_value or '（空）'}（{zh(h.reason_code or '', 'reason')}）"
        )
    note = f"：{h.note}" if h.note else ""
    return f"{h.reviewer} {zh(h.action, 'action')}{note}"


def conflict_zh(session: Session, err: rv.ConflictError) -> str:
    """A conflict in Chinese: who changed what since the version the reviewer opened."""
    if session.get(RecordRow, err.record_id) is None:
        return f"记录 {err.record_id} 已不存在（其文档已重新提取）。您的修改未保存。"
    current = session.scalar(select(RecordRow.version).where(RecordRow.id == err.record_id))
    lines = [
        f"{history_zh(h)}（{h.at:%Y-%m-%d %H:%M:%S}）"
        for h in rv.history(session, err.record_id, since_version=err.seen)
    ]
    what = "；".join(lines) or "已被另一会话修改"
    return (
        f"记录 {err.record_id} 在您打开后已被修改（您看到的是第 {err.seen} 版，现为第 "
        f"{current} 版）：{what}。您的修改未保存：请点“重新加载”后再改。"
    )


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
            return "没有改动"
        return (
            "已保存："
            + "；".join(
                f"{label_of(c.field)} {c.old_value or '（空）'} → {c.new_value or '（空）'}"
                for c in done
            )
            + "（已重新校验）"
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
    """``approve`` or ``reject``. A rejection needs a note, and so does approving a record
    that still has error findings (the clerk says why the errors are acceptable)."""

    def act(s: Session) -> str:
        if action == "approve":
            row = s.get(RecordRow, record_id)
            fresh = row is not None and row.version == expected_version  # else: a conflict
            if fresh and row is not None and row.n_errors and not (note or "").strip():
                raise NoteNeeded(
                    f"此记录仍有 {row.n_errors} 个错误：请在“备注”中说明为何仍予通过，再点通过"
                )
            rv.approve(
                s, record_id, reviewer=reviewer, expected_version=expected_version, note=note
            )
            return f"记录 {record_id} 已由 {reviewer} 通过"
        if action == "reject":
            if not (note or "").strip():
                raise NoteNeeded("退回需要备注：请在“备注”中写明原因")
            rv.reject(
                s, record_id, reviewer=reviewer, expected_version=expected_version, note=note or ""
            )
            return f"记录 {record_id} 已由 {reviewer} 退回"
        raise rv.ReviewError(f"unknown action {action!r}: approve or reject")

    return _run(store, record_id, act)


class NoteNeeded(rv.ReviewError):
    """A decision that needs a note was asked for without one."""


def neighbour(items: list[QueueItem], record_id: int, step: int = 1) -> int | None:
    """The record ``step`` places after ``record_id`` in the queue (``-1``: before), or,
    when it is not in the queue (filtered out, just decided), the first undecided one."""
    ids = [it.record_id for it in items]
    if record_id in ids:
        i = ids.index(record_id) + step
        return ids[i] if 0 <= i < len(ids) else None
    undecided = [it.record_id for it in items if it.review_status in ("new", "needs_review")]
    return undecided[0] if undecided else None


# ---------------------------------------------------------------- upload (ui.uploads)

from ui.uploads import (  # noqa: E402  (kept importable from here)
    NAME_MAX_BYTES,
    UploadOutcome,
    check_upload,
    extract_upload,
    safe_name,
    save_upload,
    without_paths,
)

__all__ = [
    "NAME_MAX_BYTES",
    "ApprovedRecord",
    "UploadOutcome",
    "approved_records",
    "check_upload",
    "extract_upload",
    "safe_name",
    "save_upload",
    "without_paths",
]
