"""Unknown labels are reported (UNKNOWN_LABEL info finding) and counted by ``jixiao labels``
over PDFs or a whole store."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from extractor.pipeline import extract_document
from jixiao.cli import app
from jixiao.labels import count_unknown, format_counts, labels_of_pdfs, labels_of_store
from jixiao.settings import Settings
from jixiao.store import open_store, save_result
from tests.pdfgen import grid_row, grid_table, render
from tests.wild_helpers import decl_rows


def _pdf(tmp_path: Path) -> Path:
    rows = decl_rows()
    rows[2:2] = [grid_row("项目编码", "12345", "资金性质", "一般公共预算")]
    return render(
        [grid_table(rows, ["项目支出绩效目标申报表", "（2024年度）"])], tmp_path / "u.pdf"
    )


def test_unknown_labels_are_info_findings_with_text_and_cell(tmp_path: Path) -> None:
    res = extract_document(_pdf(tmp_path), Settings(ocr=False).extract_options())
    found = [f for f in res.records[0].findings if f.code == "UNKNOWN_LABEL"]
    assert {f.printed for f in found} == {"项目编码", "资金性质"}
    assert all(f.severity == "info" and f.cells for f in found)
    # Known labels and values are not reported.
    assert not any(f.printed in ("项目名称", "主管部门", "12345") for f in found)


def test_labels_counts_pdfs_and_a_store(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path)
    assert labels_of_pdfs([pdf], Settings(ocr=False)) == {"项目编码": 1, "资金性质": 1}
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = open_store(url)
    with store.session() as s:
        save_result(s, extract_document(pdf, Settings(ocr=False).extract_options()))
    store.close()
    assert labels_of_store(url) == {"项目编码": 1, "资金性质": 1}
    out = CliRunner().invoke(app, ["labels", "--db", url])
    assert out.exit_code == 0 and "1\t项目编码" in out.output


def test_count_and_format() -> None:
    recs = [
        {"findings": [{"code": "UNKNOWN_LABEL", "printed": "甲"}, {"code": "R1"}]},
        {"findings": [{"code": "UNKNOWN_LABEL", "printed": "甲"}] * 2},
        {"findings": [{"code": "UNKNOWN_LABEL", "printed": "乙"}]},
    ]
    c = count_unknown(recs)
    assert c == {"甲": 2, "乙": 1}
    assert format_counts(c).splitlines() == ["2\t甲", "1\t乙"]
    assert format_counts(count_unknown([])) == "no unknown labels"
