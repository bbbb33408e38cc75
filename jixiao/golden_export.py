"""Golden answer keys from approved records: the ``jixiao review export-golden`` command and
the review screen's download both call this module (the tables, CSV and Excel, come from
``jixiao.exports``).

Golden export follows ``shared/golden/FORMAT.md``: one ``NAME.golden.json`` per PDF, with
every record of that PDF in printed order, values as PRINTED and inconsistencies of the form
in ``source_anomalies``. So:

- a PDF is exported only when every one of its records is approved (an answer key that
  misses a table would count the extractor's correct record as invented);
- a field whose last correction has reason ``form_error`` (the form prints a wrong value,
  the clerk typed the right one) is exported as printed (the value before that correction)
  and the correction becomes a source anomaly;
- error and warning findings still on an approved record are source anomalies too (the
  clerk approved them as problems of the form, not of the extraction).
"""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from jixiao.store import Document, count_records, list_records
from jixiao.store import review as rv
from schemas.fields import FORM_KEYS
from schemas.paths import label_of, set_value


@dataclass
class ApprovedRecord:
    """An approved record as the exports need it (``approved_records`` reads them)."""

    record_id: int
    ordinal: int
    pdf: str  # the document's file name
    path: str  # where the PDF is stored
    sha256: str
    data: dict[str, Any]
    reviewer: str | None = None
    approved_at: datetime | None = None
    note: str | None = None
    corrections: list[dict[str, Any]] = field(default_factory=list)  # oldest first


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


def golden_record(r: ApprovedRecord) -> dict[str, Any]:
    """The record as an answer key (FORMAT.md): printed values plus ``source_anomalies``."""
    d = copy.deepcopy(r.data)
    form = d.get("form_type")
    if form not in FORM_KEYS:
        raise ValueError(f"record {r.record_id}: unknown form_type {form!r}")
    anomalies: list[str] = []
    last: dict[str, dict[str, Any]] = {}
    for c in r.corrections:
        last[str(c["field"])] = c
    for path, c in last.items():
        if c.get("reason_code") == "form_error":
            set_value(d, path, c.get("old_value"))
            anomalies.append(
                f"{label_of(path)} ({path}) printed {c.get('old_value')!r}; "
                f"reviewer {c.get('reviewer')} gives {c.get('new_value')!r}"
            )
    for f in d.get("findings") or []:
        if f.get("severity") in ("error", "warning"):
            anomalies.append(f"{f.get('code')}: {f.get('message')}")
    out = {k: d.get(k) for k in FORM_KEYS[form]}
    year = out.get("year")
    if isinstance(year, str) and year.isdigit():
        out["year"] = int(year)
    out["indicators"] = [dict(i) for i in out.get("indicators") or []]
    out["source_anomalies"] = anomalies
    return out


@dataclass
class GoldenExport:
    files: dict[str, dict[str, Any]]  # NAME.golden.json → payload
    pdfs: dict[str, str]  # NAME.golden.json → stored PDF path (copied beside it)
    skipped: dict[str, str]  # pdf name → why it was not exported


def golden_export(approved: list[ApprovedRecord], record_counts: dict[str, int]) -> GoldenExport:
    """Answer keys for the documents whose records are all approved.

    ``record_counts`` maps each document's sha256 to how many records it has in the store.
    """
    by_doc: dict[str, list[ApprovedRecord]] = {}
    for r in approved:
        by_doc.setdefault(r.sha256, []).append(r)
    files: dict[str, dict[str, Any]] = {}
    pdfs: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for sha, recs in by_doc.items():
        recs.sort(key=lambda x: x.ordinal)
        pdf = recs[0].pdf
        total = record_counts.get(sha, len(recs))
        if len(recs) < total:
            skipped[pdf] = f"{total} 条记录中只有 {len(recs)} 条已通过"
            continue
        stem = pdf[:-4] if pdf.lower().endswith(".pdf") else pdf
        name = f"{stem}.golden.json"
        if name in files:  # two different PDFs with one file name
            name = f"{stem}-{sha[:8]}.golden.json"
        files[name] = {"pdf": Path(name).name.replace(".golden.json", ".pdf"), "records": []}
        files[name]["records"] = [golden_record(r) for r in recs]
        pdfs[name] = recs[0].path
    return GoldenExport(files=files, pdfs=pdfs, skipped=skipped)


def write_golden(export: GoldenExport, out_dir: Path) -> list[Path]:
    """Write each answer key and copy its PDF beside it (``jixiao eval OUT_DIR`` reads them)."""
    import shutil

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, payload in export.files.items():
        target = out_dir / name
        part = target.with_name(f".{target.name}.part")
        part.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", "utf-8")
        part.replace(target)  # atomic: a reader sees the old key or the whole new one
        written.append(target)
        src = Path(export.pdfs.get(name, ""))
        if src.is_file():
            dst = out_dir / payload["pdf"]
            if not dst.exists():
                shutil.copyfile(src, dst)
    return written


def golden_zip(export: GoldenExport) -> bytes:
    """The answer keys (and their PDFs where stored) as one zip, for a download button."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in export.files.items():
            z.writestr(name, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
            src = Path(export.pdfs.get(name, ""))
            if src.is_file():
                z.write(src, payload["pdf"])
    return buf.getvalue()
