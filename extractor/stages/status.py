"""Status stage: the records kept (each with the route that read it), and the document's
status and errors: ``ok`` when every record was read and grounded, ``partial`` when a
record, a value or a page could not be, ``skipped`` when no form was found."""

from __future__ import annotations

from extractor.layout.segment import Segmentation
from extractor.stages.check import Outcome, ungrounded
from schemas.document_errors import DocumentError, ErrorCode
from schemas.options import Mode
from schemas.results import DocumentResult, DocumentStatus


def add_records(
    result: DocumentResult, outcomes: list[Outcome], helped: set[int], mode: Mode
) -> bool:
    """Every record read onto ``result`` (those the model helped read say ``mode`` as
    their route); whether any record, or value of one, could not be read."""
    partial = False
    for i, o in enumerate(outcomes):
        if o is None:
            partial = True
            continue
        rr, notes = o
        if i in helped:
            rr.route = mode
        if ungrounded(rr) or notes.problems:
            partial = True
        result.records.append(rr)
    return partial


def settle_status(
    result: DocumentResult, seg: Segmentation, partial: bool, ocr_enabled: bool
) -> None:
    """The document's status, and the errors of what was not read: rows before any form
    start, scanned pages (OCR off; with OCR on each page it could not read has its own
    error already), no form at all."""
    if seg.orphan_rows:
        pages = sorted({r.page for r in seg.orphan_rows})
        why = f"table rows on pages {pages} come before any 项目名称 row and were not read"
        result.errors.append(DocumentError(code=ErrorCode.ORPHAN_ROWS, message=why))
        partial = True
    if result.pages_needing_ocr:
        if not ocr_enabled:
            why = (
                f"pages {result.pages_needing_ocr} have no text layer (scanned); OCR is not "
                "enabled (set JIXIAO_OCR=true)"
            )
            result.errors.append(DocumentError(code=ErrorCode.OCR_OFF, message=why))
        partial = True
    if result.records:
        result.status = DocumentStatus.PARTIAL if partial or result.errors else DocumentStatus.OK
    elif result.pages_needing_ocr:
        # Scanned and unreadable by OCR: partial (said why per page); OCR off: skipped.
        result.status = DocumentStatus.PARTIAL if ocr_enabled else DocumentStatus.SKIPPED
    else:
        result.status = DocumentStatus.SKIPPED
        why = "no performance form (项目名称 table) found"
        result.errors.append(DocumentError(code=ErrorCode.NO_FORM, message=why))
