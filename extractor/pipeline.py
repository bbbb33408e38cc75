"""One document in, one ``DocumentResult`` out, whatever the document is.

ingest (PyMuPDF) → segment (records, stitched across pages) → layout mapper → grounding
(reject values not in their cited cells) → validators (recompute rates, scores, totals,
grade). Errors of one document become that document's status and errors; nothing raises
out of ``extract_document`` for bad input.
"""

from __future__ import annotations

import time
from pathlib import Path

from extractor.checks.grounding import ground_record
from extractor.checks.rules import RuleSet, get_rule_set
from extractor.checks.validators import validate_record
from extractor.ingest.pdf import file_sha256, ingest
from extractor.layout.mapper import map_segment
from extractor.layout.segment import segment
from jixiao import __version__
from jixiao.errors import InputError
from jixiao.settings import Settings
from schemas.findings import Finding, Severity
from schemas.results import DocumentResult, DocumentStatus, RecordResult


def _mapping_finding(problem: str) -> Finding:
    return Finding(
        code="MAPPING",
        severity=Severity.WARNING,
        message=f"layout mapper: {problem}",
        message_zh=f"版面映射：{problem}",
    )


def extract_document(
    path: str | Path,
    settings: Settings | None = None,
    rules: RuleSet | None = None,
) -> DocumentResult:
    settings = settings or Settings()
    rules = rules or get_rule_set(settings.rule_set)
    path = Path(path)
    t0 = time.perf_counter()
    result = DocumentResult(
        path=str(path),
        status=DocumentStatus.FAILED,
        rule_set=rules.id,
        extractor_version=__version__,
    )
    try:
        grid = ingest(path, settings)
    except InputError as e:
        result.errors.append(str(e))
        result.seconds = time.perf_counter() - t0
        return result
    except Exception as e:  # a bug or an unforeseen file: reported, never a traceback
        result.errors.append(f"{path}: could not be read ({type(e).__name__}: {e})")
        result.seconds = time.perf_counter() - t0
        return result
    result.sha256 = grid.sha256
    result.page_count = grid.page_count
    result.pages_needing_ocr = [p.number for p in grid.pages if p.needs_ocr]
    for p in grid.pages:
        for ln in p.lines:
            if ln.id.endswith(".err"):
                result.errors.append(f"page {p.number}: {ln.text}")
    cells = grid.cell_index()
    seg = segment(grid)
    partial = False
    for s in seg.segments:
        try:
            record, notes = map_segment(s)
        except Exception as e:
            result.errors.append(
                f"pages {s.pages}: record could not be mapped ({type(e).__name__}: {e})"
            )
            partial = True
            continue
        findings = ground_record(record, cells)
        findings += [_mapping_finding(p) for p in notes.problems]
        findings += validate_record(record, rules)
        if any(f.code == "UNGROUNDED" for f in findings) or notes.problems:
            partial = True
        result.records.append(RecordResult(record=record, findings=findings))
    if seg.orphan_rows:
        pages = sorted({r.page for r in seg.orphan_rows})
        result.errors.append(
            f"table rows on pages {pages} come before any 项目名称 row and were not read"
        )
        partial = True
    if result.pages_needing_ocr:
        result.errors.append(
            f"pages {result.pages_needing_ocr} have no text layer (scanned); OCR is not enabled"
        )
        partial = True
    if result.records:
        result.status = DocumentStatus.PARTIAL if partial or result.errors else DocumentStatus.OK
    elif result.pages_needing_ocr:
        result.status = DocumentStatus.SKIPPED
    else:
        result.status = DocumentStatus.SKIPPED
        result.errors.append("no performance form (项目名称 table) found")
    result.seconds = time.perf_counter() - t0
    return result


__all__ = ["extract_document", "file_sha256"]
