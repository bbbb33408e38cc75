from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractor.ingest.pdf import assemble_lines, ingest, render_png
from jixiao.settings import Settings
from tests.conftest import DIGITAL, SCANS, golden_required

ID = re.compile(r"^p\d+\.t\d+\.r\d+\.c\d+$")


@pytest.fixture(scope="module")
def grid():  # type: ignore[no-untyped-def]
    golden_required()
    return ingest(DIGITAL[0], Settings().ingest_options())


@pytest.mark.golden
def test_cells_have_ids_boxes_and_clean_text(grid) -> None:  # type: ignore[no-untyped-def]
    assert grid.page_count == len(grid.pages) > 0
    page = grid.pages[0]
    assert page.tables, "a ruled form page must yield a table"
    for t in page.tables:
        for c in t.cells:
            assert ID.match(c.id), c.id
            x0, y0, x1, y1 = c.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    texts = {c.text for t in page.tables for c in t.cells}
    # Table.extract() would give "24 300 00\n., ": cells are rebuilt from characters.
    assert any(re.fullmatch(r"[\d,]+\.\d\d", s) for s in texts)
    assert "项目名称" in texts


@pytest.mark.golden
def test_merged_cells_have_spans(grid) -> None:  # type: ignore[no-untyped-def]
    cells = [c for p in grid.pages for t in p.tables for c in t.cells]
    assert any(c.row_span > 1 for c in cells), "merged 一级指标 cells span rows"
    assert any(c.col_span > 1 for c in cells), "the 项目名称 value spans columns"


@pytest.mark.golden
def test_title_lines_outside_tables(grid) -> None:  # type: ignore[no-untyped-def]
    lines = [ln.text for ln in grid.pages[0].lines]
    assert any("绩效" in t and "表" in t for t in lines)
    assert any(re.search(r"20\d\d", t) for t in lines)


@pytest.mark.golden
def test_scanned_pages_are_marked_needs_ocr() -> None:
    golden_required()
    g = ingest(SCANS[0], Settings(ocr=False).ingest_options())
    assert g.pages and all(p.needs_ocr and not p.tables for p in g.pages)


@pytest.mark.golden
def test_render_png(tmp_path: Path) -> None:
    golden_required()
    png = render_png(DIGITAL[0], 1, dpi=50)
    assert png.startswith(b"\x89PNG")


def test_assemble_lines_orders_by_baseline_then_x() -> None:
    from extractor.ingest.pdf import _Char

    def ch(c: str, x: float, base: float) -> _Char:
        return _Char(c, x + 2, base - 4, x, x + 5, base, 10)

    # "." drawn before the digits and a second line above the first in stream order.
    chars = [ch(".", 10, 20), ch("3", 0, 20), ch("9", 5, 20), ch("4", 15, 20), ch("第", 0, 8)]
    assert assemble_lines(chars) == ["第", "39.4"]
