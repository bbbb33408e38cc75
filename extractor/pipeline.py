"""One document in, one ``DocumentResult`` out, whatever the document is.

The named stages (``extractor.stages``): ingest (PyMuPDF, OCR for scans) → segment
(records, stitched across pages) → map (labels read by patterns, or by the model in
``llm`` mode) → assist (``hybrid`` mode: the model's help where the patterns fell short)
→ check (grounding: reject values not in their cited cells; validators: recompute rates,
scores, totals, grade) → status. Errors of one document become that document's status and
errors; nothing raises out of ``extract_document`` for bad input.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from extractor.checks.rules import RuleSet, get_rule_set
from extractor.ingest.hashing import file_sha256
from extractor.layout.context import label_context
from extractor.layout.headers import Labeler, regex_labeler
from extractor.layout.segment import Segmentation, segment
from extractor.stages.assist import Assist
from extractor.stages.check import Checking, Outcome
from extractor.stages.ingest import note_pages, read_grid
from extractor.stages.map import map_records, model_labeler
from extractor.stages.status import add_records, settle_status
from extractor.stages.vision import PageImages
from schemas.catalogue import Learned, catalogue_version, learned_labels
from schemas.document_errors import DocumentError, ErrorCode
from schemas.errors import ConfigError
from schemas.grid import DocumentGrid
from schemas.options import ExtractOptions, Mode
from schemas.results import DocumentResult, DocumentStatus
from schemas.sanitise import display_path, safe_text
from schemas.version import __version__

if TYPE_CHECKING:
    from extractor.ingest.ocr import OcrEngine
    from extractor.llm.asker import Asker


def extract_document(
    path: str | Path,
    options: ExtractOptions | None = None,
    rules: RuleSet | None = None,
    *,
    mode: Mode | str = Mode.layout,
    asker: Asker | None = None,
    cells_out: dict[str, str] | None = None,
    ocr: OcrEngine | None = None,
    taught: Sequence[Learned] = (),
) -> DocumentResult:
    """Extract and check every form in ``path``. ``options``: limits, OCR and vision
    (default: ``ExtractOptions()``; the application passes ``Settings.extract_options()``).
    ``cells_out``, when given, receives the document's cell index (id → text), so a caller
    can audit the result's grounding. ``ocr`` reads scanned pages (default: RapidOCR, when
    OCR is on). ``taught``: labels clerks taught the catalogue (``jixiao labels
    --accept``), known to the whole read; the result names the catalogue version it was
    read with.

    Never raises for the document: any exception while reading or checking it (a bug, an
    unforeseen file) makes the result ``failed`` with one error. Only a missing model
    for ``llm``/``hybrid`` (a ``ConfigError``) is raised."""
    options = options or ExtractOptions()
    rules = rules or get_rule_set(options.rule_set)
    mode = Mode(mode)
    if mode is not Mode.layout and asker is None:
        raise ConfigError(
            f"mode {mode.value!r} needs a model: set JIXIAO_LLM_BASE_URL or start the embedded one"
        )
    t0 = time.perf_counter()
    shown = display_path(path)
    cells: dict[str, str] = {} if cells_out is None else cells_out
    read = _Read(Path(path), options, rules, mode, asker, ocr)
    try:
        with learned_labels(taught):
            result = read.extract(cells)
            result.label_context = label_context(cells) if result.records else None
    except Exception as e:  # one document fails, with one error; the caller goes on
        why = f"{shown}: extraction failed ({type(e).__name__}: {safe_text(str(e))})"
        result = read.failed(DocumentError(code=ErrorCode.FAILED, message=why))
    result.catalogue_version = catalogue_version(taught)
    result.path = shown
    result.errors = [e.renamed(str(path), shown).safe() for e in result.errors]
    result.seconds = time.perf_counter() - t0
    return result


@dataclass(frozen=True)
class _Read:
    """One document's read through the stages."""

    path: Path
    options: ExtractOptions
    rules: RuleSet
    mode: Mode
    asker: Asker | None
    ocr: OcrEngine | None

    def failed(self, error: DocumentError) -> DocumentResult:
        fields = {"rule_set": self.rules.id, "extractor_version": __version__}
        return DocumentResult.failed(
            str(self.path), error.code, error.message, mode=self.mode.value, **fields
        )

    def extract(self, cells_out: dict[str, str]) -> DocumentResult:
        t0 = time.perf_counter()
        grid = read_grid(self.path, self.options.ingest, self.ocr)
        if isinstance(grid, DocumentError):
            result = self.failed(grid)
            result.seconds = time.perf_counter() - t0
            return result
        result = DocumentResult(
            path=str(self.path),
            status=DocumentStatus.FAILED,
            rule_set=self.rules.id,
            extractor_version=__version__,
            mode=self.mode.value,
        )
        note_pages(grid, result)
        checking = Checking.of(grid, self.rules, self.options.ingest.ocr.low_confidence)
        cells_out.update(checking.cells)
        seg, outcomes, helped = self.read_records(grid, checking, result.errors)
        partial = add_records(result, outcomes, helped, self.mode)
        if self.asker is not None:
            result.llm = self.asker.ledger.model_copy()
        settle_status(result, seg, partial, self.options.ingest.ocr.enabled)
        result.seconds = time.perf_counter() - t0
        return result

    def read_records(
        self, grid: DocumentGrid, checking: Checking, errors: list[DocumentError]
    ) -> tuple[Segmentation, list[Outcome], set[int]]:
        """Segment, map (and in hybrid mode assist): the document's records, each one's
        reading and the indices of those the model helped read."""
        seg = segment(grid)
        images = PageImages(self.path, self.options.vision, self.options.ingest)
        label: Labeler = regex_labeler
        helped: set[int] = set()
        if self.mode is Mode.llm and self.asker is not None:
            label = model_labeler(self.asker, seg.segments, grid.sha256, errors, images)
            helped = set(range(len(seg.segments)))
        outcomes = map_records(seg.segments, label, checking, errors)
        if self.mode is Mode.hybrid and self.asker is not None:
            assist = Assist(grid, self.asker, checking, errors, images)
            return assist.run(seg, outcomes)
        return seg, outcomes, helped


__all__ = ["Mode", "extract_document", "file_sha256"]
