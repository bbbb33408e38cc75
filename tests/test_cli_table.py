"""``jixiao extract --format table``: a readable summary per record with its findings; the
default on a terminal only (JSON stays the default for pipes and files); the progress bar
counts pages, scanned ones as OCR reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from typer.testing import CliRunner

from jixiao.cli import app
from jixiao.settings import Settings
from jixiao.summary_table import PageCountingOcr, document_lines, page_count

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-self-eval.pdf"


def test_table_format_lists_records_and_findings() -> None:
    res = CliRunner().invoke(app, ["extract", str(SAMPLE), "--format", "table", "--quiet"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert out.startswith("sample-self-eval.pdf · 正常 · 6 页 · 5 条记录")
    assert "1. 微信公众号经费（2023 年" in out and "全年预算数 8" in out
    assert "错误 R9 funds.total.executed：年度资金总额全年执行数为金额栏" in out
    assert not out.lstrip().startswith("{")


def test_json_stays_the_default_off_a_terminal() -> None:
    res = CliRunner().invoke(app, ["extract", str(SAMPLE), "--quiet"])
    assert res.exit_code == 0 and res.stdout.lstrip().startswith("{")


def test_document_lines_of_a_failed_document() -> None:
    lines = document_lines({"pdf": "x.pdf", "status": "failed", "errors": ["not a PDF"]})
    assert lines == ["x.pdf · 失败 · 0 页 · 0 条记录", "  ! not a PDF"]
    error = {"code": "page_damaged", "page": 3, "message": "damaged page content"}
    lines = document_lines({"pdf": "x.pdf", "status": "partial", "errors": [error]})
    assert lines[1] == "  ! page 3: damaged page content"


def test_page_counting_ocr_counts_each_scanned_page(monkeypatch: Any) -> None:
    import extractor.ingest.ocr as ocr

    calls: list[str] = []

    class Fake:
        def __call__(self, image: Any) -> list[Any]:
            calls.append("page")
            return []

        def recognize(self, image: Any) -> tuple[str, float]:
            return "", 0.0

    monkeypatch.setattr(ocr, "default_engine", lambda settings: Fake())
    pages: list[int] = []
    engine = PageCountingOcr(Settings(), lambda: pages.append(1))
    img = np.zeros((4, 4), dtype=np.uint8)
    engine(img)
    engine(img)
    assert engine.recognize(img) == ("", 0.0)
    assert len(pages) == 2 and calls == ["page", "page"]
    assert page_count(SAMPLE) == 6 and page_count(REPO / "nope.pdf") == 0
