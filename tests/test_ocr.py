"""Scanned pages: deskew, grid reconstruction, OCR-aware extraction, unreadable pages.

Most tests read synthetic scans (``tests/scan_helpers``: a ``tests/pdfgen`` form rendered,
rotated, noised and JPEG-compressed into an image-only PDF) with ``FakeOcr``, which places
the digital twin's characters where the scan shows them: deskew, ruling detection, merged
cells, coordinates and the pipeline are tested without the model, in milliseconds. The
tests marked ``ocr`` run RapidOCR itself on four pages in all (engine built once per module).
The full golden scan set is the separate CI step (``jixiao eval --variant scan --check``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
import pytest

from extractor.ingest.ocr import (
    OcrChar,
    OcrEngineError,
    OcrLine,
    PageTransform,
    default_engine,
    estimate_skew,
    render_gray,
)
from extractor.ingest.pdf import ingest
from extractor.ingest.scan_grid import text_aligned_tables
from extractor.pipeline import extract_document
from jixiao.settings import Settings
from schemas.document_errors import DocumentError, ErrorCode
from schemas.golden import to_golden
from schemas.grid import DocumentGrid
from schemas.records import iter_values
from schemas.values import MatchStatus
from tests.conftest import GOLDEN, golden_required
from tests.pdfgen import Indicator, SelfEval, build
from tests.scan_helpers import FakeOcr, ScanStyle, make_scan, noise_page_pdf

FORM = SelfEval(
    year=2022,
    project_name="档案数字化加工项目",
    department="某市档案局",
    implementing_unit="某市档案馆",
    funds={
        "total": ("120.50", "118.00", "106.20", "10", "90.00", "9.00"),
        "current_year": ("100.00", "98.00", "90.20", "-", "92.04", "-"),
        "carryover": ("20.50", "20.00", "16.00", "-", "80.00", "-"),
        "other": ("0.00", "0.00", "0.00", "-", "0.00", "-"),
    },
    goal_expected="完成馆藏档案数字化加工",
    goal_actual="完成数字化加工三万卷",
    indicators=[
        Indicator("产出指标", "数量指标", "加工卷数", "≥30000卷", "30500卷", "30", "30"),
        Indicator("产出指标", "质量指标", "验收合格率", "≥98%", "99%", "20", "20"),
        Indicator("效益指标", "社会效益指标", "查档效率提升", "显著", "达成", "30", "27"),
        Indicator("满意度指标", "服务对象满意度指标", "查档者满意度", "≥90%", "93%", "10", "10"),
    ],
    total_score="96",
    grade="优",
)
SKEW = 0.8


def _expected_core(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k not in ("pages", "findings", "provenance")}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("scan")
    digital = d / "form.pdf"
    expected = build([(FORM, None)], digital)
    style = ScanStyle(angle=SKEW, shift=(3.0, -2.0))
    scan = make_scan(digital, d / "form.scan.pdf", style)
    return {"dir": d, "digital": digital, "scan": scan, "style": style, "expected": expected}


def _fake(s: dict[str, Any], scan: Path | None = None, **kw: Any) -> FakeOcr:
    return FakeOcr(s["digital"], scan or s["scan"], kw.pop("style", s["style"]), **kw)


# ---------------------------------------------------------------------------------------
# Deskew and coordinates


@pytest.mark.parametrize("angle", [-1.6, -0.5, 0.0, 0.7, 2.2])
def test_skew_is_measured(synthetic: dict[str, Any], angle: float) -> None:
    scan = make_scan(
        synthetic["digital"], synthetic["dir"] / f"skew{angle}.pdf", ScanStyle(angle=angle)
    )
    gray, _ = render_gray(pymupdf.open(scan)[0], 150)
    assert estimate_skew(gray) == pytest.approx(angle, abs=0.08)


def test_page_transform_round_trips() -> None:
    tf = PageTransform(scale=150 / 72, angle=1.3, cx=620.0, cy=877.0)
    for x, y in ((0.0, 0.0), (100.5, 700.25), (595.0, 842.0)):
        ix, iy = tf.to_image(x, y)
        assert tf.to_pdf(ix, iy) == pytest.approx((x, y), abs=1e-6)
    # A box keeps its size in points and is centred where its centre lands on the page.
    x0, y0, x1, y1 = tf.box_to_pdf(100.0, 200.0, 160.0, 230.0)
    assert (x1 - x0, y1 - y0) == pytest.approx((60 / tf.scale, 30 / tf.scale), abs=0.02)
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx(tf.to_pdf(130.0, 215.0), abs=0.01)


# ---------------------------------------------------------------------------------------
# Grid reconstruction (fake OCR)


def _cells(g: DocumentGrid) -> dict[str, Any]:
    return {c.id: c for p in g.pages for t in p.tables for c in t.cells}


def test_scanned_grid_has_the_digital_grid_shape(synthetic: dict[str, Any]) -> None:
    dig = ingest(synthetic["digital"], Settings().ingest_options())
    scan = ingest(synthetic["scan"], Settings().ingest_options(), ocr=_fake(synthetic))
    page = scan.pages[0]
    assert page.ocr_used and not page.needs_ocr and not page.has_text_layer
    dt, st = dig.pages[0].tables, page.tables
    assert [(t.n_rows, t.n_cols) for t in st] == [(t.n_rows, t.n_cols) for t in dt]
    dc, sc = _cells(dig), _cells(scan)
    assert sc.keys() == dc.keys()
    style = synthetic["style"]
    for cid, d in dc.items():
        s = sc[cid]
        assert (s.row_span, s.col_span) == (d.row_span, d.col_span), cid
        assert s.text == d.text, cid
        assert (s.confidence is None) == (d.text == ""), cid
        # Where the scan shows the cell: the digital centre turned by the skew, slid by
        # the shift; sizes unchanged.
        cx, cy = (d.x0 + d.x1) / 2, (d.y0 + d.y1) / 2
        ex, ey = _scanned_point(cx, cy, style, page.width, page.height)
        assert ((s.x0 + s.x1) / 2, (s.y0 + s.y1) / 2) == pytest.approx((ex, ey), abs=2.0), cid
        assert s.x1 - s.x0 == pytest.approx(d.x1 - d.x0, abs=2.0), cid
    titles = [ln.text for ln in page.lines]
    assert titles == [ln.text for ln in dig.pages[0].lines]
    assert all(ln.confidence is not None for ln in page.lines)


def _scanned_point(x: float, y: float, style: ScanStyle, w: float, h: float) -> tuple[float, float]:
    import math

    a = math.radians(style.angle)
    dx, dy = x - w / 2, y - h / 2
    return (
        w / 2 + dx * math.cos(a) - dy * math.sin(a) + style.shift[0],
        h / 2 + dx * math.sin(a) + dy * math.cos(a) + style.shift[1],
    )


def test_scanned_form_extracts_like_the_digital_one(synthetic: dict[str, Any]) -> None:
    result = extract_document(synthetic["scan"], ocr=_fake(synthetic))
    assert result.status.value == "ok", result.errors
    assert result.pages_ocr == [1] and result.pages_needing_ocr == []
    assert len(result.records) == 1
    got = to_golden(result.records[0].record, with_provenance=False)
    assert _expected_core(got) == _expected_core(synthetic["expected"][0])
    rr = result.records[0]
    assert not [f for f in rr.findings if f.severity == "error"]
    n = 0
    for _, v in iter_values(rr.record):
        if v.text and v.prov is not None and v.prov.cell_ids[0].count(".") == 3:
            n += 1
            assert v.prov.confidence == pytest.approx(0.99)
            assert v.prov.match is not MatchStatus.OCR_NORMALISED  # nothing was misread
    assert n > 40


def test_faint_rulings_still_make_the_grid(synthetic: dict[str, Any]) -> None:
    style = ScanStyle(angle=-0.6, fade=0.3, noise=4.0)
    scan = make_scan(synthetic["digital"], synthetic["dir"] / "faint.pdf", style)
    result = extract_document(scan, ocr=_fake(synthetic, scan, style=style))
    assert result.status.value == "ok", result.errors
    got = to_golden(result.records[0].record, with_provenance=False)
    assert _expected_core(got) == _expected_core(synthetic["expected"][0])


def test_text_alignment_grid_without_rulings() -> None:
    """No ruling at all: rows of text boxes make a table whose columns nothing crosses."""

    def line(text: str, x0: float, y0: float) -> OcrLine:
        chars = [
            OcrChar(c, 0.99, x0 + 20.0 * i, y0, x0 + 20.0 * (i + 1), y0 + 33.0)
            for i, c in enumerate(text)
        ]
        return OcrLine(text, 0.99, x0, y0, x0 + 20.0 * len(text), y0 + 33.0, chars)

    got = [line("单位绩效表", 200, 20)]  # a title: one box on its row, far above
    for r, y in enumerate((100, 140, 180)):
        got += [line(f"名称{r}", 50, y), line(f"{r}.00", 300, y), line("完成", 500, y)]
    tables = text_aligned_tables(got, [], [])
    assert len(tables) == 1
    g = tables[0]
    assert (len(g.ys) - 1, len(g.xs) - 1) == (3, 3)
    assert g.ys[0] > 60  # the title row stays out of the table


def test_low_confidence_number_is_flagged_for_review(synthetic: dict[str, Any]) -> None:
    result = extract_document(synthetic["scan"], ocr=_fake(synthetic, low=("106.2",)))
    rr = result.records[0]
    low = [f for f in rr.findings if f.code == "LOW_CONFIDENCE"]
    assert [f.field for f in low] == ["funds.total.executed"]
    assert low[0].severity == "warning" and low[0].cells and low[0].cells[0] in low[0].message
    assert rr.record.funds.total.executed.prov.confidence == pytest.approx(0.3)  # type: ignore[union-attr]
    assert not [f for f in rr.findings if f.severity == "error"]
    assert result.status.value == "ok"


def test_ocr_off_skips_scans_naming_the_setting(synthetic: dict[str, Any]) -> None:
    result = extract_document(synthetic["scan"], Settings(ocr=False).extract_options())
    assert result.status.value == "skipped"
    assert result.pages_needing_ocr == [1]
    assert any(e.code is ErrorCode.OCR_OFF and "JIXIAO_OCR" in e.message for e in result.errors)


def test_scanned_grid_reaches_the_llm_route(synthetic: dict[str, Any]) -> None:
    """mode=llm reads the same scanned grid: the model is shown the scanned cells' texts."""
    import httpx2

    from extractor.llm.asker import Asker
    from tests.fake_llm import FakeModel

    fake = FakeModel(lambda body: httpx2.Response(400, json={"error": {"message": "refused"}}))
    asker = Asker(fake.client(), "fake", max_attempts=1, max_reasks=0)
    result = extract_document(synthetic["scan"], mode="llm", asker=asker, ocr=_fake(synthetic))
    shown = "\n".join(
        str(m["content"]) for b in fake.requests for m in b["messages"] if m["role"] == "user"
    )
    assert fake.requests and "年初预算数" in shown and "三级指标" in shown
    assert result.pages_ocr == [1] and result.status.value in ("ok", "partial")


# ---------------------------------------------------------------------------------------
# Pages OCR cannot read


def _digital_plus(extra: Path, out: Path, digital: Path) -> Path:
    doc = pymupdf.open(digital)
    doc.insert_pdf(pymupdf.open(extra))
    doc.save(out)
    return out


class _Failing:
    def __call__(self, image: np.ndarray) -> list[OcrLine]:
        raise OcrEngineError("OCR engine failed (RuntimeError: model crashed)")


def test_engine_failure_on_a_page_gives_partial_not_a_crash(synthetic: dict[str, Any]) -> None:
    p = _digital_plus(synthetic["scan"], synthetic["dir"] / "mixed.pdf", synthetic["digital"])
    result = extract_document(p, ocr=_Failing())
    assert result.status.value == "partial"
    assert len(result.records) == 1  # the digital page's record is kept
    assert result.pages_needing_ocr == [2]
    assert any(
        e.code is ErrorCode.SCAN_UNREADABLE
        and e.page == 2
        and e.message.startswith("scanned page unreadable")
        and "crashed" in e.message
        for e in result.errors
    )


def test_blank_scan_is_partial_with_a_clear_error(synthetic: dict[str, Any]) -> None:
    style = ScanStyle(blank=True)
    scan = make_scan(synthetic["digital"], synthetic["dir"] / "blank.pdf", style)
    result = extract_document(scan, ocr=_fake(synthetic, scan, style=style))
    assert result.status.value == "partial"
    assert result.records == []
    why = "scanned page unreadable: OCR found no text (blank or unreadable scan)"
    assert result.errors == [DocumentError(code=ErrorCode.SCAN_UNREADABLE, page=1, message=why)]
    assert str(result.errors[0]) == f"page 1: {why}"


# ---------------------------------------------------------------------------------------
# RapidOCR itself (a handful of pages)


@pytest.fixture(scope="module")
def engine() -> Any:
    return default_engine(Settings().ocr_options())


@pytest.mark.ocr
def test_real_ocr_reads_a_skewed_noisy_scan(synthetic: dict[str, Any], engine: Any) -> None:
    style = ScanStyle(angle=1.2, noise=8.0, jpeg_quality=45)
    scan = make_scan(synthetic["digital"], synthetic["dir"] / "real.pdf", style, seed=3)
    result = extract_document(scan, ocr=engine)
    assert result.status.value == "ok", result.errors
    got = to_golden(result.records[0].record, with_provenance=False)
    want = synthetic["expected"][0]
    assert got["funds"] == want["funds"]
    assert (got["total_weight"], got["total_score"], got["grade"]) == ("100", "96", "优")
    assert [(i["weight"], i["score"]) for i in got["indicators"]] == [
        (i["weight"], i["score"]) for i in want["indicators"]
    ]
    assert got["project_name"] == want["project_name"]
    rr = result.records[0]
    assert not [f for f in rr.findings if f.severity == "error"], rr.findings
    confs = [v.prov.confidence for _, v in iter_values(rr.record) if v.text and v.prov]
    assert confs and all(c is not None and 0 < c <= 1 for c in confs)


@pytest.mark.ocr
def test_real_ocr_noise_page_is_partial(tmp_path: Path, engine: Any) -> None:
    result = extract_document(noise_page_pdf(tmp_path / "noise.pdf"), ocr=engine)
    assert result.status.value == "partial"
    assert len(result.errors) == 1 and str(result.errors[0]).startswith(
        "page 1: scanned page unreadable"
    )
    assert result.errors[0].code is ErrorCode.SCAN_UNREADABLE


@pytest.mark.golden
@pytest.mark.ocr
def test_real_ocr_on_a_golden_scan_page(tmp_path: Path, engine: Any) -> None:
    golden_required()
    import json

    src = GOLDEN / "tz-gsl-2023-self-eval.scan.pdf"
    one = tmp_path / "tz-page1.scan.pdf"
    doc = pymupdf.open()
    doc.insert_pdf(pymupdf.open(src), from_page=0, to_page=0)
    doc.save(one)
    key = json.loads((GOLDEN / "tz-gsl-2023-self-eval.golden.json").read_text(encoding="utf-8"))
    want = key["records"][0]
    result = extract_document(one, ocr=engine)
    assert result.records, result.errors
    got = to_golden(result.records[0].record, with_provenance=False)
    for k in ("project_name", "department", "implementing_unit", "money_unit", "year"):
        assert got[k] == want[k], k
    for row, fields in want["funds"].items():
        for f, v in fields.items():
            assert str(got["funds"][row][f]) == str(v), (row, f)
