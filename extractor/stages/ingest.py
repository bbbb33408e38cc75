"""Ingest stage: the PDF as page grids, or the one error that says why it cannot be read;
what the grid tells about the document's pages goes on its result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from extractor.ingest.pdf import ingest
from schemas.document_errors import DocumentError, ErrorCode
from schemas.errors import InputError
from schemas.grid import DocumentGrid
from schemas.options import IngestOptions
from schemas.results import DocumentResult

if TYPE_CHECKING:
    from extractor.ingest.ocr import OcrEngine


def read_grid(
    path: Path, options: IngestOptions, ocr: OcrEngine | None = None
) -> DocumentGrid | DocumentError:
    """The document's grid; an unusable file (``InputError``) or any failure to read it
    (a bug or an unforeseen file: reported, never a traceback) is an error instead."""
    try:
        return ingest(path, options, ocr=ocr)
    except InputError as e:
        return DocumentError(code=ErrorCode.INPUT, message=str(e))
    except Exception as e:
        why = f"{path}: could not be read ({type(e).__name__}: {e})"
        return DocumentError(code=ErrorCode.UNREADABLE, message=why)


def note_pages(grid: DocumentGrid, result: DocumentResult) -> None:
    """The document's hash, its pages, which were scanned (read by OCR or not) and every
    page error, on ``result``."""
    result.sha256 = grid.sha256
    result.page_count = grid.page_count
    result.pages_needing_ocr = [p.number for p in grid.pages if p.needs_ocr]
    result.errors += [e for p in grid.pages for e in p.errors]
    result.pages_ocr = grid.pages_read_by_ocr()
