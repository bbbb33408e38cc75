"""OCR-aware checks (pure string logic): confusions folded for grounding, numbers repaired,
low-confidence numbers flagged, and nothing that is not an OCR confusion gets through."""

from __future__ import annotations

import pytest

from extractor.checks.grounding import ground_record, match_status
from extractor.checks.ocr_text import (
    low_confidence_findings,
    repair_number,
    repair_ocr_numbers,
    scan_cells,
)
from extractor.ingest.ocr import OcrChar
from extractor.ingest.scan_text import assemble_chars, fix_cjk
from schemas.findings import Severity
from schemas.grid import Cell, DocumentGrid, PageGrid, Table
from schemas.numbers import normalise_text
from schemas.records import FundRow, SelfEvaluation
from schemas.values import MatchStatus, Provenance, Value


@pytest.mark.parametrize(
    ("value", "ocr_text"),
    [
        ("10.00", "1O.00"),
        ("100", "l00"),
        ("25.00", "2S.00"),
        ("3,800.00", "3，8OO．00"),
        ("39.46", "39。46"),
        ("=3.00(次)", "=3.0O（次）"),
        ("１２", "12"),
    ],
)
def test_ocr_confusions_ground_as_ocr_normalised(value: str, ocr_text: str) -> None:
    if normalise_text(value) == normalise_text(ocr_text):  # full width only: plain NFKC
        assert match_status("x", value, ocr_text) is MatchStatus.NORMALISED
        return
    assert match_status("x", value, ocr_text, ocr=True) is MatchStatus.OCR_NORMALISED
    # On a text layer the same difference is a different value.
    assert match_status("x", value, ocr_text) is MatchStatus.UNGROUNDED


@pytest.mark.parametrize(
    ("value", "ocr_text"),
    [("10.80", "10.00"), ("7", "1"), ("39.64", "39.46"), ("达成", "未达成"), ("96", "9")],
)
def test_other_differences_stay_ungrounded_on_scans(value: str, ocr_text: str) -> None:
    assert match_status("funds.total.executed", value, ocr_text, ocr=True) is MatchStatus.UNGROUNDED


@pytest.mark.parametrize(
    ("text", "whole", "fixed"),
    [
        ("1O.00", True, "10.00"),
        ("2S.5O", True, "25.50"),
        ("39。46", True, "39.46"),
        ("1 000.0O", True, "1000.00"),
        ("10.00", True, None),  # nothing to repair
        ("-", True, None),
        ("优", True, None),
        ("=3.0O(次)", False, "=3.00(次)"),
        ("≥9O%", False, "≥90%"),
        ("IS0 9001认证", False, None),  # does not start with a digit: left alone
        ("达成指标", False, None),
        ("5GB", False, None),
    ],
)
def test_repair_number(text: str, whole: bool, fixed: str | None) -> None:
    assert repair_number(text, whole) == fixed


def _scanned_record(executed_ocr: str, conf: float) -> tuple[SelfEvaluation, DocumentGrid]:
    cell = Cell(
        id="p1.t1.r4.c9",
        page=1,
        table=1,
        row=4,
        col=9,
        bbox=(300, 160, 380, 190),
        text=executed_ocr,
        confidence=conf,
    )
    grid = DocumentGrid(
        path="x.pdf",
        sha256="0",
        page_count=1,
        pages=[
            PageGrid(
                number=1,
                width=595,
                height=842,
                has_text_layer=False,
                ocr_used=True,
                tables=[
                    Table(
                        id="p1.t1",
                        page=1,
                        index=1,
                        bbox=(0, 0, 1, 1),
                        n_rows=4,
                        n_cols=9,
                        cells=[cell],
                    )
                ],
            )
        ],
    )
    rec = SelfEvaluation()
    rec.funds.total = FundRow(
        executed=Value(
            text=executed_ocr,
            prov=Provenance(page=1, cell_ids=[cell.id], bbox=cell.bbox, confidence=0.99),
        )
    )
    return rec, grid


def test_repaired_number_is_grounded_with_the_ocr_text_kept() -> None:
    rec, grid = _scanned_record("1O6.2O", 0.62)
    scan = scan_cells(grid, 0.8)
    assert repair_ocr_numbers(rec, scan) == 1
    v = rec.funds.total.executed
    assert v.text == "106.20"
    findings = ground_record(rec, grid.cell_index(), scan.confidence)
    assert findings == []
    assert v.prov is not None
    assert v.prov.match is MatchStatus.OCR_NORMALISED
    assert v.prov.ocr_read == "1O6.2O"
    # The confidence comes from the cited cell, not from the extractor's claim (0.99).
    assert v.prov.confidence == pytest.approx(0.62)
    low = low_confidence_findings(rec, scan.low_confidence)
    assert [(f.code, f.severity, f.cells) for f in low] == [
        ("LOW_CONFIDENCE", Severity.WARNING, ["p1.t1.r4.c9"])
    ]
    assert "0.62" in low[0].message and "p1.t1.r4.c9" in low[0].message_zh


def test_a_value_not_in_its_ocr_cell_is_still_rejected() -> None:
    rec, grid = _scanned_record("106.20", 0.99)
    rec.funds.total.executed.text = "108.20"
    scan = scan_cells(grid, 0.8)
    findings = ground_record(rec, grid.cell_index(), scan.confidence)
    assert [f.code for f in findings] == ["UNGROUNDED"]
    assert rec.funds.total.executed.text is None


def test_confident_numbers_and_text_are_not_flagged() -> None:
    rec, _ = _scanned_record("106.20", 0.95)
    rec.project_name = Value(
        text="档案项目", prov=Provenance(page=1, cell_ids=["p1.t1.r1.c2"], confidence=0.3)
    )
    rec.goal_actual = Value(
        text="2023年完成", prov=Provenance(page=1, cell_ids=["p1.t1.r9.c2"], confidence=0.3)
    )
    # Text at 0.3 is not a number (not even a goal starting with a year); 106.20 is at 0.95.
    assert low_confidence_findings(rec, 0.8) == []


def test_cjk_ten_read_as_plus() -> None:
    assert fix_cjk("百分之三+") == "百分之三十"
    assert fix_cjk("3+5") == "3+5"

    def ch(t: str, x: float, y: float) -> OcrChar:
        return OcrChar(t, 0.99, x, y, x + 10, y + 10)

    # A wrapped line that starts with the 十 of 三十.
    assert assemble_chars([ch("三", 0, 0), ch("+", 0, 20), ch("天", 10, 20)]) == ["三", "十天"]
