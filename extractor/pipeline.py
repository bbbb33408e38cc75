"""One document in, one ``DocumentResult`` out, whatever the document is.

ingest (PyMuPDF) → segment (records, stitched across pages) → layout mapper (labels read by
patterns, or by the model in ``llm``/``hybrid`` mode) → grounding (reject values not in their
cited cells) → validators (recompute rates, scores, totals, grade). Errors of one document
become that document's status and errors; nothing raises out of ``extract_document`` for
bad input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from extractor.checks.grounding import ground_record
from extractor.checks.labels import unknown_label_findings
from extractor.checks.ocr_text import (
    ScanCells,
    low_confidence_findings,
    repair_ocr_numbers,
    scan_cells,
)
from extractor.checks.rules import RuleSet, get_rule_set
from extractor.checks.validators import validate_record
from extractor.ingest.hashing import file_sha256
from extractor.ingest.pdf import ingest, render_png
from extractor.layout.context import label_context
from extractor.layout.headers import Labeler, regex_labeler
from extractor.layout.mapper import MapNotes, map_segment
from extractor.layout.segment import (
    Segment,
    Segmentation,
    form_hints,
    row_stream,
    segment,
)
from extractor.llm.merge import fill_missing
from jixiao.settings import Settings
from schemas.catalogue import Learned, catalogue_version, in_effect, learned_labels
from schemas.errors import ConfigError, InputError
from schemas.findings import Finding, Severity
from schemas.grid import DocumentGrid
from schemas.records import Record, SelfEvaluation, iter_values
from schemas.results import DocumentResult, DocumentStatus, RecordResult, Route
from schemas.sanitise import display_path, safe_text
from schemas.version import SCHEMA_VERSION, __version__

if TYPE_CHECKING:
    from extractor.ingest.ocr import OcrEngine
    from extractor.llm.asker import Asker

Mode = Literal["layout", "llm", "hybrid"]


def _mapping_finding(problem: str) -> Finding:
    return Finding(
        code="MAPPING",
        severity=Severity.WARNING,
        message=f"layout mapper: {problem}",
        message_zh=f"版面映射：{problem}",
    )


def _read(
    seg: Segment,
    label: Labeler,
    cells: dict[str, str],
    rules: RuleSet,
    scan: ScanCells | None = None,
) -> tuple[RecordResult, MapNotes]:
    record, notes = map_segment(seg, label)
    return _check(record, notes, cells, rules, scan), notes


def _check(
    record: Record,
    notes: MapNotes,
    cells: dict[str, str],
    rules: RuleSet,
    scan: ScanCells | None = None,
) -> RecordResult:
    """Ground and validate one mapped record."""
    if scan is not None:
        repair_ocr_numbers(record, scan)
    findings = ground_record(record, cells, scan.confidence if scan is not None else None)
    if scan is not None:
        findings += low_confidence_findings(record, scan.low_confidence)
    findings += [_mapping_finding(p) for p in notes.problems]
    findings += unknown_label_findings(notes.unknown)
    findings += validate_record(record, rules)
    return RecordResult(record=record, findings=findings)


def _errors(rr: RecordResult) -> int:
    return sum(1 for f in rr.findings if f.severity == Severity.ERROR)


def _hybrid(
    old: tuple[RecordResult, MapNotes],
    cand: tuple[RecordResult, MapNotes],
    cells: dict[str, str],
    rules: RuleSet,
    scan: ScanCells | None,
) -> tuple[RecordResult, MapNotes] | None:
    """The layout reading with its empty fields filled from the model's reading, kept only
    when it adds values and no error finding (None otherwise)."""
    record, filled = fill_missing(old[0].record, cand[0].record)
    if not filled:
        return None
    notes = MapNotes(problems=[p for p in old[1].problems if not _resolved(p, record)])
    merged = (_check(record, notes, cells, rules, scan), notes)
    if _errors(merged[0]) > _errors(old[0]) or _quality(*merged) <= _quality(*old):
        return None
    return merged


def _resolved(problem: str, record: Record) -> bool:
    if "项目名称" in problem:
        return bool(record.project_name.text)
    if "indicator" in problem:
        return bool(record.indicators)
    return False


def _quality(rr: RecordResult, notes: MapNotes) -> int:
    filled = sum(1 for _, v in iter_values(rr.record) if v.text)
    errors = sum(1 for f in rr.findings if f.severity == Severity.ERROR)
    ungrounded = sum(1 for f in rr.findings if f.code == "UNGROUNDED")
    return filled - 5 * errors - 10 * ungrounded - 3 * len(notes.problems)


def extract_document(
    path: str | Path,
    settings: Settings | None = None,
    rules: RuleSet | None = None,
    *,
    mode: Mode = "layout",
    asker: Asker | None = None,
    cells_out: dict[str, str] | None = None,
    ocr: OcrEngine | None = None,
    taught: Sequence[Learned] = (),
) -> DocumentResult:
    """Extract and check every form in ``path``. ``cells_out``, when given, receives the
    document's cell index (id → text), so a caller can audit the result's grounding.
    ``ocr`` reads scanned pages (default: RapidOCR, when ``JIXIAO_OCR`` is on).
    ``taught``: labels clerks taught the catalogue (``jixiao labels --accept``), known
    to the whole read; the result names the catalogue version it was read with.

    Never raises for the document: any exception while reading or checking it (a bug, an
    unforeseen file) makes the result ``failed`` with one error line. Only a missing model
    for ``llm``/``hybrid`` (a ``ConfigError``) is raised."""
    settings = settings or Settings()
    rules = rules or get_rule_set(settings.rule_set)
    if mode != "layout" and asker is None:
        raise ConfigError(
            f"mode {mode!r} needs a model: set JIXIAO_LLM_BASE_URL or start the embedded one"
        )
    t0 = time.perf_counter()
    shown = display_path(path)
    cells: dict[str, str] = {} if cells_out is None else cells_out
    try:
        with learned_labels(taught):
            result = _extract(Path(path), settings, rules, mode, asker, cells, ocr)
            result.label_context = label_context(cells) if result.records else None
    except Exception as e:  # one document fails, with one line; the caller goes on
        result = DocumentResult(
            path=shown,
            status=DocumentStatus.FAILED,
            rule_set=rules.id,
            extractor_version=__version__,
            mode=mode,
            errors=[f"{shown}: extraction failed ({type(e).__name__}: {safe_text(str(e))})"],
        )
    result.catalogue_version = catalogue_version(taught)
    result.path = shown
    result.errors = [safe_text(e.replace(str(path), shown)) for e in result.errors]
    result.seconds = time.perf_counter() - t0
    return result


def _extract(
    path: Path,
    settings: Settings,
    rules: RuleSet,
    mode: Mode,
    asker: Asker | None,
    cells_out: dict[str, str] | None,
    ocr: OcrEngine | None,
) -> DocumentResult:
    t0 = time.perf_counter()
    result = DocumentResult(
        path=str(path),
        status=DocumentStatus.FAILED,
        rule_set=rules.id,
        extractor_version=__version__,
        mode=mode,
    )
    try:
        grid = ingest(path, settings, ocr=ocr)
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
            if ln.is_error:
                result.errors.append(f"page {p.number}: {ln.text}")
    cells = grid.cell_index()
    result.pages_ocr = [p.number for p in grid.pages if p.ocr_used and not p.needs_ocr]
    scan = scan_cells(grid, settings.ocr_low_confidence) if result.pages_ocr else None
    if cells_out is not None:
        cells_out.update(cells)
    seg = segment(grid)
    partial = False

    def page_images(pages: list[int]) -> list[bytes] | None:
        """PNG pages for a vision endpoint (JIXIAO_LLM_VISION), rendered only when asked."""
        if not settings.llm_vision:
            return None
        return [
            render_png(path, p, settings.llm_vision_dpi, settings)
            for p in pages[: settings.llm_vision_max_pages]
        ]

    base: Labeler = regex_labeler
    helped: set[int] = set()
    if mode == "llm" and asker is not None:
        base = _model_labeler(
            asker, seg.segments, grid.sha256, result, fallback=None, images=page_images
        )
        helped = set(range(len(seg.segments)))
    outcomes: list[tuple[RecordResult, MapNotes] | None] = []
    for s in seg.segments:
        try:
            outcomes.append(_read(s, base, cells, rules, scan))
        except Exception as e:
            result.errors.append(
                f"pages {s.pages}: record could not be mapped ({type(e).__name__}: {e})"
            )
            outcomes.append(None)
    if mode == "hybrid" and asker is not None:
        seg, outcomes, helped = _assist(
            grid, seg, outcomes, asker, (cells, rules, scan), result, page_images
        )
    for i, o in enumerate(outcomes):
        if o is None:
            partial = True
            continue
        rr, notes = o
        if i in helped:
            rr.route = Route(mode)
        if any(f.code == "UNGROUNDED" for f in rr.findings) or notes.problems:
            partial = True
        result.records.append(rr)
    if asker is not None:
        result.llm = asker.ledger.model_copy()
    if seg.orphan_rows:
        pages = sorted({r.page for r in seg.orphan_rows})
        result.errors.append(
            f"table rows on pages {pages} come before any 项目名称 row and were not read"
        )
        partial = True
    if result.pages_needing_ocr:
        if not settings.ocr:
            result.errors.append(
                f"pages {result.pages_needing_ocr} have no text layer (scanned); OCR is not "
                "enabled (set JIXIAO_OCR=true)"
            )
        # With OCR on, each page OCR could not read has its own error (a pN.err line).
        partial = True
    if result.records:
        result.status = DocumentStatus.PARTIAL if partial or result.errors else DocumentStatus.OK
    elif result.pages_needing_ocr:
        # Scanned and unreadable by OCR: partial (said why per page); OCR off: skipped.
        result.status = DocumentStatus.PARTIAL if settings.ocr else DocumentStatus.SKIPPED
    else:
        result.status = DocumentStatus.SKIPPED
        result.errors.append("no performance form (项目名称 table) found")
    result.seconds = time.perf_counter() - t0
    return result


Outcome = tuple[RecordResult, MapNotes] | None
Checking = tuple[dict[str, str], RuleSet, ScanCells | None]  # cells, rules, scan
ASSIST_ROUNDS = 3
CELL_FILL_MIN_ROWS = 4  # a record of fewer rows has no indicator table to read  # a table with no record found, then its records, then what is left


def _read_all(segments: list[Segment], checking: Checking, errors: list[str]) -> list[Outcome]:
    out: list[Outcome] = []
    for s in segments:
        try:
            out.append(_read(s, regex_labeler, *checking))
        except Exception as e:
            errors.append(f"pages {s.pages}: record could not be mapped ({type(e).__name__}: {e})")
            out.append(None)
    return out


def _used_ids(o: Outcome) -> set[str]:
    if o is None:
        return set()
    return {cid for _, v in iter_values(o[0].record) if v.prov for cid in v.prov.cell_ids}


def _orphan_tables(seg: Segmentation) -> list[Segment]:
    """Each table of rows that no record start was found in, as a segment to ask about
    (its labels, once learned, may show where the forms start)."""
    tables: dict[str, Segment] = {}
    for r in seg.orphan_rows:
        tables.setdefault(r.table_id, Segment()).rows.append(r)
    return list(tables.values())


def _assist(
    grid: DocumentGrid,
    seg: Segmentation,
    outcomes: list[Outcome],
    asker: Asker,
    checking: Checking,
    result: DocumentResult,
    images: Callable[[list[int]], list[bytes] | None],
) -> tuple[Segmentation, list[Outcome], set[int]]:
    """Hybrid: ask about every label text the catalogue does not know (and about a table
    where no form start was found), re-read the document with the answers, and keep each
    record's new reading only where it adds values and no error finding."""
    from extractor.llm.assist import ask_unknown, label_questions
    from extractor.llm.route import forms_of

    learned: list[Learned] = []
    asked: set[str] = set()
    forms = forms_of(seg.segments) if seg.segments else (form_hints(grid) or None)
    cur_seg, cur_out = seg, outcomes
    for round_ in range(ASSIST_ROUNDS):
        orphans = _orphan_tables(cur_seg)
        segs = [*orphans, *cur_seg.segments]
        used = [set[str]() for _ in orphans] + [_used_ids(o) for o in cur_out]
        with learned_labels(learned):
            qs = label_questions(segs, used, forms, asked, first=round_ == 0)
        if not qs:
            if round_ == 0:
                continue  # no first text unknown: the other texts may be
            break
        pages = sorted({p for s in segs for p in s.pages})
        key_parts = _key_parts(grid, pages)
        with learned_labels(learned):
            new = ask_unknown(asker, qs, key_parts, images(pages), result.errors)
        if not new:
            continue
        learned += new
        with learned_labels(learned):
            cur_seg = segment(grid)
            cur_out = _read_all(cur_seg.segments, checking, [])
    with learned_labels(learned):
        if learned:
            seg, outcomes, helped = _merge_readings(grid, seg, outcomes, cur_seg, cur_out, checking)
        else:
            helped = set()
        key_parts = _key_parts(grid, [])
        helped |= _fill_by_cells(seg, outcomes, asker, checking, key_parts, result.errors)
    return seg, outcomes, helped


def _key_parts(grid: DocumentGrid, pages: list[int]) -> dict[str, Any]:
    """What a model answer's cache key holds besides the question: the document, its pages,
    the schema and the catalogue in effect (learned labels included)."""
    return {
        "pdf_sha256": grid.sha256,
        "pages": pages,
        "schema_version": SCHEMA_VERSION,
        "catalogue_version": catalogue_version(in_effect()),
    }


def _fill_by_cells(
    seg: Segmentation,
    outcomes: list[Outcome],
    asker: Asker,
    checking: Checking,
    key_parts: dict[str, Any],
    errors: list[str],
) -> set[int]:
    """Records with table rows but no indicator row read (the mapper could not follow the
    table): the model cites the indicator cells (``extractor.llm.cellfill``); the rows are
    kept where they add no error finding. The indices of the records helped."""
    from extractor.llm.cellfill import ask_indicators
    from extractor.llm.failures import LLMError

    helped = set()
    for i, (s, o) in enumerate(zip(seg.segments, outcomes, strict=True)):
        if o is None or o[0].record.indicators or len(s.rows) <= CELL_FILL_MIN_ROWS:
            continue
        rec = o[0].record
        try:
            rows = ask_indicators(
                asker, s, isinstance(rec, SelfEvaluation), {**key_parts, "pages": s.pages}
            )
        except LLMError as e:
            # One table the model could not cite is enough: the document's other records
            # (one template) are not asked again.
            errors.append(str(e))
            break
        if not rows:
            continue
        cand = rec.model_copy(deep=True)
        cand.indicators = rows
        merged = _hybrid(o, (RecordResult(record=cand, findings=[]), o[1]), *checking)
        if merged is not None:
            outcomes[i] = merged
            helped.add(i)
    return helped


def _seg_key(s: Segment) -> tuple[str, int]:
    return (s.rows[0].table_id, s.rows[0].index) if s.rows else ("", 0)


def _merge_readings(
    grid: DocumentGrid,
    old_seg: Segmentation,
    old: list[Outcome],
    new_seg: Segmentation,
    new: list[Outcome],
    checking: Checking,
) -> tuple[Segmentation, list[Outcome], set[int]]:
    """Pair the layout and assisted readings by where each record starts: a record both
    found keeps the layout reading with its gaps filled (``_hybrid``); a record only the
    assisted reading found is added when no value of it is ungrounded; a record only layout
    found stays. In document order."""
    order = {(r.table_id, r.index): k for k, r in enumerate(row_stream(grid))}
    before = {_seg_key(s): (s, o) for s, o in zip(old_seg.segments, old, strict=True)}
    items: list[tuple[int, Segment, Outcome, bool]] = []
    for s, cand in zip(new_seg.segments, new, strict=True):
        key = _seg_key(s)
        if key in before:
            s_old, o_old = before.pop(key)
            merged = _hybrid(o_old, cand, *checking) if o_old and cand else None
            items.append((order.get(key, 0), s_old, merged or o_old, merged is not None))
        elif cand is not None and not any(f.code == "UNGROUNDED" for f in cand[0].findings):
            items.append((order.get(key, 0), s, cand, True))
    items += [(order.get(k, 0), s, o, False) for k, (s, o) in before.items()]
    items.sort(key=lambda x: x[0])
    taken = {(r.table_id, r.index) for _, s, _, _ in items for r in s.rows}
    orphans = [r for r in new_seg.orphan_rows if (r.table_id, r.index) not in taken]
    seg = Segmentation(segments=[s for _, s, _, _ in items], orphan_rows=orphans)
    helped = {k for k, it in enumerate(items) if it[3]}
    return seg, [o for _, _, o, _ in items], helped


def _model_labeler(
    asker: Asker,
    segments: list[Segment],
    pdf_sha256: str,
    result: DocumentResult,
    fallback: Labeler | None,
    images: Callable[[list[int]], list[bytes] | None] | None = None,
) -> Labeler:
    from extractor.llm.questions import ModelLabeler
    from extractor.llm.route import ask_labels, candidate_rows, forms_of

    rows = candidate_rows(segments, unknown_only=fallback is not None)
    pages = sorted({p for s in segments for p in s.pages})
    labels: dict[str, dict[str, str]] = {}
    if rows:
        labels = ask_labels(
            asker,
            rows,
            pdf_sha256,
            pages,
            SCHEMA_VERSION,
            forms_of(segments),
            images(pages) if images is not None else None,
            errors=result.errors,
        )
    return ModelLabeler(labels, fallback=fallback)


__all__ = ["Mode", "extract_document", "file_sha256"]
