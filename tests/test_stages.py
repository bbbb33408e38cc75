"""The stages of ``extract_document`` (``extractor.stages``), each alone; the option objects
the application builds from its settings; structured document errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.checks.rules import get_rule_set
from extractor.layout.headers import regex_labeler
from extractor.layout.mapper import MapIssue, MapNotes, MapProblem
from extractor.layout.segment import Row, Segmentation, segment
from extractor.stages.assist import hybrid, resolved
from extractor.stages.check import Checking, quality
from extractor.stages.ingest import note_pages, read_grid
from extractor.stages.map import map_records
from extractor.stages.status import add_records, settle_status
from extractor.stages.vision import PageImages
from jixiao.settings import Settings
from schemas.document_errors import DocumentError, ErrorCode, error_lines
from schemas.grid import DocumentGrid, PageGrid
from schemas.options import ExtractOptions, IngestOptions, Mode, OcrOptions, VisionOptions
from schemas.records import SelfEvaluation
from schemas.results import DocumentResult, DocumentStatus, RecordResult
from schemas.values import Provenance, Value

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-self-eval.pdf"
NO_OCR = IngestOptions(ocr=OcrOptions(enabled=False))
RULES = get_rule_set("cn-default")


def _result() -> DocumentResult:
    return DocumentResult(path="x.pdf", status=DocumentStatus.FAILED)


def _row(page: int) -> Row:
    return Row([], set(), page, f"p{page}.t1", 1, first_in_table=True, last_in_table=True)


# -- ingest -------------------------------------------------------------------------------


def test_ingest_gives_the_grid_or_the_error_that_says_why(tmp_path: Path) -> None:
    grid = read_grid(SAMPLE, NO_OCR)
    assert isinstance(grid, DocumentGrid) and grid.page_count >= 1
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    error = read_grid(bad, NO_OCR)
    assert isinstance(error, DocumentError)
    assert error.code is ErrorCode.INPUT and error.page is None and "bad.pdf" in error.message
    big = read_grid(SAMPLE, IngestOptions(max_file_mb=0.0001))
    assert isinstance(big, DocumentError) and "JIXIAO_MAX_FILE_MB" in big.message


def test_ingest_notes_pages_and_their_errors_on_the_result() -> None:
    pages = [
        PageGrid(number=1, width=1, height=1),
        PageGrid(number=2, width=1, height=1, needs_ocr=True, has_text_layer=False),
        PageGrid(number=3, width=1, height=1, ocr_used=True),
    ]
    pages[1].add_error(ErrorCode.TEXT_GARBLED, "text layer unreadable")
    grid = DocumentGrid(path="x.pdf", sha256="ab", page_count=3, pages=pages)
    result = _result()
    note_pages(grid, result)
    assert (result.sha256, result.page_count) == ("ab", 3)
    assert result.pages_needing_ocr == [2] and result.pages_ocr == [3]
    assert result.errors == [
        DocumentError(code=ErrorCode.TEXT_GARBLED, page=2, message="text layer unreadable")
    ]
    assert str(result.errors[0]) == "page 2: text layer unreadable"
    assert "p2.err" not in grid.cell_index()  # an error is no text line


# -- segment ------------------------------------------------------------------------------


def test_segment_takes_a_page_with_an_error_for_unreadable() -> None:
    """A record is not stitched over an unreadable page (``segment``): a page with an
    error is one, as a scanned page is."""
    from extractor.layout.segment import _unreadable_pages

    pages = [PageGrid(number=n, width=1, height=1) for n in (1, 2, 3)]
    pages[1].add_error(ErrorCode.PAGE_DAMAGED, "damaged page content")
    pages[2].needs_ocr = True
    grid = DocumentGrid(path="x.pdf", sha256="ab", page_count=3, pages=pages)
    assert _unreadable_pages(grid) == {2, 3}
    assert segment(grid) == Segmentation(segments=[], orphan_rows=[])


# -- map ----------------------------------------------------------------------------------


def test_map_reads_each_record_and_a_failing_one_is_an_error() -> None:
    grid = read_grid(SAMPLE, NO_OCR)
    assert isinstance(grid, DocumentGrid)
    seg = segment(grid)
    checking = Checking.of(grid, RULES, 0.5)
    errors: list[DocumentError] = []
    outcomes = map_records(seg.segments, regex_labeler, checking, errors)
    assert len(outcomes) == len(seg.segments) > 0 and all(o is not None for o in outcomes)
    assert errors == []

    def broken(text: str, category: str) -> str | None:
        raise ValueError("no label today")

    outcomes = map_records(seg.segments[:1], broken, checking, errors)
    assert outcomes == [None]
    assert [e.code for e in errors] == [ErrorCode.RECORD_UNMAPPED]
    assert "ValueError: no label today" in errors[0].message


# -- check --------------------------------------------------------------------------------


def test_check_grounds_validates_and_reports_mapping_problems() -> None:
    checking = Checking(cells={"p1.t1.r1.c2": "信息化运维项目"}, rules=RULES)
    rec = SelfEvaluation(project_name=_v("信息化运维项目", "p1.t1.r1.c2"))
    notes = MapNotes(problems=[MapProblem(MapIssue.NO_INDICATORS, "no indicator rows found")])
    rr = checking.check(rec, notes)
    mapping = [f for f in rr.findings if f.code == "MAPPING"]
    assert [f.message for f in mapping] == ["layout mapper: no indicator rows found"]
    assert not any(f.code == "UNGROUNDED" for f in rr.findings)
    wrong = checking.check(SelfEvaluation(project_name=_v("别的项目", "p1.t1.r1.c2")), MapNotes())
    assert any(f.code == "UNGROUNDED" for f in wrong.findings)
    assert quality(wrong, MapNotes()) < quality(rr, MapNotes())


# -- assist -------------------------------------------------------------------------------


def _v(text: str, cell: str) -> Value:
    return Value(text=text, prov=Provenance(page=1, cell_ids=[cell]))


def test_a_mapping_problem_is_resolved_by_its_code_not_its_text() -> None:
    named = SelfEvaluation(project_name=_v("信息化运维项目", "p1.t1.r1.c2"))
    assert resolved(MapProblem(MapIssue.NO_PROJECT_NAME, "whatever it says"), named)
    assert not resolved(MapProblem(MapIssue.NO_PROJECT_NAME, "项目名称"), SelfEvaluation())
    assert not resolved(MapProblem(MapIssue.NO_INDICATORS, "项目名称 indicator"), named)
    assert not resolved(MapProblem(MapIssue.MISALIGNED_FUNDS, "项目名称"), named)


def test_hybrid_keeps_the_filled_reading_only_when_it_is_better() -> None:
    checking = Checking(cells={"p1.t1.r1.c2": "信息化运维项目"}, rules=RULES)
    problem = MapProblem(MapIssue.NO_PROJECT_NAME, "项目名称 has no value")
    old_notes = MapNotes(problems=[problem])
    old = (checking.check(SelfEvaluation(), old_notes), old_notes)
    good = SelfEvaluation(project_name=_v("信息化运维项目", "p1.t1.r1.c2"))
    merged = hybrid(old, (RecordResult(record=good), MapNotes()), checking)
    assert merged is not None
    assert merged[0].record.project_name.text == "信息化运维项目"
    assert merged[1].problems == []  # the problem the model's value resolved is gone
    assert hybrid(old, (RecordResult(record=SelfEvaluation()), MapNotes()), checking) is None
    ungrounded = SelfEvaluation(project_name=_v("编造的项目", "p1.t1.r1.c2"))
    assert hybrid(old, (RecordResult(record=ungrounded), MapNotes()), checking) is None


# -- status -------------------------------------------------------------------------------


def test_status_of_a_document_without_forms_is_skipped_with_its_reason() -> None:
    result = _result()
    settle_status(result, Segmentation(segments=[], orphan_rows=[]), False, ocr_enabled=True)
    assert result.status is DocumentStatus.SKIPPED
    assert [e.code for e in result.errors] == [ErrorCode.NO_FORM]


def test_status_of_scans_without_ocr_and_of_orphan_rows() -> None:
    result = _result()
    result.pages_needing_ocr = [1, 2]
    settle_status(result, Segmentation([], [_row(3), _row(4)]), False, ocr_enabled=False)
    assert result.status is DocumentStatus.SKIPPED
    assert [e.code for e in result.errors] == [ErrorCode.ORPHAN_ROWS, ErrorCode.OCR_OFF]
    assert "[3, 4]" in result.errors[0].message and "[1, 2]" in result.errors[1].message
    ocr_on = _result()
    ocr_on.pages_needing_ocr = [1]
    settle_status(ocr_on, Segmentation([], []), False, ocr_enabled=True)
    assert ocr_on.status is DocumentStatus.PARTIAL and ocr_on.errors == []


def test_status_keeps_records_and_says_which_the_model_helped() -> None:
    checking = Checking(cells={"p1.t1.r1.c2": "信息化运维项目"}, rules=RULES)
    rec = SelfEvaluation(project_name=_v("信息化运维项目", "p1.t1.r1.c2"))
    ok = (checking.check(rec, MapNotes()), MapNotes())
    result = _result()
    partial = add_records(result, [ok, None], {0}, Mode.hybrid)
    assert partial and [r.route for r in result.records] == ["hybrid"]
    settle_status(result, Segmentation([], []), partial, ocr_enabled=True)
    assert result.status is DocumentStatus.PARTIAL
    clean = _result()
    assert not add_records(clean, [ok], set(), Mode.layout)


# -- vision -------------------------------------------------------------------------------


def test_page_images_only_for_a_vision_endpoint() -> None:
    off = PageImages(SAMPLE, VisionOptions(), IngestOptions())
    assert off([1, 2]) is None
    on = PageImages(SAMPLE, VisionOptions(enabled=True, dpi=40, max_pages=1), IngestOptions())
    images = on([1, 2])
    assert images is not None and len(images) == 1 and images[0].startswith(b"\x89PNG")


# -- options, errors, the failed result -----------------------------------------------------


def test_settings_build_the_option_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for k in [k for k in os.environ if k.startswith("JIXIAO_")]:
        monkeypatch.delenv(k)
    assert Settings().extract_options() == ExtractOptions()  # one set of defaults
    opts = Settings(
        ocr=False, max_pages=5, max_page_pt=900, llm_vision=True, rule_set="x"
    ).extract_options()
    assert not opts.ingest.ocr.enabled and opts.ingest.max_pages == 5
    assert opts.ingest.limits.max_page_pt == 900 and opts.vision.enabled
    assert opts.rule_set == "x"
    with pytest.raises(ValueError):
        ExtractOptions().ingest.ocr.enabled = False  # type: ignore[misc]  # frozen


def test_mode_is_one_enum_for_the_cli_and_the_pipeline() -> None:
    from jixiao import cli

    assert cli.Mode is Mode
    assert [m.value for m in Mode] == ["layout", "llm", "hybrid"]


def test_stored_string_errors_still_load() -> None:
    old = {"path": "x.pdf", "status": "failed", "errors": ["x.pdf: not a PDF (a PNG image)"]}
    result = DocumentResult.model_validate(old)
    assert result.errors == [
        DocumentError(code=ErrorCode.ERROR, message="x.pdf: not a PDF (a PNG image)")
    ]
    assert str(result.errors[0]) == "x.pdf: not a PDF (a PNG image)"
    new = result.model_dump(mode="json")["errors"]
    assert new == [{"code": "error", "page": None, "message": "x.pdf: not a PDF (a PNG image)"}]
    assert error_lines([*new, "plain", {"code": "page_damaged", "page": 2, "message": "m"}]) == [
        "x.pdf: not a PDF (a PNG image)",
        "plain",
        "page 2: m",
    ]


def test_one_constructor_for_a_failed_result() -> None:
    r = DocumentResult.failed("a.pdf", ErrorCode.FAILED, "boom", mode="hybrid", rule_set="r")
    assert r.status is DocumentStatus.FAILED and r.records == []
    assert r.errors == [DocumentError(code=ErrorCode.FAILED, message="boom")]
    assert (r.path, r.mode, r.rule_set) == ("a.pdf", "hybrid", "r")
